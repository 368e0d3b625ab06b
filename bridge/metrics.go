package bridge

import (
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// metricsNamespace prefixes every metric name of the daemon.
const metricsNamespace = "ostor_bridge"

// durationBuckets are the upper bounds, in seconds, of the RPC and gateway
// duration histograms. They reach 60s because that is the default
// rpc.call_timeout, and gateway.timeout defaults to 30s.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Metrics holds the daemon's Prometheus metrics in a registry of its own.
// docs/metrics.md describes each metric. A nil *Metrics is valid and
// records nothing, so the command-line tools run the workflows without it.
//
// Label values come only from fixed sets (method names, error kinds,
// operation names, finding kinds) and never from request data, so no
// service id, email or key id can reach a label.
type Metrics struct {
	registry *prometheus.Registry
	log      *zap.Logger

	rpcCalls    *prometheus.CounterVec
	rpcDuration *prometheus.HistogramVec

	gatewayRequests *prometheus.CounterVec
	gatewayDuration *prometheus.HistogramVec

	usageObjects     *prometheus.CounterVec
	usageBytes       *prometheus.CounterVec
	usageErrors      prometheus.Counter
	usageLastSuccess prometheus.Gauge

	reconcileFindings *prometheus.GaugeVec
	reconcileLastRun  prometheus.Gauge
	reconcileFailures prometheus.Counter
}

// NewMetrics creates the daemon's metrics, including build information
// and the standard Go runtime and process collectors.
func NewMetrics(log *zap.Logger) *Metrics {
	if log == nil {
		log = zap.NewNop()
	}
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		log:      log.With(zap.String("component", "metrics")),

		rpcCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: "rpc", Name: "calls_total",
			Help: "RPC calls by method and result code (ok or the error kind of docs/rpc.md).",
		}, []string{"method", "code"}),
		rpcDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Subsystem: "rpc", Name: "call_duration_seconds",
			Help:    "Duration of RPC calls by method, from reading the request to writing the reply.",
			Buckets: durationBuckets,
		}, []string{"method"}),

		gatewayRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: "gateway", Name: "requests_total",
			Help: "HTTP requests to the gateway admin API by operation and outcome (ok, 3xx, 4xx, 5xx, network, outcome_unknown, other), retries included.",
		}, []string{"operation", "outcome"}),
		gatewayDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Subsystem: "gateway", Name: "request_duration_seconds",
			Help:    "Duration of HTTP requests to the gateway admin API by operation, including reading the response body.",
			Buckets: durationBuckets,
		}, []string{"operation"}),

		usageObjects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: "usage", Name: "objects_total",
			Help: "Usage-statistics objects handled by collection runs, by result (processed, skipped, failed, deleted).",
		}, []string{"result"}),
		usageBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: "usage", Name: "bytes_total",
			Help: "Traffic counted from processed usage-statistics objects, in bytes, by direction (uploaded, downloaded).",
		}, []string{"direction"}),
		usageErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: "usage", Name: "collection_errors_total",
			Help: "Usage collection runs that stopped early with an error.",
		}),
		usageLastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Subsystem: "usage", Name: "last_success_timestamp_seconds",
			Help: "Unix time at which the last usage collection run without error finished; 0 before the first one.",
		}),

		reconcileFindings: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Subsystem: "reconcile", Name: "findings",
			Help: "Findings of the last reconciliation of every service, by kind and state (open or fixed).",
		}, []string{"kind", "state"}),
		reconcileLastRun: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Subsystem: "reconcile", Name: "last_run_timestamp_seconds",
			Help: "Unix time at which the last reconciliation of every service finished; 0 before the first one.",
		}),
		reconcileFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: "reconcile", Name: "failures_total",
			Help: "Reconciliation runs of every service that stopped before checking each service.",
		}),
	}

	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: metricsNamespace, Name: "build_info",
		Help: "Always 1, with the daemon version and the Go version it was built with as labels.",
	}, []string{"version", "goversion"})
	buildInfo.WithLabelValues(Version, runtime.Version()).Set(1)

	m.registry.MustRegister(
		m.rpcCalls, m.rpcDuration,
		m.gatewayRequests, m.gatewayDuration,
		m.usageObjects, m.usageBytes, m.usageErrors, m.usageLastSuccess,
		m.reconcileFindings, m.reconcileLastRun, m.reconcileFailures,
		buildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.initSeries()
	return m
}

// findingKinds lists every FindingKind, so the findings gauge reports 0 for
// kinds the last run did not find.
var findingKinds = []FindingKind{
	FindingPendingOperation, FindingUnrecordedKey, FindingMissingKey, FindingRevokedKeyActive,
	FindingMissingUser, FindingUnrecordedUser, FindingEndedServiceUser, FindingStateMismatch, FindingNotProvisioned,
	FindingBusy, FindingCheckFailed,
}

// initSeries creates the series of the fixed label values with value 0, so
// that an alert on an increase detects the first event, not only the second.
func (m *Metrics) initSeries() {
	for _, result := range []string{"processed", "skipped", "failed", "deleted"} {
		m.usageObjects.WithLabelValues(result)
	}
	for _, direction := range []string{"uploaded", "downloaded"} {
		m.usageBytes.WithLabelValues(direction)
	}
}

// Handler serves the metrics in the Prometheus text or protobuf format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog:      zap.NewStdLog(m.log),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.registry,
	})
}

// ObserveGateway records one HTTP request to the gateway. It has the
// signature of ostor.Config.Observe.
func (m *Metrics) ObserveGateway(op string, status int, err error, d time.Duration) {
	if m == nil {
		return
	}
	m.gatewayRequests.WithLabelValues(op, gatewayOutcome(status, err)).Inc()
	m.gatewayDuration.WithLabelValues(op).Observe(d.Seconds())
}

// gatewayOutcome returns the outcome label of a gateway request.
func gatewayOutcome(status int, err error) string {
	switch {
	case errors.Is(err, ostor.ErrOutcomeUnknown):
		return "outcome_unknown"
	case err != nil:
		return "network"
	case status >= 200 && status < 300:
		return "ok"
	case status >= 300 && status < 600:
		return strconv.Itoa(status/100) + "xx"
	}
	return "other"
}

// observeRPC records one RPC call. known is false when method is not a
// registered method name, because a caller may send any text there.
func (m *Metrics) observeRPC(method string, known bool, err error, d time.Duration) {
	if m == nil {
		return
	}
	if !known {
		method = "unknown"
	}
	code := "ok"
	if err != nil {
		code = asError(err).Code.Kind()
	}
	m.rpcCalls.WithLabelValues(method, code).Inc()
	m.rpcDuration.WithLabelValues(method).Observe(d.Seconds())
}

// recordCollection records the outcome of one usage collection run. The
// counts of a run that stopped early are recorded too, because the objects
// it processed are stored.
func (m *Metrics) recordCollection(summary CollectSummary, err error) {
	if m == nil {
		return
	}
	m.usageObjects.WithLabelValues("processed").Add(float64(summary.Processed))
	m.usageObjects.WithLabelValues("skipped").Add(float64(summary.Skipped))
	m.usageObjects.WithLabelValues("failed").Add(float64(summary.Failed))
	m.usageObjects.WithLabelValues("deleted").Add(float64(summary.Deleted))
	m.usageBytes.WithLabelValues("uploaded").Add(float64(summary.Totals.Uploaded))
	m.usageBytes.WithLabelValues("downloaded").Add(float64(summary.Totals.Downloaded))
	if err != nil {
		m.usageErrors.Inc()
		return
	}
	m.usageLastSuccess.SetToCurrentTime()
}

// recordReconcile records a finished reconciliation. Only runs over every
// service replace the findings, because a run over one client or service
// would hide the findings of the others.
func (m *Metrics) recordReconcile(req ReconcileRequest, report ReconcileReport) {
	if m == nil || req.ClientID != 0 || req.ServiceID != 0 {
		return
	}
	type group struct {
		kind  FindingKind
		state string
	}
	counts := map[group]int{}
	for _, kind := range findingKinds {
		counts[group{kind, "open"}] = 0
		counts[group{kind, "fixed"}] = 0
	}
	for _, f := range report.Findings {
		state := "open"
		if f.Fixed {
			state = "fixed"
		}
		counts[group{f.Kind, state}]++
	}
	// Each series is set rather than reset and rebuilt, so a scrape never
	// reads the findings half written.
	for g, n := range counts {
		m.reconcileFindings.WithLabelValues(string(g.kind), g.state).Set(float64(n))
	}
	m.reconcileLastRun.Set(float64(report.FinishedAt.UnixNano()) / 1e9)
}

// recordReconcileFailure records a reconciliation of every service that
// stopped early.
func (m *Metrics) recordReconcileFailure(req ReconcileRequest) {
	if m == nil || req.ClientID != 0 || req.ServiceID != 0 {
		return
	}
	m.reconcileFailures.Inc()
}
