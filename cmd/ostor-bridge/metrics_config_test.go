package main

import (
	"net"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/ostor-bridge/ostor-bridge/bridge"
)

func TestMetricsListenValidation(t *testing.T) {
	cases := []struct {
		name    string
		listen  string
		wantErr string // empty when the address is valid
	}{
		{"off", "", ""},
		{"loopback", "127.0.0.1:9380", ""},
		{"host name", "localhost:9380", ""},
		{"IPv6 loopback", "[::1]:9380", ""},
		{"every interface", ":9380", ""},
		{"port chosen by the system", "127.0.0.1:0", ""},
		{"unix socket", "unix:/run/ostor-bridge/metrics.sock", "a unix socket; Prometheus scrapes over TCP"},
		{"port only", "9380", `metrics.listen "9380" is not a TCP address`},
		{"named port", "127.0.0.1:http", `has port "http"`},
		{"port too large", "127.0.0.1:70000", `has port "70000"`},
		{"negative port", "127.0.0.1:-1", `has port "-1"`},
		{"same as rpc.listen", "127.0.0.1:7380", "metrics.listen and rpc.listen are both"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, minimalConfig+"\n[metrics]\nlisten = \""+c.listen+"\"\n")

			cfg, err := LoadConfig(path, configSecrets)

			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("LoadConfig rejected metrics.listen %q: %v", c.listen, err)
				}
				if cfg.Metrics.Listen != c.listen {
					t.Errorf("metrics.listen = %q, want %q", cfg.Metrics.Listen, c.listen)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadConfig accepted metrics.listen %q", c.listen)
			}
			if !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error does not contain %q:\n%v", c.wantErr, err)
			}
			if !strings.Contains(err.Error(), "127.0.0.1:9380") {
				t.Errorf("error does not show a valid example address:\n%v", err)
			}
		})
	}
}

func TestMetricsOffByDefault(t *testing.T) {
	cfg, err := LoadConfig(writeConfig(t, minimalConfig), configSecrets)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Metrics.Listen != "" {
		t.Errorf("default metrics.listen = %q, want empty (off)", cfg.Metrics.Listen)
	}
}

func TestMetricsServerPortInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var stdout strings.Builder

	srv, err := startMetricsServer(MetricsConfig{Listen: taken.Addr().String()}, zaptest.NewLogger(t), bridge.NewMetrics(nil), &stdout)

	if err == nil {
		srv.shutdown(t.Context(), zaptest.NewLogger(t))
		t.Fatalf("startMetricsServer listened on %s, which is in use", taken.Addr())
	}
	if !strings.Contains(err.Error(), "metrics.listen") || !strings.Contains(err.Error(), taken.Addr().String()) {
		t.Errorf("error %q does not name metrics.listen and the address", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("startMetricsServer printed %q although it failed", stdout.String())
	}
}
