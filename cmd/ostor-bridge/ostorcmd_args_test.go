package main

import (
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// runArgsAsGiven runs "ostor-bridge <args>" with the gateway secret in the environment and,
// unlike cliGateway.run, appends no --config, so the test decides where the flags are.
func (g *cliGateway) runArgsAsGiven(t *testing.T, args ...string) cliResult {
	t.Helper()
	return g.runCommand(t, g.SecretAccessKey, args...)
}

func TestOstorFlagsBeforeService(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	g.AddUser("kim@example.com")

	r := g.runArgsAsGiven(t, "ostor", "--config", g.configPath, "--json", "users", "list").mustSucceed(t)

	got := decodeJSON[struct {
		Users []struct {
			Email string `json:"email"`
		} `json:"users"`
	}](t, r)
	if len(got.Users) != 1 || got.Users[0].Email != "kim@example.com" {
		t.Errorf("users = %+v, want kim@example.com only", got.Users)
	}
}

func TestOstorFlagsWithoutService(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")

	r := g.runArgsAsGiven(t, "ostor", "--config", g.configPath, "--json")

	if r.code != 2 {
		t.Errorf("exit status %d, want 2", r.code)
	}
	if !strings.Contains(r.stderr, "missing service") {
		t.Errorf("stderr does not say the service is missing:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, `unknown service "--config"`) {
		t.Errorf("stderr reports a flag as the service:\n%s", r.stderr)
	}
	if n := len(g.Requests()); n != 0 {
		t.Errorf("gateway saw %d requests, want 0", n)
	}
}

func TestOstorTwoTargetsMessage(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")

	r := g.run(t, "ostor", "limits", "get", "--email", "a@example.com", "--bucket", "abc")

	if r.code != 2 {
		t.Errorf("exit status %d, want 2", r.code)
	}
	want := "give only one of --email, --id or --bucket, not --email and --bucket"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr does not contain %q:\n%s", want, r.stderr)
	}
}

func TestOstorUsageListLimitBounded(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")

	r := g.run(t, "ostor", "usage", "list", "--limit", "5000")

	if r.code != 2 {
		t.Errorf("exit status %d, want 2", r.code)
	}
	if !strings.Contains(r.stderr, `invalid --limit 5000`) || !strings.Contains(r.stderr, "at most 700") {
		t.Errorf("stderr does not reject the limit with its maximum:\n%s", r.stderr)
	}
	if n := len(g.Requests()); n != 0 {
		t.Errorf("gateway saw %d requests, want 0", n)
	}
}

func TestOstorNotFoundNamesListCommand(t *testing.T) {
	g := startCLIGateway(t, ostor.ProfileVHI63, ostor.ProfileVHI63, "")
	tests := []struct {
		name string
		args []string
		want []string // each must appear on stderr
	}{
		{"user limits", []string{"ostor", "limits", "get", "--email", "nobody@example.com"},
			[]string{"the S3 user does not exist", "ostor-bridge ostor users list", `"nobody@example.com"`}},
		{"user quota", []string{"ostor", "quotas", "set", "--id", "0123456789abcdef", "--size", "1", "--yes"},
			[]string{"the S3 user does not exist", `"0123456789abcdef"`}},
		{"bucket limits", []string{"ostor", "limits", "get", "--bucket", "nosuchbucket"},
			[]string{"the bucket does not exist", "ostor-bridge ostor buckets list", `"nosuchbucket"`}},
		{"usage object", []string{"ostor", "usage", "delete", "--object", "s3-usage-0123456789abcdef-2026-12-04T20:00:00.000Z-3600", "--yes"},
			[]string{"the usage object does not exist", "ostor-bridge ostor usage list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := g.run(t, tt.args...)

			if r.code != 1 {
				t.Errorf("exit status %d, want 1", r.code)
			}
			for _, want := range tt.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, r.stderr)
				}
			}
		})
	}
}
