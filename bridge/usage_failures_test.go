package bridge_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

// usageWithGateway returns a Usage that reads gw and logs into an observer.
func (f *usageFixture) usageWithGateway(t *testing.T, gw bridge.UsageGateway, maxFailures int) (*bridge.Usage, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	u, err := bridge.NewUsage(bridge.UsageOptions{
		Log: zap.New(core), Store: f.store, Gateway: gw, DeleteProcessed: true, PageSize: 3,
		MaxConsecutiveFailures: maxFailures,
	})
	if err != nil {
		t.Fatal(err)
	}
	return u, logs
}

// clientWithoutRetries keeps tests of failing reads short.
func (f *usageFixture) clientWithoutRetries(t *testing.T) *ostor.Client {
	t.Helper()
	cfg := f.gw.Config()
	cfg.ReadAttempts = 1
	client, err := ostor.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func countLogs(logs *observer.ObservedLogs, level zapcore.Level, substring string) int {
	n := 0
	for _, e := range logs.All() {
		if e.Level == level && strings.Contains(e.Message, substring) {
			n++
		}
	}
	return n
}

func TestCollectStopsWhenEveryReadFails(t *testing.T) {
	f := newUsageFixture(t, ostor.ProfileVHI63, 1)
	f.simulate(21, 20, unmanagedUser)
	f.gw.SetFault(ostor.OpUsageGet, ostortest.Fault{Status: http.StatusInternalServerError})
	u, logs := f.usageWithGateway(t, f.clientWithoutRetries(t), 4)

	summary, err := u.Collect(t.Context())

	var stopped *bridge.CollectStoppedError
	if !errors.As(err, &stopped) {
		t.Fatalf("Collect error = %v, want a CollectStoppedError", err)
	}
	if stopped.Failures != 4 {
		t.Errorf("stopped after %d failures, want 4", stopped.Failures)
	}
	if !stopped.More {
		t.Errorf("stop error does not report the objects beyond the listed pages")
	}
	if !strings.Contains(err.Error(), "500") {
		t.Errorf("error %q does not name the last gateway error", err)
	}
	if summary.Failed != 4 {
		t.Errorf("Failed = %d, want 4", summary.Failed)
	}
	// Page size 3: the stop comes at the first object of the second page.
	if summary.Listed != 6 || summary.Left != 6 || stopped.Left != 6 {
		t.Errorf("listed %d, left %d (error %d), want 6 listed and 6 left", summary.Listed, summary.Left, stopped.Left)
	}
	if n := countLogs(logs, zapcore.ErrorLevel, "reading usage object failed"); n != 4 {
		t.Errorf("%d read errors logged, want 4", n)
	}
	if left := len(f.gw.UsageNames()); left != len(f.names) {
		t.Errorf("gateway keeps %d objects, want all %d", left, len(f.names))
	}
}

func TestCollectStopsWhenEveryStoreFails(t *testing.T) {
	f := newUsageFixture(t, ostor.ProfileVHI63, 1)
	f.simulate(22, 8, unmanagedUser)
	if _, err := f.db.ExecContext(t.Context(), `DROP TABLE mod_ostorbridge_usage_daily`); err != nil {
		t.Fatal(err)
	}
	u, _ := f.usageWithGateway(t, f.client, 2)

	summary, err := u.Collect(t.Context())

	var stopped *bridge.CollectStoppedError
	if !errors.As(err, &stopped) {
		t.Fatalf("Collect error = %v, want a CollectStoppedError", err)
	}
	if !strings.Contains(err.Error(), "store usage object") {
		t.Errorf("error %q does not name the failed store", err)
	}
	if summary.Failed != 2 || summary.Left != 3 {
		t.Errorf("summary = %+v, want 2 failed and the first page of 3 left", summary)
	}
}

func TestCollectContinuesPastCorruptObjects(t *testing.T) {
	f := newUsageFixture(t, ostor.ProfileVHI63, 1)
	var user string
	for id := range f.services {
		user = id
	}
	// Good and corrupt objects alternate, so no two failures are adjacent
	// in the listing, and corrupt objects outnumber the failure limit.
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var corrupt []string
	for i := range 10 {
		at := start.Add(time.Duration(i) * 30 * time.Minute)
		if i%2 == 1 {
			corrupt = append(corrupt, f.gw.AddUsage(at, 30*time.Minute, []ostor.UsageItem{{UserID: user, Downloaded: -1}}))
			continue
		}
		f.gw.AddUsage(at, 30*time.Minute, []ostor.UsageItem{{UserID: user, Bucket: "b", Get: 1, Downloaded: 10}})
	}
	u, _ := f.usageWithGateway(t, f.client, 2)

	summary, err := u.Collect(t.Context())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if summary.Processed != 5 || summary.Failed != 5 || summary.Left != 5 {
		t.Errorf("summary = %+v, want 5 processed, 5 failed and 5 left", summary)
	}
	if left := f.gw.UsageNames(); strings.Join(left, ",") != strings.Join(corrupt, ",") {
		t.Errorf("gateway keeps %v, want the corrupt objects %v", left, corrupt)
	}
}

// vanishingGateway deletes each object just before it is read, as a second
// collector that stored and deleted it meanwhile would.
type vanishingGateway struct {
	*ostor.Client
}

func (g vanishingGateway) StreamUsage(ctx context.Context, name string, fn func(ostor.UsageItem) error) (ostor.UsageObject, error) {
	if err := g.Client.DeleteUsage(ctx, name); err != nil {
		return ostor.UsageObject{}, err
	}
	return g.Client.StreamUsage(ctx, name, fn)
}

func TestCollectCountsVanishedObjectsOnce(t *testing.T) {
	f := newUsageFixture(t, ostor.ProfileVHI63, 1)
	f.simulate(23, 12, unmanagedUser)
	u, logs := f.usageWithGateway(t, vanishingGateway{f.client}, 2)

	summary, err := u.Collect(t.Context())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if summary.Vanished != 12 || summary.Skipped != 12 || summary.Failed != 0 {
		t.Errorf("summary = %+v, want 12 vanished, counted as skipped, and none failed", summary)
	}
	if n := countLogs(logs, zapcore.WarnLevel, "vanished"); n != 1 {
		t.Errorf("%d warnings about vanished objects, want 1 per run", n)
	}
}
