package bridge_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/bridge/bridgetest"
	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// usageFixture is a database with managed services and a fake gateway
// holding statistics objects of simulated traffic.
type usageFixture struct {
	db       *whmcstest.DB
	store    *whmcs.Store
	gw       *ostortest.Server
	client   *ostor.Client
	services map[string]int64 // S3 UserId → service id
	want     map[string]whmcs.UsageCounters
	names    []string
}

func newUsageFixture(t *testing.T, profile string, managedUsers int) *usageFixture {
	t.Helper()
	f := &usageFixture{
		db:       whmcstest.NewDB(t),
		gw:       ostortest.Start(t, ostortest.Options{Profile: profile, MaxUsageListItems: 7}),
		services: map[string]int64{},
		want:     map[string]whmcs.UsageCounters{},
	}
	f.store = whmcs.NewStore(zaptest.NewLogger(t), f.db.DB)
	client, err := ostor.New(f.gw.Config())
	if err != nil {
		t.Fatal(err)
	}
	f.client = client

	f.services = bridgetest.AddManagedUsers(t, f.db, f.store, f.gw.Gateway, managedUsers)
	return f
}

// simulate generates seeded random traffic of the users in f.services and
// of unmanagedUser in periods 30-minute objects and records the expected
// totals per user.
func (f *usageFixture) simulate(seed uint64, periods int, unmanagedUser string) {
	rng := rand.New(rand.NewPCG(seed, seed))
	users := []string{unmanagedUser}
	for id := range f.services {
		users = append(users, id)
	}
	start := time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC) // crosses a UTC day and month
	var traffic []ostortest.Traffic
	for p := range periods {
		for _, user := range users {
			for _, bucket := range []string{"", "photos", "backups"} {
				tr := ostortest.Traffic{
					At: start.Add(time.Duration(p)*30*time.Minute + time.Minute), UserID: user, Bucket: bucket,
					Put: rng.Int64N(50), Get: rng.Int64N(500), List: rng.Int64N(5), Other: rng.Int64N(3),
					Uploaded: rng.Int64N(1 << 34), Downloaded: rng.Int64N(1 << 36),
				}
				traffic = append(traffic, tr)
				bridgetest.AddTraffic(f.want, tr)
			}
		}
	}
	f.names = append(f.names, f.gw.GenerateUsage(start, 30*time.Minute, traffic)...)
}

func (f *usageFixture) usage(t *testing.T, deleteProcessed bool) *bridge.Usage {
	t.Helper()
	u, err := bridge.NewUsage(bridge.UsageOptions{
		Log: zaptest.NewLogger(t), Store: f.store, Gateway: f.client, DeleteProcessed: deleteProcessed, PageSize: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// checkTotals compares the stored counters with the simulated traffic and
// counts the objects recorded as processed.
func (f *usageFixture) checkTotals(t *testing.T) {
	t.Helper()
	bridgetest.CheckStoredTotals(t, f.store, f.services, f.want)
	var objects int
	if err := f.db.GetContext(t.Context(), &objects, `SELECT COUNT(*) FROM mod_ostorbridge_usage_objects`); err != nil {
		t.Fatal(err)
	}
	if objects != len(f.names) {
		t.Errorf("%d objects recorded as processed, want %d", objects, len(f.names))
	}
}

const unmanagedUser = "00000000000000ff"

func TestCollectStoresExactTotals(t *testing.T) {
	for _, profile := range []string{ostor.ProfileAS2, ostor.ProfileVHI63} {
		t.Run(profile, func(t *testing.T) {
			f := newUsageFixture(t, profile, 3)
			f.simulate(1, 10, unmanagedUser)

			summary, err := f.usage(t, true).Collect(t.Context())
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			if summary.Processed != len(f.names) || summary.Failed != 0 || summary.Deleted != len(f.names) {
				t.Errorf("summary = %+v, want %d objects processed and deleted", summary, len(f.names))
			}
			if got := summary.Unassigned[unmanagedUser]; got != f.want[unmanagedUser] {
				t.Errorf("unassigned counters = %+v, want %+v", got, f.want[unmanagedUser])
			}
			if left := f.gw.UsageNames(); len(left) != 0 {
				t.Errorf("gateway still lists %d objects", len(left))
			}
			f.checkTotals(t)
		})
	}
}

func TestCollectTwiceAddsNothing(t *testing.T) {
	f := newUsageFixture(t, ostor.ProfileVHI63, 2)
	f.simulate(2, 4, unmanagedUser)
	u := f.usage(t, false)

	if _, err := u.Collect(t.Context()); err != nil {
		t.Fatalf("first Collect: %v", err)
	}
	second, err := u.Collect(t.Context())
	if err != nil {
		t.Fatalf("second Collect: %v", err)
	}
	if second.Processed != 0 || second.Skipped != len(f.names) {
		t.Errorf("second run = %+v, want all %d objects skipped", second, len(f.names))
	}
	if left := f.gw.UsageNames(); len(left) != len(f.names) {
		t.Errorf("gateway lists %d objects, want %d kept with delete_processed off", len(left), len(f.names))
	}
	f.checkTotals(t)
}

func TestCollectConcurrentCountsOnce(t *testing.T) {
	f := newUsageFixture(t, ostor.ProfileVHI63, 3)
	f.simulate(3, 8, unmanagedUser)

	const collectors = 4
	summaries := make([]bridge.CollectSummary, collectors)
	errs := make([]error, collectors)
	var wg sync.WaitGroup
	for i := range collectors {
		// Each collector has its own pool, as separate daemons would.
		pool, err := whmcs.Open(t.Context(), f.db.Config)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		u, err := bridge.NewUsage(bridge.UsageOptions{Store: whmcs.NewStore(zaptest.NewLogger(t), pool), Gateway: f.client, PageSize: 2, DeleteProcessed: i%2 == 0})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			summaries[i], errs[i] = u.Collect(context.Background())
		}()
	}
	wg.Wait()

	processed := 0
	for i := range collectors {
		if errs[i] != nil {
			t.Errorf("collector %d: %v", i, errs[i])
		}
		if summaries[i].Failed != 0 {
			t.Errorf("collector %d failed %d objects", i, summaries[i].Failed)
		}
		processed += summaries[i].Processed
	}
	if processed != len(f.names) {
		t.Errorf("collectors processed %d objects in total, want %d", processed, len(f.names))
	}
	f.checkTotals(t)
}

func TestCollectCountersBeyond53Bits(t *testing.T) {
	f := newUsageFixture(t, ostor.ProfileVHI, 1)
	var user string
	for id := range f.services {
		user = id
	}
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	big := []ostortest.Traffic{
		{At: start, UserID: user, Bucket: "a", Get: 1<<32 + 1, Downloaded: 1<<53 + 1, Uploaded: 1<<62 + 5},
		{At: start.Add(30 * time.Minute), UserID: user, Bucket: "a", Get: 1 << 32, Downloaded: 1<<53 + 2, Uploaded: 1<<62 + 7},
	}
	f.names = f.gw.GenerateUsage(start, 30*time.Minute, big)
	f.want[user] = whmcs.UsageCounters{Get: 1<<33 + 1, Downloaded: 1<<54 + 3, Uploaded: 1<<63 + 12}

	if _, err := f.usage(t, true).Collect(t.Context()); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	f.checkTotals(t)
}

func TestCollectRejectsNegativeCounters(t *testing.T) {
	f := newUsageFixture(t, ostor.ProfileVHI, 1)
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	name := f.gw.AddUsage(start, 30*time.Minute, []ostor.UsageItem{{UserID: unmanagedUser, Downloaded: -5}})

	summary, err := f.usage(t, true).Collect(t.Context())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if summary.Failed != 1 || summary.Processed != 0 {
		t.Errorf("summary = %+v, want the object failed", summary)
	}
	if left := f.gw.UsageNames(); len(left) != 1 || left[0] != name {
		t.Errorf("gateway lists %v, want the invalid object kept", left)
	}
}

func TestBillingPeriod(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := []struct {
		cycle, nextDue, today, start, end string
	}{
		{"Monthly", "2026-12-15", "2026-12-04", "2026-11-15", "2026-12-15"},
		{"Monthly", "2026-12-04", "2026-12-04", "2026-12-04", "2027-01-04"},
		{"monthly", "2026-10-15", "2026-12-04", "2026-11-15", "2026-12-15"},   // overdue
		{"Quarterly", "2027-06-01", "2026-12-04", "2026-12-01", "2027-03-01"}, // paid ahead
		{"Annually", "2027-03-01", "2026-12-04", "2026-03-01", "2027-03-01"},
		{"Triennially", "2028-01-10", "2026-12-04", "2025-01-10", "2028-01-10"},
		{"Free Account", "0000-00-00", "2026-12-04", "2026-12-01", "2027-01-01"},
		{"One Time", "2026-12-15", "2026-12-04", "2026-12-01", "2027-01-01"},
		{"Monthly", "", "2026-12-04", "2026-12-01", "2027-01-01"},
	}
	for _, tc := range cases {
		var nextDue time.Time
		if tc.nextDue != "" && tc.nextDue != "0000-00-00" {
			nextDue = day(tc.nextDue)
		}
		start, end := bridge.BillingPeriod(tc.cycle, nextDue, day(tc.today).Add(13*time.Hour))
		if got := start.Format(time.DateOnly); got != tc.start {
			t.Errorf("BillingPeriod(%q, %q, %q) start = %s, want %s", tc.cycle, tc.nextDue, tc.today, got, tc.start)
		}
		if got := end.Format(time.DateOnly); got != tc.end {
			t.Errorf("BillingPeriod(%q, %q, %q) end = %s, want %s", tc.cycle, tc.nextDue, tc.today, got, tc.end)
		}
	}
}

func TestBytesToMBRoundsUp(t *testing.T) {
	cases := map[uint64]int64{0: 0, 1: 1, 1 << 20: 1, 1<<20 + 1: 2, 5 << 30: 5120, 1<<64 - 1: 1 << 44}
	for bytes, want := range cases {
		if got := bridge.BytesToMB(bytes); got != want {
			t.Errorf("BytesToMB(%d) = %d, want %d", bytes, got, want)
		}
	}
}

func TestCollectWithoutPagingStopsAtFirstPage(t *testing.T) {
	f := newUsageFixture(t, ostor.ProfileAS2, 1)
	f.simulate(4, 10, unmanagedUser) // the fake lists 7 names per reply

	summary, err := f.usage(t, false).Collect(t.Context())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if summary.Listed != 7 || summary.Processed != 7 {
		t.Errorf("summary = %+v, want the first 7 objects listed and processed", summary)
	}

	// With deletion, the next run reaches the rest.
	summary, err = f.usage(t, true).Collect(t.Context())
	if err != nil {
		t.Fatalf("Collect with deletion: %v", err)
	}
	if summary.Processed != 3 || summary.Skipped != 7 || summary.Deleted != 10 {
		t.Errorf("summary with deletion = %+v, want 3 processed, 7 skipped and 10 deleted", summary)
	}
	f.checkTotals(t)
}
