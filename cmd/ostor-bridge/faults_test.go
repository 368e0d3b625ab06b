package main

import (
	"sync"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// countOps returns how many requests of operation op the gateway received.
func countOps(g *ostortest.Server, op string) int {
	n := 0
	for _, r := range g.Requests() {
		if r.Op == op {
			n++
		}
	}
	return n
}

func TestCreateAccountResponseDroppedAfterCreate(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "gina@example.com", FirstName: "Gina", LastName: "Moe"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	s.Gateway.SetFault(ostor.OpUsersCreate, ostortest.Fault{DropAfterApply: true, Times: 1})

	got := callModule(t, "CreateAccount", s.moduleParams(service))

	if got != "success" {
		t.Fatalf("CreateAccount returned %v; the daemon should resolve the dropped reply by reading the gateway", got)
	}
	if n := countOps(s.Gateway, ostor.OpUsersCreate); n != 1 {
		t.Errorf("gateway received %d create requests, want exactly 1", n)
	}
	users := s.Gateway.Users()
	if len(users) != 1 {
		t.Fatalf("gateway has %d users, want 1", len(users))
	}
	findNote(t, s.DB.Notes(t, client), users[0].AccessKeys[0].AccessKeyID)
}

func TestCreateAccountResumesAfterGatewayOutage(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "hank@example.com", FirstName: "Hank", LastName: "Yoe"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	s.Gateway.SetFault(ostortest.AnyOp, ostortest.Fault{Status: 503, Code: "ServiceUnavailable", Message: "maintenance"})

	first, _ := callModule(t, "CreateAccount", s.moduleParams(service)).(string)

	if first == "success" || first == "" {
		t.Fatalf("CreateAccount during the outage returned %q, want an error", first)
	}
	if len(s.Gateway.Users()) != 0 {
		t.Fatalf("a user was created during the outage")
	}

	s.Gateway.ClearFaults()
	if got := callModule(t, "CreateAccount", s.moduleParams(service)); got != "success" {
		t.Fatalf("CreateAccount after the outage returned %v", got)
	}
	if n := len(s.Gateway.Users()); n != 1 {
		t.Errorf("gateway has %d users, want 1", n)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_operations WHERE service_id = ?", service); n != 1 {
		t.Errorf("journal has %d operations for the service, want the one resumed operation", n)
	}
	if n := countRows(t, s, "SELECT attempts FROM mod_ostorbridge_operations WHERE service_id = ? AND state = 'done'", service); n != 2 {
		t.Errorf("resumed operation has %d attempts, want 2", n)
	}
}

// TestCreateAccountConcurrentTwoDaemons sends the same CreateAccount many times at once through
// two daemons sharing one database and gateway, as WHMCS and an impatient admin might.
func TestCreateAccountConcurrentTwoDaemons(t *testing.T) {
	s := startStack(t, stackOptions{})
	other := *s
	other.logs = &syncBuffer{}
	other.startDaemon(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "ivy@example.com", FirstName: "Ivy", LastName: "Zoe"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})

	const calls = 20
	results := make([]any, calls)
	var wg sync.WaitGroup
	for i := 0; i < calls; i++ {
		daemon := s
		if i%2 == 1 {
			daemon = &other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = callModule(t, "CreateAccount", daemon.moduleParams(service))
		}()
	}
	wg.Wait()

	for i, r := range results {
		if r != "success" {
			t.Errorf("call %d returned %v", i, r)
		}
	}
	users := s.Gateway.Users()
	if len(users) != 1 {
		t.Fatalf("gateway has %d users, want 1", len(users))
	}
	if n := len(users[0].AccessKeys); n != 1 {
		t.Errorf("S3 user has %d key pairs, want 1", n)
	}
	if n := countOps(s.Gateway, ostor.OpUsersCreate); n != 1 {
		t.Errorf("gateway received %d create requests, want 1", n)
	}
	if n := len(s.DB.Notes(t, client)); n != 1 {
		t.Errorf("client has %d notes, want 1", n)
	}
}
