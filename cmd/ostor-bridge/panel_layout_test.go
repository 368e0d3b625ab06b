package main

import (
	"strings"
	"testing"
)

func TestPanelTimeCellsDoNotWrap(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "quinn@example.com")
	if _, rpcErr := s.adminAction(t, map[string]any{"client_id": f.ClientID, "service_id": f.ServiceID, "admin_id": testAdminID,
		"token": "tok", "action": "generate_key"}); rpcErr != nil {
		t.Fatalf("generate_key: %+v", rpcErr)
	}

	html := s.adminHTML(t, "Admin.Summary", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "tok"})
	if !strings.Contains(html, ".obp .obp-time{white-space:nowrap}") {
		t.Errorf("panel style lacks the no-wrap rule for time cells")
	}
	for _, section := range []string{"Recent operations", "Recent admin actions"} {
		i := strings.Index(html, section)
		if i < 0 {
			t.Fatalf("summary lacks the section %q", section)
		}
		if !strings.Contains(html[i:], `<tr><td class="obp-time">`) {
			t.Errorf("time cells of %q are not marked obp-time", section)
		}
	}
}
