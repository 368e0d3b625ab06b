package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

func TestCreateAccountEndToEnd(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "alice@example.com", FirstName: "Alice", LastName: "Doe"})
	admin := s.DB.AddNote(t, client, "Prefers phone support.")
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})

	if got := callModule(t, "CreateAccount", s.moduleParams(service)); got != "success" {
		t.Fatalf("first CreateAccount returned %v", got)
	}

	users := s.Gateway.Users()
	if len(users) != 1 {
		t.Fatalf("gateway has %d users, want 1", len(users))
	}
	user := users[0]
	if user.Email != "alice@example.com" {
		t.Errorf("S3 user email = %q", user.Email)
	}
	if len(user.AccessKeys) != 1 {
		t.Fatalf("S3 user has %d key pairs, want 1", len(user.AccessKeys))
	}
	keyID := user.AccessKeys[0].AccessKeyID

	notes := s.DB.Notes(t, client)
	if len(notes) != 2 {
		t.Fatalf("client has %d notes, want the admin's and the bridge's", len(notes))
	}
	bridgeNote := findNote(t, notes, keyID)
	if !strings.Contains(bridgeNote.Text, "S3 user ID: "+user.ID) {
		t.Errorf("note does not name the S3 user id %s:\n%s", user.ID, bridgeNote.Text)
	}
	if strings.Contains(bridgeNote.Text, user.AccessKeys[0].SecretAccessKey.Reveal()) {
		t.Errorf("note contains the secret key although notes.include_secret is off")
	}

	if got := callModule(t, "CreateAccount", s.moduleParams(service)); got != "success" {
		t.Fatalf("second CreateAccount returned %v", got)
	}
	users = s.Gateway.Users()
	if len(users) != 1 || len(users[0].AccessKeys) != 1 {
		t.Fatalf("after the second call: %d users, want 1 with 1 key pair", len(users))
	}
	notes = s.DB.Notes(t, client)
	if len(notes) != 2 {
		t.Fatalf("after the second call the client has %d notes, want 2", len(notes))
	}
	for _, n := range notes {
		if n.ID == admin && n.Text != "Prefers phone support." {
			t.Errorf("admin note changed to %q", n.Text)
		}
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_operations WHERE service_id = ? AND state = 'done'", service); n != 1 {
		t.Errorf("journal has %d done operations for the service, want 1", n)
	}
}

func TestCreateAccountEmailRoundTrip(t *testing.T) {
	s := startStack(t, stackOptions{})
	const email = `o'brien+s3&x=y@exämple.com`
	client := s.DB.AddClient(t, whmcstest.Client{Email: email, FirstName: "José", LastName: "Müller"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})

	if got := callModule(t, "CreateAccount", s.moduleParams(service)); got != "success" {
		t.Fatalf("CreateAccount returned %v", got)
	}

	users := s.Gateway.Users()
	if len(users) != 1 || users[0].Email != email {
		t.Fatalf("gateway users = %+v, want one with email %q", users, email)
	}
	out, err := exec.Command(daemonBinary, "user", "--config", s.writeClientConfig(t), "--email", email, "--json").Output()
	if err != nil {
		t.Fatalf("ostor-bridge user --email: %v", err)
	}
	var found struct {
		Email string `json:"email"`
		ID    string `json:"user_id"`
	}
	if err := json.Unmarshal(out, &found); err != nil {
		t.Fatal(err)
	}
	if found.Email != email || found.ID != users[0].ID {
		t.Errorf("lookup by email found %+v, want %s / %s", found, email, users[0].ID)
	}
	note := findNote(t, s.DB.Notes(t, client), users[0].AccessKeys[0].AccessKeyID)
	if !strings.Contains(note.Text, "S3 user: "+email) {
		t.Errorf("note does not carry the email unchanged:\n%s", note.Text)
	}
}

func TestCreateAccountSecondServiceGetsOwnUser(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "bob@example.com", FirstName: "Bob", LastName: "Roe"})
	first := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Active"})
	second := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})

	for _, id := range []int64{first, second} {
		if got := callModule(t, "CreateAccount", s.moduleParams(id)); got != "success" {
			t.Fatalf("CreateAccount(%d) returned %v", id, got)
		}
	}

	emails := map[string]bool{}
	for _, u := range s.Gateway.Users() {
		emails[u.Email] = true
	}
	want := "bob+s" + strconv.FormatInt(second, 10) + "@example.com"
	if len(emails) != 2 || !emails["bob@example.com"] || !emails[want] {
		t.Errorf("gateway users %v, want bob@example.com and %s", emails, want)
	}
}

func TestCreateAccountRefusesOtherModule(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "carol@example.com", FirstName: "Carol", LastName: "Poe"})
	product := s.DB.AddProduct(t, whmcstest.Product{Name: "Shared hosting", Module: "cpanel"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: product, ServerID: s.ServerID, Status: "Pending"})

	got, _ := callModule(t, "CreateAccount", s.moduleParams(service)).(string)

	if !strings.Contains(got, `whose module is "cpanel", not "ostorbridge"`) {
		t.Errorf("CreateAccount returned %q", got)
	}
	if n := len(s.Gateway.Users()); n != 0 {
		t.Errorf("gateway has %d users, want 0", n)
	}
}

func TestCreateAccountInvalidEmailChangesNothing(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "not-an-address", FirstName: "Dan", LastName: "Coe"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})

	got, _ := callModule(t, "CreateAccount", s.moduleParams(service)).(string)

	if !strings.Contains(got, `has email "not-an-address", which is not usable for an S3 user`) {
		t.Errorf("CreateAccount returned %q", got)
	}
	assertNothingChanged(t, s, client)
}

// findNote returns the note that names accessKeyID, failing when there is not exactly one.
func findNote(t *testing.T, notes []whmcstest.Note, accessKeyID string) whmcstest.Note {
	t.Helper()
	var found []whmcstest.Note
	for _, n := range notes {
		if strings.Contains(n.Text, "Access key ID: "+accessKeyID) {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d notes name access key %s, want 1: %+v", len(found), accessKeyID, notes)
	}
	return found[0]
}

func countRows(t *testing.T, s *stack, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// assertNothingChanged checks that no S3 user, bridge row or note was written.
func assertNothingChanged(t *testing.T, s *stack, clientIDs ...int64) {
	t.Helper()
	if n := len(s.Gateway.Users()); n != 0 {
		t.Errorf("gateway has %d users, want 0", n)
	}
	for _, query := range []string{
		"SELECT COUNT(*) FROM mod_ostorbridge_identities",
		"SELECT COUNT(*) FROM mod_ostorbridge_keys",
		"SELECT COUNT(*) FROM mod_ostorbridge_operations",
	} {
		if n := countRows(t, s, query); n != 0 {
			t.Errorf("%s = %d, want 0", query, n)
		}
	}
	for _, c := range clientIDs {
		if n := len(s.DB.Notes(t, c)); n != 0 {
			t.Errorf("client %d has %d notes, want 0", c, n)
		}
	}
}

// writeClientConfig writes a config for operator commands run against this stack.
func (s *stack) writeClientConfig(t *testing.T) string {
	t.Helper()
	gw := s.Gateway.Config()
	path := t.TempDir() + "/cli.toml"
	body := "[rpc]\nsecret = " + strconv.Quote(s.Secret) + "\n" +
		"[database]\nname = " + strconv.Quote(s.DB.Config.Name) + "\n" +
		"[gateway]\nendpoint = " + strconv.Quote(gw.Endpoint) + "\naccess_key_id = " + strconv.Quote(gw.AccessKeyID) +
		"\nsecret_access_key = " + strconv.Quote(gw.SecretAccessKey) + "\nallow_insecure_http = true\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
