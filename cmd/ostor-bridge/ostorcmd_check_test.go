package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// TestCheckNamesProfileMismatch runs "ostor-bridge check" with a client profile that the gateway
// does not speak. The daemon's message must point to gateway.profile, not to the credentials.
func TestCheckNamesProfileMismatch(t *testing.T) {
	db := whmcstest.NewDB(t)
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI, "")
	addDatabaseSection(t, g.configPath, db)

	cmd := exec.Command(daemonBinary, "check", "--config", g.configPath)
	cmd.Env = append(os.Environ(),
		"OSTOR_BRIDGE_GATEWAY_SECRET_KEY="+g.SecretAccessKey,
		"OSTOR_BRIDGE_DB_PASSWORD="+db.Config.Password,
	)
	out, err := cmd.CombinedOutput()

	if err == nil {
		t.Fatalf("check succeeded with a mismatched profile:\n%s", out)
	}
	if !strings.Contains(string(out), "gateway.profile") {
		t.Errorf("check output does not name gateway.profile:\n%s", out)
	}
	if strings.Contains(string(out), "credentials") {
		t.Errorf("check output blames the credentials:\n%s", out)
	}
	if strings.Contains(string(out), g.SecretAccessKey) {
		t.Errorf("check output contains the gateway secret:\n%s", out)
	}
}

// addDatabaseSection puts a [database] section for db, without its password, in front of the
// config file at path, so that the password can come from the environment.
func addDatabaseSection(t *testing.T, path string, db *whmcstest.DB) {
	t.Helper()
	config, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	database := "[database]\nuser = " + strconv.Quote(db.Config.User) + "\nname = " + strconv.Quote(db.Config.Name) + "\n"
	if db.Config.Socket != "" {
		database += "socket = " + strconv.Quote(db.Config.Socket) + "\n"
	} else {
		database += "address = " + strconv.Quote(db.Config.Address) + "\n"
	}
	if err := os.WriteFile(path, append([]byte(database), config...), 0o600); err != nil {
		t.Fatal(err)
	}
}
