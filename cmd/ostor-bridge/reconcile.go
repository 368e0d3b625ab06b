package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/bridge"
)

// cmdReconcile compares WHMCS with the gateway and prints the report. It fails when findings
// remain open, so a cron job or monitoring check notices drift.
func cmdReconcile(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, getenv func(string) string) error {
	fix := fs.Bool("fix", false, "repair what can be repaired; without it nothing is changed")
	serviceID := fs.Int64("service", 0, "check only this WHMCS service id (tblhosting.id)")
	clientID := fs.Int64("client", 0, "check only the services of this WHMCS client id (tblclients.id)")
	asJSON := fs.Bool("json", false, "print the report as JSON instead of text")
	cfg, err := loadConfigFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	if *serviceID < 0 || *clientID < 0 {
		fmt.Fprintln(fs.Output(), "--service and --client take a positive WHMCS id")
		return errUsage
	}
	if *serviceID != 0 && *clientID != 0 {
		fmt.Fprintln(fs.Output(), "give at most one of --service and --client")
		return errUsage
	}
	backend, err := openBackend(ctx, cfg, true, false)
	if err != nil {
		return err
	}
	defer backend.close()
	prov, err := backend.provisioner(cfg)
	if err != nil {
		return err
	}

	report, err := prov.Reconcile(ctx, bridge.ReconcileRequest{ServiceID: *serviceID, ClientID: *clientID, Fix: *fix})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		fmt.Fprint(stdout, report.Text())
	}
	if open := report.Open(); open > 0 {
		return fmt.Errorf("%d of %d findings are open; see the report above", open, len(report.Findings))
	}
	return nil
}

// startReconcile runs the start-up reconciliation in the background, so serving starts at once,
// and logs its summary. The returned channel closes when the run ends.
func startReconcile(ctx context.Context, log *zap.Logger, prov *bridge.Provisioner, cfg ReconcileConfig) <-chan struct{} {
	done := make(chan struct{})
	if cfg.OnStart == "off" {
		close(done)
		return done
	}
	log = log.With(zap.String("component", "reconcile"))
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(ctx, cfg.Timeout.Duration)
		defer cancel()

		start := time.Now()
		report, err := prov.Reconcile(ctx, bridge.ReconcileRequest{
			Fix:           cfg.OnStart == "fix",
			ResumePending: cfg.OnStart == "resume" || cfg.OnStart == "fix",
		})
		if err != nil {
			log.Error("start-up reconciliation failed", zap.String("mode", cfg.OnStart), zap.Int("services_checked", report.ServicesChecked), zap.Error(err))
			return
		}
		fields := []zap.Field{zap.String("mode", cfg.OnStart), zap.Duration("duration", time.Since(start)),
			zap.Int("services", report.ServicesChecked), zap.Int("findings", len(report.Findings)), zap.Int("open", report.Open())}
		if report.Open() > 0 {
			log.Warn("start-up reconciliation: "+report.Summary()+"; run ostor-bridge reconcile for the details", fields...)
			return
		}
		log.Info("start-up reconciliation: "+report.Summary(), fields...)
	}()
	return done
}
