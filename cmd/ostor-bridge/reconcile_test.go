package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strconv"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/bridge"
)

// ---- helpers

// runReconcile runs `ostor-bridge reconcile` with the daemon's config and returns the decoded
// JSON report (args must include --json) and the whole output. Open findings make the command
// exit 1, which is not a failure here.
func runReconcile(t *testing.T, s *stack, args ...string) (bridge.ReconcileReport, string) {
	t.Helper()
	cmd := exec.Command(daemonBinary, append([]string{"reconcile", "--config", s.ConfigPath}, args...)...)
	cmd.Env = s.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); err != nil && (!ok || exit.ExitCode() != 1) {
		t.Fatalf("ostor-bridge reconcile %v: %v\n%s", args, err, stderr.String())
	}
	var report bridge.ReconcileReport
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("reconcile printed %q, not a JSON report: %v\n%s", stdout.String(), err, stderr.String())
	}
	return report, stdout.String() + stderr.String()
}

func findingsOf(report bridge.ReconcileReport, kind bridge.FindingKind) []bridge.Finding {
	var out []bridge.Finding
	for _, f := range report.Findings {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
