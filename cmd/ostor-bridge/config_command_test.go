package main

import (
	"strings"
	"testing"
)

func TestConfigCommandPrintsInvalidConfig(t *testing.T) {
	path := writeConfig(t, minimalConfig)
	var out, errOut strings.Builder

	code := run(t.Context(), []string{"config", "--config", path}, &out, &errOut, env(nil))

	if code != 1 {
		t.Errorf("exit code %d, want 1 for a configuration without the gateway secret", code)
	}
	if !strings.Contains(out.String(), "[gateway]") {
		t.Errorf("config output lacks the configuration:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "OSTOR_BRIDGE_GATEWAY_SECRET_KEY") {
		t.Errorf("stderr does not name the missing secret:\n%s", errOut.String())
	}
}

func TestConfigCommandMissingFilePrintsNothing(t *testing.T) {
	var out, errOut strings.Builder

	code := run(t.Context(), []string{"config", "--config", "/nonexistent/ostor-bridge.toml"}, &out, &errOut, env(nil))

	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if out.Len() != 0 {
		t.Errorf("config printed a configuration for a missing file:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "does not exist") {
		t.Errorf("stderr does not say the file is missing:\n%s", errOut.String())
	}
}
