package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// fixedUsage is a UsageHistory with fixed days, or an error.
type fixedUsage struct {
	days []UsageDay
	err  error
}

func (u fixedUsage) RecentUsage(_ context.Context, _ int64, _ int) ([]UsageDay, error) {
	return u.days, u.err
}

func newTestPanel(t *testing.T, h *lifecycleHarness, history UsageHistory) *Panel {
	t.Helper()
	client, err := ostor.New(h.gw.Config())
	if err != nil {
		t.Fatal(err)
	}
	panel, err := NewPanel(PanelOptions{Store: h.store, Gateway: client, Provisioner: h.p, Deadline: 5 * time.Second, UsageHistory: history})
	if err != nil {
		t.Fatal(err)
	}
	return panel
}

func TestPanelSummaryConcurrentReads(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	product := h.addProduct(t, "S3")
	client, first := h.addService(t, "quinn@example.com", product)
	userID := h.create(t, first)
	for i := range 12 {
		h.gw.AddBucket(userID, fmt.Sprintf("bucket-%02d", i), int64(i)*1024)
	}
	panel := newTestPanel(t, h, nil)

	// Several summaries at once, each with its own concurrent gateway reads, so the race
	// detector checks every goroutine of gather.
	var wg sync.WaitGroup
	pages := make([]string, 4)
	errs := make([]error, 4)
	for i := range pages {
		wg.Go(func() {
			pages[i], errs[i] = panel.Summary(t.Context(), SummaryRequest{ClientID: client, AdminID: 1, Token: "t"})
		})
	}
	wg.Wait()

	for i, page := range pages {
		if errs[i] != nil {
			t.Fatalf("summary %d: %v", i, errs[i])
		}
		if n := strings.Count(page, `<tr data-bucket="`); n != 12 {
			t.Errorf("summary %d lists %d buckets, want 12", i, n)
		}
		if strings.Contains(page, "obp-usage") {
			t.Errorf("summary %d shows the usage section without a UsageHistory", i)
		}
	}
}

func TestPanelSummaryUsageSection(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	product := h.addProduct(t, "S3")
	client, service := h.addService(t, "rita@example.com", product)
	h.create(t, service)

	stored := uint64(3 << 30)
	days := []UsageDay{
		{Day: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), Uploaded: 1 << 10, Get: 1},
		{Day: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), StoredBytes: &stored, Uploaded: 5 << 20, Put: 40, Get: 2},
	}
	page, err := newTestPanel(t, h, fixedUsage{days: days}).Summary(t.Context(), SummaryRequest{ClientID: client, AdminID: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3.0 GiB", "5.0 MiB", ">42<", "not measured"} {
		if !strings.Contains(page, want) {
			t.Errorf("usage section lacks %q", want)
		}
	}
	if newer, older := strings.Index(page, "2026-12-03"), strings.Index(page, "2026-12-02"); newer < 0 || older < 0 || newer > older {
		t.Errorf("usage days at %d (12-03) and %d (12-02), want both with the newest first", newer, older)
	}

	page, err = newTestPanel(t, h, fixedUsage{err: errors.New("table missing")}).Summary(t.Context(), SummaryRequest{ClientID: client, AdminID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, "the usage history could not be read") {
		t.Errorf("summary does not report the usage history failure")
	}
	if strings.Contains(page, "table missing") {
		t.Errorf("summary shows the internal error text")
	}
}

func TestParseLimitValues(t *testing.T) {
	values, clean, err := parseLimitValues(map[string]string{"ops_get": " 3600 ", "bandwidth_out": "0", "ops_put": ""})
	if err != nil {
		t.Fatal(err)
	}
	want := []ostor.LimitValue{{Type: "ops", Resource: "get", Value: 3600}, {Type: "bandwidth", Resource: "out", Value: 0}}
	if fmt.Sprint(values) != fmt.Sprint(want) {
		t.Errorf("values = %v, want %v", values, want)
	}
	if clean["ops_get"] != "3600" || clean["bandwidth_out"] != "0" || len(clean) != 2 {
		t.Errorf("clean = %v", clean)
	}

	for _, raw := range []string{"-1", "1.5", "1e3", "０", "99999999999999"} {
		if _, _, err := parseLimitValues(map[string]string{"ops_get": raw}); err == nil {
			t.Errorf("ops_get %q accepted", raw)
		}
	}
}

func TestValidateUsageObjectName(t *testing.T) {
	if err := validateUsageObjectName("s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800"); err != nil {
		t.Errorf("documented name rejected: %v", err)
	}
	for _, name := range []string{"", "s3-usage-", "../s3-usage-1", "s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800&x=1"} {
		if err := validateUsageObjectName(name); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}

func TestFormatBytesAndLimit(t *testing.T) {
	cases := map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536 * 1024: "1.5 MiB", 5 << 40: "5.0 TiB", -1: "-1 B"}
	for n, want := range cases {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if got := formatUnsignedBytes(1 << 63); got != "8.0 EiB" {
		t.Errorf("formatUnsignedBytes(2^63) = %q", got)
	}
	if got := formatStoredBytes(nil); got != "not measured" {
		t.Errorf("formatStoredBytes(nil) = %q", got)
	}
	if got := formatLimit(0); got != "unlimited" {
		t.Errorf("formatLimit(0) = %q", got)
	}
	if got := formatLimit(3600); got != "3600" {
		t.Errorf("formatLimit(3600) = %q", got)
	}
	if got := formatLimit(0.5); got != "0.50" {
		t.Errorf("formatLimit(0.5) = %q", got)
	}
}
