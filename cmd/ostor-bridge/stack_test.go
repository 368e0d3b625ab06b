package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// The end-to-end tests run the real daemon binary as a subprocess against a real MariaDB database
// with the WHMCS schema and an in-process fake gateway, and drive it through the real PHP module.

var daemonBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ostor-bridge-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	daemonBinary = filepath.Join(dir, "ostor-bridge")
	build := exec.Command("go", "build", "-o", daemonBinary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build ostor-bridge:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// stack is one running daemon with its database and gateway.
type stack struct {
	DB        *whmcstest.DB
	Gateway   *ostortest.Server
	Secret    string // RPC secret
	Addr      string // host:port of the daemon's RPC listener
	ServerID  int64  // tblservers row of the daemon
	ProductID int64  // an ostorbridge product

	ConfigPath string   // config file of the running daemon, for running other subcommands
	Env        []string // environment of the running daemon, with its secrets

	MetricsAddr string // host:port of the metrics listener; empty when metrics.listen is empty

	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

type stackOptions struct {
	configure  func(*Config) // adjusts the daemon config before start
	dbPassword string        // database password passed in the environment; default the test DSN's
}

// startGateway starts a fake gateway that is closed when the test ends.
func startGateway(t *testing.T) *ostortest.Server {
	g := ostortest.NewServer(ostortest.Options{})
	t.Cleanup(g.Close)
	return g
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// startStack creates a database, a fake gateway and a daemon; all are stopped when the test ends.
func startStack(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	s := &stack{
		DB:      whmcstest.NewDB(t),
		Gateway: startGateway(t),
		Secret:  randomHex(t, 32),
		logs:    &syncBuffer{},
	}

	s.ServerID = s.DB.AddServer(t, whmcstest.Server{Name: "ostor-bridge", Hostname: "127.0.0.1", Module: "ostorbridge"})
	s.ProductID = s.DB.AddProduct(t, whmcstest.Product{Name: "S3 Storage 100 GB", Module: "ostorbridge"})
	s.startDaemon(t, opts)
	return s
}

func (s *stack) startDaemon(t *testing.T, opts stackOptions) {
	t.Helper()
	gwCfg := s.Gateway.Config()
	cfg := defaultConfig()
	cfg.RPC.Listen = "127.0.0.1:0"
	cfg.Database = DatabaseConfig{
		Address: s.DB.Config.Address,
		Socket:  s.DB.Config.Socket,
		User:    s.DB.Config.User,
		Name:    s.DB.Config.Name,
	}
	cfg.Gateway.Endpoint = gwCfg.Endpoint
	cfg.Gateway.AccessKeyID = gwCfg.AccessKeyID
	cfg.Gateway.Profile = gwCfg.Profile
	cfg.Gateway.AllowInsecureHTTP = true
	cfg.Gateway.PublicEndpoint = "https://s3.example.test"
	cfg.Log.Level = "debug"
	if opts.configure != nil {
		opts.configure(&cfg)
	}

	path := filepath.Join(t.TempDir(), "ostor-bridge.toml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// Secrets go through the environment, as in production.
	fileCfg := cfg
	fileCfg.RPC.Secret, fileCfg.Database.Password, fileCfg.Gateway.SecretAccessKey = "", "", ""
	if err := toml.NewEncoder(f).Encode(fileCfg); err != nil {
		t.Fatal(err)
	}
	f.Close()

	dbPassword := s.DB.Config.Password
	if opts.dbPassword != "" {
		dbPassword = opts.dbPassword
	}
	cmd := exec.Command(daemonBinary, "serve", "--config", path)
	cmd.Env = append(os.Environ(),
		"OSTOR_BRIDGE_RPC_SECRET="+s.Secret,
		"OSTOR_BRIDGE_DB_PASSWORD="+dbPassword,
		"OSTOR_BRIDGE_GATEWAY_SECRET_KEY="+gwCfg.SecretAccessKey,
	)
	s.ConfigPath, s.Env = path, cmd.Env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd = cmd
	s.done = make(chan error, 1)

	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			// The daemon prints the metrics address before the RPC one,
			// so it is set when startDaemon returns.
			if a, ok := strings.CutPrefix(sc.Text(), "ostor-bridge metrics on "); ok {
				s.MetricsAddr = a
			}
			if a, ok := strings.CutPrefix(sc.Text(), "ostor-bridge listening on "); ok {
				addr <- a
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case s.Addr = <-addr:
	case err := <-s.done:
		t.Fatalf("daemon exited before listening: %v\n%s", err, s.logs.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("daemon did not listen within 30s\n%s", s.logs.String())
	}

	t.Cleanup(func() {
		s.stopDaemon(t)
		if t.Failed() || os.Getenv("OSTOR_BRIDGE_TEST_SHOW_LOGS") != "" {
			t.Logf("daemon log:\n%s", s.logs.String())
		}
	})
}

// stopDaemon sends SIGTERM and requires a clean exit.
func (s *stack) stopDaemon(t *testing.T) {
	if s.cmd == nil || s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("daemon exited with %v after SIGTERM", err)
		}
	case <-time.After(40 * time.Second):
		s.cmd.Process.Kill()
		t.Errorf("daemon did not stop within 40s of SIGTERM")
	}
}

// moduleParams returns the WHMCS $params of a service on the daemon's server record.
func (s *stack) moduleParams(serviceID int64) map[string]any {
	host, port, _ := strings.Cut(s.Addr, ":")
	return map[string]any{
		"serviceid":      serviceID,
		"serverid":       s.ServerID,
		"serverhostname": host,
		"serverport":     port,
		"serversecure":   false,
		"serverpassword": s.Secret,
	}
}

// callModule runs a module function through php exactly as WHMCS calls it, and returns its
// decoded return value.
func callModule(t *testing.T, function string, params map[string]any) any {
	t.Helper()
	in, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("php", "../../php-shim/tests/call-module.php", function)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php %s: %v\n%s", function, err, stderr.String())
	}
	var result any
	if err := json.Unmarshal(out, &result); err != nil {
		t.Fatalf("php %s printed %q, not JSON: %v", function, out, err)
	}
	return result
}

// rpcReply is a decoded JSON-RPC response.
type rpcReply struct {
	HTTPStatus int
	Result     json.RawMessage `json:"result"`
	Error      *struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Data    bridge.ErrorData `json:"data"`
	} `json:"error"`
	ID json.RawMessage `json:"id"`
}

// postRPC sends body to the daemon signed with secret (unsigned when secret is empty).
func (s *stack) postRPC(t *testing.T, secret string, body []byte) rpcReply {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+s.Addr+"/rpc", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		ts, sig := bridge.SignRequest([]byte(secret), time.Now(), body)
		req.Header.Set(bridge.HeaderTimestamp, ts)
		req.Header.Set(bridge.HeaderSignature, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("reply content type %q, body %q", ct, raw)
	}
	var r rpcReply
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("reply is not JSON: %q", raw)
	}
	r.HTTPStatus = resp.StatusCode
	return r
}

// syncBuffer collects the daemon's log while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
