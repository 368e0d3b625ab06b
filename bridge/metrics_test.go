package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

func TestGatewayOutcome(t *testing.T) {
	transport := &ostor.TransportError{Op: ostor.OpUsersGet, Method: "GET", Err: errors.New("connection reset")}
	cases := []struct {
		name   string
		status int
		err    error
		want   string
	}{
		{"200", 200, nil, "ok"},
		{"204", 204, nil, "ok"},
		{"302", 302, nil, "3xx"},
		{"404", 404, nil, "4xx"},
		{"503", 503, nil, "5xx"},
		{"status 0 without error", 0, nil, "other"},
		{"status 700", 700, nil, "other"},
		{"transport error", 0, transport, "network"},
		{"write without response", 0, fmt.Errorf("%w: %w", ostor.ErrOutcomeUnknown, transport), "outcome_unknown"},
	}
	for _, c := range cases {
		if got := gatewayOutcome(c.status, c.err); got != c.want {
			t.Errorf("%s: gatewayOutcome(%d, %v) = %q, want %q", c.name, c.status, c.err, got, c.want)
		}
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics

	// Each call must return without a panic.
	m.ObserveGateway(ostor.OpUsersGet, 200, nil, time.Second)
	m.observeRPC("Service.Create", true, nil, time.Second)
	m.recordCollection(CollectSummary{Processed: 1}, nil)
	m.recordReconcile(ReconcileRequest{}, ReconcileReport{})
	m.recordReconcileFailure(ReconcileRequest{})
}

func TestObserveRPCUsesErrorKind(t *testing.T) {
	m := NewMetrics(nil)

	m.observeRPC("Service.Create", true, nil, time.Millisecond)
	m.observeRPC("Service.Create", true, &Error{Code: CodeBusy, Message: "busy"}, time.Millisecond)
	m.observeRPC("Service.Create", true, errors.New("unclassified"), time.Millisecond)
	m.observeRPC("anything a caller sent", false, &Error{Code: CodeNoMethod}, time.Millisecond)

	for _, c := range []struct {
		method, code string
	}{
		{"Service.Create", "ok"},
		{"Service.Create", "busy"},
		{"Service.Create", "internal_error"},
		{"unknown", "method_not_found"},
	} {
		if got := testutil.ToFloat64(m.rpcCalls.WithLabelValues(c.method, c.code)); got != 1 {
			t.Errorf("rpc_calls_total{method=%q,code=%q} = %v, want 1", c.method, c.code, got)
		}
	}
}

func TestRecordReconcileKeepsOnlyFullRuns(t *testing.T) {
	m := NewMetrics(nil)
	full := ReconcileReport{FinishedAt: time.Unix(1_800_000_000, 0), Findings: []Finding{
		{Kind: FindingMissingKey},
		{Kind: FindingMissingKey, Fixed: true},
		{Kind: FindingStateMismatch},
	}}

	m.recordReconcile(ReconcileRequest{}, full)
	m.recordReconcile(ReconcileRequest{ServiceID: 7}, ReconcileReport{FinishedAt: time.Unix(1_900_000_000, 0), Findings: []Finding{{Kind: FindingMissingUser}}})
	m.recordReconcileFailure(ReconcileRequest{ClientID: 3})

	want := map[[2]string]float64{
		{"missing_key", "open"}:     1,
		{"missing_key", "fixed"}:    1,
		{"state_mismatch", "open"}:  1,
		{"missing_user", "open"}:    0,
		{"not_provisioned", "open"}: 0,
	}
	for labels, n := range want {
		if got := testutil.ToFloat64(m.reconcileFindings.WithLabelValues(labels[0], labels[1])); got != n {
			t.Errorf("reconcile_findings{kind=%q,state=%q} = %v, want %v", labels[0], labels[1], got, n)
		}
	}
	if got := testutil.ToFloat64(m.reconcileLastRun); got != 1_800_000_000 {
		t.Errorf("reconcile_last_run_timestamp_seconds = %v, want the finish time of the full run", got)
	}
	if got := testutil.ToFloat64(m.reconcileFailures); got != 0 {
		t.Errorf("reconcile_failures_total = %v after a failed run of one client, want 0", got)
	}

	m.recordReconcile(ReconcileRequest{}, ReconcileReport{FinishedAt: time.Unix(1_800_000_100, 0)})
	if got := testutil.ToFloat64(m.reconcileFindings.WithLabelValues("missing_key", "open")); got != 0 {
		t.Errorf("reconcile_findings{kind=\"missing_key\",state=\"open\"} = %v after a clean run, want 0", got)
	}
}

func TestRecordCollectionCountsStoppedRuns(t *testing.T) {
	m := NewMetrics(nil)
	summary := CollectSummary{Processed: 2, Skipped: 1, Failed: 1, Deleted: 2, Totals: whmcs.UsageCounters{Uploaded: 10, Downloaded: 20}}

	m.recordCollection(summary, errors.New("list failed"))

	if got := testutil.ToFloat64(m.usageObjects.WithLabelValues("processed")); got != 2 {
		t.Errorf("usage_objects_total{result=\"processed\"} = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.usageBytes.WithLabelValues("downloaded")); got != 20 {
		t.Errorf("usage_bytes_total{direction=\"downloaded\"} = %v, want 20", got)
	}
	if got := testutil.ToFloat64(m.usageErrors); got != 1 {
		t.Errorf("usage_collection_errors_total = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.usageLastSuccess); got != 0 {
		t.Errorf("usage_last_success_timestamp_seconds = %v after a failed run, want 0", got)
	}
}

// failingJournal is a JournalCounter whose database is down.
type failingJournal struct{}

func (failingJournal) OperationCounts(context.Context) ([]whmcs.OperationCount, error) {
	return nil, errors.New("dial tcp 127.0.0.1:3306: connection refused")
}

// fixedJournal is a JournalCounter with fixed counts.
type fixedJournal []whmcs.OperationCount

func (j fixedJournal) OperationCounts(context.Context) ([]whmcs.OperationCount, error) {
	return j, nil
}

func TestJournalMetricsReportDatabaseFailure(t *testing.T) {
	m := NewMetrics(nil)
	if err := m.WatchJournal(failingJournal{}, time.Second); err != nil {
		t.Fatal(err)
	}

	want := "# HELP ostor_bridge_journal_up 1 when this scrape read the journal, 0 when the database query failed or timed out.\n# TYPE ostor_bridge_journal_up gauge\nostor_bridge_journal_up 0\n"
	if err := testutil.GatherAndCompare(m.registry, strings.NewReader(want), "ostor_bridge_journal_up", "ostor_bridge_journal_operations"); err != nil {
		t.Error(err)
	}
}

func TestJournalMetricsOldestPending(t *testing.T) {
	m := NewMetrics(nil)
	journal := fixedJournal{
		{Kind: "create", State: whmcs.OperationDone, Count: 5, OldestAge: 9000},
		{Kind: "create", State: whmcs.OperationPending, Count: 1, OldestAge: 40},
		{Kind: "revoke_key", State: whmcs.OperationPending, Count: 2, OldestAge: 1900},
	}
	if err := m.WatchJournal(journal, time.Second); err != nil {
		t.Fatal(err)
	}

	want := `# HELP ostor_bridge_journal_oldest_pending_age_seconds Age of the oldest pending operation in seconds; 0 when none is pending.
# TYPE ostor_bridge_journal_oldest_pending_age_seconds gauge
ostor_bridge_journal_oldest_pending_age_seconds 1900
# HELP ostor_bridge_journal_operations Operations in the journal by kind and state (pending, done, failed).
# TYPE ostor_bridge_journal_operations gauge
ostor_bridge_journal_operations{kind="create",state="done"} 5
ostor_bridge_journal_operations{kind="create",state="pending"} 1
ostor_bridge_journal_operations{kind="revoke_key",state="pending"} 2
`
	if err := testutil.GatherAndCompare(m.registry, strings.NewReader(want), "ostor_bridge_journal_operations", "ostor_bridge_journal_oldest_pending_age_seconds"); err != nil {
		t.Error(err)
	}
}
