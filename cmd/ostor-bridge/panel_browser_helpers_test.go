package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium driven by chromedp, with a record of JavaScript dialogs, so a
// test can assert that no injected script ran.
type browser struct {
	ctx context.Context

	mu      sync.Mutex
	dialogs []string
}

// chromiumPath finds the Chromium binary; deploy/ensure-deps.sh installs Debian's chromium.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Fatal("no Chromium found in PATH; run deploy/ensure-deps.sh, which installs Debian's chromium package")
	return ""
}

// browserStepTimeout bounds each browser step, so a stuck page fails the test instead of
// hanging it.
const browserStepTimeout = 30 * time.Second

// startBrowser starts a headless Chromium that is closed when the test ends. The default
// options of chromedp already turn off background networking and the first-run page.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1100, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first call starts the browser and must not carry a timeout, which would end it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}

	b := &browser{ctx: ctx}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return b
}

// do runs browser steps and fails the test on an error.
func (b *browser) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// follow runs steps that navigate, such as a click on a link or a form's button, and waits until
// the next page has loaded. Waiting for an element alone is not enough, because the element may
// still be on the page the click leaves.
func (b *browser) follow(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		t.Fatalf("browser: navigation: %v", err)
	}
	if resp.Status >= 400 {
		t.Fatalf("browser: %s answered HTTP %d", resp.URL, resp.Status)
	}
}

// evalStep is a browser step that runs a JavaScript expression and ignores its value.
func evalStep(expression string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, target *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[any](expression)(ctx, target)
		return chromedp.Void{}, err
	}
}

// dialogMessages returns the messages of every JavaScript dialog the pages opened.
func (b *browser) dialogMessages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.dialogs...)
}

// text returns the visible text of the first element matching a CSS selector.
func (b *browser) text(t *testing.T, selector string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("browser: text of %s: %v", selector, err)
	}
	return s
}

// count returns how many elements match a CSS selector.
func (b *browser) count(t *testing.T, selector string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", selector)))
	if err != nil {
		t.Fatalf("browser: count %s: %v", selector, err)
	}
	return n
}

// screenshot saves a PNG of the element matching selector into the directory named by
// OSTOR_BRIDGE_SCREENSHOTS, when it is set. The pictures under docs/screenshots are made this way.
func (b *browser) screenshot(t *testing.T, selector, name string) {
	t.Helper()
	dir := os.Getenv("OSTOR_BRIDGE_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(selector), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("browser: screenshot of %s: %v", selector, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// phpServerStarted matches the line with which php -S reports its address, for example
// "PHP 8.2.36 Development Server (http://127.0.0.1:36653) started".
var phpServerStarted = regexp.MustCompile(`Development Server \((http://[^)]+)\) started`)

// standin is the WHMCS stand-in admin area served by `php -S`.
type standin struct {
	URL string
}

// startStandin serves php-shim/tests/standin with PHP's built-in web server on a free loopback
// port. The stand-in's configuration.php defines the daemon's address and secret, as the README's
// install steps do, and the addon settings stay empty. It stops when the test ends.
func startStandin(t *testing.T, s *stack) *standin {
	t.Helper()
	php, err := exec.LookPath("php")
	if err != nil {
		t.Fatal("php is not installed; run deploy/ensure-deps.sh, which installs php-cli and php-curl")
	}
	configuration, err := json.Marshal(map[string]string{"OSTOR_BRIDGE_RPC_HOST": s.Addr, "OSTOR_BRIDGE_RPC_SECRET": s.Secret})
	if err != nil {
		t.Fatal(err)
	}
	// Port 0 lets the kernel pick a free port when php binds it, so no other process can take the
	// port between choosing and binding it. php -S names the address in its start-up line.
	cmd := exec.Command(php, "-S", "127.0.0.1:0", "-t", "../../php-shim/tests/standin")
	cmd.Env = append(os.Environ(), "OSTORBRIDGE_STANDIN_CONFIGURATION="+string(configuration))
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start php -S: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("php -S log:\n%s", logs.String())
		}
	})

	var base string
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := phpServerStarted.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("php -S did not report its address within 60s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get(base + "/login.php")
	if err != nil {
		t.Fatalf("php -S on %s: %v\n%s", base, err, logs.String())
	}
	resp.Body.Close()
	return &standin{URL: base}
}

// login starts a stand-in admin session with the given WHMCS permission names.
func (st *standin) login(t *testing.T, b *browser, adminID int64, permissions ...string) {
	t.Helper()
	b.do(t,
		chromedp.Navigate(fmt.Sprintf("%s/login.php?adminid=%d&permissions=%s", st.URL, adminID, url.QueryEscape(strings.Join(permissions, ",")))),
		chromedp.WaitVisible(chromedp.CSS("#logged-in")),
	)
}

// Permission names the addon checks.
const (
	permView = "View Clients Products/Services"
	permAct  = "Perform Server Operations"
)
