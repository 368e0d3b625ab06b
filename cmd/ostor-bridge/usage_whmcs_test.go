package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// rpcCall sends one signed JSON-RPC request with params given as raw JSON.
func (s *stack) rpcCall(t *testing.T, method, params string) rpcReply {
	t.Helper()
	body := `{"jsonrpc":"2.0","method":"` + method + `","params":` + params + `,"id":"` + randomHex(t, 8) + `"}`
	return s.postRPC(t, s.Secret, []byte(body))
}

// createService creates a service for a new client and provisions its S3
// user through Service.Create, and returns the service id and S3 UserId.
func (s *stack) createService(t *testing.T, email string) (int64, string) {
	t.Helper()
	client := s.DB.AddClient(t, whmcstest.Client{Email: email, FirstName: "Usage", LastName: "Test"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	if r := s.rpcCall(t, "Service.Create", `{"service_id":`+strconv.FormatInt(service, 10)+`}`); r.Error != nil {
		t.Fatalf("Service.Create of service %d: %s", service, r.Error.Message)
	}
	// WHMCS activates a service once CreateAccount succeeds.
	if _, err := s.DB.ExecContext(t.Context(), `UPDATE tblhosting SET domainstatus = 'Active' WHERE id = ?`, service); err != nil {
		t.Fatal(err)
	}
	for _, u := range s.Gateway.Users() {
		if u.Email == email {
			return service, u.ID
		}
	}
	t.Fatalf("no S3 user %s after Service.Create", email)
	return 0, ""
}

type hostingUsage struct {
	DiskUsage  int64     `db:"diskusage"`
	DiskLimit  int64     `db:"disklimit"`
	BwUsage    int64     `db:"bwusage"`
	BwLimit    int64     `db:"bwlimit"`
	LastUpdate time.Time `db:"lastupdate"`
}

func readHostingUsage(t *testing.T, db *whmcstest.DB, serviceID int64) hostingUsage {
	t.Helper()
	var h hostingUsage
	err := db.GetContext(t.Context(), &h, `SELECT diskusage, disklimit, bwusage, bwlimit, lastupdate FROM tblhosting WHERE id = ?`, serviceID)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// storedBytes returns the downloaded and uploaded bytes stored for a service
// over all days.
func storedBytes(t *testing.T, db *whmcstest.DB, serviceID int64) (downloaded, uploaded uint64) {
	t.Helper()
	store := whmcs.NewStore(nil, db.DB)
	totals, err := store.UsageTotals(t.Context(), serviceID, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return totals.Downloaded, totals.Uploaded
}

func TestUsageUpdateWritesWHMCSColumns(t *testing.T) {
	s := startStack(t, stackOptions{})
	small, smallUser := s.createService(t, "small@example.com")
	huge, hugeUser := s.createService(t, "huge@example.com")

	today := time.Now().UTC().Truncate(24 * time.Hour)
	nextDue := today.AddDate(0, 0, 10)
	periodStart := nextDue.AddDate(0, -1, 0)
	for _, id := range []int64{small, huge} {
		_, err := s.DB.ExecContext(t.Context(), `UPDATE tblhosting SET nextduedate = ?, disklimit = 1000, bwlimit = 2000 WHERE id = ?`,
			nextDue.Format(time.DateOnly), id)
		if err != nil {
			t.Fatal(err)
		}
	}

	s.Gateway.AddBucket(smallUser, "small-data", 5<<30+1)
	s.Gateway.AddBucket(hugeUser, "huge-data", 3)
	foreign := s.Gateway.AddUser("foreign@example.com").ID // created outside WHMCS
	s.Gateway.AddBucket(foreign, "foreign", 1<<40)

	s.Gateway.GenerateUsage(periodStart.AddDate(0, 0, -1), 30*time.Minute, []ostortest.Traffic{
		// Before the billing period: stored, but not in bwusage.
		{At: periodStart.AddDate(0, 0, -1), UserID: smallUser, Bucket: "small-data", Get: 1, Downloaded: 7 << 20},
	})
	s.Gateway.GenerateUsage(today, 30*time.Minute, []ostortest.Traffic{
		{At: today.Add(time.Minute), UserID: smallUser, Bucket: "small-data", Get: 4, Downloaded: 3<<20 + 1, Uploaded: 5<<30 + 1},
		{At: today.Add(31 * time.Minute), UserID: smallUser, Bucket: "", List: 2, Downloaded: 100},
		{At: today.Add(time.Minute), UserID: hugeUser, Bucket: "huge-data", Get: 1<<32 + 1, Downloaded: 1<<53 + 1, Uploaded: 1<<32 + 3},
		{At: today.Add(time.Minute), UserID: foreign, Bucket: "foreign", Get: 9, Downloaded: 9},
	})

	r := s.rpcCall(t, "Usage.Update", `{"server_id":`+strconv.FormatInt(s.ServerID, 10)+`}`)
	if r.Error != nil {
		t.Fatalf("Usage.Update: %s", r.Error.Message)
	}
	var reply bridge.UsageUpdateReply
	if err := json.Unmarshal(r.Result, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.Processed != 3 || reply.Services != 2 || reply.Unassigned != 1 || reply.Failed != 0 {
		t.Errorf("Usage.Update reply = %+v, want 3 objects, 2 services, 1 unassigned user", reply)
	}

	// The bridge table holds the exact bytes, including traffic outside the period.
	if down, up := storedBytes(t, s.DB, small); down != 7<<20+3<<20+1+100 || up != 5<<30+1 {
		t.Errorf("stored bytes of service %d = %d down, %d up", small, down, up)
	}
	if down, up := storedBytes(t, s.DB, huge); down != 1<<53+1 || up != 1<<32+3 {
		t.Errorf("stored bytes of service %d = %d down, %d up; want 2^53+1 and 2^32+3 exactly", huge, down, up)
	}

	for i := range 2 {
		smallRow := readHostingUsage(t, s.DB, small)
		// 5 GiB + 1 byte stored and 3 MiB + 101 bytes downloaded in the period, rounded up.
		if smallRow.DiskUsage != 5121 || smallRow.BwUsage != 4 {
			t.Errorf("run %d: service %d diskusage = %d MB, bwusage = %d MB; want 5121 and 4", i+1, small, smallRow.DiskUsage, smallRow.BwUsage)
		}
		if smallRow.DiskLimit != 1000 || smallRow.BwLimit != 2000 {
			t.Errorf("run %d: limits changed to %d and %d MB, want 1000 and 2000 kept", i+1, smallRow.DiskLimit, smallRow.BwLimit)
		}
		if smallRow.LastUpdate.IsZero() {
			t.Errorf("run %d: lastupdate was not set", i+1)
		}
		hugeRow := readHostingUsage(t, s.DB, huge)
		if hugeRow.DiskUsage != 1 || hugeRow.BwUsage != whmcs.MaxHostingMB {
			t.Errorf("run %d: service %d diskusage = %d, bwusage = %d; want 1 and the int(10) maximum %d", i+1, huge, hugeRow.DiskUsage, hugeRow.BwUsage, whmcs.MaxHostingMB)
		}

		// A second run finds no new objects and writes the same values.
		if r := s.rpcCall(t, "Usage.Update", `{"server_id":"`+strconv.FormatInt(s.ServerID, 10)+`"}`); r.Error != nil {
			t.Fatalf("second Usage.Update: %s", r.Error.Message)
		}
	}
}

func TestUsageMetricsAcceptsNumberAndStringIDs(t *testing.T) {
	s := startStack(t, stackOptions{})
	service, user := s.createService(t, "metrics@example.com")
	s.Gateway.AddBucket(user, "metrics-data", 2<<30)
	now := time.Now().UTC()
	s.Gateway.GenerateUsage(now.Truncate(time.Hour), time.Hour, []ostortest.Traffic{
		{At: now.Truncate(time.Hour), UserID: user, Bucket: "metrics-data", Get: 1, Downloaded: 1<<53 + 1},
	})
	if r := s.rpcCall(t, "Usage.Update", `{}`); r.Error != nil {
		t.Fatalf("Usage.Update: %s", r.Error.Message)
	}

	id := strconv.FormatInt(service, 10)
	for _, params := range []string{`{"service_id":` + id + `}`, `{"service_id":"` + id + `"}`} {
		r := s.rpcCall(t, "Usage.Metrics", params)
		if r.Error != nil {
			t.Fatalf("Usage.Metrics %s: %s", params, r.Error.Message)
		}
		var reply struct {
			Services []struct {
				ServiceID       json.Number `json:"service_id"`
				StorageBytes    json.Number `json:"storage_bytes"`
				DownloadedBytes json.Number `json:"downloaded_bytes"`
				StorageGB       float64     `json:"storage_gb"`
			} `json:"services"`
		}
		dec := json.NewDecoder(strings.NewReader(string(r.Result)))
		dec.UseNumber()
		if err := dec.Decode(&reply); err != nil {
			t.Fatal(err)
		}
		if len(reply.Services) != 1 {
			t.Fatalf("Usage.Metrics %s returned %d services, want 1", params, len(reply.Services))
		}
		m := reply.Services[0]
		if m.ServiceID.String() != id || m.StorageBytes.String() != "2147483648" || m.DownloadedBytes.String() != "9007199254740993" || m.StorageGB != 2 {
			t.Errorf("Usage.Metrics %s = %+v, want 2 GiB stored and 2^53+1 bytes downloaded", params, m)
		}
	}

	bad := []struct{ params, want string }{
		{`{"service_id":"12a"}`, `service_id "12a" is not a non-negative integer`},
		{`{"service_id":-4}`, `service_id "-4" is not a non-negative integer`},
		{`{"service_id":` + strconv.FormatInt(service+1000, 10) + `}`, "has no S3 user managed by ostor-bridge"},
	}
	for _, tc := range bad {
		r := s.rpcCall(t, "Usage.Metrics", tc.params)
		if r.Error == nil || !strings.Contains(r.Error.Message, tc.want) {
			t.Errorf("Usage.Metrics %s: error %+v, want one containing %q", tc.params, r.Error, tc.want)
		}
	}
}

// TestUsageUpdateThroughModule runs the module's UsageUpdate as WHMCS's cron does.
func TestUsageUpdateThroughModule(t *testing.T) {
	s := startStack(t, stackOptions{})
	service, user := s.createService(t, "cron@example.com")
	s.Gateway.AddBucket(user, "cron-data", 10<<20)

	if got := callModule(t, "UsageUpdate", s.moduleParams(0)); got != "success" {
		t.Fatalf("UsageUpdate returned %v", got)
	}
	if row := readHostingUsage(t, s.DB, service); row.DiskUsage != 10 || row.LastUpdate.IsZero() {
		t.Errorf("after UsageUpdate diskusage = %d MB, lastupdate %v; want 10 MB and a time", row.DiskUsage, row.LastUpdate)
	}
}

func TestUsageScheduleWritesColumns(t *testing.T) {
	s := startStack(t, stackOptions{configure: func(c *Config) { c.Usage.Interval = Duration{200 * time.Millisecond} }})
	service, user := s.createService(t, "schedule@example.com")
	s.Gateway.AddBucket(user, "schedule-data", 3<<20)

	deadline := time.Now().Add(30 * time.Second)
	for readHostingUsage(t, s.DB, service).DiskUsage != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("diskusage of service %d is %d MB 30s after start, want 3 from a scheduled run", service, readHostingUsage(t, s.DB, service).DiskUsage)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(s.logs.String(), "scheduled usage updates started") {
		t.Errorf("daemon log does not show the usage schedule starting")
	}
}
