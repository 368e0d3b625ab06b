package whmcs_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

func TestIdentityInsertAndRead(t *testing.T) {
	db, store := newStore(t)
	ctx := t.Context()
	before := time.Now().Add(-2 * time.Second)

	in := whmcs.Identity{ServiceID: 7, ClientID: 3, UserID: "a14040e0b2ef8b28", Email: "o'brien+s3@example.com"}
	err := store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		return store.InsertIdentity(ctx, tx, in)
	})
	if err != nil {
		t.Fatal(err)
	}

	got, err := store.Identity(ctx, db, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got.ServiceID != 7 || got.ClientID != 3 || got.UserID != in.UserID || got.Email != in.Email || got.NoteID != 0 {
		t.Errorf("Identity(7) = %+v, want fields of %+v", got, in)
	}
	if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(2*time.Second)) {
		t.Errorf("CreatedAt = %v, want about now (%v)", got.CreatedAt, time.Now())
	}
	if !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("UpdatedAt = %v, want CreatedAt %v", got.UpdatedAt, got.CreatedAt)
	}
}

func TestIdentityInsertDuplicate(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()
	id := whmcs.Identity{ServiceID: 7, ClientID: 3, UserID: "a14040e0b2ef8b28", Email: "a@example.com"}

	insert := func() error {
		return store.WithinTx(ctx, func(tx *sqlx.Tx) error { return store.InsertIdentity(ctx, tx, id) })
	}
	if err := insert(); err != nil {
		t.Fatal(err)
	}

	err := insert()
	if !errors.Is(err, whmcs.ErrDuplicate) {
		t.Errorf("second InsertIdentity error = %v, want ErrDuplicate", err)
	}
}

func TestIdentityInsertRejectsInvalid(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()
	tests := []struct {
		name string
		id   whmcs.Identity
	}{
		{"no service", whmcs.Identity{ClientID: 1, UserID: "u", Email: "e@x"}},
		{"no client", whmcs.Identity{ServiceID: 1, UserID: "u", Email: "e@x"}},
		{"no user id", whmcs.Identity{ServiceID: 1, ClientID: 1, Email: "e@x"}},
		{"blank email", whmcs.Identity{ServiceID: 1, ClientID: 1, UserID: "u", Email: "  "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := store.WithinTx(ctx, func(tx *sqlx.Tx) error { return store.InsertIdentity(ctx, tx, tt.id) })
			if err == nil {
				t.Error("InsertIdentity succeeded, want a validation error")
			}
		})
	}
}

func TestIdentityUnknownService(t *testing.T) {
	db, store := newStore(t)

	_, err := store.Identity(t.Context(), db, 99)
	if !errors.Is(err, whmcs.ErrNotFound) {
		t.Errorf("Identity(99) error = %v, want ErrNotFound", err)
	}
}

func TestUpdateIdentityNote(t *testing.T) {
	db, store := newStore(t)
	ctx := t.Context()
	insertIdentity(t, store, whmcs.Identity{ServiceID: 7, ClientID: 3, UserID: "u7", Email: "a@example.com"})

	for range 2 { // the second, unchanged update must not report ErrNotFound
		err := store.WithinTx(ctx, func(tx *sqlx.Tx) error { return store.UpdateIdentityNote(ctx, tx, 7, 55) })
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.Identity(ctx, db, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got.NoteID != 55 {
		t.Errorf("NoteID = %d, want 55", got.NoteID)
	}

	err = store.WithinTx(ctx, func(tx *sqlx.Tx) error { return store.UpdateIdentityNote(ctx, tx, 8, 55) })
	if !errors.Is(err, whmcs.ErrNotFound) {
		t.Errorf("UpdateIdentityNote of unknown service error = %v, want ErrNotFound", err)
	}
}

func TestIdentitiesByEmail(t *testing.T) {
	db, store := newStore(t)
	ctx := t.Context()
	emails := map[int64]string{
		1: "josé.müller+s3@exämple.com",
		2: "JOSÉ.Müller+s3@EXÄMPLE.com",
		3: "jose.muller+s3@example.com",
		4: "o'brien@example.com",
		5: "smile\U0001F600@example.com",
		6: "plus+tag@example.com",
	}
	for serviceID, email := range emails {
		insertIdentity(t, store, whmcs.Identity{ServiceID: serviceID, ClientID: 1, UserID: "u", Email: email})
	}

	tests := []struct {
		query string
		want  []int64
	}{
		{"josé.müller+s3@exämple.com", []int64{1, 2}},
		{"  José.Müller+S3@exämple.com ", []int64{1, 2}},
		{"jose.muller+s3@example.com", []int64{3}},
		{"o'brien@example.com", []int64{4}},
		{"smile\U0001F600@example.com", []int64{5}},
		{"plus+tag@example.com", []int64{6}},
		{"plus tag@example.com", []int64{}},
		{"nobody@example.com", []int64{}},
	}
	for _, tt := range tests {
		identities, err := store.IdentitiesByEmail(ctx, tt.query)
		if err != nil {
			t.Fatalf("IdentitiesByEmail(%q): %v", tt.query, err)
		}
		got := []int64{}
		for _, id := range identities {
			got = append(got, id.ServiceID)
		}
		if !equalIDs(got, tt.want) {
			t.Errorf("IdentitiesByEmail(%q) services = %v, want %v", tt.query, got, tt.want)
		}
	}

	stored, err := store.Identity(ctx, db, 5)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Email != emails[5] {
		t.Errorf("stored email = %q, want %q unchanged", stored.Email, emails[5])
	}
}

func insertIdentity(t *testing.T, store *whmcs.Store, id whmcs.Identity) {
	t.Helper()
	ctx := t.Context()
	err := store.WithinTx(ctx, func(tx *sqlx.Tx) error { return store.InsertIdentity(ctx, tx, id) })
	if err != nil {
		t.Fatal(err)
	}
}
