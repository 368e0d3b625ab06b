package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// TestPHPUnit runs the PHP module's PHPUnit suite against a running daemon, database and fake
// gateway, passing their coordinates in OSTOR_BRIDGE_TEST_* variables.
func TestPHPUnit(t *testing.T) {
	phpunit, err := exec.LookPath("phpunit")
	if err != nil {
		t.Fatal("phpunit is not installed; run deploy/ensure-deps.sh (it installs Debian's phpunit package)")
	}
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "phpunit@example.com", FirstName: "Php", LastName: "Unit"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	lifecycleClient := s.DB.AddClient(t, whmcstest.Client{Email: "lifecycle@example.com", FirstName: "Life", LastName: "Cycle"})
	lifecycleService := s.DB.AddService(t, whmcstest.Service{ClientID: lifecycleClient, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	host, port, _ := strings.Cut(s.Addr, ":")

	cmd := exec.Command(phpunit, "-c", "../../php-shim/phpunit.xml")
	cmd.Env = append(environWithout("OSTOR_BRIDGE_RPC_"),
		"OSTOR_BRIDGE_TEST_HOST="+host,
		"OSTOR_BRIDGE_TEST_PORT="+port,
		"OSTOR_BRIDGE_TEST_SECRET="+s.Secret,
		"OSTOR_BRIDGE_TEST_SERVICE_ID="+strconv.FormatInt(service, 10),
		"OSTOR_BRIDGE_TEST_MISSING_SERVICE_ID="+strconv.FormatInt(service+1000, 10),
		"OSTOR_BRIDGE_TEST_LIFECYCLE_CLIENT_ID="+strconv.FormatInt(lifecycleClient, 10),
		"OSTOR_BRIDGE_TEST_LIFECYCLE_SERVICE_ID="+strconv.FormatInt(lifecycleService, 10),
	)
	out, err := cmd.CombinedOutput()
	t.Logf("phpunit output:\n%s", out)
	if err != nil {
		t.Fatalf("phpunit failed: %v", err)
	}
	if !strings.Contains(string(out), "OK (") {
		t.Fatalf("phpunit did not report OK")
	}

	users := s.Gateway.Users()
	if len(users) != 1 || users[0].Email != "phpunit@example.com" {
		t.Errorf("after the PHP suite the gateway has %+v, want the one user phpunit@example.com (the lifecycle service's user is terminated)", users)
	}
}

// environWithout returns the process environment without the variables whose names start with
// prefix. The PHP module reads OSTOR_BRIDGE_RPC_HOST, _PORT and _SECRET from the environment, so
// values left in the shell that runs the tests would override what each test configures.
func environWithout(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			env = append(env, kv)
		}
	}
	return env
}
