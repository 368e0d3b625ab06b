package ostor_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

func validConfig() ostor.Config {
	return ostor.Config{
		Endpoint:        "https://s3.example.com",
		AccessKeyID:     "a14040e0b2ef8b28FZZ8",
		SecretAccessKey: "dbwTnQTW602aAAdq8DQVFzB6yrTCFTNiGB8C8RFA",
	}
}

func TestNewValidatesConfig(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		mutate    func(*ostor.Config)
		wantField string // "" means New must succeed
	}{
		{"valid https", func(*ostor.Config) {}, ""},
		{"valid with trailing slash", func(c *ostor.Config) { c.Endpoint = "https://s3.example.com:8443/" }, ""},
		{"http allowed explicitly", func(c *ostor.Config) { c.Endpoint = "http://127.0.0.1:9000"; c.AllowInsecureHTTP = true }, ""},
		{"every profile", func(c *ostor.Config) { c.Profile = ostor.ProfileAS2 }, ""},
		{"method override", func(c *ostor.Config) { c.Methods = map[string]string{ostor.OpUsersDisable: "PUT"} }, ""},
		{"missing endpoint", func(c *ostor.Config) { c.Endpoint = "" }, "Endpoint"},
		{"http without opt-in", func(c *ostor.Config) { c.Endpoint = "http://s3.example.com" }, "Endpoint"},
		{"ftp scheme", func(c *ostor.Config) { c.Endpoint = "ftp://s3.example.com" }, "Endpoint"},
		{"no scheme", func(c *ostor.Config) { c.Endpoint = "s3.example.com" }, "Endpoint"},
		{"path", func(c *ostor.Config) { c.Endpoint = "https://s3.example.com/admin" }, "Endpoint"},
		{"query", func(c *ostor.Config) { c.Endpoint = "https://s3.example.com/?ostor-users" }, "Endpoint"},
		{"credentials in URL", func(c *ostor.Config) { c.Endpoint = "https://k:s@s3.example.com" }, "Endpoint"},
		{"missing key", func(c *ostor.Config) { c.AccessKeyID = "" }, "AccessKeyID"},
		{"key with colon", func(c *ostor.Config) { c.AccessKeyID = "a:b" }, "AccessKeyID"},
		{"key with space", func(c *ostor.Config) { c.AccessKeyID = "a b" }, "AccessKeyID"},
		{"missing secret", func(c *ostor.Config) { c.SecretAccessKey = "" }, "SecretAccessKey"},
		{"secret with newline", func(c *ostor.Config) { c.SecretAccessKey += "\n" }, "SecretAccessKey"},
		{"unknown profile", func(c *ostor.Config) { c.Profile = "vhi7" }, "Profile"},
		{"unknown op override", func(c *ostor.Config) { c.Methods = map[string]string{"users.rename": "POST"} }, "Methods"},
		{"bad method", func(c *ostor.Config) { c.Methods = map[string]string{ostor.OpUsersGenKey: "PATCH"} }, "Methods"},
		{"GET for a write", func(c *ostor.Config) { c.Methods = map[string]string{ostor.OpUsersDelete: "GET"} }, "Methods"},
		{"negative timeout", func(c *ostor.Config) { c.Timeout = -time.Second }, "Timeout"},
		{"negative attempts", func(c *ostor.Config) { c.ReadAttempts = -1 }, "ReadAttempts"},
		{"negative backoff", func(c *ostor.Config) { c.RetryBackoff = -time.Second }, "RetryBackoff"},
		{"missing CA file", func(c *ostor.Config) { c.CAFile = filepath.Join(dir, "missing.pem") }, "CAFile"},
		{"CA file without PEM", func(c *ostor.Config) { c.CAFile = notPEM }, "CAFile"},
		{"CA file with HTTPClient", func(c *ostor.Config) { c.CAFile = notPEM; c.HTTPClient = &recordingDoer{} }, "CAFile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.mutate(&cfg)
			_, err := ostor.New(cfg)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var cfgErr *ostor.ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("New error = %v, want a *ConfigError", err)
			}
			if cfgErr.Field != tt.wantField {
				t.Errorf("ConfigError.Field = %q, want %q (%v)", cfgErr.Field, tt.wantField, err)
			}
			if strings.Contains(err.Error(), validConfig().SecretAccessKey) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func TestConfigPrintingRedactsSecret(t *testing.T) {
	cfg := validConfig()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, cfg)
		if strings.Contains(out, cfg.SecretAccessKey) {
			t.Errorf("%s printed the secret: %s", verb, out)
		}
		if !strings.Contains(out, cfg.AccessKeyID) {
			t.Errorf("%s lost the access key ID: %s", verb, out)
		}
	}
}

func TestDefaultProfileIsVHI(t *testing.T) {
	c, err := ostor.New(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	p := c.Profile()
	if p.Name != ostor.ProfileVHI {
		t.Errorf("default profile = %q, want %q", p.Name, ostor.ProfileVHI)
	}
	if p.Methods[ostor.OpUsersGenKey] != "POST" {
		t.Errorf("default genKey method = %q, want POST", p.Methods[ostor.OpUsersGenKey])
	}
}
