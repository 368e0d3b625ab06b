package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape is the parsed body of one GET /metrics.
type scrape []sample

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// scrapeMetrics fetches and parses the daemon's metrics.
func (s *stack) scrapeMetrics(t *testing.T) scrape {
	t.Helper()
	if s.MetricsAddr == "" {
		t.Fatal("the daemon printed no metrics address; set metrics.listen in the test's config")
	}
	resp, err := http.Get("http://" + s.MetricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: HTTP %d\n%s", resp.StatusCode, body)
	}

	var samples scrape
	for line := range strings.SplitSeq(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("metrics line %q is not in the text format", line)
		}
		value, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("metrics line %q has value %q: %v", line, m[3], err)
		}
		labels := map[string]string{}
		for _, pair := range labelPair.FindAllStringSubmatch(m[2], -1) {
			labels[pair[1]] = pair[2]
		}
		samples = append(samples, sample{name: m[1], labels: labels, value: value})
	}
	return samples
}

// value returns the sample of name whose labels include want, or 0 when
// there is none, as Prometheus treats a counter that was never incremented.
func (sc scrape) value(name string, want map[string]string) float64 {
	for _, smp := range sc {
		if smp.name != name {
			continue
		}
		match := true
		for k, v := range want {
			if smp.labels[k] != v {
				match = false
				break
			}
		}
		if match {
			return smp.value
		}
	}
	return 0
}

// has reports whether the scrape contains a sample of name.
func (sc scrape) has(name string) bool {
	for _, smp := range sc {
		if smp.name == name {
			return true
		}
	}
	return false
}

func withMetrics(cfg *Config) { cfg.Metrics.Listen = "127.0.0.1:0" }

func TestMetricsCountCallsAndRequests(t *testing.T) {
	s := startStack(t, stackOptions{configure: withMetrics})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "mona@example.com", FirstName: "Mona", LastName: "Metric"})
	created := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	failing := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	dropped := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	before := s.scrapeMetrics(t)

	if got := callModule(t, "CreateAccount", s.moduleParams(created)); got != "success" {
		t.Fatalf("CreateAccount returned %v", got)
	}
	notFound := s.postRPC(t, s.Secret, []byte(`{"jsonrpc":"2.0","method":"Service.Create","params":{"service_id":999999},"id":1}`))
	unauthorized := s.postRPC(t, "wrong-secret-wrong-secret-wrong", []byte(`{"jsonrpc":"2.0","method":"Service.Create","params":{"service_id":1},"id":2}`))
	noMethod := s.postRPC(t, s.Secret, []byte(`{"jsonrpc":"2.0","method":"mona@example.com","params":{},"id":3}`))
	s.Gateway.SetFault(ostor.OpUsersCreate, ostortest.Fault{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "maintenance", Times: 1})
	gatewayDown := s.postRPC(t, s.Secret, []byte(`{"jsonrpc":"2.0","method":"Service.Create","params":{"service_id":`+strconv.FormatInt(failing, 10)+`},"id":4}`))
	// The daemon resolves a lost response by reading the gateway, so this
	// call succeeds although its gateway request has an unknown outcome.
	s.Gateway.SetFault(ostor.OpUsersCreate, ostortest.Fault{DropAfterApply: true, Times: 1})
	responseLost := s.postRPC(t, s.Secret, []byte(`{"jsonrpc":"2.0","method":"Service.Create","params":{"service_id":`+strconv.FormatInt(dropped, 10)+`},"id":5}`))
	if responseLost.Error != nil {
		t.Fatalf("Service.Create after a lost gateway response failed: %s", responseLost.Error.Message)
	}

	for name, reply := range map[string]rpcReply{"unknown service": notFound, "wrong secret": unauthorized, "unknown method": noMethod, "gateway 503": gatewayDown} {
		if reply.Error == nil {
			t.Fatalf("%s: the call succeeded; the test needs it to fail", name)
		}
	}
	after := s.scrapeMetrics(t)

	delta := func(name string, labels map[string]string) float64 {
		return after.value(name, labels) - before.value(name, labels)
	}
	calls := []struct {
		method, code string
		want         float64
	}{
		{"Service.Create", "ok", 2},
		{"Service.Create", "not_found", 1},
		{"Service.Create", "outcome_unknown", 1}, // a 503 to a write may still have been applied
		{"unknown", "unauthorized", 1},
		{"unknown", "method_not_found", 1},
	}
	for _, c := range calls {
		got := delta("ostor_bridge_rpc_calls_total", map[string]string{"method": c.method, "code": c.code})
		if got != c.want {
			t.Errorf("rpc_calls_total{method=%q,code=%q} rose by %v, want %v", c.method, c.code, got, c.want)
		}
	}
	if got := delta("ostor_bridge_rpc_call_duration_seconds_count", map[string]string{"method": "Service.Create"}); got != 4 {
		t.Errorf("rpc_call_duration_seconds_count{method=\"Service.Create\"} rose by %v, want 4", got)
	}
	if got := delta("ostor_bridge_gateway_requests_total", map[string]string{"operation": ostor.OpUsersCreate, "outcome": "ok"}); got != 1 {
		t.Errorf("gateway_requests_total{operation=%q,outcome=\"ok\"} rose by %v, want 1", ostor.OpUsersCreate, got)
	}
	if got := delta("ostor_bridge_gateway_requests_total", map[string]string{"operation": ostor.OpUsersCreate, "outcome": "5xx"}); got != 1 {
		t.Errorf("gateway_requests_total{operation=%q,outcome=\"5xx\"} rose by %v, want 1", ostor.OpUsersCreate, got)
	}
	if got := delta("ostor_bridge_gateway_requests_total", map[string]string{"operation": ostor.OpUsersCreate, "outcome": "outcome_unknown"}); got != 1 {
		t.Errorf("gateway_requests_total{operation=%q,outcome=\"outcome_unknown\"} rose by %v, want 1", ostor.OpUsersCreate, got)
	}
	if got := delta("ostor_bridge_gateway_request_duration_seconds_count", map[string]string{"operation": ostor.OpUsersCreate}); got != 3 {
		t.Errorf("gateway_request_duration_seconds_count{operation=%q} rose by %v, want 3", ostor.OpUsersCreate, got)
	}

	if got := after.value("ostor_bridge_journal_up", nil); got != 1 {
		t.Errorf("journal_up = %v, want 1", got)
	}
	if got := after.value("ostor_bridge_journal_operations", map[string]string{"kind": "create", "state": "done"}); got != 2 {
		t.Errorf("journal_operations{kind=\"create\",state=\"done\"} = %v, want 2", got)
	}
	if got := after.value("ostor_bridge_journal_operations", map[string]string{"kind": "create", "state": "pending"}); got != 1 {
		t.Errorf("journal_operations{kind=\"create\",state=\"pending\"} = %v, want 1 for the create that got a 503", got)
	}
	if got := after.value("ostor_bridge_build_info", nil); got != 1 {
		t.Errorf("build_info = %v, want 1", got)
	}
}

func TestMetricsCountUsageCollection(t *testing.T) {
	s := startStack(t, stackOptions{configure: withMetrics})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "ulla@example.com", FirstName: "Ulla", LastName: "Usage"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	if got := callModule(t, "CreateAccount", s.moduleParams(service)); got != "success" {
		t.Fatalf("CreateAccount returned %v", got)
	}
	users := s.Gateway.Users()
	if len(users) != 1 {
		t.Fatalf("gateway has %d users after one CreateAccount, want 1", len(users))
	}
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	s.Gateway.AddUsage(start, 5*time.Minute, []ostor.UsageItem{
		{Bucket: "photos", UserID: users[0].ID, Put: 3, Get: 5, Uploaded: 3000, Downloaded: 70000},
		{Bucket: "backup", UserID: users[0].ID, Put: 1, Uploaded: 1 << 20},
	})
	s.Gateway.AddUsage(start.Add(5*time.Minute), 5*time.Minute, []ostor.UsageItem{
		{Bucket: "photos", UserID: users[0].ID, Get: 2, Downloaded: 500},
	})
	before := s.scrapeMetrics(t)
	if got := before.value("ostor_bridge_usage_last_success_timestamp_seconds", nil); got != 0 {
		t.Fatalf("usage_last_success_timestamp_seconds = %v before any collection, want 0", got)
	}

	reply := s.postRPC(t, s.Secret, []byte(`{"jsonrpc":"2.0","method":"Usage.Update","params":{"server_id":`+strconv.FormatInt(s.ServerID, 10)+`},"id":1}`))
	if reply.Error != nil {
		t.Fatalf("Usage.Update failed: %s", reply.Error.Message)
	}
	var result struct {
		Processed int `json:"processed"`
	}
	if err := json.Unmarshal(reply.Result, &result); err != nil || result.Processed != 2 {
		t.Fatalf("Usage.Update result %s, want 2 processed objects", reply.Result)
	}
	after := s.scrapeMetrics(t)

	delta := func(name string, labels map[string]string) float64 {
		return after.value(name, labels) - before.value(name, labels)
	}
	if got := delta("ostor_bridge_usage_objects_total", map[string]string{"result": "processed"}); got != 2 {
		t.Errorf("usage_objects_total{result=\"processed\"} rose by %v, want 2", got)
	}
	if got := delta("ostor_bridge_usage_bytes_total", map[string]string{"direction": "uploaded"}); got != 3000+1<<20 {
		t.Errorf("usage_bytes_total{direction=\"uploaded\"} rose by %v, want %d", got, 3000+1<<20)
	}
	if got := delta("ostor_bridge_usage_bytes_total", map[string]string{"direction": "downloaded"}); got != 70500 {
		t.Errorf("usage_bytes_total{direction=\"downloaded\"} rose by %v, want 70500", got)
	}
	if got := delta("ostor_bridge_usage_collection_errors_total", nil); got != 0 {
		t.Errorf("usage_collection_errors_total rose by %v, want 0", got)
	}
	if got := after.value("ostor_bridge_usage_last_success_timestamp_seconds", nil); got < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("usage_last_success_timestamp_seconds = %v after a successful collection, want the time of the run", got)
	}
}

func TestMetricsReportStartupReconciliation(t *testing.T) {
	s := startStack(t, stackOptions{configure: func(cfg *Config) {
		withMetrics(cfg)
		cfg.Reconcile.OnStart = "report"
	}})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "rita@example.com", FirstName: "Rita", LastName: "Recon"})
	s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Active"})
	s.stopDaemon(t)
	s.startDaemon(t, stackOptions{configure: func(cfg *Config) {
		withMetrics(cfg)
		cfg.Reconcile.OnStart = "report"
	}})

	// The start-up reconciliation runs in the background, so the test
	// scrapes until it has finished, for at most 30s.
	var sc scrape
	for deadline := time.Now().Add(30 * time.Second); ; {
		sc = s.scrapeMetrics(t)
		if sc.value("ostor_bridge_reconcile_last_run_timestamp_seconds", nil) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("reconcile_last_run_timestamp_seconds stayed 0 for 30s after start-up")
		}
		time.Sleep(100 * time.Millisecond)
	}

	if got := sc.value("ostor_bridge_reconcile_findings", map[string]string{"kind": "not_provisioned", "state": "open"}); got != 1 {
		t.Errorf("reconcile_findings{kind=\"not_provisioned\",state=\"open\"} = %v, want 1 for the active service without an S3 user", got)
	}
	if got := sc.value("ostor_bridge_reconcile_findings", map[string]string{"kind": "missing_user", "state": "open"}); got != 0 {
		t.Errorf("reconcile_findings{kind=\"missing_user\",state=\"open\"} = %v, want 0", got)
	}
	if !sc.has("ostor_bridge_reconcile_failures_total") {
		t.Error("reconcile_failures_total is missing from the scrape")
	}
}

func TestMetricsLabelsCarryNoClientData(t *testing.T) {
	s := startStack(t, stackOptions{configure: withMetrics})
	const email = "lena.label+s3@example.com"
	client := s.DB.AddClient(t, whmcstest.Client{Email: email, FirstName: "Lena", LastName: "Label"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	if got := callModule(t, "CreateAccount", s.moduleParams(service)); got != "success" {
		t.Fatalf("CreateAccount returned %v", got)
	}
	// Method names and bodies are caller data too: an unknown method that
	// looks like an email must not become a label value.
	s.postRPC(t, s.Secret, []byte(`{"jsonrpc":"2.0","method":"`+email+`","params":{},"id":1}`))
	sc := s.scrapeMetrics(t)

	forbidden := map[string]string{
		"client email":       email,
		"RPC secret":         s.Secret,
		"gateway secret key": s.Gateway.Config().SecretAccessKey,
		"gateway access key": s.Gateway.Config().AccessKeyID,
	}
	users := s.Gateway.Users()
	if len(users) != 1 || len(users[0].AccessKeys) == 0 {
		t.Fatalf("gateway has users %+v, want one user with a key; the scan would prove nothing", users)
	}
	forbidden["S3 user id"] = users[0].ID
	for _, k := range users[0].AccessKeys {
		forbidden["access key id "+k.AccessKeyID] = k.AccessKeyID
		forbidden["secret key of "+k.AccessKeyID] = k.SecretAccessKey.Reveal()
	}

	labelValues := 0
	for _, smp := range sc {
		for label, value := range smp.labels {
			labelValues++
			if strings.Contains(value, "@") {
				t.Errorf("%s{%s=%q} looks like an email address", smp.name, label, value)
			}
			for what, secret := range forbidden {
				if secret == "" {
					t.Fatalf("%s is empty; the scan would prove nothing", what)
				}
				if value == secret || (len(secret) >= 8 && strings.Contains(value, secret)) {
					t.Errorf("%s{%s=%q} contains the %s", smp.name, label, value, what)
				}
			}
		}
	}
	if labelValues == 0 || !sc.has("ostor_bridge_rpc_calls_total") {
		t.Fatal("the scrape has no RPC call series; the scan would prove nothing")
	}
}
