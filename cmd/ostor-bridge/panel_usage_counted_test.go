package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

func TestPanelUsageListMarksCountedObjects(t *testing.T) {
	s := startStack(t, stackOptions{configure: func(c *Config) { c.Usage.DeleteProcessed = false }})
	f := addPanelClient(t, s, "uma@example.com", "media")
	counted := f.Object
	if r := s.adminCall(t, "Usage.Update", map[string]any{"server_id": s.ServerID}); r.Error != nil {
		t.Fatalf("Usage.Update: %s", r.Error.Message)
	}
	uncounted := s.Gateway.AddUsage(time.Now().UTC().Truncate(time.Hour), 30*time.Minute,
		[]ostor.UsageItem{{UserID: f.User.ID, Bucket: "media", Get: 1, Downloaded: 10}})

	page := s.adminHTML(t, "Admin.Page", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t", "view": "usage"})
	if !strings.Contains(page, "<th>Counted</th>") {
		t.Errorf("statistics object list lacks the Counted column:\n%s", page)
	}
	for name, want := range map[string]string{counted: "yes", uncounted: "no"} {
		row := regexp.MustCompile(`<tr data-object="` + regexp.QuoteMeta(name) + `">.*\n<td class="obp-counted[^"]*">(\w+)</td>`).FindStringSubmatch(page)
		if row == nil {
			t.Errorf("statistics object list has no Counted cell for %s:\n%s", name, page)
			continue
		}
		if row[1] != want {
			t.Errorf("object %s: Counted = %q, want %q", name, row[1], want)
		}
	}

	confirm := func(name string) string {
		t.Helper()
		reply, rpcErr := s.adminAction(t, map[string]any{"client_id": f.ClientID, "service_id": 0, "admin_id": testAdminID,
			"token": "t", "action": "delete_usage_object", "params": map[string]string{"object": name}})
		if rpcErr != nil {
			t.Fatalf("delete_usage_object %s: %+v", name, rpcErr)
		}
		if reply.ConfirmHTML == "" {
			t.Fatalf("delete_usage_object %s ran without confirmation", name)
		}
		return reply.ConfirmHTML
	}
	if page := confirm(counted); !strings.Contains(page, "already counted its usage, so deleting it is safe") {
		t.Errorf("confirmation for a counted object does not say deleting it is safe:\n%s", page)
	}
	page = confirm(uncounted)
	if !strings.Contains(page, "has not counted it yet, so its traffic will never be billed") {
		t.Errorf("confirmation for an uncounted object does not warn about lost billing:\n%s", page)
	}
	if strings.Contains(page, "safe") {
		t.Errorf("confirmation for an uncounted object calls the deletion safe:\n%s", page)
	}
}
