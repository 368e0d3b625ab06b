package whmcs_test

import (
	"testing"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

func TestOperationCountsGroupKindAndState(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()

	start := func(serviceID int64, kind string) whmcs.Operation {
		t.Helper()
		op, err := store.StartOperation(ctx, serviceID, kind, "")
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	start(1, "create")
	start(2, "create")
	failed := start(3, "create")
	if err := store.FailOperation(ctx, failed.ID, "gateway rejected the email"); err != nil {
		t.Fatal(err)
	}
	start(1, "revoke_key AKIDFIRST")
	start(1, "revoke_key AKIDSECOND")

	counts, err := store.OperationCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}

	got := map[string]int64{}
	for _, c := range counts {
		got[c.Kind+"/"+string(c.State)] = c.Count
		if c.OldestAge < 0 {
			t.Errorf("group %s/%s has negative age %d", c.Kind, c.State, c.OldestAge)
		}
	}
	want := map[string]int64{
		"create/pending":     2,
		"create/failed":      1,
		"revoke_key/pending": 2,
	}
	if len(got) != len(want) {
		t.Errorf("OperationCounts returned groups %v, want %v", got, want)
	}
	for group, n := range want {
		if got[group] != n {
			t.Errorf("group %s has %d operations, want %d", group, got[group], n)
		}
	}
}

func TestOperationCountsEmptyJournal(t *testing.T) {
	_, store := newStore(t)

	counts, err := store.OperationCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 0 {
		t.Errorf("OperationCounts of an empty journal = %+v, want none", counts)
	}
}
