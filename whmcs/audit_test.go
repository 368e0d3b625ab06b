package whmcs_test

import (
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

func TestAuditRecordAndReadBack(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()

	first, err := store.RecordAudit(ctx, whmcs.AuditEntry{AdminID: 3, ClientID: 10, ServiceID: 20, Action: "set_bucket_limits",
		Params: `{"bucket":"b1"}`, Outcome: whmcs.AuditOK, Message: "Bucket limits set."})
	if err != nil {
		t.Fatal(err)
	}
	second, err := store.RecordAudit(ctx, whmcs.AuditEntry{AdminID: 4, ClientID: 10, Action: "delete_usage_object",
		Outcome: whmcs.AuditFailed, Message: "gateway " + strings.Repeat("x", 70000)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.RecordAudit(ctx, whmcs.AuditEntry{AdminID: 4, ClientID: 11, Action: "reconcile", Outcome: whmcs.AuditOK}); err != nil {
		t.Fatal(err)
	}

	entries, err := store.RecentAudit(ctx, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("client 10 has %d audit entries, want 2", len(entries))
	}
	if entries[0].ID != second || entries[1].ID != first {
		t.Errorf("entry ids = %d, %d, want newest first: %d, %d", entries[0].ID, entries[1].ID, second, first)
	}
	got := entries[1]
	if got.AdminID != 3 || got.ServiceID != 20 || got.Action != "set_bucket_limits" || got.Outcome != whmcs.AuditOK {
		t.Errorf("first entry = %+v", got)
	}
	if got.Params != `{"bucket":"b1"}` {
		t.Errorf("params = %q", got.Params)
	}
	if entries[0].Params != "{}" {
		t.Errorf("empty params stored as %q, want {}", entries[0].Params)
	}
	if n := len(entries[0].Message); n > 65535 {
		t.Errorf("message is %d bytes, want it cut to fit TEXT", n)
	}
	if entries[0].CreatedAt.IsZero() {
		t.Errorf("created_at is zero")
	}
}

func TestAuditRejectsBadEntries(t *testing.T) {
	_, store := newStore(t)
	cases := []whmcs.AuditEntry{
		{ClientID: 1, Action: "", Outcome: whmcs.AuditOK},
		{ClientID: 1, Action: strings.Repeat("a", 65), Outcome: whmcs.AuditOK},
		{ClientID: 1, Action: "reconcile", Outcome: "maybe"},
	}
	for _, c := range cases {
		if _, err := store.RecordAudit(t.Context(), c); err == nil {
			t.Errorf("RecordAudit(%+v) succeeded, want an error", c)
		}
	}
	entries, err := store.RecentAudit(t.Context(), 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("rejected entries were stored: %+v", entries)
	}
}
