package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/s3data"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// commandBackend is the set of dependencies that the database commands share: the logger, the
// migrated WHMCS database with its store and, unless the command needs none, the gateway's admin
// API client.
type commandBackend struct {
	log     *zap.Logger
	db      *sqlx.DB
	store   *whmcs.Store
	gateway *ostor.Client   // nil when openBackend was called without withGateway
	metrics *bridge.Metrics // nil unless openBackend was called withMetrics
}

// openBackend builds the logger from cfg, then the gateway client when withGateway is set, then
// opens the WHMCS database and applies the bridge's migrations. withMetrics makes the Prometheus
// collectors and has the gateway client report to them. The caller must call close.
func openBackend(ctx context.Context, cfg Config, withGateway, withMetrics bool) (*commandBackend, error) {
	log, err := newLogger(cfg.Log)
	if err != nil {
		return nil, err
	}
	b := &commandBackend{log: log}
	if withMetrics {
		b.metrics = bridge.NewMetrics(log)
	}

	if withGateway {
		gwConfig := cfg.Gateway.ostor()
		if b.metrics != nil {
			gwConfig.Observe = b.metrics.ObserveGateway
		}
		b.gateway, err = ostor.New(gwConfig)
		if err != nil {
			b.close()
			return nil, fmt.Errorf("gateway settings: %w", err)
		}
	}
	b.db, err = whmcs.Open(ctx, cfg.Database.whmcs())
	if err != nil {
		b.close()
		return nil, err
	}
	if err := whmcs.Migrate(ctx, b.db, log.With(zap.String("component", "migrate"))); err != nil {
		b.close()
		return nil, err
	}
	b.store = whmcs.NewStore(log.With(zap.String("component", "store")), b.db)
	return b, nil
}

// close closes the database and flushes the logger.
func (b *commandBackend) close() {
	if b.db != nil {
		b.db.Close()
	}
	b.log.Sync()
}

// provisioner builds the workflows from the configuration. It needs the gateway client.
func (b *commandBackend) provisioner(cfg Config) (*bridge.Provisioner, error) {
	if b.gateway == nil {
		return nil, errors.New("the provisioner needs the gateway client; open the backend with withGateway")
	}
	return bridge.NewProvisioner(bridge.ProvisionerOptions{
		Log:                 b.log,
		DB:                  b.db,
		Store:               b.store,
		Gateway:             b.gateway,
		Module:              cfg.Provisioning.Module,
		AdoptExistingUsers:  cfg.Provisioning.AdoptExistingUsers,
		LockWait:            cfg.Provisioning.LockWait.Duration,
		PublicEndpoint:      cfg.Gateway.PublicEndpoint,
		NoteIncludesSecret:  cfg.Notes.IncludeSecret,
		NoteSticky:          cfg.Notes.Sticky,
		AdditionalUserEmail: cfg.Provisioning.AdditionalUserEmail,
		Metrics:             b.metrics,
		// The S3 data API is served on the same endpoint as the admin API.
		Purger: bridge.S3DataPurger{Config: s3data.Config{
			Endpoint:          cfg.Gateway.Endpoint,
			AllowInsecureHTTP: cfg.Gateway.AllowInsecureHTTP,
			CAFile:            cfg.Gateway.CAFile,
			Timeout:           cfg.Gateway.Timeout.Duration,
		}},
	})
}
