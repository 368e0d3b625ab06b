package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

func TestUsageUpdateRPCStopsAndCountsMetrics(t *testing.T) {
	s := startStack(t, stackOptions{configure: func(c *Config) {
		withMetrics(c)
		c.Usage.MaxConsecutiveFailures = 2
	}})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "stan@example.com", FirstName: "Stan", LastName: "Stop"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	if got := callModule(t, "CreateAccount", s.moduleParams(service)); got != "success" {
		t.Fatalf("CreateAccount returned %v", got)
	}
	// WHMCS, not the module, marks a created service Active.
	execSQL(t, s, "UPDATE tblhosting SET domainstatus = 'Active' WHERE id = ?", service)
	user := s.Gateway.Users()[0]
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		s.Gateway.AddUsage(start.Add(time.Duration(i)*5*time.Minute), 5*time.Minute, []ostor.UsageItem{
			{Bucket: "photos", UserID: user.ID, Get: 1, Downloaded: 100},
		})
	}
	s.Gateway.SetFault(ostor.OpUsageGet, ostortest.Fault{Status: http.StatusInternalServerError})
	before := s.scrapeMetrics(t)

	reply := s.postRPC(t, s.Secret, []byte(`{"jsonrpc":"2.0","method":"Usage.Update","params":{"server_id":`+strconv.FormatInt(s.ServerID, 10)+`},"id":1}`))
	if reply.Error != nil {
		t.Fatalf("Usage.Update failed: %s", reply.Error.Message)
	}
	var result struct {
		Processed    int    `json:"processed"`
		Failed       int    `json:"failed"`
		Services     int    `json:"services"`
		CollectError string `json:"collect_error"`
	}
	if err := json.Unmarshal(reply.Result, &result); err != nil {
		t.Fatal(err)
	}
	if result.Processed != 0 || result.Failed != 2 {
		t.Errorf("Usage.Update result %s, want 0 processed and 2 failed", reply.Result)
	}
	if !strings.Contains(result.CollectError, "stopped after 2 objects in a row failed") {
		t.Errorf("collect_error = %q, want the stop after 2 failures", result.CollectError)
	}
	if result.Services != 1 {
		t.Errorf("Usage.Update wrote %d services, want 1 although collection stopped", result.Services)
	}

	after := s.scrapeMetrics(t)
	delta := func(name string, labels map[string]string) float64 {
		return after.value(name, labels) - before.value(name, labels)
	}
	if got := delta("ostor_bridge_usage_objects_total", map[string]string{"result": "failed"}); got != 2 {
		t.Errorf("usage_objects_total{result=\"failed\"} rose by %v, want 2", got)
	}
	if got := delta("ostor_bridge_usage_objects_total", map[string]string{"result": "processed"}); got != 0 {
		t.Errorf("usage_objects_total{result=\"processed\"} rose by %v, want 0", got)
	}
	if got := delta("ostor_bridge_usage_collection_errors_total", nil); got != 1 {
		t.Errorf("usage_collection_errors_total rose by %v, want 1", got)
	}
	if got := after.value("ostor_bridge_usage_last_success_timestamp_seconds", nil); got != 0 {
		t.Errorf("usage_last_success_timestamp_seconds = %v after a stopped run, want 0", got)
	}
}
