package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/bridge"
)

// shutdownGrace is how long in-flight RPC calls may run after SIGTERM before they are cut off.
// A provisioning call interrupted later than that is finished by its next attempt, because every
// workflow is journaled and idempotent.
const shutdownGrace = 30 * time.Second

func cmdServe(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, getenv func(string) string) error {
	cfg, err := loadConfigFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// ---- dependencies
	backend, err := openBackend(ctx, cfg, true, cfg.Metrics.Listen != "")
	if err != nil {
		return err
	}
	defer backend.close()
	log, store, gw := backend.log, backend.store, backend.gateway
	if cfg.Gateway.AllowInsecureHTTP {
		log.Warn("gateway over plain HTTP: the admin API signs only the service name, so a captured request can be replayed with other parameters; use HTTPS in production",
			zap.String("endpoint", cfg.Gateway.Endpoint))
	}
	metrics := backend.metrics
	if metrics != nil {
		if err := metrics.WatchJournal(store, bridge.DefaultJournalReadTimeout); err != nil {
			return fmt.Errorf("register journal metrics: %w", err)
		}
	}

	// ---- RPC handler
	prov, err := backend.provisioner(cfg)
	if err != nil {
		return err
	}
	usageBilling, err := newUsage(cfg.Usage, log, store, gw, nil, metrics)
	if err != nil {
		return err
	}
	panel, err := bridge.NewPanel(bridge.PanelOptions{
		Log:          log,
		Store:        store,
		Gateway:      gw,
		Provisioner:  prov,
		Module:       cfg.Provisioning.Module,
		Deadline:     cfg.Panel.Deadline.Duration,
		UsageHistory: bridge.StoreUsageHistory{Store: store},
	})
	if err != nil {
		return err
	}
	handler, err := bridge.NewHandler(bridge.ServerOptions{
		Log:          log,
		Secret:       []byte(cfg.RPC.Secret),
		MaxClockSkew: cfg.RPC.MaxClockSkew.Duration,
		CallTimeout:  cfg.RPC.CallTimeout.Duration,
		Provisioner:  prov,
		Checker:      &bridge.DependencyChecker{Log: log, Store: store, Gateway: gw},
		Panel:        panel,
		Usage:        usageBilling,
		Metrics:      metrics,
	})
	if err != nil {
		return err
	}

	// ---- listeners and servers
	var metricsSrv *metricsServer
	if metrics != nil {
		if metricsSrv, err = startMetricsServer(cfg.Metrics, log, metrics, stdout); err != nil {
			return err
		}
	}
	ln, err := listen(cfg.RPC.Listen)
	if err != nil {
		return err
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		log.Warn("RPC listener is not on loopback; make sure only the WHMCS host can reach it", zap.String("address", ln.Addr().String()))
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.RPC.CallTimeout.Duration + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(log.With(zap.String("component", "http"))),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	scheduleCtx, stopSchedule := context.WithCancel(ctx)
	scheduleDone := make(chan struct{})
	go func() {
		defer close(scheduleDone)
		if cfg.Usage.Interval.Duration > 0 {
			runUsageSchedule(scheduleCtx, log, usageBilling, cfg.Usage.Interval.Duration)
		}
	}()
	defer func() {
		stopSchedule()
		<-scheduleDone
	}()
	log.Info("serving", zap.String("address", listenerName(ln)), zap.String("version", bridge.Version))
	fmt.Fprintf(stdout, "ostor-bridge listening on %s\n", listenerName(ln))
	reconcileDone := startReconcile(ctx, log, prov, cfg.Reconcile)

	// ---- shutdown
	select {
	case err := <-serveErr:
		return fmt.Errorf("RPC server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", zap.Duration("grace", shutdownGrace))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("graceful shutdown timed out; closing open connections", zap.Error(err))
		srv.Close()
	}
	metricsSrv.shutdown(shutdownCtx, log)
	<-reconcileDone
	log.Info("stopped")
	return nil
}

// listen opens "host:port" as TCP or "unix:/path" as a unix socket readable and writable by the
// daemon's user and group (the web server's group, so PHP can connect).
func listen(address string) (net.Listener, error) {
	path, isUnix := strings.CutPrefix(address, "unix:")
	if !isUnix {
		ln, err := net.Listen("tcp", address)
		if err != nil {
			return nil, fmt.Errorf("listen on rpc.listen %q: %w", address, err)
		}
		return ln, nil
	}
	// A socket file left by a daemon that was killed blocks the new listener; remove it only if
	// it is a socket, so a misconfigured path never deletes a regular file, and only if no
	// process accepts connections on it, so a second daemon does not cut off a running one.
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		if socketInUse(path) {
			return nil, fmt.Errorf("listen on rpc.listen %q: another process accepts connections on this socket, probably a running ostor-bridge daemon; stop it first or set another rpc.listen", address)
		}
		os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on rpc.listen %q: %w", address, err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("set permissions of socket %s: %w", path, err)
	}
	return ln, nil
}

func listenerName(ln net.Listener) string {
	if ln.Addr().Network() == "unix" {
		return "unix:" + ln.Addr().String()
	}
	return ln.Addr().String()
}
