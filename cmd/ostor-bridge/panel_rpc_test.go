package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

const testAdminID = 7

func TestPanelSummaryShowsServiceState(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "carol@example.com", "photos", "backups")

	html := s.adminHTML(t, "Admin.Summary", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "tok123"})

	for _, want := range []string{
		"carol@example.com", f.User.ID, "enabled", f.User.AccessKeys[0].AccessKeyID,
		"photos", "backups", "1.5 MiB", `name="token" value="tok123"`, "Generate access key",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if secret := f.User.AccessKeys[0].SecretAccessKey.Reveal(); strings.Contains(html, secret) {
		t.Errorf("summary contains the secret access key")
	}
	if strings.Contains(html, "obp-gateway-timeout") {
		t.Errorf("summary shows the gateway timeout notice although the gateway answered")
	}
}

func TestPanelSummaryReadOnlyHasNoForms(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "dave@example.com", "data")

	html := s.adminHTML(t, "Admin.Summary", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t", "read_only": true})

	if strings.Contains(html, `method="post"`) {
		t.Errorf("read-only summary contains a POST form")
	}
	if !strings.Contains(html, "dave@example.com") {
		t.Errorf("read-only summary lacks the S3 user")
	}
}

func TestPanelSummaryEscapesMarkup(t *testing.T) {
	s := startStack(t, stackOptions{})
	const email = `"><script>alert('e')</script>&x@example.com`
	const bucket = `<script>alert("b")</script>&'q`
	f := addPanelClient(t, s, email, bucket)

	html := s.adminHTML(t, "Admin.Summary", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": `t"><script>`})

	if strings.Contains(html, "<script>") {
		t.Errorf("summary contains an unescaped <script> element")
	}
	if !strings.Contains(html, "&lt;script&gt;alert(&#39;e&#39;)&lt;/script&gt;&amp;x@example.com") {
		t.Errorf("summary lacks the escaped email")
	}

	object := s.adminHTML(t, "Admin.Page", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t",
		"view": "usage_object", "params": map[string]string{"object": f.Object}})
	if strings.Contains(object, "<script>") {
		t.Errorf("usage object page contains an unescaped <script> element")
	}
	if !strings.Contains(object, "&lt;script&gt;") {
		t.Errorf("usage object page lacks the escaped bucket name")
	}
}

// stalledGatewayLatency delays every gateway request in the stalled-gateway tests. It is twice
// their 1s panel deadline, so no read can finish in time, and short because closing the fake
// gateway waits for the delayed requests.
const stalledGatewayLatency = 2 * time.Second

func TestPanelSummaryGatewayStalled(t *testing.T) {
	s := startStack(t, stackOptions{configure: func(c *Config) { c.Panel.Deadline = Duration{time.Second} }})
	f := addPanelClient(t, s, "erin@example.com", "stall")
	s.Gateway.SetFault(ostortest.AnyOp, ostortest.Fault{Latency: stalledGatewayLatency})
	t.Cleanup(s.Gateway.ClearFaults)

	html := s.adminHTML(t, "Admin.Summary", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t"})

	if !strings.Contains(html, "The S3 gateway did not answer within 1s") {
		t.Errorf("summary lacks the gateway notice:\n%s", html)
	}
	if !strings.Contains(html, "erin@example.com") {
		t.Errorf("summary lacks the stored S3 identity, which needs no gateway")
	}
}

func TestPanelSetBucketLimitsAndAudit(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "frank@example.com", "media")

	reply, rpcErr := s.adminAction(t, map[string]any{"client_id": f.ClientID, "service_id": f.ServiceID, "admin_id": testAdminID,
		"action": "set_bucket_limits", "params": map[string]string{"bucket": "media", "ops_get": "3600", "bandwidth_out": "250"}})
	if rpcErr != nil {
		t.Fatalf("set_bucket_limits: %+v", rpcErr)
	}
	if !reply.OK || !strings.Contains(reply.Message, "bucket media") {
		t.Errorf("reply = %+v", reply)
	}

	html := s.adminHTML(t, "Admin.Summary", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t"})
	bucketSection := html[strings.Index(html, `data-bucket="media"`):]
	if !strings.Contains(bucketSection, ">3600<") || !strings.Contains(bucketSection, ">250<") {
		t.Errorf("bucket section does not show the new limits:\n%s", bucketSection)
	}

	var admin, outcome, params string
	row := s.DB.QueryRowContext(t.Context(), "SELECT admin_id, outcome, params FROM mod_ostorbridge_audit WHERE client_id = ? AND action = 'set_bucket_limits'", f.ClientID)
	if err := row.Scan(&admin, &outcome, &params); err != nil {
		t.Fatalf("audit row: %v", err)
	}
	if admin != "7" || outcome != "ok" {
		t.Errorf("audit admin %s outcome %s, want 7 ok", admin, outcome)
	}
	if !strings.Contains(params, `"ops_get":"3600"`) || !strings.Contains(params, `"bucket":"media"`) {
		t.Errorf("audit params = %s", params)
	}
}

func TestPanelActionRejectsBadInput(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "gina@example.com", "own")
	other := addPanelClient(t, s, "hank@example.com", "theirs")

	cases := []struct {
		name      string
		serviceID int64
		action    string
		params    map[string]string
		field     string
		message   string
	}{
		{"negative limit", f.ServiceID, "set_user_limits", map[string]string{"ops_get": "-5"}, "ops_get", `ops_get "-5" is not a whole number`},
		{"text limit", f.ServiceID, "set_user_limits", map[string]string{"bandwidth_out": "fast"}, "bandwidth_out", "KB/s"},
		{"huge limit", f.ServiceID, "set_user_limits", map[string]string{"ops_put": "99999999999999"}, "ops_put", "too large"},
		{"no limit", f.ServiceID, "set_user_limits", map[string]string{}, "ops_default", "no limit value given"},
		{"foreign bucket", f.ServiceID, "set_bucket_limits", map[string]string{"bucket": "theirs", "ops_get": "1"}, "bucket", "is not owned by"},
		{"bad object", 0, "delete_usage_object", map[string]string{"object": "../etc&x=1"}, "object", "expected s3-usage-"},
		{"unknown param", f.ServiceID, "set_user_limits", map[string]string{"ops_get": "1", "evil": "1"}, "evil", "takes no parameter"},
		{"bad limit type", f.ServiceID, "delete_user_limits", map[string]string{"limit_type": "all"}, "limit_type", "use ops, bandwidth"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, rpcErr := s.adminAction(t, map[string]any{"client_id": f.ClientID, "service_id": c.serviceID, "admin_id": testAdminID,
				"action": c.action, "params": c.params, "confirmed": true})
			if rpcErr == nil {
				t.Fatalf("action succeeded, want an invalid input error")
			}
			if rpcErr.Field != c.field {
				t.Errorf("error field = %q, want %q (%s)", rpcErr.Field, c.field, rpcErr.Message)
			}
			if !strings.Contains(rpcErr.Message, c.message) {
				t.Errorf("error message %q lacks %q", rpcErr.Message, c.message)
			}
		})
	}

	_, rpcErr := s.adminAction(t, map[string]any{"client_id": f.ClientID, "service_id": other.ServiceID, "admin_id": testAdminID,
		"action": "set_user_limits", "params": map[string]string{"ops_get": "1"}})
	if rpcErr == nil || !strings.Contains(rpcErr.Message, "does not belong to client") {
		t.Errorf("action on another client's service: %+v, want a not-found error", rpcErr)
	}

	limits, err := gatewayClient(t, s).GetLimits(t.Context(), ostor.BucketTarget("theirs"))
	if err != nil {
		t.Fatal(err)
	}
	if limits.OpsGet != 0 {
		t.Errorf("the other client's bucket limit changed to %v", limits.OpsGet)
	}
	if len(s.Gateway.UsageNames()) != 2 {
		t.Errorf("usage objects = %v, want both kept", s.Gateway.UsageNames())
	}
}

func TestPanelDeleteUsageObjectNeedsConfirmation(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "ivy@example.com")
	args := map[string]any{"client_id": f.ClientID, "service_id": 0, "admin_id": testAdminID, "token": "tok",
		"action": "delete_usage_object", "params": map[string]string{"object": f.Object}}

	reply, rpcErr := s.adminAction(t, args)
	if rpcErr != nil {
		t.Fatal(rpcErr)
	}
	if reply.OK || !strings.Contains(reply.ConfirmHTML, `name="confirmed" value="1"`) || !strings.Contains(reply.ConfirmHTML, f.Object) {
		t.Fatalf("unconfirmed delete reply = %+v, want a confirmation page", reply)
	}
	if names := s.Gateway.UsageNames(); len(names) != 1 {
		t.Fatalf("the object was deleted before confirmation: %v", names)
	}

	args["confirmed"] = true
	reply, rpcErr = s.adminAction(t, args)
	if rpcErr != nil {
		t.Fatal(rpcErr)
	}
	if !reply.OK {
		t.Errorf("confirmed delete reply = %+v", reply)
	}
	if names := s.Gateway.UsageNames(); len(names) != 0 {
		t.Errorf("usage objects after the confirmed delete = %v", names)
	}
}

func TestPanelUserListPagesAndSearches(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "owner@example.com")
	for i := range 30 {
		s.Gateway.AddUser("user" + string(rune('a'+i%26)) + itoa2(i) + "@list.example")
	}

	first := s.adminHTML(t, "Admin.Page", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t", "view": "users"})
	if !strings.Contains(first, "31 user(s)") || !strings.Contains(first, "page 1 of 2") {
		t.Errorf("first page header wrong:\n%s", first)
	}
	found := s.adminHTML(t, "Admin.Page", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t", "view": "users",
		"params": map[string]string{"q": "OWNER"}})
	if !strings.Contains(found, "1 user(s) match") || !strings.Contains(found, "owner@example.com") {
		t.Errorf("search result wrong:\n%s", found)
	}
}

func itoa2(i int) string {
	return string(rune('0'+i/10)) + string(rune('0'+i%10))
}

func TestPanelKeyActionsUpdateNote(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "nora@example.com")
	oldKey := f.User.AccessKeys[0].AccessKeyID
	base := map[string]any{"client_id": f.ClientID, "service_id": f.ServiceID, "admin_id": testAdminID, "token": "t"}
	with := func(extra map[string]any) map[string]any {
		args := map[string]any{}
		for k, v := range base {
			args[k] = v
		}
		for k, v := range extra {
			args[k] = v
		}
		return args
	}

	reply, rpcErr := s.adminAction(t, with(map[string]any{"action": "generate_key"}))
	if rpcErr != nil {
		t.Fatalf("generate_key: %+v", rpcErr)
	}
	user := s3UserByEmail(t, s, "nora@example.com")
	if len(user.AccessKeys) != 2 {
		t.Fatalf("user has %d keys after generate_key, want 2", len(user.AccessKeys))
	}
	newKey := user.AccessKeys[1].AccessKeyID
	if !strings.Contains(reply.Message, newKey) {
		t.Errorf("generate_key message %q does not name the new key %s", reply.Message, newKey)
	}
	if strings.Contains(reply.Message, user.AccessKeys[1].SecretAccessKey.Reveal()) {
		t.Errorf("generate_key message contains the secret key")
	}
	note := findNote(t, s.DB.Notes(t, f.ClientID), newKey)
	if !strings.Contains(note.Text, oldKey) {
		t.Errorf("note lists only the new key:\n%s", note.Text)
	}

	// Revoking returns a confirmation page first and changes nothing until confirmed.
	revoke := with(map[string]any{"action": "revoke_key", "params": map[string]string{"access_key_id": oldKey}})
	reply, rpcErr = s.adminAction(t, revoke)
	if rpcErr != nil || reply.ConfirmHTML == "" {
		t.Fatalf("unconfirmed revoke_key: reply %+v, error %+v; want a confirmation page", reply, rpcErr)
	}
	if n := len(s3UserByEmail(t, s, "nora@example.com").AccessKeys); n != 2 {
		t.Fatalf("user has %d keys before the revocation was confirmed, want 2", n)
	}
	revoke["confirmed"] = true
	if _, rpcErr = s.adminAction(t, revoke); rpcErr != nil {
		t.Fatalf("revoke_key: %+v", rpcErr)
	}
	user = s3UserByEmail(t, s, "nora@example.com")
	if len(user.AccessKeys) != 1 || user.AccessKeys[0].AccessKeyID != newKey {
		t.Errorf("keys after revoking %s = %v, want only %s", oldKey, user.AccessKeys, newKey)
	}
	note = findNote(t, s.DB.Notes(t, f.ClientID), newKey)
	if strings.Contains(note.Text, oldKey) {
		t.Errorf("note still lists the revoked key:\n%s", note.Text)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_audit WHERE client_id = ? AND action IN ('generate_key', 'revoke_key') AND outcome = 'ok'", f.ClientID); n != 2 {
		t.Errorf("audit has %d successful key actions, want 2", n)
	}
}

func TestPanelUserStateActions(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "omar@example.com")
	base := map[string]any{"client_id": f.ClientID, "service_id": f.ServiceID, "admin_id": testAdminID, "confirmed": true}
	run := func(action string) actionReply {
		t.Helper()
		args := map[string]any{"action": action}
		for k, v := range base {
			args[k] = v
		}
		if action == "reconcile" {
			args["service_id"] = 0 // reconciliation covers every service of the client
		}
		reply, rpcErr := s.adminAction(t, args)
		if rpcErr != nil {
			t.Fatalf("%s: %+v", action, rpcErr)
		}
		return reply
	}

	run("disable_user")
	if got := s3UserByEmail(t, s, "omar@example.com").State; got != ostor.StateDisabled {
		t.Errorf("state after disable_user = %q", got)
	}
	run("enable_user")
	if got := s3UserByEmail(t, s, "omar@example.com").State; got != ostor.StateEnabled {
		t.Errorf("state after enable_user = %q", got)
	}
	reply := run("reconcile")
	if !strings.Contains(reply.Message, "Reconciliation checked 1 service(s)") {
		t.Errorf("reconcile message = %q", reply.Message)
	}
	run("delete_user")
	for _, u := range s.Gateway.Users() {
		if u.Email == "omar@example.com" {
			t.Errorf("S3 user still exists after delete_user")
		}
	}
}

// s3UserByEmail returns the fake gateway's user with the given email.
func s3UserByEmail(t *testing.T, s *stack, email string) ostor.User {
	t.Helper()
	for _, u := range s.Gateway.Users() {
		if u.Email == email {
			return u
		}
	}
	t.Fatalf("the gateway has no user %s", email)
	return ostor.User{}
}

func TestPanelRejectsBadRequests(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "pia@example.com", "pics")

	cases := []struct {
		name   string
		method string
		params map[string]any
		field  string
	}{
		{"summary without admin", "Admin.Summary", map[string]any{"client_id": f.ClientID, "admin_id": 0}, "admin_id"},
		{"summary without client", "Admin.Summary", map[string]any{"client_id": 0, "admin_id": testAdminID}, "client_id"},
		{"unknown action", "Admin.Action", map[string]any{"client_id": f.ClientID, "service_id": f.ServiceID, "admin_id": testAdminID, "action": "drop_all"}, "action"},
		{"unknown view", "Admin.Page", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "view": "secrets"}, "view"},
		{"view param", "Admin.Page", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "view": "users", "params": map[string]string{"email": "x"}}, "email"},
		{"bad page", "Admin.Page", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "view": "users", "params": map[string]string{"page": "-1"}}, "page"},
		{"service on usage delete", "Admin.Action", map[string]any{"client_id": f.ClientID, "service_id": f.ServiceID, "admin_id": testAdminID,
			"action": "delete_usage_object", "params": map[string]string{"object": f.Object}}, "service_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.adminCall(t, c.method, c.params)
			if r.Error == nil {
				t.Fatalf("%s succeeded, want an invalid input error", c.method)
			}
			if r.Error.Code != -32010 {
				t.Errorf("error code = %d (%s), want -32010", r.Error.Code, r.Error.Message)
			}
			if r.Error.Data.Field != c.field {
				t.Errorf("error field = %q, want %q", r.Error.Data.Field, c.field)
			}
		})
	}
	if names := s.Gateway.UsageNames(); len(names) != 1 {
		t.Errorf("usage objects = %v, want the object kept", names)
	}
}

func TestPanelSummaryShowsUsageHistory(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "sam@example.com", "logs")

	before := s.adminHTML(t, "Admin.Summary", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t"})
	if !strings.Contains(before, "No usage counted yet.") {
		t.Errorf("summary before the usage run lacks the empty usage notice")
	}

	r := s.adminCall(t, "Usage.Update", map[string]any{"server_id": s.ServerID})
	if r.Error != nil {
		t.Fatalf("Usage.Update: %d %s", r.Error.Code, r.Error.Message)
	}
	after := s.adminHTML(t, "Admin.Summary", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t"})
	usage := after[strings.Index(after, `class="obp-usage"`):]
	usage = usage[:strings.Index(usage, "</table>")]
	// The day comes from the fixture's own period, because a clock read here can fall on the
	// next day when the test runs across midnight UTC.
	day := f.UsageStart.Format(time.DateOnly)
	for _, want := range []string{day, "4.0 KiB", "8.0 KiB", ">8<"} {
		if !strings.Contains(usage, want) {
			t.Errorf("usage section lacks %q:\n%s", want, usage)
		}
	}
}
