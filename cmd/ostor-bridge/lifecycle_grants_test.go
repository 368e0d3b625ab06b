package main

import (
	"testing"

	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// TestDocumentedGrantsCoverLifecycle runs every lifecycle RPC with a daemon whose database user
// has only the privileges README.md lists.
func TestDocumentedGrantsCoverLifecycle(t *testing.T) {
	db := whmcstest.NewDB(t)
	user, password := createGrantedUser(t, db)
	s := startGrantedStack(t, db, user, password,
		whmcstest.Product{Name: "S3 plan", Module: "ostorbridge", ConfigOptions: planOptions("10", "", "", "", "", "100", "5")})
	client := db.AddClient(t, whmcstest.Client{Email: "grants-life@example.com", FirstName: "Least", LastName: "Privilege"})
	active := db.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	terminated := db.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	other := db.AddClient(t, whmcstest.Client{Email: "grants-other@example.com", FirstName: "Other", LastName: "Client"})

	calls := []struct {
		method string
		params map[string]any
	}{
		{"Service.Create", map[string]any{"service_id": active, "admin_id": 0}},
		{"Service.Create", map[string]any{"service_id": terminated, "admin_id": 0}},
		{"Service.Suspend", map[string]any{"service_id": active, "admin_id": 0}},
		{"Service.Unsuspend", map[string]any{"service_id": active, "admin_id": 0}},
		{"Service.ChangePackage", map[string]any{"service_id": active, "admin_id": 0}},
		{"Service.ClientArea", map[string]any{"service_id": active, "admin_id": 0}},
		{"Service.Terminate", map[string]any{"service_id": terminated, "admin_id": 0}},
		{"Client.EmailChanged", map[string]any{"client_id": client, "old_email": "old@example.com", "new_email": "grants-life@example.com"}},
		{"Client.Merged", map[string]any{"from_client_id": client, "to_client_id": other}},
		{"Service.Deleted", map[string]any{"service_id": active}},
	}
	for i, c := range calls {
		if c.method == "Client.Merged" {
			// WHMCS moves the services before AfterClientMerge fires.
			if _, err := db.Exec(`UPDATE tblhosting SET userid = ? WHERE userid = ?`, other, client); err != nil {
				t.Fatal(err)
			}
		}
		if i == len(calls)-1 {
			if _, err := db.Exec(`DELETE FROM tblhosting WHERE id = ?`, active); err != nil {
				t.Fatal(err)
			}
		}
		if reply := s.postRPC(t, s.Secret, rpcRequest(t, c.method, c.params)); reply.Error != nil {
			t.Errorf("%s with the documented grants failed: %d %s", c.method, reply.Error.Code, reply.Error.Message)
		}
	}
}
