package ostor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

func TestReadTimeoutIncludesRetries(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	srv.AddUser("slow@example.com")
	cfg := srv.Config()
	cfg.Timeout = 100 * time.Millisecond
	cfg.ReadAttempts = 3
	c := newClient(t, cfg)
	// Only the first attempt hangs. A client that gave each attempt its own
	// timeout would succeed on the second attempt.
	srv.SetFault(ostor.OpUsersGet, ostortest.Fault{Latency: time.Second, Times: 1})

	_, err := c.GetUser(context.Background(), ostor.ByEmail("slow@example.com"))

	var transportErr *ostor.TransportError
	if !errors.As(err, &transportErr) {
		t.Fatalf("GetUser error = %v, want a *TransportError", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GetUser error = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if errors.Is(err, ostor.ErrOutcomeUnknown) {
		t.Errorf("read error %v matches ErrOutcomeUnknown", err)
	}
	if !strings.Contains(err.Error(), "timeout of 100ms, retries included") {
		t.Errorf("GetUser error %q does not name the timeout", err)
	}
}

func TestCallerDeadlineIsNotBlamedOnTimeout(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	srv.AddUser("slow@example.com")
	c := newClient(t, srv.Config())
	srv.SetFault(ostor.OpUsersGet, ostortest.Fault{Latency: time.Second, Times: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	_, err := c.GetUser(ctx, ostor.ByEmail("slow@example.com"))

	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GetUser error = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if strings.Contains(err.Error(), "retries included") {
		t.Errorf("GetUser error %q blames the client timeout for the caller's deadline", err)
	}
}

func TestProfileMismatchNamesProfile(t *testing.T) {
	tests := []struct {
		name       string
		client, gw string
		call       func(*ostor.Client, ostor.User) error
	}{
		{"vhi63 client on as2 gateway", ostor.ProfileVHI63, ostor.ProfileAS2, func(c *ostor.Client, u ostor.User) error {
			_, err := c.GenerateKey(context.Background(), ostor.ByID(u.ID))
			return err
		}},
		{"vhi client on vhi63 gateway", ostor.ProfileVHI, ostor.ProfileVHI63, func(c *ostor.Client, u ostor.User) error {
			_, err := c.GetUser(context.Background(), ostor.ByID(u.ID))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ostortest.Start(t, ostortest.Options{Profile: tt.gw})
			user := srv.AddUser("p@example.com")
			cfg := srv.Config()
			cfg.Profile = tt.client
			c := newClient(t, cfg)

			err := tt.call(c, user)

			if !errors.Is(err, ostor.ErrProfileMismatch) {
				t.Fatalf("error = %v, want ErrProfileMismatch", err)
			}
			if errors.Is(err, ostor.ErrSignatureRejected) {
				t.Errorf("error %v matches ErrSignatureRejected, which blames the credentials", err)
			}
			if !strings.Contains(err.Error(), "Config.Profile") || !strings.Contains(err.Error(), `"`+tt.client+`"`) {
				t.Errorf("error %q does not name Config.Profile and the profile %q", err, tt.client)
			}
		})
	}
}

func TestWrongSecretIsNoProfileMismatch(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{Profile: ostor.ProfileVHI63})
	cfg := srv.Config()
	cfg.SecretAccessKey = "not-the-secret"
	c := newClient(t, cfg)

	_, err := c.ListUsers(context.Background())

	if !errors.Is(err, ostor.ErrSignatureRejected) {
		t.Fatalf("ListUsers error = %v, want ErrSignatureRejected", err)
	}
	if errors.Is(err, ostor.ErrProfileMismatch) {
		t.Errorf("ListUsers error %v matches ErrProfileMismatch", err)
	}
}

func TestConfigErrorExplainRenamesFields(t *testing.T) {
	cfg := validConfig()
	cfg.Endpoint = "http://Endpoint.example.com"
	_, err := ostor.New(cfg)
	var cfgErr *ostor.ConfigError
	if !errors.As(err, &cfgErr) {
		t.Fatalf("New error = %v, want a *ConfigError", err)
	}
	names := map[string]string{"Endpoint": "gateway.endpoint", "AllowInsecureHTTP": "gateway.allow_insecure_http"}

	got := cfgErr.Explain(func(field string) string { return names[field] })

	if !strings.HasPrefix(got, "invalid gateway.endpoint: ") {
		t.Errorf("Explain = %q, want it to start with the setting name", got)
	}
	if !strings.Contains(got, `"http://Endpoint.example.com"`) {
		t.Errorf("Explain = %q changed the quoted value", got)
	}
	if !strings.Contains(got, "set gateway.allow_insecure_http") || strings.Contains(got, "AllowInsecureHTTP") {
		t.Errorf("Explain = %q, want AllowInsecureHTTP renamed", got)
	}
	if !strings.Contains(err.Error(), "Config.Endpoint") {
		t.Errorf("Error() = %q, want the Go field name", err)
	}
}
