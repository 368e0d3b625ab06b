package main

import (
	"strings"
	"testing"
	"time"
)

var configSecrets = env(map[string]string{
	"OSTOR_BRIDGE_RPC_SECRET":         "0123456789abcdef0123",
	"OSTOR_BRIDGE_GATEWAY_SECRET_KEY": "gw-secret",
})

func TestPanelDeadlineDefault(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, minimalConfig), configSecrets)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if cfg.Panel.Deadline.Duration != 4*time.Second {
		t.Errorf("default panel.deadline = %s, want 4s", cfg.Panel.Deadline)
	}
}

func TestPanelDeadlineMustBeShorterThanCallTimeout(t *testing.T) {
	for _, body := range []string{
		"[panel]\ndeadline = \"60s\"\n",                              // equal to the default rpc.call_timeout
		"[rpc]\ncall_timeout = \"3s\"\n[panel]\ndeadline = \"4s\"\n", // longer than it
		"[panel]\ndeadline = \"0s\"\n",
	} {
		_, err := LoadConfig(writeConfig(t, minimalConfig+body), configSecrets)
		if err == nil {
			t.Errorf("config with\n%s\nwas accepted", body)
			continue
		}
		if !strings.Contains(err.Error(), "panel.deadline is") {
			t.Errorf("error for\n%s\ndoes not name panel.deadline: %v", body, err)
		}
	}
}
