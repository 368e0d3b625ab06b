package whmcs_test

import (
	"errors"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

func TestRecordKeyIdempotent(t *testing.T) {
	db, store := newStore(t)
	ctx := t.Context()

	for range 2 {
		err := store.WithinTx(ctx, func(tx *sqlx.Tx) error {
			return store.RecordKey(ctx, tx, 7, "a14040e0b2ef8b28AB12")
		})
		if err != nil {
			t.Fatalf("RecordKey: %v", err)
		}
	}

	keys, err := store.ActiveKeys(ctx, db, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("ActiveKeys = %+v, want one key", keys)
	}
	if keys[0].AccessKeyID != "a14040e0b2ef8b28AB12" || keys[0].ServiceID != 7 {
		t.Errorf("key = %+v, want a14040e0b2ef8b28AB12 of service 7", keys[0])
	}
	if keys[0].CreatedAt.IsZero() {
		t.Error("CreatedAt is zero, want the insert time")
	}
	if !keys[0].RevokedAt.IsZero() {
		t.Errorf("RevokedAt = %v, want zero for an active key", keys[0].RevokedAt)
	}
}

func TestRecordKeyOfOtherService(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()
	record := func(serviceID int64) error {
		return store.WithinTx(ctx, func(tx *sqlx.Tx) error { return store.RecordKey(ctx, tx, serviceID, "KEY1") })
	}
	if err := record(7); err != nil {
		t.Fatal(err)
	}

	err := record(8)
	if !errors.Is(err, whmcs.ErrDuplicate) {
		t.Errorf("RecordKey of a key owned by service 7 for service 8: error = %v, want ErrDuplicate", err)
	}
}

func TestRecordKeyKeepsCaseOfKeyID(t *testing.T) {
	db, store := newStore(t)
	ctx := t.Context()

	err := store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		if err := store.RecordKey(ctx, tx, 7, "abcdKEY"); err != nil {
			return err
		}
		return store.RecordKey(ctx, tx, 7, "ABCDkey")
	})
	if err != nil {
		t.Fatalf("key ids differing only in case: %v", err)
	}

	keys, err := store.ActiveKeys(ctx, db, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Errorf("ActiveKeys = %+v, want two distinct keys", keys)
	}
}

func TestMarkKeyRevoked(t *testing.T) {
	db, store := newStore(t)
	ctx := t.Context()
	err := store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		if err := store.RecordKey(ctx, tx, 7, "OLD"); err != nil {
			return err
		}
		return store.RecordKey(ctx, tx, 7, "NEW")
	})
	if err != nil {
		t.Fatal(err)
	}

	for range 2 { // revoking twice is a no-op
		err := store.WithinTx(ctx, func(tx *sqlx.Tx) error { return store.MarkKeyRevoked(ctx, tx, "OLD") })
		if err != nil {
			t.Fatalf("MarkKeyRevoked: %v", err)
		}
	}

	keys, err := store.ActiveKeys(ctx, db, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].AccessKeyID != "NEW" {
		t.Errorf("ActiveKeys after revoking OLD = %+v, want only NEW", keys)
	}

	err = store.WithinTx(ctx, func(tx *sqlx.Tx) error { return store.MarkKeyRevoked(ctx, tx, "MISSING") })
	if !errors.Is(err, whmcs.ErrNotFound) {
		t.Errorf("MarkKeyRevoked of unknown key: error = %v, want ErrNotFound", err)
	}
}
