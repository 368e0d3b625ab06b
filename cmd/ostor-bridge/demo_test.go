package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// demoUploadedBytes is the sum of the object sizes the demo's S3 client
// uploads (deploy/demo/traffic).
const demoUploadedBytes = 1_500_000 + 700_000 + 300_000

// firstNumber returns the number that pattern's first group matches in
// text, and fails the test when there is none.
func firstNumber(t *testing.T, text, pattern string) int64 {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("demo output has no line matching %q", pattern)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		t.Fatalf("line matching %q: %v", pattern, err)
	}
	return n
}

// TestDemoBillsS3Traffic runs deploy/demo.sh as a user would, in a
// temporary directory of its own, and checks that the usage it collects
// equals the S3 traffic its client sent.
func TestDemoBillsS3Traffic(t *testing.T) {
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "..", "deploy", "demo.sh"))
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	// SIGTERM lets the script stop its servers and remove its directory.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	outBytes, err := cmd.CombinedOutput()
	out := string(outBytes)
	if err != nil {
		t.Fatalf("deploy/demo.sh failed: %v\n%s", err, out)
	}

	sentUploaded := firstNumber(t, out, `(?m)^sent bytes uploaded (\d+)$`)
	sentDownloaded := firstNumber(t, out, `(?m)^sent bytes downloaded (\d+)$`)
	collectedUploaded := firstNumber(t, out, `(?m)^bytes uploaded +(\d+)$`)
	collectedDownloaded := firstNumber(t, out, `(?m)^bytes downloaded +(\d+)$`)
	if sentUploaded != demoUploadedBytes {
		t.Errorf("client sent %d bytes, want the %d bytes of the demo objects", sentUploaded, demoUploadedBytes)
	}
	if collectedUploaded != sentUploaded {
		t.Errorf("usage collect stored %d bytes uploaded, the client sent %d", collectedUploaded, sentUploaded)
	}
	if sentDownloaded < 1_500_000+700_000 {
		t.Errorf("client received %d bytes, want at least the 2200000 bytes of the two photos", sentDownloaded)
	}
	if collectedDownloaded != sentDownloaded {
		t.Errorf("usage collect stored %d bytes downloaded, the client received %d", collectedDownloaded, sentDownloaded)
	}
	if !strings.Contains(out, "sent requests put/get/list/other 3/2/1/2\n") {
		t.Errorf("demo output lacks the client's request counts 3/2/1/2:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^requests put/get/list/other +3/2/1/2$`).MatchString(out) {
		t.Errorf("demo output lacks the collected request counts 3/2/1/2:\n%s", out)
	}
	if !strings.Contains(out, "usage collect stored exactly the traffic sent") {
		t.Errorf("demo output lacks its own check of the collected usage:\n%s", out)
	}

	// 2500000 bytes stored and about 2.2 MB downloaded are 3 MB each, in
	// MB of 2^20 bytes rounded up.
	if !regexp.MustCompile(`\|\s+1 \| Active \|\s+3 \|\s+3 \|`).MatchString(out) {
		t.Errorf("demo output lacks tblhosting with diskusage 3 and bwusage 3:\n%s", out)
	}
	if !strings.Contains(out, "still owns 1 bucket(s): demo-photos") {
		t.Errorf("demo output lacks the default terminate that keeps the bucket:\n%s", out)
	}
	if n := strings.Count(out, `TerminateAccount returned "success"`); n != 2 {
		t.Errorf("TerminateAccount succeeded %d times, want 2 after the purge setting:\n%s", n, out)
	}
	if !strings.Contains(out, "ostor-bridge stopped cleanly") {
		t.Errorf("demo output lacks the daemon's clean stop:\n%s", out)
	}

	left, err := filepath.Glob(filepath.Join(tmp, "ostor-bridge-demo.*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("demo left its directory behind: %v", left)
	}
}
