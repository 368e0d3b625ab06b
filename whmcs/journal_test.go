package whmcs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

func TestStartOperationResumesPending(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()

	first, err := store.StartOperation(ctx, 7, "generate_key", `{"reason":"create"}`)
	if err != nil {
		t.Fatal(err)
	}
	if first.State != whmcs.OperationPending || first.Attempts != 1 {
		t.Errorf("first StartOperation = %+v, want pending with 1 attempt", first)
	}
	if first.Detail != `{"reason":"create"}` || first.Kind != "generate_key" || first.ServiceID != 7 {
		t.Errorf("first StartOperation = %+v, want the given service, kind and detail", first)
	}

	resumed, err := store.StartOperation(ctx, 7, "generate_key", "ignored")
	if err != nil {
		t.Fatal(err)
	}
	if resumed.ID != first.ID {
		t.Errorf("resumed id = %d, want %d", resumed.ID, first.ID)
	}
	if resumed.Attempts != 2 {
		t.Errorf("resumed attempts = %d, want 2", resumed.Attempts)
	}
	if resumed.Detail != first.Detail {
		t.Errorf("resumed detail = %q, want the original %q", resumed.Detail, first.Detail)
	}

	other, err := store.StartOperation(ctx, 7, "suspend", "")
	if err != nil {
		t.Fatal(err)
	}
	if other.ID == first.ID {
		t.Error("an operation of another kind resumed the generate_key operation")
	}

	otherService, err := store.StartOperation(ctx, 8, "generate_key", "")
	if err != nil {
		t.Fatal(err)
	}
	if otherService.ID == first.ID {
		t.Error("an operation of another service resumed the operation of service 7")
	}
}

func TestCompleteOperationInTx(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()
	op, err := store.StartOperation(ctx, 7, "create", "")
	if err != nil {
		t.Fatal(err)
	}

	for range 2 { // completing twice is a no-op
		err := store.WithinTx(ctx, func(tx *sqlx.Tx) error { return store.CompleteOperation(ctx, tx, op.ID) })
		if err != nil {
			t.Fatalf("CompleteOperation: %v", err)
		}
	}

	pending, err := store.PendingOperations(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Errorf("PendingOperations after completion = %+v, want none", pending)
	}

	next, err := store.StartOperation(ctx, 7, "create", "")
	if err != nil {
		t.Fatal(err)
	}
	if next.ID == op.ID || next.Attempts != 1 {
		t.Errorf("StartOperation after completion = %+v, want a new operation with 1 attempt", next)
	}

	err = store.FailOperation(ctx, op.ID, "too late")
	if err == nil || !strings.Contains(err.Error(), "already done") {
		t.Errorf("FailOperation of a done operation: error = %v, want already done", err)
	}
}

func TestCompleteOperationRolledBack(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()
	op, err := store.StartOperation(ctx, 7, "create", "")
	if err != nil {
		t.Fatal(err)
	}
	errNoteFailed := errors.New("note write failed")

	err = store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		if err := store.CompleteOperation(ctx, tx, op.ID); err != nil {
			return err
		}
		return errNoteFailed
	})
	if !errors.Is(err, errNoteFailed) {
		t.Fatalf("WithinTx error = %v, want the error of fn", err)
	}

	pending, err := store.PendingOperations(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].ID != op.ID {
		t.Errorf("PendingOperations = %+v, want operation %d still pending after rollback", pending, op.ID)
	}
}

func TestFailOperation(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()
	op, err := store.StartOperation(ctx, 7, "create", "")
	if err != nil {
		t.Fatal(err)
	}

	message := "gateway returned 503 for user josé+s3@exämple.com \U0001F600"
	if err := store.FailOperation(ctx, op.ID, message); err != nil {
		t.Fatal(err)
	}
	if err := store.FailOperation(ctx, op.ID, "second message"); err != nil {
		t.Fatalf("second FailOperation: %v", err)
	}

	recent, err := store.RecentOperations(ctx, 7, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 1 {
		t.Fatalf("RecentOperations = %+v, want one", recent)
	}
	if recent[0].State != whmcs.OperationFailed {
		t.Errorf("state = %q, want failed", recent[0].State)
	}
	if recent[0].LastError != message {
		t.Errorf("LastError = %q, want the first message %q", recent[0].LastError, message)
	}

	err = store.WithinTx(ctx, func(tx *sqlx.Tx) error { return store.CompleteOperation(ctx, tx, op.ID) })
	if err == nil || !strings.Contains(err.Error(), "already failed") {
		t.Errorf("CompleteOperation of a failed operation: error = %v, want already failed", err)
	}

	err = store.FailOperation(ctx, 123456, "x")
	if !errors.Is(err, whmcs.ErrNotFound) {
		t.Errorf("FailOperation of unknown operation: error = %v, want ErrNotFound", err)
	}
}

func TestFailOperationTruncatesLongMessage(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()
	op, err := store.StartOperation(ctx, 7, "create", "")
	if err != nil {
		t.Fatal(err)
	}

	message := strings.Repeat("é", 40000) // 80000 bytes, more than a TEXT column holds
	if err := store.FailOperation(ctx, op.ID, message); err != nil {
		t.Fatalf("FailOperation with a long message: %v", err)
	}

	recent, err := store.RecentOperations(ctx, 7, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(recent[0].LastError); got == 0 || got > 65535 {
		t.Errorf("stored message length = %d bytes, want 1..65535", got)
	}
	if !strings.HasPrefix(message, recent[0].LastError) {
		t.Error("stored message is not a prefix of the original, it was cut inside a character")
	}
}

func TestRecentAndPendingOperations(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()
	var ids []int64
	for _, kind := range []string{"a", "b", "c"} {
		op, err := store.StartOperation(ctx, 7, kind, "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, op.ID)
	}
	other, err := store.StartOperation(ctx, 8, "a", "")
	if err != nil {
		t.Fatal(err)
	}

	recent, err := store.RecentOperations(ctx, 7, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := operationIDs(recent); !equalIDs(got, []int64{ids[2], ids[1]}) {
		t.Errorf("RecentOperations(7, 2) = %v, want %v", got, []int64{ids[2], ids[1]})
	}

	pending, err := store.PendingOperations(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got := operationIDs(pending); !equalIDs(got, ids) {
		t.Errorf("PendingOperations(7) = %v, want %v", got, ids)
	}

	all, err := store.PendingOperations(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := operationIDs(all); !equalIDs(got, append(ids, other.ID)) {
		t.Errorf("PendingOperations(0) = %v, want %v", got, append(ids, other.ID))
	}
}

func TestStartOperationRejectsInvalid(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()

	if _, err := store.StartOperation(ctx, 0, "create", ""); err == nil {
		t.Error("StartOperation with service 0 succeeded")
	}
	if _, err := store.StartOperation(ctx, 7, "", ""); err == nil {
		t.Error("StartOperation without kind succeeded")
	}
	if _, err := store.StartOperation(ctx, 7, strings.Repeat("k", 65), ""); err == nil {
		t.Error("StartOperation with a 65-character kind succeeded")
	}
}

func operationIDs(ops []whmcs.Operation) []int64 {
	ids := []int64{}
	for _, op := range ops {
		ids = append(ids, op.ID)
	}
	return ids
}
