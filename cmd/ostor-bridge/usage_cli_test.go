package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

func TestUsageUpdateSummaryShowsCappedMB(t *testing.T) {
	e := newUsageEnv(t, ostor.ProfileVHI63, 1, nil)
	var user string
	for id := range e.services {
		user = id
	}
	const huge = 1<<53 + 1
	e.gw.AddBucket(user, "huge-data", huge)
	e.gw.GenerateUsage(time.Now().UTC().Truncate(time.Hour), 30*time.Minute, []ostortest.Traffic{
		{At: time.Now().UTC().Truncate(time.Hour).Add(time.Minute), UserID: user, Bucket: "huge-data", Get: 1, Downloaded: huge},
	})

	cmd := exec.Command(daemonBinary, "usage", "update", "--config", e.configPath, "--json")
	cmd.Env = e.env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("usage update: %v", err)
	}
	var summary bridge.UpdateSummary
	if err := json.Unmarshal(out, &summary); err != nil {
		t.Fatalf("summary %q is not JSON: %v", out, err)
	}
	if len(summary.Services) != 1 {
		t.Fatalf("summary = %+v, want one service", summary)
	}
	got := summary.Services[0]
	if got.StorageBytes != huge || got.BandwidthBytes != huge {
		t.Errorf("summary bytes = %d stored, %d bandwidth; want 2^53+1 exactly for both", got.StorageBytes, got.BandwidthBytes)
	}
	if got.DiskMB != whmcs.MaxHostingMB {
		t.Errorf("summary disk MB = %d, want the value written, capped at %d", got.DiskMB, whmcs.MaxHostingMB)
	}
	if got.BandwidthMB != whmcs.MaxHostingMB {
		t.Errorf("summary bandwidth MB = %d, want the value written, capped at %d", got.BandwidthMB, whmcs.MaxHostingMB)
	}

	row := readHostingUsage(t, e.db, e.services[user])
	if row.DiskUsage != got.DiskMB || row.BwUsage != got.BandwidthMB {
		t.Errorf("tblhosting diskusage = %d, bwusage = %d; the summary reported %d and %d", row.DiskUsage, row.BwUsage, got.DiskMB, got.BandwidthMB)
	}
}

func TestUsageShowRejectsBadDays(t *testing.T) {
	e := newUsageEnv(t, ostor.ProfileVHI63, 0, nil)
	for _, days := range []string{"0", "-3"} {
		cmd := exec.Command(daemonBinary, "usage", "show", "--config", e.configPath, "--days", days)
		cmd.Env = e.env
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); err == nil || code != 2 {
			t.Errorf("usage show --days %s: exit %d, want 2", days, code)
		}
		if want := "--days " + days + " is invalid; give the number of days to show, 1 or more"; !strings.Contains(string(out), want) {
			t.Errorf("usage show --days %s output %q lacks %q", days, out, want)
		}
	}
}

func TestUsageSubcommandHelpNamesSubcommand(t *testing.T) {
	for _, sub := range []string{"collect", "update", "show"} {
		out, err := exec.Command(daemonBinary, "usage", sub, "-h").CombinedOutput()
		if err != nil {
			t.Errorf("usage %s -h: %v\n%s", sub, err, out)
			continue
		}
		want := "Usage of ostor-bridge usage " + sub + ":"
		if !strings.Contains(string(out), want) {
			t.Errorf("usage %s -h printed\n%s\nwant a line %q", sub, out, want)
		}
	}
}
