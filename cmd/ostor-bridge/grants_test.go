package main

import (
	"fmt"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// grantStatements are the privileges README.md lists for the daemon's database
// user. The daemon must provision with exactly these.
var grantStatements = []string{
	"GRANT SELECT ON `%[1]s`.* TO %[2]s",
	"GRANT INSERT, UPDATE ON `%[1]s`.tblnotes TO %[2]s",
	"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `%[1]s`.mod_ostorbridge_migrations TO %[2]s",
	"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `%[1]s`.mod_ostorbridge_identities TO %[2]s",
	"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `%[1]s`.mod_ostorbridge_keys TO %[2]s",
	"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `%[1]s`.mod_ostorbridge_operations TO %[2]s",
	"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `%[1]s`.mod_ostorbridge_audit TO %[2]s",
	"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `%[1]s`.mod_ostorbridge_usage_objects TO %[2]s",
	"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON `%[1]s`.mod_ostorbridge_usage_daily TO %[2]s",
	"GRANT UPDATE (diskusage, disklimit, bwusage, bwlimit, lastupdate) ON `%[1]s`.tblhosting TO %[2]s",
}

// createGrantedUser creates a database account with exactly grantStatements on db, for both
// host forms, so it matches over the socket and over TCP from loopback. It returns the user name
// and password; the account is dropped when the test ends.
func createGrantedUser(t *testing.T, db *whmcstest.DB) (user, password string) {
	t.Helper()
	user = "ob_" + randomHex(t, 6)
	password = randomHex(t, 12)
	for _, host := range []string{"localhost", "127.0.0.1"} {
		account := fmt.Sprintf("'%s'@'%s'", user, host)
		// The names are generated hex strings, not input, so formatting them into DDL is safe;
		// MariaDB takes no placeholders in CREATE USER or GRANT.
		mustExec(t, db, fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", account, password))
		t.Cleanup(func() { db.Exec(fmt.Sprintf("DROP USER %s", account)) })
		for _, grant := range grantStatements {
			mustExec(t, db, fmt.Sprintf(grant, db.Name, account))
		}
	}
	return user, password
}

// startGrantedStack starts a daemon on db that connects as user with password, with a server
// and the given product of the module.
func startGrantedStack(t *testing.T, db *whmcstest.DB, user, password string, product whmcstest.Product) *stack {
	t.Helper()
	s := &stack{DB: db, logs: &syncBuffer{}, Gateway: startGateway(t), Secret: randomHex(t, 32)}
	s.ServerID = db.AddServer(t, whmcstest.Server{Name: "ostor-bridge", Hostname: "127.0.0.1", Module: "ostorbridge"})
	s.ProductID = db.AddProduct(t, product)
	s.startDaemon(t, stackOptions{configure: func(c *Config) {
		c.Database.User = user
		c.Database.Password = password
	}, dbPassword: password})
	return s
}

func TestDocumentedGrantsAreEnough(t *testing.T) {
	db := whmcstest.NewDB(t)
	user, password := createGrantedUser(t, db)
	// Drop the tables the test database was migrated with, so the daemon creates them itself.
	for _, table := range []string{"mod_ostorbridge_audit", "mod_ostorbridge_usage_daily", "mod_ostorbridge_usage_objects", "mod_ostorbridge_operations", "mod_ostorbridge_keys", "mod_ostorbridge_identities", "mod_ostorbridge_migrations"} {
		mustExec(t, db, "DROP TABLE "+table)
	}

	s := startGrantedStack(t, db, user, password, whmcstest.Product{Name: "S3 Storage", Module: "ostorbridge"})
	client := db.AddClient(t, whmcstest.Client{Email: "grants@example.com", FirstName: "Least", LastName: "Privilege"})
	service := db.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})

	if got := callModule(t, "CreateAccount", s.moduleParams(service)); got != "success" {
		t.Fatalf("CreateAccount with the documented grants returned %v", got)
	}
	if got := callModule(t, "CreateAccount", s.moduleParams(service)); got != "success" {
		t.Fatalf("second CreateAccount with the documented grants returned %v", got)
	}
	if got := callModule(t, "TestConnection", s.moduleParams(0)).(map[string]any); got["success"] != true {
		t.Errorf("TestConnection with the documented grants returned %v", got)
	}

	mustExec(t, db, fmt.Sprintf("UPDATE tblhosting SET domainstatus = 'Active' WHERE id = %d", service))
	if got := callModule(t, "UsageUpdate", s.moduleParams(0)); got != "success" {
		t.Errorf("UsageUpdate with the documented grants returned %v", got)
	}
	if row := readHostingUsage(t, db, service); row.LastUpdate.IsZero() {
		t.Errorf("UsageUpdate with the documented grants did not set lastupdate")
	}
}

func mustExec(t *testing.T, db *whmcstest.DB, statement string) {
	t.Helper()
	if _, err := db.Exec(statement); err != nil {
		t.Fatalf("%s: %v", statement, err)
	}
}
