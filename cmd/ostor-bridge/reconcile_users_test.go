package main

import (
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/bridge"
)

func TestReconcileCommandUsesEmailTemplate(t *testing.T) {
	s := startStack(t, stackOptions{configure: func(c *Config) {
		c.Provisioning.AdditionalUserEmail = "{local}.s3-{service_id}@{domain}"
	}})
	client, _ := provisionService(t, s, "tina@example.com")
	templated := s.Gateway.AddUser("tina.s3-777@example.com").ID
	defaultShape := s.Gateway.AddUser("tina+s778@example.com").ID

	report, _ := runReconcile(t, s, "--json")

	found := findingsOf(report, bridge.FindingUnrecordedUser)
	if len(found) != 1 {
		t.Fatalf("unrecorded_user findings = %+v, want only %s", found, templated)
	}
	if f := found[0]; f.UserID != templated || f.ClientID != client || f.ServiceID != 777 {
		t.Errorf("finding = %+v, want user %s of client %d, service 777", f, templated, client)
	}
	text, code := runReconcileText(t, s, "--client", itoa(client))
	if code != 1 || !strings.Contains(text, "tina.s3-777@example.com") || strings.Contains(text, defaultShape) {
		t.Errorf("reconcile --client %d exited %d, want 1 and the templated user only:\n%s", client, code, text)
	}
}
