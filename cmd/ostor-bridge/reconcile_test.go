package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

func TestReconcileFixesStateMismatch(t *testing.T) {
	s := startStack(t, stackOptions{})
	gw := gatewayClient(t, s)
	_, active := provisionService(t, s, "rita@example.com")
	_, suspended := provisionService(t, s, "sam@example.com")
	if err := gw.DisableUser(context.Background(), ostor.ByEmail("rita@example.com")); err != nil {
		t.Fatal(err)
	}
	execSQL(t, s, "UPDATE tblhosting SET domainstatus = 'Suspended' WHERE id = ?", suspended)

	report, _ := runReconcile(t, s, "--json")

	mismatches := findingsOf(report, bridge.FindingStateMismatch)
	if len(mismatches) != 2 {
		t.Fatalf("report has %d state_mismatch findings, want 2: %+v", len(mismatches), report.Findings)
	}
	for _, f := range mismatches {
		if f.Fixed {
			t.Errorf("finding of service %d is fixed without --fix", f.ServiceID)
		}
	}
	if got := userState(t, s, "rita@example.com"); got != ostor.StateDisabled {
		t.Errorf("reconcile without --fix changed rita's state to %s", got)
	}
	text, code := runReconcileText(t, s)
	if code != 1 {
		t.Errorf("reconcile with open findings exited %d, want 1", code)
	}
	for _, want := range []string{
		"[OPEN] state_mismatch, service " + itoa(active),
		"service is Active in WHMCS but S3 user",
		"Action: enable the S3 user",
		"[OPEN] state_mismatch, service " + itoa(suspended),
		"checked 2 services (every service): 2 findings, 0 fixed, 2 open",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}

	fixed, _ := runReconcile(t, s, "--fix", "--json")

	if n := len(findingsOf(fixed, bridge.FindingStateMismatch)); n != 2 || fixed.Open() != 0 {
		t.Errorf("--fix report: %d state_mismatch findings, %d open, want 2 and 0: %+v", n, fixed.Open(), fixed.Findings)
	}
	if got := userState(t, s, "rita@example.com"); got != ostor.StateEnabled {
		t.Errorf("after --fix rita's user is %s, want enabled", got)
	}
	if got := userState(t, s, "sam@example.com"); got != ostor.StateDisabled {
		t.Errorf("after --fix sam's user is %s, want disabled", got)
	}
	again, _ := runReconcile(t, s, "--json")
	if len(again.Findings) != 0 {
		t.Errorf("reconcile after --fix still finds %+v", again.Findings)
	}
}

func TestReconcileReplacesUnrecordedKey(t *testing.T) {
	s := startStack(t, stackOptions{})
	secrets := &secretSet{}
	gw := gatewayClient(t, s)
	client, service := provisionService(t, s, "tess@example.com")
	recorded := assertKeysConsistent(t, s, client, service)
	ctx := context.Background()
	if err := gw.RevokeKey(ctx, ostor.ByEmail("tess@example.com"), recorded[0]); err != nil {
		t.Fatal(err)
	}
	reply, err := gw.GenerateKey(ctx, ostor.ByEmail("tess@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	orphan := reply.AccessKeys[len(reply.AccessKeys)-1].AccessKeyID
	secrets.collect(s.Gateway)

	report, _ := runReconcile(t, s, "--json")

	missing := findingsOf(report, bridge.FindingMissingKey)
	unrecorded := findingsOf(report, bridge.FindingUnrecordedKey)
	if len(missing) != 1 || missing[0].AccessKeyID != recorded[0] {
		t.Errorf("missing_key findings %+v, want one for %s", missing, recorded[0])
	}
	if len(unrecorded) != 1 || unrecorded[0].AccessKeyID != orphan || !strings.Contains(unrecorded[0].Action, "generate a new key") {
		t.Errorf("unrecorded_key findings %+v, want one for %s that generates a replacement", unrecorded, orphan)
	}

	fixed, out := runReconcile(t, s, "--fix", "--json")
	secrets.collect(s.Gateway)

	if fixed.Open() != 0 || len(fixed.Findings) != 2 {
		t.Errorf("--fix report %+v, want the two findings fixed", fixed.Findings)
	}
	keys := assertKeysConsistent(t, s, client, service)
	if len(keys) != 1 || keys[0] == orphan || keys[0] == recorded[0] {
		t.Errorf("keys after --fix = %v, want one new key replacing %s", keys, orphan)
	}
	order := opsOrder(s.Gateway, ostor.OpUsersGenKey, ostor.OpUsersRevokeKey)
	if !strings.HasSuffix(order, "genKey,revokeKey") {
		t.Errorf("gateway writes were %s, want the replacement generated before the orphan is revoked", order)
	}
	secrets.assertNotIn(t, "reconcile output", out)
}

func TestReconcileRevokesUnrecordedKeyBesideRecorded(t *testing.T) {
	s := startStack(t, stackOptions{})
	client, service := provisionService(t, s, "uma@example.com")
	recorded := assertKeysConsistent(t, s, client, service)
	if _, err := gatewayClient(t, s).GenerateKey(context.Background(), ostor.ByEmail("uma@example.com")); err != nil {
		t.Fatal(err)
	}

	report, _ := runReconcile(t, s, "--fix", "--json")

	unrecorded := findingsOf(report, bridge.FindingUnrecordedKey)
	if len(unrecorded) != 1 || !unrecorded[0].Fixed || !strings.Contains(unrecorded[0].Action, "keeps its recorded key") {
		t.Errorf("unrecorded_key findings %+v, want one fixed by revoking it", unrecorded)
	}
	if got := assertKeysConsistent(t, s, client, service); !slices.Equal(got, recorded) {
		t.Errorf("keys after --fix = %v, want the recorded %v", got, recorded)
	}
	if n := countOps(s.Gateway, ostor.OpUsersGenKey); n != 1 {
		t.Errorf("gateway received %d genKey requests, want only the test's", n)
	}
}

func TestReconcileLeavesTwoUnrecordedKeys(t *testing.T) {
	s := startStack(t, stackOptions{})
	_, service := provisionService(t, s, "vic@example.com")
	if _, err := gatewayClient(t, s).GenerateKey(context.Background(), ostor.ByEmail("vic@example.com")); err != nil {
		t.Fatal(err)
	}
	execSQL(t, s, "DELETE FROM mod_ostorbridge_keys WHERE service_id = ?", service)

	report, _ := runReconcile(t, s, "--fix", "--json")

	unrecorded := findingsOf(report, bridge.FindingUnrecordedKey)
	if len(unrecorded) != 2 {
		t.Fatalf("report has %d unrecorded_key findings, want 2: %+v", len(unrecorded), report.Findings)
	}
	for _, f := range unrecorded {
		if f.Fixed || !strings.Contains(f.Action, "no replacement can be generated") {
			t.Errorf("finding %+v, want it open with the reason", f)
		}
	}
	if n := len(gatewayKeyIDs(t, s, "vic@example.com")); n != 2 {
		t.Errorf("gateway has %d keys, want both kept", n)
	}
}

func TestReconcileRevokesKeyRecordedAsRevoked(t *testing.T) {
	s := startStack(t, stackOptions{})
	client, service := provisionService(t, s, "xena@example.com")
	first := assertKeysConsistent(t, s, client, service)
	generated := keyResult(t, s.callRPC(t, "Service.GenerateKey", map[string]any{"service_id": service, "admin_id": 1}))
	execSQL(t, s, "UPDATE mod_ostorbridge_keys SET revoked_at = NOW() WHERE access_key_id = ?", generated.AccessKeyID)

	report, _ := runReconcile(t, s, "--fix", "--json")

	active := findingsOf(report, bridge.FindingRevokedKeyActive)
	if len(active) != 1 || !active[0].Fixed || active[0].AccessKeyID != generated.AccessKeyID {
		t.Errorf("revoked_key_active findings %+v, want %s fixed", active, generated.AccessKeyID)
	}
	if got := assertKeysConsistent(t, s, client, service); !slices.Equal(got, first) {
		t.Errorf("keys after --fix = %v, want %v", got, first)
	}
}

func TestReconcileReportsEndedMissingAndUnprovisioned(t *testing.T) {
	s := startStack(t, stackOptions{})
	_, ended := provisionService(t, s, "vera@example.com")
	execSQL(t, s, "UPDATE tblhosting SET domainstatus = 'Terminated' WHERE id = ?", ended)
	_, gone := provisionService(t, s, "walt@example.com")
	if err := gatewayClient(t, s).DeleteUser(context.Background(), ostor.ByEmail("walt@example.com")); err != nil {
		t.Fatal(err)
	}
	client := s.DB.AddClient(t, whmcstest.Client{Email: "xavi@example.com", FirstName: "Xavi", LastName: "Poe"})
	unprovisioned := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Active"})
	otherProduct := s.DB.AddProduct(t, whmcstest.Product{Name: "Web hosting", Module: "cpanel"})
	s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: otherProduct, Status: "Active"})

	report, _ := runReconcile(t, s, "--fix", "--json")

	if report.ServicesChecked != 3 {
		t.Errorf("checked %d services, want the 3 of module ostorbridge", report.ServicesChecked)
	}
	cases := []struct {
		kind    bridge.FindingKind
		service int64
	}{
		{bridge.FindingEndedServiceUser, ended},
		{bridge.FindingMissingUser, gone},
		{bridge.FindingNotProvisioned, unprovisioned},
	}
	for _, tc := range cases {
		found := findingsOf(report, tc.kind)
		if len(found) != 1 || found[0].ServiceID != tc.service {
			t.Errorf("%s findings %+v, want one for service %d", tc.kind, found, tc.service)
			continue
		}
		if found[0].Fixed || found[0].Action == "" {
			t.Errorf("%s finding %+v, want it open with an action for the admin", tc.kind, found[0])
		}
	}
	if len(report.Findings) != 3 {
		t.Errorf("report has %d findings, want 3: %+v", len(report.Findings), report.Findings)
	}
	if n := len(s.Gateway.Users()); n != 1 {
		t.Errorf("gateway has %d users, want vera's user kept", n)
	}
}

func TestReconcileResolvesPendingOperations(t *testing.T) {
	// The start-up run would resolve the operations this test inserts.
	s := startStack(t, stackOptions{configure: func(c *Config) { c.Reconcile.OnStart = "off" }})

	// A create whose user the gateway made before the daemon stopped.
	yaraClient := s.DB.AddClient(t, whmcstest.Client{Email: "yara@example.com", FirstName: "Yara", LastName: "Ode"})
	yara := s.DB.AddService(t, whmcstest.Service{ClientID: yaraClient, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Active"})
	s.Gateway.AddUser("yara@example.com")
	insertOperation(t, s, yara, "create", `{"email":"yara@example.com"}`)

	// A generate_key whose request never reached the gateway.
	_, zack := provisionService(t, s, "zack@example.com")
	zackKeys := recordedKeyIDs(t, s, zack)
	zackOp := insertOperation(t, s, zack, "generate_key", `{"admin_id":1,"before":["`+zackKeys[0]+`"]}`)

	// A revocation interrupted before the gateway revoked the key.
	abbyClient, abby := provisionService(t, s, "abby@example.com")
	abbyFirst := recordedKeyIDs(t, s, abby)[0]
	generated := keyResult(t, s.callRPC(t, "Service.GenerateKey", map[string]any{"service_id": abby, "admin_id": 1}))
	insertOperation(t, s, abby, "revoke_key "+abbyFirst, `{"admin_id":1,"access_key_id":"`+abbyFirst+`"}`)

	report, _ := runReconcile(t, s, "--json")

	if pending := findingsOf(report, bridge.FindingPendingOperation); len(pending) != 3 {
		t.Fatalf("report has %d pending_operation findings, want 3: %+v", len(pending), report.Findings)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_operations WHERE state = 'pending'"); n != 3 {
		t.Errorf("reconcile without --fix resolved operations: %d pending, want 3", n)
	}

	fixed, _ := runReconcile(t, s, "--fix", "--json")

	for _, f := range findingsOf(fixed, bridge.FindingPendingOperation) {
		if !f.Fixed {
			t.Errorf("pending operation of service %d not fixed: %+v", f.ServiceID, f)
		}
	}
	if fixed.Open() != 0 {
		t.Errorf("--fix left open findings: %+v", fixed.Findings)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_operations WHERE state = 'pending'"); n != 0 {
		t.Errorf("%d operations still pending after --fix", n)
	}
	if keys := assertKeysConsistent(t, s, yaraClient, yara); len(keys) != 1 {
		t.Errorf("adopted user of yara has keys %v, want 1", keys)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_operations WHERE id = ? AND state = 'failed'", zackOp); n != 1 {
		t.Errorf("the generate_key that never reached the gateway is not closed as failed")
	}
	if got := assertKeysConsistent(t, s, abbyClient, abby); !slices.Equal(got, []string{generated.AccessKeyID}) {
		t.Errorf("abby's keys after --fix = %v, want only %s", got, generated.AccessKeyID)
	}
	if n := len(s.Gateway.Users()); n != 3 {
		t.Errorf("gateway has %d users, want 3", n)
	}
}

func TestReconcileAtStartupResumesGenerateKey(t *testing.T) {
	s := startStack(t, stackOptions{})
	client, service := provisionService(t, s, "bea@example.com")
	first := recordedKeyIDs(t, s, service)
	reply, err := gatewayClient(t, s).GenerateKey(context.Background(), ostor.ByEmail("bea@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	issued := ostor.NewKeyPairs(nil, reply.AccessKeys)[len(reply.AccessKeys)-1].AccessKeyID
	insertOperation(t, s, service, "generate_key", `{"admin_id":1,"before":["`+first[0]+`"]}`)

	// The first daemon's start-up run works in the background and can log the same line after
	// the service was provisioned, so the wait counts the lines of the second daemon only.
	const startupLine = "start-up reconciliation: checked 1 services"
	s.stopDaemon(t)
	earlierRuns := strings.Count(s.logs.String(), startupLine)
	s.startDaemon(t, stackOptions{})
	waitFor(t, s, "the start-up reconciliation", func() bool {
		return strings.Count(s.logs.String(), startupLine) > earlierRuns
	})

	keys := assertKeysConsistent(t, s, client, service)
	if !slices.Equal(keys, sorted(first[0], issued)) {
		t.Errorf("keys after start-up = %v, want %s and the issued %s", keys, first[0], issued)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_operations WHERE state = 'pending'"); n != 0 {
		t.Errorf("%d operations still pending after start-up", n)
	}
}

func TestReconcileRPC(t *testing.T) {
	s := startStack(t, stackOptions{})
	client, service := provisionService(t, s, "cleo@example.com")
	if err := gatewayClient(t, s).DisableUser(context.Background(), ostor.ByEmail("cleo@example.com")); err != nil {
		t.Fatal(err)
	}

	var reply struct {
		bridge.ReconcileReport
		Text string `json:"text"`
	}
	decodeResult(t, s.callRPC(t, "Service.Reconcile", map[string]any{"client_id": client, "fix": false, "admin_id": 1}), &reply)

	if reply.ServicesChecked != 1 || len(findingsOf(reply.ReconcileReport, bridge.FindingStateMismatch)) != 1 {
		t.Errorf("Service.Reconcile = %+v, want one service with a state_mismatch", reply.ReconcileReport)
	}
	if !strings.Contains(reply.Text, "state_mismatch, service "+itoa(service)) {
		t.Errorf("reply text lacks the finding:\n%s", reply.Text)
	}

	cases := []struct {
		name   string
		params map[string]any
		code   bridge.Code
		text   string
	}{
		{"negative client", map[string]any{"client_id": -1}, bridge.CodeInvalidInput, "client_id must be a positive WHMCS client id"},
		{"unknown service", map[string]any{"service_id": 999999}, bridge.CodeNotFound, "WHMCS service 999999 does not exist"},
		{"service of other client", map[string]any{"service_id": service, "client_id": client + 100}, bridge.CodeInvalidInput, "belongs to client"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertRPCError(t, s.callRPC(t, "Service.Reconcile", tc.params), tc.code, tc.text)
		})
	}
	if got := userState(t, s, "cleo@example.com"); got != ostor.StateDisabled {
		t.Errorf("reconcile without fix changed the user to %s", got)
	}
}

func TestReconcileCommandRejectsBadFlags(t *testing.T) {
	s := startStack(t, stackOptions{})

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"service and client", []string{"--service", "1", "--client", "2"}, "give at most one of --service and --client"},
		{"negative service", []string{"--service", "-4"}, "--service and --client take a positive WHMCS id"},
		{"argument", []string{"everything"}, `unexpected argument "everything"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, code := runReconcileText(t, s, tc.args...)

			if code != 2 {
				t.Errorf("exit code = %d, want 2", code)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output %q does not contain %q", out, tc.want)
			}
		})
	}
}

func TestReconcileConfigRejectsUnknownMode(t *testing.T) {
	path := writeConfig(t, minimalConfig+"\n[reconcile]\non_start = \"sometimes\"\ntimeout = \"0s\"\n")

	_, err := LoadConfig(path, env(map[string]string{
		"OSTOR_BRIDGE_RPC_SECRET":         "0123456789abcdef0123",
		"OSTOR_BRIDGE_GATEWAY_SECRET_KEY": "gw-secret",
	}))

	if err == nil {
		t.Fatal("LoadConfig accepted reconcile.on_start = \"sometimes\"")
	}
	for _, want := range []string{`reconcile.on_start is "sometimes"; use off, report, resume or fix`, "reconcile.timeout must be a positive duration"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// ---- helpers

// gatewayClient returns an admin API client of the fake gateway, for changes made behind the
// daemon's back.
func gatewayClient(t *testing.T, s *stack) *ostor.Client {
	t.Helper()
	c, err := ostor.New(s.Gateway.Config())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func userState(t *testing.T, s *stack, email string) string {
	t.Helper()
	for _, u := range s.Gateway.Users() {
		if u.Email == email {
			return u.State
		}
	}
	t.Fatalf("gateway has no user %s", email)
	return ""
}

func execSQL(t *testing.T, s *stack, query string, args ...any) {
	t.Helper()
	if _, err := s.DB.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// insertOperation journals a pending operation as an interrupted daemon leaves it.
func insertOperation(t *testing.T, s *stack, serviceID int64, kind, detail string) int64 {
	t.Helper()
	res, err := s.DB.Exec(`INSERT INTO mod_ostorbridge_operations
	(service_id, kind, state, attempts, last_error, detail, created_at, updated_at)
VALUES (?, ?, 'pending', 1, '', ?, NOW(), NOW())`, serviceID, kind, detail)
	if err != nil {
		t.Fatal(err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// opsOrder lists the gateway's requests of the given operations in arrival order, by the part of
// the operation name after the dot.
func opsOrder(g *ostortest.Server, ops ...string) string {
	var names []string
	for _, r := range g.Requests() {
		if slices.Contains(ops, r.Op) {
			_, name, _ := strings.Cut(r.Op, ".")
			names = append(names, name)
		}
	}
	return strings.Join(names, ",")
}

// execReconcile runs `ostor-bridge reconcile` with the daemon's config and returns its output and
// exit code. A process that cannot be run fails the test.
func execReconcile(t *testing.T, s *stack, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(daemonBinary, append([]string{"reconcile", "--config", s.ConfigPath}, args...)...)
	cmd.Env = s.Env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), 0
}

// runReconcileText runs `ostor-bridge reconcile` and returns its text output and exit code.
func runReconcileText(t *testing.T, s *stack, args ...string) (string, int) {
	t.Helper()
	stdout, stderr, code := execReconcile(t, s, args...)
	return stdout + stderr, code
}

// runReconcile runs `ostor-bridge reconcile` with the daemon's config and returns the decoded
// JSON report (args must include --json) and the whole output. Open findings make the command
// exit 1, which is not a failure here.
func runReconcile(t *testing.T, s *stack, args ...string) (bridge.ReconcileReport, string) {
	t.Helper()
	stdout, stderr, code := execReconcile(t, s, args...)
	if code != 0 && code != 1 {
		t.Fatalf("ostor-bridge reconcile %v exited %d\n%s", args, code, stderr)
	}
	var report bridge.ReconcileReport
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("reconcile printed %q, not a JSON report: %v\n%s", stdout, err, stderr)
	}
	return report, stdout + stderr
}

func findingsOf(report bridge.ReconcileReport, kind bridge.FindingKind) []bridge.Finding {
	var out []bridge.Finding
	for _, f := range report.Findings {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
