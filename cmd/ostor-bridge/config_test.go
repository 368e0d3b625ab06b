package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ostor-bridge.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func env(values map[string]string) func(string) string {
	return func(k string) string { return values[k] }
}

const minimalConfig = `
[gateway]
endpoint = "https://s3.example.com"
access_key_id = "0123456789abcdefABCD"
`

func TestLoadConfigSecretsFromEnvironment(t *testing.T) {
	path := writeConfig(t, minimalConfig)

	cfg, err := LoadConfig(path, env(map[string]string{
		"OSTOR_BRIDGE_RPC_SECRET":         "0123456789abcdef0123",
		"OSTOR_BRIDGE_DB_PASSWORD":        "db-pass",
		"OSTOR_BRIDGE_GATEWAY_SECRET_KEY": "gw-secret",
	}))

	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if cfg.RPC.Secret != "0123456789abcdef0123" || cfg.Database.Password != "db-pass" || cfg.Gateway.SecretAccessKey != "gw-secret" {
		t.Errorf("secrets not taken from the environment: %+v", cfg.Redacted())
	}
	if cfg.RPC.Listen != "127.0.0.1:7380" {
		t.Errorf("default rpc.listen = %q", cfg.RPC.Listen)
	}
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	path := writeConfig(t, "[log]\nlevel = \"loud\"\n")

	_, err := LoadConfig(path, env(nil))

	if err == nil {
		t.Fatal("LoadConfig accepted a config without secrets and endpoint")
	}
	for _, want := range []string{"rpc.secret", "gateway.endpoint", "gateway.access_key_id", "OSTOR_BRIDGE_GATEWAY_SECRET_KEY", `log.level is "loud"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

func TestLoadConfigRejectsUnknownSetting(t *testing.T) {
	path := writeConfig(t, minimalConfig+"\n[gateway.tls]\nverify = false\n[rpc]\nlisten_addr = \"x\"\n")

	_, err := LoadConfig(path, env(map[string]string{"OSTOR_BRIDGE_RPC_SECRET": "0123456789abcdef0123", "OSTOR_BRIDGE_GATEWAY_SECRET_KEY": "x"}))

	if err == nil || !strings.Contains(err.Error(), "rpc.listen_addr") || !strings.Contains(err.Error(), "gateway.tls.verify") {
		t.Errorf("LoadConfig = %v, want an error naming rpc.listen_addr and gateway.tls.verify", err)
	}
}

func TestLoadConfigInvalidDuration(t *testing.T) {
	path := writeConfig(t, minimalConfig+"\n[rpc]\ncall_timeout = \"60\"\n")

	_, err := LoadConfig(path, env(nil))

	if err == nil || !strings.Contains(err.Error(), `invalid duration "60"`) {
		t.Errorf("LoadConfig = %v, want an invalid duration error", err)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "absent.toml"), env(nil))

	if err == nil || !strings.Contains(err.Error(), "does not exist; copy deploy/ostor-bridge.example.toml") {
		t.Errorf("LoadConfig = %v", err)
	}
}

func TestExampleConfigLoads(t *testing.T) {
	_, err := LoadConfig("../../deploy/ostor-bridge.example.toml", env(map[string]string{
		"OSTOR_BRIDGE_RPC_SECRET":         "0123456789abcdef0123",
		"OSTOR_BRIDGE_GATEWAY_SECRET_KEY": "x",
	}))

	if err != nil {
		t.Errorf("the shipped example config does not load: %v", err)
	}
}

func TestConfigCommandRedactsSecrets(t *testing.T) {
	path := writeConfig(t, minimalConfig)
	var out, errOut strings.Builder

	code := run(t.Context(), []string{"config", "--config", path}, &out, &errOut, env(map[string]string{
		"OSTOR_BRIDGE_RPC_SECRET":         "rpc-secret-value-123456",
		"OSTOR_BRIDGE_DB_PASSWORD":        "db-password-value",
		"OSTOR_BRIDGE_GATEWAY_SECRET_KEY": "gateway-secret-value",
	}))

	if code != 0 {
		t.Fatalf("exit code %d: %s", code, errOut.String())
	}
	for _, secret := range []string{"rpc-secret-value-123456", "db-password-value", "gateway-secret-value"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("config output contains a secret:\n%s", out.String())
		}
	}
	if !strings.Contains(out.String(), "[redacted]") {
		t.Errorf("config output shows no redaction marker:\n%s", out.String())
	}
}

func TestRunUnknownCommand(t *testing.T) {
	var out, errOut strings.Builder

	code := run(t.Context(), []string{"frobnicate"}, &out, &errOut, env(nil))

	if code != 2 || !strings.Contains(errOut.String(), `unknown command "frobnicate"`) {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestOperatorCommandsNeedNoRPCSecret(t *testing.T) {
	path := writeConfig(t, minimalConfig)
	var out, errOut strings.Builder

	code := run(t.Context(), []string{"config", "--config", path}, &out, &errOut, env(map[string]string{
		"OSTOR_BRIDGE_GATEWAY_SECRET_KEY": "x",
	}))

	if code != 0 {
		t.Errorf("config without OSTOR_BRIDGE_RPC_SECRET: exit %d, %s", code, errOut.String())
	}
}

func TestLoadConfigNamesGatewaySettings(t *testing.T) {
	const key = "access_key_id = \"0123456789abcdefABCD\"\n"
	const endpoint = "endpoint = \"https://s3.example.com\"\n"
	tests := []struct {
		name    string
		gateway string // body of the [gateway] table
		want    []string
	}{
		{"plain http", key + "endpoint = \"http://s3.example.com\"\n",
			[]string{"invalid gateway.endpoint", `"http://s3.example.com"`, "set gateway.allow_insecure_http"}},
		{"unknown profile", key + endpoint + "profile = \"vhi7\"\n",
			[]string{"invalid gateway.profile", `unknown profile "vhi7"`}},
		{"unknown method override", key + endpoint + "[gateway.methods]\n\"users.rename\" = \"POST\"\n",
			[]string{"invalid gateway.methods", `"users.rename"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, "[gateway]\n"+tt.gateway)

			_, err := loadConfig(path, env(map[string]string{"OSTOR_BRIDGE_GATEWAY_SECRET_KEY": "gw-secret"}), false)

			if err == nil {
				t.Fatal("loadConfig accepted an invalid gateway setting")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %s:\n%v", want, err)
				}
			}
			if strings.Contains(err.Error(), "Config.") {
				t.Errorf("error names a Go field:\n%v", err)
			}
		})
	}
}
