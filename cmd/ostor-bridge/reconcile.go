package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
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
	log, err := newLogger(cfg.Log)
	if err != nil {
		return err
	}
	defer log.Sync()

	db, err := whmcs.Open(ctx, cfg.Database.whmcs())
	if err != nil {
		return err
	}
	defer db.Close()
	if err := whmcs.Migrate(ctx, db, log.With(zap.String("component", "migrate"))); err != nil {
		return err
	}
	prov, err := newProvisioner(cfg, log, db)
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

// newProvisioner builds the workflows from the configuration, as serve does.
func newProvisioner(cfg Config, log *zap.Logger, db *sqlx.DB) (*bridge.Provisioner, error) {
	gw, err := ostor.New(cfg.Gateway.ostor())
	if err != nil {
		return nil, fmt.Errorf("gateway settings: %w", err)
	}
	return bridge.NewProvisioner(bridge.ProvisionerOptions{
		Log:                log,
		DB:                 db,
		Store:              whmcs.NewStore(log.With(zap.String("component", "store")), db),
		Gateway:            gw,
		Module:             cfg.Provisioning.Module,
		AdoptExistingUsers: cfg.Provisioning.AdoptExistingUsers,
		LockWait:           cfg.Provisioning.LockWait.Duration,
		PublicEndpoint:     cfg.Gateway.PublicEndpoint,
		NoteIncludesSecret: cfg.Notes.IncludeSecret,
		NoteSticky:         cfg.Notes.Sticky,
	})
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
