package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// planOptions returns product config options: the ops limits (default, get, put, list, delete),
// the bandwidth limit and the quota, in the positions the module declares.
func planOptions(values ...string) [24]string {
	var options [24]string
	copy(options[:], values)
	return options
}

// s3User returns the gateway's only user, failing unless there is exactly one.
func s3User(t *testing.T, s *stack) ostor.User {
	t.Helper()
	users := s.Gateway.Users()
	if len(users) != 1 {
		t.Fatalf("gateway has %d users, want 1", len(users))
	}
	return users[0]
}

func countGatewayOps(s *stack, op string) int {
	n := 0
	for _, r := range s.Gateway.Requests() {
		if r.Op == op {
			n++
		}
	}
	return n
}

// callTwice runs a module function twice and requires "success" both times.
func callTwice(t *testing.T, s *stack, function string, serviceID int64) {
	t.Helper()
	for i := 1; i <= 2; i++ {
		if got := callModule(t, function, s.moduleParams(serviceID)); got != "success" {
			t.Fatalf("%s #%d returned %v", function, i, got)
		}
	}
}

func TestLifecycleThroughModule(t *testing.T) {
	s := startStack(t, stackOptions{})
	ctx := context.Background()
	gw := gatewayClient(t, s)
	plan := s.DB.AddProduct(t, whmcstest.Product{Name: "S3 50 GB", Module: "ostorbridge", ConfigOptions: planOptions("10", "20", "", "", "", "500", "50")})
	unlimited := s.DB.AddProduct(t, whmcstest.Product{Name: "S3 unlimited", Module: "ostorbridge", ConfigOptions: planOptions("0", "", "", "", "", "0", "")})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "life@example.com", FirstName: "Life", LastName: "Cycle"})
	adminNote := s.DB.AddNote(t, client, "VIP customer.")
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: plan, ServerID: s.ServerID, Status: "Pending"})

	callTwice(t, s, "CreateAccount", service)
	user := s3User(t, s)
	target := ostor.UserTarget(ostor.ByID(user.ID))
	limits, err := gw.GetLimits(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if limits.OpsDefault != 10 || limits.OpsGet != 20 || limits.BandwidthOut != 500 {
		t.Errorf("limits after CreateAccount = %+v, want default 10, get 20, bandwidth 500", limits)
	}
	if q, err := gw.GetQuota(ctx, target); err != nil || q.Size != 50 {
		t.Errorf("quota after CreateAccount = %+v, %v; want 50 GB", q, err)
	}

	area, ok := callModule(t, "ClientArea", s.moduleParams(service)).(map[string]any)
	if !ok || area["tabOverviewModuleOutputTemplate"] != "templates/overview.tpl" {
		t.Fatalf("ClientArea returned %v", area)
	}
	vars, _ := area["templateVariables"].(map[string]any)
	s3, _ := vars["s3"].(map[string]any)
	if s3["endpoint"] != "https://s3.example.test" || s3["user_id"] != user.ID {
		t.Errorf("ClientArea variables = %v, want the endpoint and user %s", s3, user.ID)
	}
	keys, _ := s3["access_keys"].([]any)
	if len(keys) != 1 || strings.Contains(toJSON(t, keys), user.AccessKeys[0].SecretAccessKey.Reveal()) {
		t.Errorf("ClientArea keys = %v, want one key without its secret", keys)
	}

	s.Gateway.ResetRequests()
	callTwice(t, s, "SuspendAccount", service)
	if u := s3User(t, s); u.State != ostor.StateDisabled {
		t.Errorf("after SuspendAccount the user is %q", u.State)
	}
	if n := countGatewayOps(s, ostor.OpUsersDisable); n != 1 {
		t.Errorf("two SuspendAccount calls sent %d disable requests, want 1", n)
	}

	callTwice(t, s, "UnsuspendAccount", service)
	if u := s3User(t, s); u.State != ostor.StateEnabled {
		t.Errorf("after UnsuspendAccount the user is %q", u.State)
	}
	if n := countGatewayOps(s, ostor.OpUsersEnable); n != 1 {
		t.Errorf("two UnsuspendAccount calls sent %d enable requests, want 1", n)
	}

	// WHMCS switches the service to the new product before it calls ChangePackage.
	if _, err := s.DB.Exec(`UPDATE tblhosting SET packageid = ? WHERE id = ?`, unlimited, service); err != nil {
		t.Fatal(err)
	}
	callTwice(t, s, "ChangePackage", service)
	limits, err = gw.GetLimits(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if limits.OpsDefault != 0 || limits.OpsGet != 0 || limits.BandwidthOut != 0 {
		t.Errorf("limits after ChangePackage to unlimited = %+v, want all 0", limits)
	}
	if q, err := gw.GetQuota(ctx, target); err != nil || q.Size != 0 {
		t.Errorf("quota after ChangePackage to unlimited = %+v, %v; want 0", q, err)
	}
	if n := countGatewayOps(s, ostor.OpLimitsDelete); n != 2 {
		t.Errorf("two ChangePackage calls sent %d limit deletes, want 2 (ops and bandwidth, once)", n)
	}

	callTwice(t, s, "TerminateAccount", service)
	if n := len(s.Gateway.Users()); n != 0 {
		t.Errorf("gateway has %d users after TerminateAccount", n)
	}
	if n := countGatewayOps(s, ostor.OpUsersDelete); n != 1 {
		t.Errorf("two TerminateAccount calls sent %d delete requests, want 1", n)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_identities WHERE service_id = ?", service); n != 0 {
		t.Errorf("identity rows after TerminateAccount = %d, want 0", n)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_keys WHERE service_id = ? AND revoked_at IS NULL", service); n != 0 {
		t.Errorf("%d keys of the deleted user are still active in the database", n)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_operations WHERE service_id = ? AND state <> 'done'", service); n != 0 {
		t.Errorf("journal has %d operations that are not done", n)
	}
	notes := s.DB.Notes(t, client)
	if len(notes) != 2 {
		t.Fatalf("client has %d notes, want the admin's and the bridge's", len(notes))
	}
	for _, n := range notes {
		switch {
		case n.ID == adminNote && n.Text != "VIP customer.":
			t.Errorf("admin note changed to %q", n.Text)
		case n.ID != adminNote && !strings.Contains(n.Text, "removed by Terminate"):
			t.Errorf("access-key note does not say the user was removed:\n%s", n.Text)
		}
	}
}

func TestTerminateAccountWithBucketsReports(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "keep@example.com", FirstName: "Keep", LastName: "Data"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	callTwice(t, s, "CreateAccount", service)
	user := s3User(t, s)
	s.Gateway.Gateway.AddBucket(user.ID, "invoices-2026", 2048)

	got, _ := callModule(t, "TerminateAccount", s.moduleParams(service)).(string)

	for _, want := range []string{"ostor-bridge: ", "invoices-2026", "disabled", "purge"} {
		if !strings.Contains(got, want) {
			t.Errorf("TerminateAccount returned %q, which lacks %q", got, want)
		}
	}
	if u := s3User(t, s); u.State != ostor.StateDisabled {
		t.Errorf("user is %q, want disabled and kept", u.State)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_identities WHERE service_id = ?", service); n != 1 {
		t.Errorf("identity rows = %d, want the identity kept", n)
	}
}

func TestSuspendAccountDroppedResponse(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "flaky@example.com", FirstName: "Flaky", LastName: "Net"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	callTwice(t, s, "CreateAccount", service)
	s.Gateway.ResetRequests()
	s.Gateway.SetFault(ostor.OpUsersDisable, ostortest.Fault{DropAfterApply: true, Times: 1})

	if got := callModule(t, "SuspendAccount", s.moduleParams(service)); got != "success" {
		t.Fatalf("SuspendAccount returned %v", got)
	}
	if u := s3User(t, s); u.State != ostor.StateDisabled {
		t.Errorf("user is %q, want disabled", u.State)
	}
	if n := countGatewayOps(s, ostor.OpUsersDisable); n != 1 {
		t.Errorf("sent %d disable requests, want exactly 1", n)
	}
}

func TestHooksThroughModule(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "before@example.com", FirstName: "Hook", LastName: "Test"})
	first := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	callTwice(t, s, "CreateAccount", first)
	firstUser := s3User(t, s)

	if _, err := s.DB.Exec(`UPDATE tblclients SET email = ? WHERE id = ?`, "after@example.com", client); err != nil {
		t.Fatal(err)
	}
	reply := callHook(t, s, "ClientEdit", map[string]any{
		"userid": client, "email": "after@example.com", "olddata": map[string]any{"email": "before@example.com"},
	})
	if !strings.Contains(toJSON(t, reply), firstUser.ID) {
		t.Errorf("ClientEdit hook returned %v, want the service's unchanged S3 user %s", reply, firstUser.ID)
	}
	callTwice(t, s, "SuspendAccount", first)
	if u := s3User(t, s); u.State != ostor.StateDisabled || u.Email != "before@example.com" {
		t.Errorf("after the email change the user is %+v, want the original user disabled", u)
	}

	second := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	callTwice(t, s, "CreateAccount", second)
	if n := len(s.Gateway.Users()); n != 2 {
		t.Fatalf("gateway has %d users after the second service, want 2", n)
	}

	if _, err := s.DB.Exec(`DELETE FROM tblhosting WHERE id = ?`, second); err != nil {
		t.Fatal(err)
	}
	deleted := callHook(t, s, "ServiceDelete", map[string]any{"userid": client, "serviceid": second})
	if got, _ := deleted.(map[string]any); got["disabled"] != true {
		t.Errorf("ServiceDelete hook returned %v, want the user disabled", deleted)
	}
	for _, u := range s.Gateway.Users() {
		if u.State != ostor.StateDisabled {
			t.Errorf("user %s (%s) is %q, want both disabled and kept", u.ID, u.Email, u.State)
		}
	}
}

// callHook runs a hook of the module through php with the daemon address in the environment, as
// WHMCS would with the settings in configuration.php, and returns its decoded return value.
func callHook(t *testing.T, s *stack, hook string, vars map[string]any) any {
	t.Helper()
	host, port, _ := strings.Cut(s.Addr, ":")
	cmd := exec.Command("php", "../../php-shim/tests/call-hook.php", hook)
	cmd.Env = append(cmd.Environ(),
		"OSTOR_BRIDGE_RPC_HOST="+host,
		"OSTOR_BRIDGE_RPC_PORT="+port,
		"OSTOR_BRIDGE_RPC_SECRET="+s.Secret,
	)
	cmd.Stdin = bytes.NewReader([]byte(toJSON(t, vars)))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php hook %s: %v\n%s", hook, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("hook %s reported: %s", hook, stderr.String())
	}
	var result any
	if err := json.Unmarshal(out, &result); err != nil {
		t.Fatalf("hook %s printed %q, not JSON: %v", hook, out, err)
	}
	return result
}

func TestLifecycleRPCErrors(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "rpc@example.com", FirstName: "Rpc", LastName: "Errors"})
	bad := s.DB.AddProduct(t, whmcstest.Product{Name: "S3 typo", Module: "ostorbridge", ConfigOptions: planOptions("100", "", "", "", "", "1O0")})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: bad, ServerID: s.ServerID, Status: "Pending"})

	cases := []struct {
		method string
		params map[string]any
		code   int
		want   string
	}{
		{"Service.Create", map[string]any{"service_id": service, "admin_id": 0}, -32010, `"1O0" in configoption6 (Bandwidth limit)`},
		{"Service.Suspend", map[string]any{"service_id": service, "admin_id": 0}, -32011, "has no S3 user recorded"},
		{"Service.Terminate", map[string]any{"service_id": 0, "admin_id": 0}, -32010, "service_id must be a positive"},
		{"Client.EmailChanged", map[string]any{"client_id": client, "old_email": "a@example.com", "new_email": "nope"}, -32010, `new_email "nope" is invalid`},
		{"Client.Merged", map[string]any{"from_client_id": client, "to_client_id": client}, -32010, "cannot be merged into itself"},
	}
	for _, c := range cases {
		reply := s.postRPC(t, s.Secret, rpcRequest(t, c.method, c.params))
		if reply.Error == nil {
			t.Errorf("%s returned %s, want error %d", c.method, reply.Result, c.code)
			continue
		}
		if reply.Error.Code != c.code || !strings.Contains(reply.Error.Message, c.want) {
			t.Errorf("%s error = %d %q, want %d containing %q", c.method, reply.Error.Code, reply.Error.Message, c.code, c.want)
		}
	}
	if n := len(s.Gateway.Users()); n != 0 {
		t.Errorf("gateway has %d users after rejected calls", n)
	}
}

// rpcRequest encodes a JSON-RPC request with a fresh id.
func rpcRequest(t *testing.T, method string, params map[string]any) []byte {
	t.Helper()
	return []byte(toJSON(t, map[string]any{"jsonrpc": "2.0", "method": method, "params": params, "id": randomHex(t, 8)}))
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLifecycleThroughRPC drives the daemon binary with signed RPC calls, the way the module
// does, and checks every result, so the RPC wiring is covered without PHP.
func TestLifecycleThroughRPC(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "rpcflow@example.com", FirstName: "Rpc", LastName: "Flow"})
	product := s.DB.AddProduct(t, whmcstest.Product{Name: "S3 plan", Module: "ostorbridge", ConfigOptions: planOptions("", "", "", "", "", "", "5", "", "", "on")})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: product, ServerID: s.ServerID, Status: "Pending"})
	args := map[string]any{"service_id": service, "admin_id": 3}

	call := func(method string, params map[string]any) map[string]any {
		t.Helper()
		reply := s.postRPC(t, s.Secret, rpcRequest(t, method, params))
		if reply.Error != nil {
			t.Fatalf("%s failed: %d %s", method, reply.Error.Code, reply.Error.Message)
		}
		var result map[string]any
		if err := json.Unmarshal(reply.Result, &result); err != nil {
			t.Fatalf("%s result %s: %v", method, reply.Result, err)
		}
		return result
	}

	created := call("Service.Create", args)
	plan, _ := created["plan"].(map[string]any)
	if changed := toJSON(t, plan["changed"]); changed != `["quota"]` {
		t.Errorf("Create applied %s, want only the quota", changed)
	}
	user := s3User(t, s)

	area := call("Service.ClientArea", args)
	if area["secrets_shown"] != true || !strings.Contains(toJSON(t, area["access_keys"]), user.AccessKeys[0].SecretAccessKey.Reveal()) {
		t.Errorf("ClientArea = %v, want the secret shown as the product allows", area)
	}

	for _, step := range []struct{ method, field, want string }{
		{"Service.Suspend", "state", "disabled"},
		{"Service.Suspend", "state", "disabled"},
		{"Service.Unsuspend", "state", "enabled"},
		{"Service.Unsuspend", "state", "enabled"},
	} {
		if got := call(step.method, args)[step.field]; got != step.want {
			t.Errorf("%s %s = %v, want %s", step.method, step.field, got, step.want)
		}
	}
	if again := call("Service.ChangePackage", args); toJSON(t, again["changed"]) != "[]" {
		t.Errorf("ChangePackage on the same plan changed %v", again["changed"])
	}
	if first := call("Service.Terminate", args); first["deleted"] != true || first["user_id"] != user.ID {
		t.Errorf("Terminate = %v, want user %s deleted", first, user.ID)
	}
	if second := call("Service.Terminate", args); second["nothing_recorded"] != true {
		t.Errorf("second Terminate = %v, want nothing recorded", second)
	}
	if n := len(s.Gateway.Users()); n != 0 {
		t.Errorf("gateway has %d users after Terminate", n)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_operations WHERE service_id = ? AND state = 'done'", service); n != 5 {
		t.Errorf("journal has %d done operations, want 5 (create, plan, suspend, unsuspend, terminate)", n)
	}
}

// purgeProduct adds a product whose Terminate purges the buckets of the S3 user.
func purgeProduct(t *testing.T, s *stack) int64 {
	t.Helper()
	return s.DB.AddProduct(t, whmcstest.Product{Name: "S3 purge", Module: "ostorbridge", ConfigOptions: planOptions("", "", "", "", "", "", "", "purge")})
}

func TestTerminateAccountPurgesThroughModule(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "purge@example.com", FirstName: "Purge", LastName: "All"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: purgeProduct(t, s), ServerID: s.ServerID, Status: "Pending"})
	callTwice(t, s, "CreateAccount", service)
	user := s3User(t, s)
	s.Gateway.Gateway.AddBucket(user.ID, "logs", 0)
	s.Gateway.Gateway.AddObject("logs", "app.log", 512)

	callTwice(t, s, "TerminateAccount", service)

	if n := len(s.Gateway.Users()); n != 0 {
		t.Errorf("gateway has %d users after a purging TerminateAccount", n)
	}
	if n := len(s.Gateway.Gateway.Objects("logs")); n != 0 {
		t.Errorf("bucket logs still holds %d objects", n)
	}
}

func TestTerminatePurgeThroughRPC(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "rpcpurge@example.com", FirstName: "Rpc", LastName: "Purge"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: purgeProduct(t, s), ServerID: s.ServerID, Status: "Pending"})
	args := map[string]any{"service_id": service, "admin_id": 0}
	if reply := s.postRPC(t, s.Secret, rpcRequest(t, "Service.Create", args)); reply.Error != nil {
		t.Fatalf("Create: %s", reply.Error.Message)
	}
	user := s3User(t, s)
	s.Gateway.Gateway.AddBucket(user.ID, "media", 0)
	s.Gateway.Gateway.AddObject("media", "a.jpg", 10)
	s.Gateway.Gateway.AddObject("media", "b.jpg", 20)

	reply := s.postRPC(t, s.Secret, rpcRequest(t, "Service.Terminate", args))

	if reply.Error != nil {
		t.Fatalf("Terminate: %d %s", reply.Error.Code, reply.Error.Message)
	}
	var res struct {
		Deleted       bool     `json:"deleted"`
		PurgedBuckets []string `json:"purged_buckets"`
		Purge         struct {
			Objects int64 `json:"objects"`
		} `json:"purge"`
	}
	if err := json.Unmarshal(reply.Result, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Deleted || toJSON(t, res.PurgedBuckets) != `["media"]` || res.Purge.Objects != 2 {
		t.Errorf("Terminate result = %s, want bucket media and 2 objects purged", reply.Result)
	}
	if n := len(s.Gateway.Users()); n != 0 {
		t.Errorf("gateway has %d users after the purge", n)
	}
}

func TestLifecycleLogsNoSecrets(t *testing.T) {
	s := startStack(t, stackOptions{})
	product := s.DB.AddProduct(t, whmcstest.Product{Name: "S3 open", Module: "ostorbridge",
		ConfigOptions: planOptions("", "", "", "", "", "", "", "purge", "key-id-and-secret", "on")})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "secret@example.com", FirstName: "Secret", LastName: "Keeper"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: product, ServerID: s.ServerID, Status: "Pending"})
	callTwice(t, s, "CreateAccount", service)
	user := s3User(t, s)
	secret := user.AccessKeys[0].SecretAccessKey.Reveal()
	s.Gateway.Gateway.AddBucket(user.ID, "private", 0)
	s.Gateway.Gateway.AddObject("private", "diary.txt", 64)

	area, _ := callModule(t, "ClientArea", s.moduleParams(service)).(map[string]any)
	if !strings.Contains(toJSON(t, area), secret) {
		t.Fatalf("ClientArea did not show the secret; the log scan would prove less: %v", area)
	}
	callTwice(t, s, "SuspendAccount", service)
	// A failing purge produces error messages and log lines on the path that uses the secret.
	s.Gateway.SetFault(ostortest.OpS3DeleteBucket, ostortest.Fault{Status: 500, Code: "InternalError", Message: "disk busy", Times: 9})
	if got, _ := callModule(t, "TerminateAccount", s.moduleParams(service)).(string); got == "success" {
		t.Fatalf("TerminateAccount succeeded although the bucket delete fails")
	}
	if u := s3User(t, s); u.State != ostor.StateDisabled {
		t.Errorf("after the failed purge the user is %q, want disabled again", u.State)
	}
	s.Gateway.ClearFaults()
	callTwice(t, s, "TerminateAccount", service)
	s.stopDaemon(t)

	logs := s.logs.String()
	if !strings.Contains(logs, `"method":"Service.ClientArea"`) || !strings.Contains(logs, "purging the buckets") {
		t.Fatalf("daemon log lacks the ClientArea call or the purge failure; the scan would prove nothing:\n%s", logs)
	}
	if strings.Contains(logs, secret) {
		t.Errorf("daemon log contains the S3 user's secret key")
	}
	if strings.Contains(logs, s.Secret) {
		t.Errorf("daemon log contains the RPC secret")
	}
}
