package main

import (
	"context"
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// TestReconcileReportOnlyActionsAreToDo runs reconcile without --fix on interrupted operations.
// Nothing is changed then, so each action must describe what a fix would do, not claim that it was
// done.
func TestReconcileReportOnlyActionsAreToDo(t *testing.T) {
	s := startStack(t, stackOptions{configure: func(c *Config) { c.Reconcile.OnStart = "off" }})

	// A create whose user the gateway made before the daemon stopped.
	createdClient := s.DB.AddClient(t, whmcstest.Client{Email: "cleo@example.com", FirstName: "Cleo", LastName: "Ode"})
	created := s.DB.AddService(t, whmcstest.Service{ClientID: createdClient, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Active"})
	s.Gateway.AddUser("cleo@example.com")
	insertOperation(t, s, created, "create", `{"email":"cleo@example.com"}`)

	// A generate_key whose key the gateway issued before the daemon stopped.
	_, generated := provisionService(t, s, "gus@example.com")
	first := recordedKeyIDs(t, s, generated)
	if _, err := gatewayClient(t, s).GenerateKey(context.Background(), ostor.ByEmail("gus@example.com")); err != nil {
		t.Fatal(err)
	}
	insertOperation(t, s, generated, "generate_key", `{"admin_id":1,"before":["`+first[0]+`"]}`)

	// A revocation interrupted before the gateway revoked the key.
	_, revoked := provisionService(t, s, "rita@example.com")
	revokedKey := recordedKeyIDs(t, s, revoked)[0]
	insertOperation(t, s, revoked, "revoke_key "+revokedKey, `{"admin_id":1,"access_key_id":"`+revokedKey+`"}`)

	report, _ := runReconcile(t, s, "--json")

	want := map[int64]string{
		created:   "resume Create",
		generated: "record the key and rewrite the note",
		revoked:   "finish the revocation of access key " + revokedKey,
	}
	pending := findingsOf(report, "pending_operation")
	if len(pending) != len(want) {
		t.Fatalf("report has %d pending_operation findings, want %d: %+v", len(pending), len(want), report.Findings)
	}
	for _, f := range pending {
		if !strings.Contains(f.Action, want[f.ServiceID]) {
			t.Errorf("action for service %d = %q, want it to contain %q", f.ServiceID, f.Action, want[f.ServiceID])
		}
		for _, claim := range []string{"is recorded and", "is resumed", "is closed", "is marked", "is finished"} {
			if strings.Contains(f.Action, claim) {
				t.Errorf("report-only action for service %d claims a change (%q): %q", f.ServiceID, claim, f.Action)
			}
		}
	}
}
