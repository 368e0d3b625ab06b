package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

// The browser tests drive headless Chromium through the WHMCS stand-in admin area
// (php-shim/tests/standin, served by `php -S`), which runs the real addon and hook against the
// real daemon, MariaDB and the fake gateway.

const (
	evilEmail  = `"><script>alert('email')</script>&x@example.com`
	evilBucket = `<img src=x onerror=alert('bucket')>"&'b`
	// evilServiceID puts markup, quotes and & into every statistics object name. The fake
	// gateway checks only the length of 16 of the gateway service id.
	evilServiceID = `"&'<script>/x'&"`
)

func (st *standin) summaryURL(clientID int64) string {
	return fmt.Sprintf("%s/clientssummary.php?userid=%d", st.URL, clientID)
}

// postForm submits a form built in the page, as a forged or hand-made request would arrive.
func postForm(t *testing.T, b *browser, fields map[string]string) {
	t.Helper()
	var js strings.Builder
	js.WriteString(`(() => { const f = document.createElement('form'); f.method = 'post'; f.action = 'addonmodules.php?module=ostorbridge';`)
	for name, value := range fields {
		fmt.Fprintf(&js, `{ const i = document.createElement('input'); i.type = 'hidden'; i.name = %q; i.value = %q; f.appendChild(i); }`, name, value)
	}
	js.WriteString(`document.body.appendChild(f); f.submit(); return true; })()`)
	b.follow(t, evalStep(js.String()))
}

func TestPanelBrowserAdminFlow(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "kim@example.com", "media", "archive")
	st := startStandin(t, s)
	b := startBrowser(t)
	st.login(t, b, testAdminID, permView, permAct)

	b.do(t, chromedp.Navigate(st.summaryURL(f.ClientID)), chromedp.WaitVisible(chromedp.CSS("#ostorbridge-panel")))
	if got := b.text(t, ".obp-email"); got != "kim@example.com" {
		t.Errorf("panel shows S3 user %q", got)
	}
	if got := b.text(t, ".obp-key"); got != f.User.AccessKeys[0].AccessKeyID {
		t.Errorf("panel shows access key %q, want %q", got, f.User.AccessKeys[0].AccessKeyID)
	}

	// Generate an access key: the panel lists it and the client's note in MariaDB names it.
	b.follow(t, chromedp.Click(chromedp.CSS(`button[data-action="generate_key"]`)))
	user := s3UserByEmail(t, s, "kim@example.com")
	if len(user.AccessKeys) != 2 {
		t.Fatalf("S3 user has %d keys after Generate access key, want 2", len(user.AccessKeys))
	}
	newKey := user.AccessKeys[1].AccessKeyID
	if got := b.text(t, "#obp-flash"); !strings.Contains(got, "Access key "+newKey+" generated") {
		t.Errorf("notice after generating = %q", got)
	}
	if got := b.text(t, "table.obp-keys"); !strings.Contains(got, newKey) {
		t.Errorf("key table after generating = %q, want %s", got, newKey)
	}
	note := findNote(t, s.DB.Notes(t, f.ClientID), newKey)
	if !strings.Contains(note.Text, f.User.AccessKeys[0].AccessKeyID) {
		t.Errorf("access-key note lacks the first key:\n%s", note.Text)
	}
	b.screenshot(t, "body", "standin-summary.png")

	// Set a bucket limit and read it back from the panel and from the gateway.
	form := `form.obp-limitform[data-target="bucket"]`
	b.do(t,
		chromedp.SetValue(chromedp.CSS(form+` select[name="params[bucket]"]`), "media"),
		chromedp.SendKeys(chromedp.CSS(form+` input[name="params[ops_get]"]`), "3600"),
	)
	b.follow(t, chromedp.Click(chromedp.CSS(form+" button")))
	if got := b.text(t, "#obp-flash"); !strings.Contains(got, "Limits of bucket media set: ops get = 3600") {
		t.Errorf("notice after setting the limit = %q", got)
	}
	if got := b.text(t, `tr[data-bucket="media"]`); !strings.Contains(got, "3600") {
		t.Errorf("bucket limits table after setting = %q", got)
	}
	limits, err := gatewayClient(t, s).GetLimits(t.Context(), ostor.BucketTarget("media"))
	if err != nil {
		t.Fatal(err)
	}
	if limits.OpsGet != 3600 {
		t.Errorf("gateway ops:get of bucket media = %v, want 3600", limits.OpsGet)
	}

	// Delete a statistics object: the first click shows a confirmation page and changes nothing.
	b.follow(t, chromedp.Click(chromedp.CSS(`a[href*="view=usage&"]`)))
	b.follow(t, chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-object=%q] button`, f.Object))))
	b.do(t, chromedp.WaitVisible(chromedp.CSS("#ostorbridge-confirm")))
	b.screenshot(t, "#ostorbridge-confirm", "standin-confirm.png")
	if names := s.Gateway.UsageNames(); len(names) != 1 {
		t.Fatalf("usage objects before confirming = %v, want the object kept", names)
	}
	b.follow(t, chromedp.Click(chromedp.CSS("#obp-confirm")))
	if got := b.text(t, "#obp-flash"); !strings.Contains(got, "Statistics object "+f.Object+" deleted") {
		t.Errorf("notice after deleting = %q", got)
	}
	if names := s.Gateway.UsageNames(); len(names) != 0 {
		t.Errorf("usage objects after confirming = %v, want none", names)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_audit WHERE client_id = ? AND admin_id = ? AND outcome = 'ok'", f.ClientID, testAdminID); n != 3 {
		t.Errorf("audit has %d successful actions of the admin, want 3", n)
	}
}

func TestPanelBrowserRendersMarkupInert(t *testing.T) {
	s := startStackWithGateway(t, ostortest.Options{UsageServiceID: evilServiceID})
	f := addPanelClient(t, s, evilEmail, evilBucket)
	if !strings.Contains(f.Object, "<script>") {
		t.Fatalf("statistics object name %q holds no markup", f.Object)
	}
	st := startStandin(t, s)
	b := startBrowser(t)
	st.login(t, b, testAdminID, permView, permAct)

	b.do(t, chromedp.Navigate(st.summaryURL(f.ClientID)), chromedp.WaitVisible(chromedp.CSS("#ostorbridge-panel")))
	if got := b.text(t, ".obp-email"); got != evilEmail {
		t.Errorf("email shown as %q, want the literal text %q", got, evilEmail)
	}
	if got := b.text(t, ".obp-bucket-name"); got != evilBucket {
		t.Errorf("bucket shown as %q, want the literal text %q", got, evilBucket)
	}
	if n := b.count(t, "#ostorbridge-panel script, #ostorbridge-panel img"); n != 0 {
		t.Errorf("panel contains %d script or img elements from gateway data", n)
	}

	// The object list links to each object; following the link must carry the name intact.
	b.follow(t, chromedp.Click(chromedp.CSS(`a[href*="view=usage&"]`)))
	b.do(t, chromedp.WaitVisible(chromedp.CSS("#ostorbridge-usage")))
	if n := b.count(t, "#ostorbridge-usage img, #ostorbridge-usage script"); n != 0 {
		t.Errorf("statistics object list contains %d script or img elements", n)
	}
	if got := b.text(t, "table.obp-usagelist td a"); got != f.Object {
		t.Errorf("object listed as %q, want the literal name %q", got, f.Object)
	}
	// The name is not in the documented form, so the daemon refuses to read it and the addon
	// shows that error, with the name as text.
	b.follow(t, chromedp.Click(chromedp.CSS("table.obp-usagelist td a")))
	b.do(t, chromedp.WaitVisible(chromedp.CSS(".alert-danger")))
	if got := b.text(t, ".alert-danger"); !strings.Contains(got, "is invalid; expected s3-usage-") {
		t.Errorf("error for the malformed object name = %q", got)
	}
	if n := b.count(t, "body img, body script"); n != 0 {
		t.Errorf("error page contains %d script or img elements", n)
	}
	if d := b.dialogMessages(); len(d) != 0 {
		t.Errorf("injected script ran and opened dialogs %q", d)
	}
}

func TestPanelBrowserRejectsForgedAndUnpermittedPosts(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "lee@example.com", "books")
	st := startStandin(t, s)
	b := startBrowser(t)
	st.login(t, b, testAdminID, permView, permAct)
	b.do(t, chromedp.Navigate(st.summaryURL(f.ClientID)), chromedp.WaitVisible(chromedp.CSS("#ostorbridge-panel")))

	action := map[string]string{
		"userid": fmt.Sprint(f.ClientID), "service_id": fmt.Sprint(f.ServiceID),
		"action": "set_bucket_limits", "params[bucket]": "books", "params[ops_get]": "5",
	}

	// A POST without the session's CSRF token.
	action["token"] = "forged"
	postForm(t, b, action)
	b.do(t, chromedp.WaitVisible(chromedp.CSS("#obp-flash")))
	if got := b.text(t, "#obp-flash"); !strings.Contains(got, "invalid CSRF token") {
		t.Errorf("notice after a forged POST = %q", got)
	}

	// A POST with a valid token from an admin who may view but not act.
	token := b.text(t, "#standin-token")
	st.login(t, b, testAdminID+1, permView)
	b.do(t, chromedp.Navigate(st.summaryURL(f.ClientID)), chromedp.WaitVisible(chromedp.CSS("#ostorbridge-panel")))
	if n := b.count(t, `#ostorbridge-panel form[method="post"]`); n != 0 {
		t.Errorf("read-only admin sees %d action forms", n)
	}
	action["token"] = b.text(t, "#standin-token")
	if action["token"] == token {
		t.Fatalf("the second login kept the first session's token")
	}
	postForm(t, b, action)
	b.do(t, chromedp.WaitVisible(chromedp.CSS("#obp-flash")))
	if got := b.text(t, "#obp-flash"); !strings.Contains(got, `"Perform Server Operations" permission`) {
		t.Errorf("notice after an unpermitted POST = %q", got)
	}

	limits, err := gatewayClient(t, s).GetLimits(t.Context(), ostor.BucketTarget("books"))
	if err != nil {
		t.Fatal(err)
	}
	if limits.OpsGet != 0 {
		t.Errorf("bucket limit changed to %v by a rejected POST", limits.OpsGet)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_audit"); n != 0 {
		t.Errorf("audit has %d entries after rejected POSTs, want 0", n)
	}
}

func TestPanelBrowserGatewayStalled(t *testing.T) {
	s := startStack(t, stackOptions{configure: func(c *Config) { c.Panel.Deadline = Duration{time.Second} }})
	f := addPanelClient(t, s, "mia@example.com", "slow")
	st := startStandin(t, s)
	b := startBrowser(t)
	st.login(t, b, testAdminID, permView, permAct)
	s.Gateway.SetFault(ostortest.AnyOp, ostortest.Fault{Latency: stalledGatewayLatency})
	t.Cleanup(s.Gateway.ClearFaults)

	b.do(t, chromedp.Navigate(st.summaryURL(f.ClientID)), chromedp.WaitVisible(chromedp.CSS("#ostorbridge-panel")))
	if got := b.text(t, "#obp-gateway-timeout"); !strings.Contains(got, "The S3 gateway did not answer within 1s") {
		t.Errorf("gateway notice = %q", got)
	}
	if got := b.text(t, ".obp-email"); got != "mia@example.com" {
		t.Errorf("panel shows S3 user %q, want the stored identity", got)
	}
	b.screenshot(t, "#ostorbridge-panel", "standin-gateway-stalled.png")
}

// TestPanelHTMLInertInChromium loads the daemon's panel HTML for a client whose S3 email and
// bucket names hold markup into Chromium directly, without the PHP stand-in, and checks that no
// injected element exists and no script ran.
func TestPanelHTMLInertInChromium(t *testing.T) {
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, evilEmail, evilBucket)
	summary := s.adminHTML(t, "Admin.Summary", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t"})
	object := s.adminHTML(t, "Admin.Page", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t",
		"view": "usage_object", "params": map[string]string{"object": f.Object}})

	mux := http.NewServeMux()
	for path, body := range map[string]string{"/summary": summary, "/object": object} {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>%s</body></html>", body)
		})
	}
	pages := httptest.NewServer(mux)
	t.Cleanup(pages.Close)
	b := startBrowser(t)

	b.do(t, chromedp.Navigate(pages.URL+"/summary"), chromedp.WaitVisible(chromedp.CSS("#ostorbridge-panel")))
	if got := b.text(t, ".obp-email"); got != evilEmail {
		t.Errorf("email shown as %q, want the literal text", got)
	}
	if got := b.text(t, ".obp-bucket-name"); got != evilBucket {
		t.Errorf("bucket shown as %q, want the literal text", got)
	}
	if n := b.count(t, "script, img"); n != 0 {
		t.Errorf("summary contains %d script or img elements", n)
	}
	b.screenshot(t, "#ostorbridge-panel", "panel-markup-inert.png")

	b.do(t, chromedp.Navigate(pages.URL+"/object"), chromedp.WaitVisible(chromedp.CSS("#ostorbridge-usage-object")))
	if n := b.count(t, "script, img"); n != 0 {
		t.Errorf("statistics object page contains %d script or img elements", n)
	}
	if d := b.dialogMessages(); len(d) != 0 {
		t.Errorf("injected script ran and opened dialogs %q", d)
	}
}

// htmlPages serves HTML fragments from the daemon as whole pages on a loopback port, for tests
// that look at the daemon's HTML in Chromium without the PHP stand-in.
type htmlPages struct {
	URL   string
	mu    sync.Mutex
	pages map[string]string
}

func serveHTMLPages(t *testing.T) *htmlPages {
	t.Helper()
	p := &htmlPages{pages: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		body, ok := p.pages[r.URL.Path]
		p.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"font-family:sans-serif;margin:12px\">%s</body></html>", body)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *htmlPages) set(path, body string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pages[path] = body
	return p.URL + path
}

// TestPanelPagesRenderInChromium renders the summary after real actions, a confirmation page,
// the statistics object list and the summary with a stalled gateway, and checks each in Chromium.
// With OSTOR_BRIDGE_SCREENSHOTS set it saves the README's pictures.
func TestPanelPagesRenderInChromium(t *testing.T) {
	// The pages before the stalled one need every gateway read, so they run with the default
	// panel deadline, which a loaded machine does not reach.
	s := startStack(t, stackOptions{})
	f := addPanelClient(t, s, "kim@example.com", "media", "archive")
	pages := serveHTMLPages(t)
	b := startBrowser(t)
	act := func(action string, params map[string]string) actionReply {
		t.Helper()
		reply, rpcErr := s.adminAction(t, map[string]any{"client_id": f.ClientID, "service_id": f.ServiceID, "admin_id": testAdminID,
			"token": "t", "action": action, "params": params})
		if rpcErr != nil {
			t.Fatalf("%s: %+v", action, rpcErr)
		}
		return reply
	}
	usage := s.adminHTML(t, "Admin.Page", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t", "view": "usage"})
	b.do(t, chromedp.Navigate(pages.set("/usage", usage)), chromedp.WaitVisible(chromedp.CSS("#ostorbridge-usage")))
	if n := b.count(t, "table.obp-usagelist tr[data-object] button"); n != 1 {
		t.Errorf("statistics object list has %d delete buttons, want 1", n)
	}
	b.screenshot(t, "body", "panel-usage-objects.png")

	// Collect the statistics object, so the summary's usage section has a day to show.
	if r := s.adminCall(t, "Usage.Update", map[string]any{"server_id": s.ServerID}); r.Error != nil {
		t.Fatalf("Usage.Update: %s", r.Error.Message)
	}
	act("generate_key", nil)
	reply := act("set_bucket_limits", map[string]string{"bucket": "media", "ops_get": "3600", "bandwidth_out": "2048"})
	summaryArgs := map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t",
		"notice": map[string]any{"ok": true, "message": reply.Message}}

	b.do(t, chromedp.Navigate(pages.set("/summary", s.adminHTML(t, "Admin.Summary", summaryArgs))), chromedp.WaitVisible(chromedp.CSS("#ostorbridge-panel")))
	if n := b.count(t, "table.obp-keys code.obp-key"); n != 2 {
		t.Errorf("summary lists %d access keys, want 2", n)
	}
	if got := b.text(t, `tr[data-bucket="media"]`); !strings.Contains(got, "3600") || !strings.Contains(got, "2048") {
		t.Errorf("bucket limits shown as %q", got)
	}
	if got := b.text(t, "table.obp-audit"); !strings.Contains(got, "set_bucket_limits") || !strings.Contains(got, "generate_key") {
		t.Errorf("audit table = %q", got)
	}
	if got := b.text(t, ".obp-usage table"); !strings.Contains(got, "4.0 KiB") {
		t.Errorf("usage section = %q, want the collected upload of 4.0 KiB", got)
	}
	b.screenshot(t, "body", "panel-summary.png")

	confirm := act("revoke_key", map[string]string{"access_key_id": f.User.AccessKeys[0].AccessKeyID})
	b.do(t, chromedp.Navigate(pages.set("/confirm", confirm.ConfirmHTML)), chromedp.WaitVisible(chromedp.CSS("#obp-confirm")))
	if got := b.text(t, "#ostorbridge-confirm"); !strings.Contains(got, "Revoke access key "+f.User.AccessKeys[0].AccessKeyID) {
		t.Errorf("confirmation page = %q", got)
	}
	b.screenshot(t, "body", "panel-confirm.png")

	s.stopDaemon(t)
	s.startDaemon(t, stackOptions{configure: func(c *Config) { c.Panel.Deadline = Duration{time.Second} }})
	s.Gateway.SetFault(ostortest.AnyOp, ostortest.Fault{Latency: stalledGatewayLatency})
	t.Cleanup(s.Gateway.ClearFaults)
	stalled := s.adminHTML(t, "Admin.Summary", map[string]any{"client_id": f.ClientID, "admin_id": testAdminID, "token": "t"})
	b.do(t, chromedp.Navigate(pages.set("/stalled", stalled)), chromedp.WaitVisible(chromedp.CSS("#obp-gateway-timeout")))
	if got := b.text(t, "#obp-gateway-timeout"); !strings.Contains(got, "did not answer within 1s") {
		t.Errorf("gateway notice = %q", got)
	}
	b.screenshot(t, "body", "panel-gateway-stalled.png")
}
