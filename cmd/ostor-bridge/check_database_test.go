package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// TestCheckReportsGatewayWhenDatabaseFails runs "ostor-bridge check" with a wrong database
// password and a working gateway. Both results must be printed, so an operator sees every
// failing dependency in one run.
func TestCheckReportsGatewayWhenDatabaseFails(t *testing.T) {
	db := whmcstest.NewDB(t)
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	addDatabaseSection(t, g.configPath, db)
	const wrongPassword = "not-the-db-password-123"

	cmd := exec.Command(daemonBinary, "check", "--config", g.configPath)
	cmd.Env = append(os.Environ(),
		"OSTOR_BRIDGE_GATEWAY_SECRET_KEY="+g.SecretAccessKey,
		"OSTOR_BRIDGE_DB_PASSWORD="+wrongPassword,
	)
	out, err := cmd.CombinedOutput()

	if err == nil {
		t.Fatalf("check succeeded with a wrong database password:\n%s", out)
	}
	if !strings.Contains(string(out), "database  FAILED") {
		t.Errorf("check output lacks the failed database line:\n%s", out)
	}
	if !strings.Contains(string(out), "gateway   ok") {
		t.Errorf("check output lacks the gateway result:\n%s", out)
	}
	if strings.Contains(string(out), wrongPassword) {
		t.Errorf("check output contains the database password:\n%s", out)
	}
}
