package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

// The ostor command tests run the built binary against an in-process fake gateway, with a
// config file and the gateway secret in the environment, as an operator would.

// cliGateway is a fake gateway with a config file that points the binary at it.
type cliGateway struct {
	*ostortest.Server
	configPath string
	client     *ostor.Client // checks the gateway's state after a command
}

// startCLIGateway starts a fake gateway playing gatewayProfile and writes a config that
// speaks clientProfile to it. extra is appended to the [gateway] table.
func startCLIGateway(t *testing.T, gatewayProfile, clientProfile, extra string) *cliGateway {
	t.Helper()
	srv := ostortest.Start(t, ostortest.Options{Profile: gatewayProfile, MaxUsageListItems: 2})
	body := "[gateway]\nendpoint = " + strconv.Quote(srv.URL) +
		"\naccess_key_id = " + strconv.Quote(srv.AccessKeyID) +
		"\nprofile = " + strconv.Quote(clientProfile) +
		"\nallow_insecure_http = true\n" + extra
	path := filepath.Join(t.TempDir(), "ostor-bridge.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	client, err := ostor.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	return &cliGateway{Server: srv, configPath: path, client: client}
}

// cliResult is the outcome of one run of the binary.
type cliResult struct {
	stdout, stderr string
	code           int
}

// run runs "ostor-bridge <args> --config <file>" with the gateway secret in the environment.
func (g *cliGateway) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	return g.runWithSecret(t, g.SecretAccessKey, args...)
}

func (g *cliGateway) runWithSecret(t *testing.T, secret string, args ...string) cliResult {
	t.Helper()
	return g.runCommand(t, secret, append(args, "--config", g.configPath)...)
}

// runCommand runs the binary with exactly args and the gateway secret in the environment, and
// checks that no secret appears in the output.
func (g *cliGateway) runCommand(t *testing.T, secret string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(daemonBinary, args...)
	cmd.Env = append(os.Environ(), "OSTOR_BRIDGE_GATEWAY_SECRET_KEY="+secret)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	result := cliResult{stdout: stdout.String(), stderr: stderr.String(), code: code}
	g.assertNoSecrets(t, args, result)
	return result
}

// assertNoSecrets fails when the output contains the system secret or any secret key stored in
// the fake gateway.
func (g *cliGateway) assertNoSecrets(t *testing.T, args []string, r cliResult) {
	t.Helper()
	secrets := []string{g.SecretAccessKey}
	for _, u := range g.Users() {
		for _, k := range u.AccessKeys {
			secrets = append(secrets, k.SecretAccessKey.Reveal())
		}
		for _, a := range u.Accounts {
			for _, k := range a.AccessKeys {
				secrets = append(secrets, k.SecretAccessKey.Reveal())
			}
		}
	}
	for _, secret := range secrets {
		if secret != "" && strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("ostor-bridge %v printed a secret key:\nstdout:\n%s\nstderr:\n%s", args, r.stdout, r.stderr)
		}
	}
}

// mustSucceed fails the test unless the command exited with status 0.
func (r cliResult) mustSucceed(t *testing.T) cliResult {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

func decodeJSON[T any](t *testing.T, r cliResult) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("output is not the expected JSON: %v\n%s", err, r.stdout)
	}
	return v
}

func TestOstorUsersList(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	carol := g.AddUser("carol@example.com")
	alice := g.AddUser("alice@example.com")
	bob := g.AddUser("bob@example.org")

	table := g.run(t, "ostor", "users", "list").mustSucceed(t)
	for _, u := range []ostor.User{alice, bob, carol} {
		if !strings.Contains(table.stdout, u.Email) || !strings.Contains(table.stdout, u.ID) {
			t.Errorf("table does not list %s (%s):\n%s", u.Email, u.ID, table.stdout)
		}
	}

	page := decodeJSON[userPageJSON](t, g.run(t, "ostor", "users", "list", "--json").mustSucceed(t))
	var emails []string
	for _, u := range page.Users {
		emails = append(emails, u.Email)
	}
	if strings.Join(emails, " ") != "alice@example.com bob@example.org carol@example.com" {
		t.Errorf("JSON users = %v, want all three sorted by email", emails)
	}
	if page.Total != 3 {
		t.Errorf("JSON total = %d, want 3", page.Total)
	}

	found := decodeJSON[userPageJSON](t, g.run(t, "ostor", "users", "list", "--json", "--search", "EXAMPLE.ORG").mustSucceed(t))
	if len(found.Users) != 1 || found.Users[0].UserID != bob.ID {
		t.Errorf("--search EXAMPLE.ORG found %+v, want only %s", found.Users, bob.ID)
	}

	second := g.run(t, "ostor", "users", "list", "--offset", "1", "--limit", "1").mustSucceed(t)
	if !strings.Contains(second.stdout, bob.Email) || strings.Contains(second.stdout, alice.Email) || strings.Contains(second.stdout, carol.Email) {
		t.Errorf("--offset 1 --limit 1 printed:\n%s\nwant only %s", second.stdout, bob.Email)
	}
	if !strings.Contains(second.stderr, "--offset 2") {
		t.Errorf("paged output does not point to the next page:\n%s", second.stderr)
	}
}

func TestOstorUsersGetAndAlias(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	user := g.AddUser("dave@example.com")
	if _, err := g.client.GenerateKey(context.Background(), ostor.ByID(user.ID)); err != nil {
		t.Fatal(err)
	}
	user = g.Users()[0]
	wantKeys := accessKeyIDs(user.AccessKeys)

	for _, args := range [][]string{
		{"ostor", "users", "get", "--email", user.Email},
		{"ostor", "users", "get", "--id", user.ID},
		{"user", "--email", user.Email},
	} {
		table := g.run(t, args...).mustSucceed(t)
		for _, want := range append([]string{user.Email, user.ID, user.State}, wantKeys...) {
			if !strings.Contains(table.stdout, want) {
				t.Errorf("%v table does not contain %s:\n%s", args, want, table.stdout)
			}
		}

		detail := decodeJSON[userDetailJSON](t, g.run(t, append(args, "--json")...).mustSucceed(t))
		if detail.Email != user.Email || detail.UserID != user.ID || detail.State != user.State {
			t.Errorf("%v JSON = %+v, want %s %s %s", args, detail, user.Email, user.ID, user.State)
		}
		if strings.Join(detail.AccessKeyIDs, " ") != strings.Join(wantKeys, " ") {
			t.Errorf("%v JSON access_key_ids = %v, want %v", args, detail.AccessKeyIDs, wantKeys)
		}
	}

	missing := g.run(t, "ostor", "users", "get", "--email", "nobody@example.com")
	if missing.code != 1 {
		t.Errorf("missing user: exit status %d, want 1", missing.code)
	}
	if !strings.Contains(missing.stderr, "nobody@example.com not found") {
		t.Errorf("missing user: stderr %q, want a not-found message", missing.stderr)
	}
}

func TestOstorUsersSpace(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	user := g.AddUser("erin@example.com")
	g.AddBucket(user.ID, "erin-photos", 4096)

	table := g.run(t, "ostor", "users", "space").mustSucceed(t)
	if !strings.Contains(table.stdout, "BYTES STORED") || !strings.Contains(table.stdout, user.Email) {
		t.Errorf("space table:\n%s", table.stdout)
	}

	page := decodeJSON[userPageJSON](t, g.run(t, "ostor", "users", "space", "--json").mustSucceed(t))
	if len(page.Users) != 1 || page.Users[0].Space == nil {
		t.Fatalf("space JSON = %+v, want one user with a space record", page)
	}
	if got := page.Users[0].Space.SizeCurrentBytes; got != 4096 {
		t.Errorf("size_current_bytes = %d, want 4096", got)
	}
}

func TestOstorUsersSpaceNeedsVHI63(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI, ostor.ProfileVHI, "")

	r := g.run(t, "ostor", "users", "space")

	if r.code != 1 {
		t.Errorf("exit status %d, want 1", r.code)
	}
	if !strings.Contains(r.stderr, `(profile "vhi")`) {
		t.Errorf("stderr does not name the profile:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "set gateway.profile") {
		t.Errorf("stderr does not name gateway.profile:\n%s", r.stderr)
	}
	if n := len(g.Requests()); n != 0 {
		t.Errorf("gateway saw %d requests, want 0", n)
	}
}

func TestOstorKeysList(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	user := g.AddUser("frank@example.com")
	if _, err := g.client.CreateAccount(context.Background(), ostor.ByID(user.ID), "backup"); err != nil {
		t.Fatal(err)
	}
	user = g.Users()[0]

	table := g.run(t, "ostor", "keys", "list", "--email", user.Email).mustSucceed(t)
	if !strings.Contains(table.stdout, user.AccessKeys[0].AccessKeyID) {
		t.Errorf("keys table does not list the user's key:\n%s", table.stdout)
	}

	keys := decodeJSON[[]keyJSON](t, g.run(t, "ostor", "keys", "list", "--id", user.ID, "--json").mustSucceed(t))
	want := []keyJSON{{AccessKeyID: user.AccessKeys[0].AccessKeyID}}
	for _, a := range user.Accounts {
		for _, k := range a.AccessKeys {
			want = append(want, keyJSON{AccessKeyID: k.AccessKeyID, Account: a.Name})
		}
	}
	if len(want) != 2 {
		t.Fatalf("fake gateway has %d keys, want the user's and the account's", len(want))
	}
	if len(keys) != len(want) || keys[0] != want[0] || keys[1] != want[1] {
		t.Errorf("keys JSON = %+v, want %+v", keys, want)
	}

	help := g.run(t, "ostor", "keys", "list", "-h")
	if help.code != 0 {
		t.Errorf("keys help: exit status %d, want 0", help.code)
	}
	if !strings.Contains(help.stderr, "no command to generate or revoke access keys") {
		t.Errorf("keys help does not explain the missing key generation:\n%s", help.stderr)
	}
}

func TestOstorLimitsSetNeedsYes(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	user := g.AddUser("gina@example.com")

	dry := g.run(t, "ostor", "limits", "set", "--email", user.Email, "--ops-get", "100")

	if dry.code != 2 {
		t.Errorf("exit status without --yes = %d, want 2", dry.code)
	}
	if !strings.Contains(dry.stdout, "would set ops:get to 100 operations per second for user gina@example.com") {
		t.Errorf("dry run does not describe the change:\n%s", dry.stdout)
	}
	if !strings.Contains(dry.stderr, "--yes") {
		t.Errorf("dry run does not mention --yes:\n%s", dry.stderr)
	}
	for _, r := range g.Requests() {
		if r.Op == ostor.OpLimitsSet {
			t.Errorf("dry run sent %s %s", r.Method, r.RawQuery)
		}
	}
}

func TestOstorLimitsSetGetDelete(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	user := g.AddUser("hank@example.com")
	g.AddBucket(user.ID, "hank-data", 0)
	ctx := context.Background()

	set := g.run(t, "ostor", "limits", "set", "--id", user.ID, "--ops-get", "100", "--bandwidth-out", "2048", "--yes").mustSucceed(t)
	if !strings.Contains(set.stdout, "done: set ops:get to 100") {
		t.Errorf("set output:\n%s", set.stdout)
	}
	limits, err := g.client.GetLimits(ctx, ostor.UserTarget(ostor.ByID(user.ID)))
	if err != nil {
		t.Fatal(err)
	}
	if limits.OpsGet != 100 || limits.BandwidthOut != 2048 {
		t.Errorf("gateway limits after set = %+v, want ops:get 100 and bandwidth:out 2048", limits)
	}

	table := g.run(t, "ostor", "limits", "get", "--email", user.Email).mustSucceed(t)
	for _, want := range []string{"ops:get", "100", "bandwidth:out", "2048", "KB/s"} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("limits table does not contain %s:\n%s", want, table.stdout)
		}
	}
	got := decodeJSON[limitsJSON](t, g.run(t, "ostor", "limits", "get", "--email", user.Email, "--json").mustSucceed(t))
	if got.Limits["ops:get"] != 100 || got.Limits["bandwidth:out"] != 2048 || got.Limits["ops:put"] != 0 {
		t.Errorf("limits JSON = %+v", got.Limits)
	}

	g.run(t, "ostor", "limits", "delete", "--id", user.ID, "--type", "ops", "--yes").mustSucceed(t)
	limits, err = g.client.GetLimits(ctx, ostor.UserTarget(ostor.ByID(user.ID)))
	if err != nil {
		t.Fatal(err)
	}
	if limits.OpsGet != 0 || limits.BandwidthOut != 2048 {
		t.Errorf("gateway limits after deleting ops = %+v, want ops:get 0 and bandwidth:out kept", limits)
	}

	g.run(t, "ostor", "limits", "set", "--bucket", "hank-data", "--ops-put", "7", "--yes", "--json").mustSucceed(t)
	bucketLimits := decodeJSON[limitsJSON](t, g.run(t, "ostor", "limits", "get", "--bucket", "hank-data", "--json").mustSucceed(t))
	if bucketLimits.Limits["ops:put"] != 7 || bucketLimits.Target != "bucket hank-data" {
		t.Errorf("bucket limits JSON = %+v, want ops:put 7 for bucket hank-data", bucketLimits)
	}
}

func TestOstorQuotas(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	user := g.AddUser("iris@example.com")
	ctx := context.Background()

	dry := g.run(t, "ostor", "quotas", "set", "--default", "user", "--size", "10")
	if dry.code != 2 {
		t.Errorf("dry run: exit status %d, want 2", dry.code)
	}
	if !strings.Contains(dry.stdout, "would set the quota to 10 GB for the default quota of new users") {
		t.Errorf("dry run does not describe the change:\n%s", dry.stdout)
	}

	g.run(t, "ostor", "quotas", "set", "--default", "user", "--size", "10", "--yes").mustSucceed(t)
	g.run(t, "ostor", "quotas", "set", "--email", user.Email, "--size", "25", "--yes").mustSucceed(t)

	quota, err := g.client.GetQuota(ctx, ostor.UserTarget(ostor.ByEmail(user.Email)))
	if err != nil {
		t.Fatal(err)
	}
	if quota.Size != 25 {
		t.Errorf("gateway user quota = %d, want 25", quota.Size)
	}
	got := decodeJSON[quotaJSON](t, g.run(t, "ostor", "quotas", "get", "--default", "user", "--json").mustSucceed(t))
	if got.Size != 10 {
		t.Errorf("default quota size = %d, want 10", got.Size)
	}
	if got.Type != "user" {
		t.Errorf("default quota type = %q, want user", got.Type)
	}
	table := g.run(t, "ostor", "quotas", "get", "--email", user.Email).mustSucceed(t)
	if !strings.Contains(table.stdout, "25") || !strings.Contains(table.stdout, "user iris@example.com") {
		t.Errorf("user quota table:\n%s", table.stdout)
	}

	g.run(t, "ostor", "quotas", "delete", "--email", user.Email, "--yes").mustSucceed(t)
	quota, err = g.client.GetQuota(ctx, ostor.UserTarget(ostor.ByEmail(user.Email)))
	if err != nil {
		t.Fatal(err)
	}
	if quota.Size != 0 {
		t.Errorf("gateway user quota after delete = %d, want 0", quota.Size)
	}
}

func TestOstorBuckets(t *testing.T) {
	for _, profile := range []string{ostor.ProfileVHI63, ostor.ProfileVHI} {
		t.Run(profile, func(t *testing.T) {
			g := startCLIGateway(t, profile, profile, "")
			jack := g.AddUser("jack@example.com")
			kate := g.AddUser("kate@example.com")
			g.AddBucket(jack.ID, "jack-b", 300)
			g.AddBucket(jack.ID, "jack-a", 100)
			g.AddBucket(kate.ID, "kate-a", 200)

			all := decodeJSON[[]bucketJSON](t, g.run(t, "ostor", "buckets", "list", "--json").mustSucceed(t))
			var names []string
			for _, b := range all {
				names = append(names, b.Name)
			}
			if strings.Join(names, " ") != "jack-a jack-b kate-a" {
				t.Errorf("all buckets = %v, want jack-a jack-b kate-a", names)
			}

			own := decodeJSON[[]bucketJSON](t, g.run(t, "ostor", "buckets", "list", "--email", kate.Email, "--json").mustSucceed(t))
			if len(own) != 1 || own[0].Name != "kate-a" || own[0].OwnerID != kate.ID || own[0].SizeBytes != 200 {
				t.Errorf("kate's buckets = %+v, want kate-a of 200 bytes", own)
			}

			table := g.run(t, "ostor", "buckets", "get", "--bucket", "jack-b").mustSucceed(t)
			if !strings.Contains(table.stdout, "jack-b") || !strings.Contains(table.stdout, jack.ID) || !strings.Contains(table.stdout, "300") {
				t.Errorf("bucket table:\n%s", table.stdout)
			}

			missing := g.run(t, "ostor", "buckets", "get", "--bucket", "nobody-s")
			if missing.code != 1 {
				t.Errorf("missing bucket: exit status %d, want 1", missing.code)
			}
			if !strings.Contains(missing.stderr, `bucket "nobody-s" not found`) {
				t.Errorf("missing bucket: stderr %q, want a not-found message", missing.stderr)
			}
		})
	}
}

func TestOstorUsage(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	user := g.AddUser("liam@example.com")
	start := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	item := ostor.UsageItem{Bucket: "liam-a", UserID: user.ID, Put: 3, Get: 5, Uploaded: 1000, Downloaded: 7000}
	for i := range 3 {
		g.AddUsage(start.Add(time.Duration(i)*time.Hour), time.Hour, []ostor.UsageItem{item})
	}
	names := g.UsageNames()
	sort.Strings(names)

	first := decodeJSON[usageListJSON](t, g.run(t, "ostor", "usage", "list", "--json").mustSucceed(t))
	if len(first.Names) != 2 || !first.Truncated || first.NextAfter != names[1] {
		t.Fatalf("first page = %+v, want two names, truncated, next after %s", first, names[1])
	}
	rest := g.run(t, "ostor", "usage", "list", "--after", first.NextAfter).mustSucceed(t)
	if !strings.Contains(rest.stdout, names[2]) || strings.Contains(rest.stdout, names[0]) {
		t.Errorf("second page:\n%s\nwant only %s", rest.stdout, names[2])
	}

	object := decodeJSON[usageObjectJSON](t, g.run(t, "ostor", "usage", "get", "--object", names[0], "--json").mustSucceed(t))
	if len(object.Items) != 1 || object.Items[0].UserID != user.ID || object.Items[0].Get != 5 || object.Items[0].DownloadedBytes != 7000 {
		t.Errorf("usage object JSON = %+v", object)
	}
	if !object.Start.Equal(start) || object.PeriodSeconds != 3600 {
		t.Errorf("usage object start %s period %d, want %s and 3600", object.Start, object.PeriodSeconds, start)
	}
	table := g.run(t, "ostor", "usage", "get", "--object", names[0]).mustSucceed(t)
	for _, want := range []string{user.ID, "liam-a", "7000", "1h0m0s"} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("usage table does not contain %s:\n%s", want, table.stdout)
		}
	}

	dry := g.run(t, "ostor", "usage", "delete", "--object", names[0])
	if dry.code != 2 {
		t.Errorf("delete without --yes: exit status %d, want 2", dry.code)
	}
	if n := len(g.UsageNames()); n != 3 {
		t.Errorf("delete without --yes left %d objects, want 3", n)
	}
	g.run(t, "ostor", "usage", "delete", "--object", names[0], "--yes").mustSucceed(t)
	for _, name := range g.UsageNames() {
		if name == names[0] {
			t.Errorf("usage object %s still exists after delete --yes", name)
		}
	}
}

func TestOstorBadInput(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	tests := []struct {
		name string
		args []string
		want []string // each must appear on stderr
	}{
		{"unknown service", []string{"ostor", "accounts"}, []string{`unknown service "accounts"`, "users"}},
		{"unknown action", []string{"ostor", "limits", "show"}, []string{`unknown action "show"`, "get, set"}},
		{"missing action", []string{"ostor", "usage"}, []string{"Actions:"}},
		{"invalid email", []string{"ostor", "users", "get", "--email", "alice.example.com"}, []string{`invalid --email "alice.example.com"`, "alice@example.com"}},
		{"email with space", []string{"ostor", "keys", "list", "--email", "a b@example.com"}, []string{`invalid --email "a b@example.com"`, "whitespace"}},
		{"short user id", []string{"ostor", "users", "get", "--id", "abc"}, []string{`invalid --id "abc"`, "16 hex digits"}},
		{"email and id", []string{"ostor", "users", "get", "--email", "a@example.com", "--id", "0123456789abcdef"}, []string{"give one of them"}},
		{"no user", []string{"ostor", "keys", "list"}, []string{"missing user"}},
		{"invalid bucket", []string{"ostor", "limits", "get", "--bucket", "a/b"}, []string{`invalid --bucket "a/b"`, "letters, digits"}},
		{"two targets", []string{"ostor", "limits", "get", "--bucket", "abc", "--email", "a@example.com"}, []string{"give only one of"}},
		{"no target", []string{"ostor", "quotas", "get"}, []string{"missing target", "--default"}},
		{"negative limit", []string{"ostor", "limits", "set", "--email", "a@example.com", "--ops-get", "-1", "--yes"}, []string{`invalid value "-1"`, "0 means unlimited"}},
		{"text limit", []string{"ostor", "limits", "set", "--email", "a@example.com", "--bandwidth-out", "fast", "--yes"}, []string{`invalid value "fast"`, "kilobytes per second"}},
		{"no limit values", []string{"ostor", "limits", "set", "--email", "a@example.com", "--yes"}, []string{"missing limit"}},
		{"limit type", []string{"ostor", "limits", "delete", "--email", "a@example.com", "--type", "iops", "--yes"}, []string{`invalid --type "iops"`}},
		{"default kind", []string{"ostor", "quotas", "get", "--default", "account"}, []string{`invalid --default "account"`}},
		{"missing quota size", []string{"ostor", "quotas", "set", "--email", "a@example.com", "--yes"}, []string{"missing --size"}},
		{"negative quota", []string{"ostor", "quotas", "set", "--email", "a@example.com", "--size", "-3", "--yes"}, []string{`invalid value "-3"`, "gigabytes"}},
		{"missing object", []string{"ostor", "usage", "get"}, []string{"missing --object"}},
		{"object with space", []string{"ostor", "usage", "delete", "--object", "s3 usage", "--yes"}, []string{`invalid --object "s3 usage"`}},
		{"--yes on a read", []string{"ostor", "limits", "get", "--email", "a@example.com", "--yes"}, []string{"flag provided but not defined: -yes"}},
		{"stray argument", []string{"ostor", "users", "list", "extra"}, []string{`unexpected argument "extra"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := g.run(t, tt.args...)

			if r.code != 2 {
				t.Errorf("exit status %d, want 2", r.code)
			}
			for _, want := range tt.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, r.stderr)
				}
			}
		})
	}
	if n := len(g.Requests()); n != 0 {
		t.Errorf("gateway saw %d requests for bad input, want 0", n)
	}
}

func TestOstorProfileMismatch(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI, "")
	g.AddUser("mia@example.com")

	r := g.run(t, "ostor", "users", "get", "--email", "mia@example.com")

	if r.code != 1 {
		t.Errorf("exit status %d, want 1", r.code)
	}
	if !strings.Contains(r.stderr, `gateway.profile = "vhi"`) {
		t.Errorf("stderr does not name gateway.profile:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "credentials") {
		t.Errorf("stderr blames the credentials:\n%s", r.stderr)
	}
}

func TestOstorWrongSecret(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	const wrong = "wrong-secret-0123456789"

	r := g.runWithSecret(t, wrong, "ostor", "users", "list")

	if r.code != 1 {
		t.Errorf("exit status %d, want 1", r.code)
	}
	if !strings.Contains(r.stderr, "rejected the credentials") {
		t.Errorf("stderr does not blame the credentials:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "OSTOR_BRIDGE_GATEWAY_SECRET_KEY") {
		t.Errorf("stderr does not name the secret key setting:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, wrong) {
		t.Errorf("output contains the configured secret:\n%s", r.stderr)
	}
}

func TestOstorGatewayTimeout(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "timeout = \"200ms\"\n")
	g.SetFault(ostor.OpUsersList, ostortest.Fault{Latency: 2 * time.Second, Times: 1})

	r := g.run(t, "ostor", "users", "list")

	if r.code != 1 {
		t.Errorf("exit status %d, want 1", r.code)
	}
	if !strings.Contains(r.stderr, "within gateway.timeout (200ms)") {
		t.Errorf("stderr does not name gateway.timeout:\n%s", r.stderr)
	}
}

func TestOstorInvalidGatewaySetting(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, "vhi7", "")

	r := g.run(t, "ostor", "users", "list")

	if r.code != 1 {
		t.Errorf("exit status %d, want 1", r.code)
	}
	if !strings.Contains(r.stderr, "invalid gateway.profile") {
		t.Errorf("stderr does not name gateway.profile:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, `"vhi7"`) {
		t.Errorf("stderr does not quote the value:\n%s", r.stderr)
	}
}
