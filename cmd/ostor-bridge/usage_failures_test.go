package main

import (
	"encoding/csv"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

func TestUsageCollectStopsWhenReadsFail(t *testing.T) {
	e := newUsageEnv(t, ostor.ProfileVHI63, 1, func(c *Config) { c.Usage.MaxConsecutiveFailures = 3 })
	e.simulate(31, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 15)
	e.gw.SetFault(ostor.OpUsageGet, ostortest.Fault{Status: http.StatusInternalServerError})

	p := e.startCollect(t)
	err := p.wait(t)

	if code := p.cmd.ProcessState.ExitCode(); err == nil || code != 1 {
		t.Errorf("usage collect exit status %d, want 1", code)
	}
	if n := p.count(`"msg":"reading usage object failed`); n != 3 {
		t.Errorf("%d read failures logged, want 3", n)
	}
	if n := p.count("ostor-bridge usage: "); n != 1 {
		t.Errorf("%d error messages, want 1", n)
	}
	// Page size 3: the third failure ends the first page.
	if n := p.count("ostor-bridge usage: usage collection stopped after 3 objects in a row failed; 3 listed objects stay on the gateway for the next run, as do the objects not listed yet"); n != 1 {
		t.Errorf("stderr lacks the stop message with the objects left")
	}
	if n := p.count("500"); n < 1 {
		t.Errorf("stderr does not name the last error, status 500")
	}
	if out := p.stdout.String(); !regexp.MustCompile(`objects left for the next run +3\n`).MatchString(out) {
		t.Errorf("summary lacks the objects left:\n%s", out)
	}
	if left := len(e.gw.UsageNames()); left != len(e.names) {
		t.Errorf("gateway keeps %d objects, want all %d", left, len(e.names))
	}

	e.collectToEnd(t)
	e.checkTotals(t)
}

func TestUsageUpdateFailsWhenCollectionStops(t *testing.T) {
	e := newUsageEnv(t, ostor.ProfileVHI63, 1, func(c *Config) { c.Usage.MaxConsecutiveFailures = 2 })
	e.simulate(32, time.Now().UTC().Truncate(time.Hour), 4)
	e.gw.SetFault(ostor.OpUsageGet, ostortest.Fault{Status: http.StatusInternalServerError})

	cmd := exec.Command(daemonBinary, "usage", "update", "--config", e.configPath)
	cmd.Env = e.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()

	if code := cmd.ProcessState.ExitCode(); err == nil || code != 1 {
		t.Errorf("usage update exit status %d, want 1", code)
	}
	want := "ostor-bridge usage: usage columns were written from the stored counters, but usage collection stopped after 2 objects in a row failed"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
	}
	if !strings.Contains(string(out), "WHMCS services updated") {
		t.Errorf("stdout lacks the services written:\n%s", out)
	}
}

func TestUsageShowUnassigned(t *testing.T) {
	e := newUsageEnv(t, ostor.ProfileVHI63, 2, nil)
	e.simulate(33, time.Now().UTC().Truncate(24*time.Hour), 2)
	e.collectToEnd(t)

	show := func(args ...string) [][]string {
		t.Helper()
		cmd := exec.Command(daemonBinary, append([]string{"usage", "show", "--config", e.configPath, "--days", "2", "--format", "csv"}, args...)...)
		cmd.Env = e.env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("usage show %v: %v", args, err)
		}
		records, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
		if err != nil {
			t.Fatalf("usage show %v printed invalid CSV: %v", args, err)
		}
		return records[1:]
	}
	services := func(rows [][]string) map[string]int {
		count := map[string]int{}
		for _, r := range rows {
			count[r[1]]++
		}
		return count
	}

	unassigned := services(show("--unassigned"))
	if len(unassigned) != 1 || unassigned["0"] == 0 {
		t.Errorf("--unassigned shows rows of services %v, want only service 0", unassigned)
	}

	every := services(show("--service", "0"))
	if every["0"] != unassigned["0"] || len(every) != 3 {
		t.Errorf("--service 0 shows rows of services %v, want service 0 and both managed services", every)
	}
	for _, id := range e.services {
		if every[strconv.FormatInt(id, 10)] == 0 {
			t.Errorf("--service 0 shows no rows of service %d", id)
		}
	}

	cmd := exec.Command(daemonBinary, "usage", "show", "--config", e.configPath, "--unassigned", "--service", "5")
	cmd.Env = e.env
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); err == nil || code != 2 {
		t.Errorf("usage show --unassigned --service 5: exit %d, want 2", code)
	}
	if want := "--unassigned and --service 5 exclude each other"; !strings.Contains(string(out), want) {
		t.Errorf("output %q lacks %q", out, want)
	}
}

func TestUsageConfigMaxConsecutiveFailures(t *testing.T) {
	if got := defaultUsageConfig().MaxConsecutiveFailures; got != 10 {
		t.Errorf("default usage.max_consecutive_failures = %d, want 10", got)
	}
	for _, n := range []int{0, -1} {
		c := defaultUsageConfig()
		c.MaxConsecutiveFailures = n
		want := "usage.max_consecutive_failures is " + strconv.Itoa(n) + "; use 1 or more"
		if problems := strings.Join(c.problems(), "\n"); !strings.Contains(problems, want) {
			t.Errorf("problems of %d = %q, want %q", n, problems, want)
		}
	}
}
