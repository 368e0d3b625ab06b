package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"go.uber.org/zap/zaptest"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/bridge/bridgetest"
	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// usageEnv is a database with managed services and a fake gateway holding
// statistics objects of simulated traffic, for running `ostor-bridge usage`
// as a process.
type usageEnv struct {
	db         *whmcstest.DB
	gw         *ostortest.Server
	store      *whmcs.Store
	configPath string
	env        []string
	services   map[string]int64 // S3 UserId → service id
	want       map[string]whmcs.UsageCounters
	names      []string
}

func newUsageEnv(t *testing.T, profile string, managedUsers int, configure func(*Config)) *usageEnv {
	t.Helper()
	e := &usageEnv{
		db:       whmcstest.NewDB(t),
		gw:       ostortest.Start(t, ostortest.Options{Profile: profile}),
		services: map[string]int64{},
		want:     map[string]whmcs.UsageCounters{},
	}
	e.store = whmcs.NewStore(zaptest.NewLogger(t), e.db.DB)

	e.services = bridgetest.AddManagedUsers(t, e.db, e.store, e.gw.Gateway, managedUsers)

	gwCfg := e.gw.Config()
	cfg := defaultConfig()
	cfg.Database = DatabaseConfig{Address: e.db.Config.Address, Socket: e.db.Config.Socket, User: e.db.Config.User, Name: e.db.Config.Name}
	cfg.Gateway.Endpoint = gwCfg.Endpoint
	cfg.Gateway.AccessKeyID = gwCfg.AccessKeyID
	cfg.Gateway.Profile = gwCfg.Profile
	cfg.Gateway.AllowInsecureHTTP = true
	cfg.Usage.PageSize = 3
	cfg.Log.Level = "debug"
	if configure != nil {
		configure(&cfg)
	}
	e.configPath = filepath.Join(t.TempDir(), "ostor-bridge.toml")
	f, err := os.Create(e.configPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := toml.NewEncoder(f).Encode(cfg); err != nil {
		t.Fatal(err)
	}
	f.Close()
	e.env = append(os.Environ(),
		"OSTOR_BRIDGE_DB_PASSWORD="+e.db.Config.Password,
		"OSTOR_BRIDGE_GATEWAY_SECRET_KEY="+gwCfg.SecretAccessKey,
	)
	return e
}

const unmanagedS3User = "00000000000000ff"

// simulate generates seeded random traffic of the managed users and of an
// unmanaged one in periods 30-minute objects, and adds it to the expected
// totals.
func (e *usageEnv) simulate(seed uint64, start time.Time, periods int) {
	rng := rand.New(rand.NewPCG(seed, seed))
	users := []string{unmanagedS3User}
	for id := range e.services {
		users = append(users, id)
	}
	var traffic []ostortest.Traffic
	for p := range periods {
		for _, user := range users {
			for _, bucket := range []string{"", "photos"} {
				tr := ostortest.Traffic{
					At: start.Add(time.Duration(p)*30*time.Minute + time.Minute), UserID: user, Bucket: bucket,
					Put: rng.Int64N(50), Get: rng.Int64N(500), List: rng.Int64N(5), Other: rng.Int64N(3),
					Uploaded: rng.Int64N(1 << 34), Downloaded: rng.Int64N(1 << 36),
				}
				traffic = append(traffic, tr)
				e.expect(user, tr)
			}
		}
	}
	e.names = append(e.names, e.gw.GenerateUsage(start, 30*time.Minute, traffic)...)
}

func (e *usageEnv) expect(user string, tr ostortest.Traffic) {
	tr.UserID = user
	bridgetest.AddTraffic(e.want, tr)
}

// checkTotals compares the stored daily counters, summed per S3 user, with
// the simulated traffic, and the processed-object rows with the objects.
func (e *usageEnv) checkTotals(t *testing.T) {
	t.Helper()
	bridgetest.CheckStoredTotals(t, e.store, e.services, e.want)

	var processed []string
	if err := e.db.SelectContext(t.Context(), &processed, `SELECT name FROM mod_ostorbridge_usage_objects ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(processed, "\n") != strings.Join(e.names, "\n") {
		t.Errorf("processed objects = %d rows, want the %d generated objects", len(processed), len(e.names))
	}
}

// collectProcess is a running `ostor-bridge usage collect`.
type collectProcess struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	stderr []string
	lines  chan struct{} // signalled on every stderr line
	done   chan error
}

func (e *usageEnv) startCollect(t *testing.T, args ...string) *collectProcess {
	t.Helper()
	p := &collectProcess{lines: make(chan struct{}, 1), done: make(chan error, 1)}
	p.cmd = exec.Command(daemonBinary, append([]string{"usage", "collect", "--config", e.configPath}, args...)...)
	p.cmd.Env = e.env
	p.cmd.Stdout = &p.stdout
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr = append(p.stderr, sc.Text())
			p.mu.Unlock()
			select {
			case p.lines <- struct{}{}:
			default:
			}
		}
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("usage collect stderr:\n%s", p.log())
		}
	})
	return p
}

func (p *collectProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.stderr, "\n")
}

func (p *collectProcess) count(substring string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, line := range p.stderr {
		if strings.Contains(line, substring) {
			n++
		}
	}
	return n
}

// waitForLog waits until stderr has n lines containing substring.
func (p *collectProcess) waitForLog(t *testing.T, substring string, n int) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for p.count(substring) < n {
		select {
		case <-p.lines:
		case err := <-p.done:
			p.done <- err
			if p.count(substring) >= n {
				return
			}
			t.Fatalf("usage collect exited (%v) before logging %q %d times", err, substring, n)
		case <-deadline:
			t.Fatalf("usage collect did not log %q %d times within 60s", substring, n)
		}
	}
}

// kill sends SIGKILL and waits for the process to end.
func (p *collectProcess) kill(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("usage collect did not end after SIGKILL")
	}
}

// wait waits for the process to exit on its own and returns its error.
func (p *collectProcess) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(120 * time.Second):
		t.Fatal("usage collect did not finish within 120s")
		return nil
	}
}

// collectToEnd runs collect without faults and requires success.
func (e *usageEnv) collectToEnd(t *testing.T) {
	t.Helper()
	e.gw.ClearFaults()
	p := e.startCollect(t)
	if err := p.wait(t); err != nil {
		t.Fatalf("final usage collect: %v\n%s", err, p.log())
	}
}

const (
	logReading = `"msg":"reading usage object"`
	logStored  = `"msg":"stored usage object"`
	logListing = `"msg":"listing usage objects"`
)

// holdLatency keeps a faulted gateway request open far longer than any
// step of the test, so SIGKILL always lands while the request is pending.
const holdLatency = 3 * time.Second

func TestUsageCollectKilledAtFixedPoints(t *testing.T) {
	start := time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)
	points := []struct {
		name string
		op   string
		wait string // log line whose nth occurrence puts the collector at the point
		nth  int
		// stored is the number of objects committed when the kill lands.
		stored int
	}{
		{"reading the third object", ostor.OpUsageGet, logReading, 3, 2},
		{"between commit and delete", ostor.OpUsageDelete, logStored, 2, 2},
		{"between pages", ostor.OpUsageList, logListing, 2, 3},
	}
	for _, point := range points {
		t.Run(point.name, func(t *testing.T) {
			e := newUsageEnv(t, ostor.ProfileVHI63, 2, nil)
			e.simulate(7, start, 8)
			e.gw.SetFault(point.op, ostortest.Fault{Latency: holdLatency, After: point.nth - 1, Times: 1})

			p := e.startCollect(t)
			p.waitForLog(t, point.wait, point.nth)
			p.kill(t)
			var stored int
			if err := e.db.GetContext(t.Context(), &stored, `SELECT COUNT(*) FROM mod_ostorbridge_usage_objects`); err != nil {
				t.Fatal(err)
			}
			if stored != point.stored {
				t.Fatalf("%d objects stored when the kill landed, want %d", stored, point.stored)
			}

			e.collectToEnd(t)
			e.checkTotals(t)
			// The request held at the kill is applied once its latency has passed, so the test
			// waits for the gateway to finish it before the last run.
			waitForGatewayIdle(t, e.gw)
			e.collectToEnd(t)
			if left := e.gw.UsageNames(); len(left) != 0 {
				t.Errorf("gateway still lists %d objects after the final runs", len(left))
			}
			e.checkTotals(t)
		})
	}
}

// waitForGatewayIdle waits until the gateway has finished every request it received, including
// those whose client was killed.
func waitForGatewayIdle(t *testing.T, gw *ostortest.Server) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for gw.InFlight() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("gateway still handles %d requests after 60s", gw.InFlight())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUsageCollectKilledWhileCommitBlocks(t *testing.T) {
	e := newUsageEnv(t, ostor.ProfileVHI, 2, nil)
	e.simulate(8, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 4)

	conn, err := e.db.Connx(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "LOCK TABLES mod_ostorbridge_usage_daily WRITE"); err != nil {
		t.Fatal(err)
	}

	p := e.startCollect(t)
	waitForBlockedInsert(t, e.db)
	p.kill(t)
	if _, err := conn.ExecContext(t.Context(), "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}

	e.collectToEnd(t)
	e.checkTotals(t)
}

// waitForBlockedInsert waits until a connection of the test database waits
// on the table lock with an insert into the daily usage table, that is,
// inside the transaction that stores an object.
func waitForBlockedInsert(t *testing.T, db *whmcstest.DB) {
	t.Helper()
	const query = `SELECT COUNT(*) FROM information_schema.PROCESSLIST
WHERE DB = ? AND INFO LIKE 'INSERT INTO mod_ostorbridge_usage_daily%'`
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := db.GetContext(t.Context(), &n, query, db.Name); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no insert into mod_ostorbridge_usage_daily blocked within 60s")
}

func TestUsageCollectKilledAtRandomPoints(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("OSTOR_BRIDGE_TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("OSTOR_BRIDGE_TEST_SEED=%q is not an unsigned integer", s)
		}
		seed = v
	}
	t.Logf("seed %d (set OSTOR_BRIDGE_TEST_SEED to repeat)", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	profile := []string{ostor.ProfileAS2, ostor.ProfileVHI, ostor.ProfileVHI63}[rng.IntN(3)]
	e := newUsageEnv(t, profile, 3, func(c *Config) { c.Usage.DeleteProcessed = rng.IntN(2) == 0 })
	e.simulate(seed, time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC), 12)
	t.Logf("profile %s, %d objects", profile, len(e.names))
	e.gw.SetFault(ostortest.AnyOp, ostortest.Fault{Latency: 15 * time.Millisecond})

	kills := 0
	for range 25 {
		p := e.startCollect(t)
		select {
		case err := <-p.done:
			p.done <- err
		case <-time.After(time.Duration(rng.IntN(400)) * time.Millisecond):
		}
		if p.cmd.ProcessState == nil {
			p.kill(t)
			kills++
			continue
		}
		break
	}
	t.Logf("killed %d runs", kills)

	e.collectToEnd(t)
	e.checkTotals(t)
}

func TestUsageCollectTwoProcessesCountOnce(t *testing.T) {
	e := newUsageEnv(t, ostor.ProfileVHI63, 3, func(c *Config) { c.Usage.DeleteProcessed = false })
	e.simulate(9, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 10)
	e.gw.SetFault(ostor.OpUsageGet, ostortest.Fault{Latency: 10 * time.Millisecond})

	first := e.startCollect(t, "--json")
	second := e.startCollect(t, "--json")
	processed := 0
	for _, p := range []*collectProcess{first, second} {
		if err := p.wait(t); err != nil {
			t.Fatalf("usage collect: %v\n%s", err, p.log())
		}
		var summary bridge.CollectSummary
		if err := json.Unmarshal(p.stdout.Bytes(), &summary); err != nil {
			t.Fatalf("summary %q is not JSON: %v", p.stdout.String(), err)
		}
		if summary.Failed != 0 {
			t.Errorf("a collector failed %d objects", summary.Failed)
		}
		processed += summary.Processed
	}
	if processed != len(e.names) {
		t.Errorf("the two collectors processed %d objects, want %d", processed, len(e.names))
	}
	e.checkTotals(t)
}

func TestUsageCollectPrintsProgressAndSummary(t *testing.T) {
	e := newUsageEnv(t, ostor.ProfileVHI63, 1, func(c *Config) { c.Log.Level = "error" })
	e.simulate(10, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 5)

	p := e.startCollect(t, "--progress-every", "2")
	if err := p.wait(t); err != nil {
		t.Fatalf("usage collect: %v\n%s", err, p.log())
	}
	if n := p.count("usage: "); n < 3 {
		t.Errorf("stderr has %d progress lines, want at least 3 for 5 objects every 2:\n%s", n, p.log())
	}
	out := p.stdout.String()
	for _, want := range []string{"objects stored                    5", "S3 users without a managed service", unmanagedS3User} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestUsageShowFormats(t *testing.T) {
	e := newUsageEnv(t, ostor.ProfileVHI, 1, nil)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var user string
	for id := range e.services {
		user = id
	}
	e.names = e.gw.GenerateUsage(today, 30*time.Minute, []ostortest.Traffic{
		{At: today, UserID: user, Bucket: "b", Get: 3, Downloaded: 1<<53 + 1},
	})
	e.collectToEnd(t)
	service := strconv.FormatInt(e.services[user], 10)

	run := func(format string) string {
		cmd := exec.Command(daemonBinary, "usage", "show", "--config", e.configPath, "--service", service, "--days", "2", "--format", format)
		cmd.Env = e.env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("usage show --format %s: %v", format, err)
		}
		return string(out)
	}

	csvOut := run("csv")
	wantCSV := today.Format(time.DateOnly) + "," + service + "," + user + ",0,3,0,0,0,9007199254740993,1,"
	if !strings.Contains(csvOut, wantCSV) {
		t.Errorf("csv output lacks %q:\n%s", wantCSV, csvOut)
	}

	dec := json.NewDecoder(strings.NewReader(run("json")))
	dec.UseNumber()
	var rows []map[string]any
	if err := dec.Decode(&rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0]["bytes_downloaded"] != json.Number("9007199254740993") {
		t.Errorf("json rows = %v, want one with bytes_downloaded 2^53+1", rows)
	}

	if table := run("table"); !strings.Contains(table, "9007199254740993") {
		t.Errorf("table output lacks the byte count:\n%s", table)
	}

	cmd := exec.Command(daemonBinary, "usage", "show", "--config", e.configPath, "--format", "xml")
	cmd.Env = e.env
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); err == nil || code != 2 || !strings.Contains(string(out), `--format "xml" is unknown`) {
		t.Errorf("usage show --format xml: exit %d, output %q; want exit 2 naming the format", code, out)
	}
}

func TestUsageUpdateCommandWritesColumns(t *testing.T) {
	e := newUsageEnv(t, ostor.ProfileVHI63, 1, nil)
	var user string
	for id := range e.services {
		user = id
	}
	e.gw.AddBucket(user, "update-data", 7<<20)
	e.simulate(11, time.Now().UTC().Truncate(time.Hour), 1)

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
	if summary.StorageSource != "users" || len(summary.Services) != 1 {
		t.Fatalf("summary = %+v, want storage from the users listing and one service", summary)
	}
	got := summary.Services[0]
	want := e.want[user]
	if got.StorageBytes != 7<<20 || got.DiskMB != 7 || got.DownloadedBytes != want.Downloaded || got.BandwidthMB != bridge.BytesToMB(want.Downloaded) {
		t.Errorf("service usage = %+v, want 7 MiB stored and %d bytes downloaded", got, want.Downloaded)
	}
	e.checkTotals(t)
}
