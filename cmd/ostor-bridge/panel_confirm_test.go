package main

import (
	"strings"
	"testing"
)

func TestPanelDeleteBandwidthLimitOnly(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "olga@example.com", "logs")
	base := map[string]any{"client_id": f.ClientID, "service_id": f.ServiceID, "admin_id": testAdminID, "token": "tok"}
	withAction := func(action string, params map[string]string, confirmed bool) map[string]any {
		args := map[string]any{"action": action, "params": params, "confirmed": confirmed}
		for k, v := range base {
			args[k] = v
		}
		return args
	}

	if _, rpcErr := s.adminAction(t, withAction("set_user_limits", map[string]string{"ops_get": "100", "bandwidth_out": "2048"}, false)); rpcErr != nil {
		t.Fatalf("set_user_limits: %+v", rpcErr)
	}

	reply, rpcErr := s.adminAction(t, withAction("delete_user_limits", map[string]string{"limit_type": "bandwidth"}, false))
	if rpcErr != nil {
		t.Fatalf("unconfirmed delete_user_limits: %+v", rpcErr)
	}
	page := reply.ConfirmHTML
	if !strings.Contains(page, "Delete the bandwidth limit of S3 user olga@example.com? Its outgoing bandwidth becomes unlimited; the ops limits stay.") {
		t.Errorf("confirmation question does not name the bandwidth limit and its effect:\n%s", page)
	}
	if !strings.Contains(page, "<th>Limits</th><td><code>bandwidth</code></td>") {
		t.Errorf("confirmation page lacks a readable Limits row:\n%s", page)
	}
	if strings.Contains(page, ">limit_type<") {
		t.Errorf("confirmation page shows the raw parameter name limit_type:\n%s", page)
	}

	reply, rpcErr = s.adminAction(t, withAction("delete_user_limits", map[string]string{"limit_type": "bandwidth"}, true))
	if rpcErr != nil {
		t.Fatalf("confirmed delete_user_limits: %+v", rpcErr)
	}
	if want := "Deleted the bandwidth limit of S3 user olga@example.com."; reply.Message != want {
		t.Errorf("message = %q, want %q", reply.Message, want)
	}

	html := s.adminHTML(t, "Admin.Summary", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "tok"})
	userLimits := html[strings.Index(html, "obp-user-limits"):]
	userLimits = userLimits[:strings.Index(userLimits, "</table>")]
	if !strings.Contains(userLimits, ">100<") {
		t.Errorf("the ops get limit was deleted with the bandwidth limit: %s", userLimits)
	}
	if strings.Contains(userLimits, ">2048<") {
		t.Errorf("the bandwidth limit is still set: %s", userLimits)
	}
}

func TestPanelConfirmPageLabelsParams(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "pia@example.com")

	cases := []struct {
		name      string
		serviceID int64
		action    string
		params    map[string]string
		wantRow   string
		rawName   string
	}{
		{"revoke key", f.ServiceID, "revoke_key", map[string]string{"access_key_id": f.User.AccessKeys[0].AccessKeyID},
			"<th>Access key ID</th><td><code>" + f.User.AccessKeys[0].AccessKeyID + "</code></td>", ">access_key_id<"},
		{"all user limits", f.ServiceID, "delete_user_limits", map[string]string{"limit_type": ""},
			"<th>Limits</th><td><code>all</code></td>", ">limit_type<"},
		{"usage object", 0, "delete_usage_object", map[string]string{"object": f.Object},
			"<th>Statistics object</th><td><code>" + f.Object + "</code></td>", "<th>object</th>"},
		{"reconcile and fix", 0, "reconcile", map[string]string{"fix": "1"}, "", "<th>fix</th>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reply, rpcErr := s.adminAction(t, map[string]any{"client_id": f.ClientID, "service_id": c.serviceID, "admin_id": testAdminID,
				"token": "tok", "action": c.action, "params": c.params})
			if rpcErr != nil {
				t.Fatalf("%s: %+v", c.action, rpcErr)
			}
			if reply.ConfirmHTML == "" {
				t.Fatalf("%s ran without confirmation: %+v", c.action, reply)
			}
			if c.wantRow != "" && !strings.Contains(reply.ConfirmHTML, c.wantRow) {
				t.Errorf("confirmation page lacks %q:\n%s", c.wantRow, reply.ConfirmHTML)
			}
			if strings.Contains(reply.ConfirmHTML, c.rawName) {
				t.Errorf("confirmation page shows the raw parameter %q:\n%s", c.rawName, reply.ConfirmHTML)
			}
		})
	}
}
