package whmcs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

func TestModuleServicesScopes(t *testing.T) {
	db, store := newStore(t)
	client := db.AddClient(t, whmcstest.Client{Email: "scope@example.com"})
	otherClient := db.AddClient(t, whmcstest.Client{Email: "scope2@example.com"})
	s3Product := db.AddProduct(t, whmcstest.Product{Name: "S3", Module: "ostorbridge"})
	webProduct := db.AddProduct(t, whmcstest.Product{Name: "Web", Module: "cpanel"})
	first := db.AddService(t, whmcstest.Service{ClientID: client, ProductID: s3Product})
	db.AddService(t, whmcstest.Service{ClientID: client, ProductID: webProduct})
	terminated := db.AddService(t, whmcstest.Service{ClientID: client, ProductID: s3Product, Status: "Terminated"})
	other := db.AddService(t, whmcstest.Service{ClientID: otherClient, ProductID: s3Product})

	cases := []struct {
		name  string
		scope whmcs.Scope
		want  []int64
	}{
		{"every service", whmcs.Scope{}, []int64{first, terminated, other}},
		{"one client", whmcs.Scope{ClientID: client}, []int64{first, terminated}},
		{"one service", whmcs.Scope{ServiceID: other}, []int64{other}},
		{"service of other client", whmcs.Scope{ClientID: client, ServiceID: other}, []int64{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			services, err := store.ModuleServices(t.Context(), "ostorbridge", tc.scope)
			if err != nil {
				t.Fatal(err)
			}
			if got := serviceIDs(services); !equalIDs(got, tc.want) {
				t.Errorf("ModuleServices(%s) = %v, want %v", tc.scope, got, tc.want)
			}
		})
	}
}

func TestIdentitiesScopes(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()
	err := store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		for _, id := range []whmcs.Identity{
			{ServiceID: 10, ClientID: 1, UserID: "aaaaaaaaaaaaaaaa", Email: "a@example.com"},
			{ServiceID: 11, ClientID: 1, UserID: "bbbbbbbbbbbbbbbb", Email: "b@example.com"},
			{ServiceID: 12, ClientID: 2, UserID: "cccccccccccccccc", Email: "c@example.com"},
		} {
			if err := store.InsertIdentity(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	ofClient, err := store.Identities(ctx, whmcs.Scope{ClientID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(ofClient) != 2 || ofClient[0].ServiceID != 10 || ofClient[1].ServiceID != 11 {
		t.Errorf("Identities(client 1) = %+v, want services 10 and 11", ofClient)
	}
	one, err := store.Identities(ctx, whmcs.Scope{ServiceID: 12})
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != 1 || one[0].UserID != "cccccccccccccccc" {
		t.Errorf("Identities(service 12) = %+v, want the identity of service 12", one)
	}
	all, err := store.Identities(ctx, whmcs.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Errorf("Identities(every service) returned %d, want 3", len(all))
	}
}

func TestKeyReadsRevocation(t *testing.T) {
	db, store := newStore(t)
	ctx := t.Context()
	err := store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		if err := store.RecordKey(ctx, tx, 7, "ACTIVE"); err != nil {
			return err
		}
		if err := store.RecordKey(ctx, tx, 7, "GONE"); err != nil {
			return err
		}
		return store.MarkKeyRevoked(ctx, tx, "GONE")
	})
	if err != nil {
		t.Fatal(err)
	}

	active, err := store.Key(ctx, db, "ACTIVE")
	if err != nil {
		t.Fatal(err)
	}
	if active.ServiceID != 7 || active.CreatedAt.IsZero() || !active.RevokedAt.IsZero() {
		t.Errorf("Key(ACTIVE) = %+v, want service 7, a creation time and no revocation", active)
	}
	gone, err := store.Key(ctx, db, "GONE")
	if err != nil {
		t.Fatal(err)
	}
	if gone.RevokedAt.IsZero() {
		t.Errorf("Key(GONE) = %+v, want its revocation time", gone)
	}
	if _, err := store.Key(ctx, db, "MISSING"); !errors.Is(err, whmcs.ErrNotFound) {
		t.Errorf("Key(MISSING) error = %v, want ErrNotFound", err)
	}
}

func TestRecordOperationErrorKeepsPending(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()
	op, err := store.StartOperation(ctx, 7, "generate_key", "")
	if err != nil {
		t.Fatal(err)
	}

	for _, message := range []string{"gateway unavailable", "gateway unavailable", "timed out"} {
		if err := store.RecordOperationError(ctx, op.ID, message); err != nil {
			t.Fatalf("RecordOperationError(%q): %v", message, err)
		}
	}

	pending, err := store.PendingOperations(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].LastError != "timed out" {
		t.Fatalf("pending operations = %+v, want the one operation with the last error", pending)
	}
	resumed, err := store.StartOperation(ctx, 7, "generate_key", "")
	if err != nil {
		t.Fatal(err)
	}
	if resumed.ID != op.ID || resumed.LastError != "timed out" {
		t.Errorf("resumed operation = %+v, want operation %d with its last error", resumed, op.ID)
	}

	if err := store.FailOperation(ctx, op.ID, "given up"); err != nil {
		t.Fatal(err)
	}
	err = store.RecordOperationError(ctx, op.ID, "late")
	if err == nil || !strings.Contains(err.Error(), "already failed") {
		t.Errorf("RecordOperationError on a failed operation: error = %v, want one naming the state", err)
	}
	if err := store.RecordOperationError(ctx, 999999, "x"); !errors.Is(err, whmcs.ErrNotFound) {
		t.Errorf("RecordOperationError on an unknown operation: error = %v, want ErrNotFound", err)
	}
}
