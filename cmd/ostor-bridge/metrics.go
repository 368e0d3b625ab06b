package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/bridge"
)

// MetricsConfig is the [metrics] section of the config file.
type MetricsConfig struct {
	// Listen is the "host:port" of the Prometheus endpoint GET /metrics.
	// Empty turns metrics off. It is a listener of its own because the RPC
	// listener may be a unix socket and authenticates every request.
	Listen string `toml:"listen"`
}

func (c MetricsConfig) problems(rpcListen string) []string {
	if c.Listen == "" {
		return nil
	}
	fix := `set it to "host:port", e.g. "127.0.0.1:9380", or leave it empty to turn metrics off`
	if strings.HasPrefix(c.Listen, "unix:") {
		return []string{fmt.Sprintf("metrics.listen is %q, a unix socket; Prometheus scrapes over TCP, so %s", c.Listen, fix)}
	}
	_, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return []string{fmt.Sprintf("metrics.listen %q is not a TCP address (%v); %s", c.Listen, err, fix)}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return []string{fmt.Sprintf("metrics.listen %q has port %q; use a number from 1 to 65535, e.g. \"127.0.0.1:9380\", or 0 to let the system choose", c.Listen, port)}
	}
	if c.Listen == rpcListen && port != "0" {
		return []string{fmt.Sprintf("metrics.listen and rpc.listen are both %q; give the metrics endpoint a port of its own, e.g. \"127.0.0.1:9380\"", c.Listen)}
	}
	return nil
}

// metricsServer serves GET /metrics on metrics.listen.
type metricsServer struct {
	srv  *http.Server
	done chan struct{} // closed when Serve has returned
}

// startMetricsServer listens on cfg.Listen and serves m until shutdown. It
// prints the address on stdout before returning, so a supervisor or test
// can find a port that the system chose for ":0". The line does not contain
// "listening on", which scripts wait for to know that RPC is served.
func startMetricsServer(cfg MetricsConfig, log *zap.Logger, m *bridge.Metrics, stdout io.Writer) (*metricsServer, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on metrics.listen %q: %w", cfg.Listen, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		log.Warn("metrics listener is not on loopback; the endpoint has no authentication, so limit who can reach it", zap.String("address", ln.Addr().String()))
	}

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	s := &metricsServer{
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			WriteTimeout:      bridge.DefaultJournalReadTimeout + 10*time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          zap.NewStdLog(log.With(zap.String("component", "metrics-http"))),
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		// The RPC server keeps running when metrics fail, because
		// provisioning matters more than monitoring.
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped; /metrics is unavailable until the daemon restarts", zap.Error(err))
		}
	}()

	log.Info("serving metrics", zap.String("address", ln.Addr().String()))
	fmt.Fprintf(stdout, "ostor-bridge metrics on %s\n", ln.Addr())
	return s, nil
}

// shutdown stops the server, waiting for open scrapes until ctx ends. A nil
// server does nothing.
func (s *metricsServer) shutdown(ctx context.Context, log *zap.Logger) {
	if s == nil {
		return
	}
	if err := s.srv.Shutdown(ctx); err != nil {
		log.Warn("metrics server did not stop in time; closing its connections", zap.Error(err))
		s.srv.Close()
	}
	<-s.done
}
