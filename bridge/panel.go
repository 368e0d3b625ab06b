package bridge

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// PanelGateway is the part of the ostor admin API the admin panel reads and changes directly.
// Lifecycle and key changes go through the Provisioner instead. *ostor.Client implements it.
type PanelGateway interface {
	GetUser(ctx context.Context, ref ostor.UserRef) (ostor.User, error)
	ListUsers(ctx context.Context) ([]ostor.User, error)
	ListUserBuckets(ctx context.Context, owner ostor.UserRef) ([]ostor.Bucket, error)
	GetLimits(ctx context.Context, target ostor.Target) (ostor.Limits, error)
	SetLimits(ctx context.Context, target ostor.Target, values ...ostor.LimitValue) error
	DeleteLimits(ctx context.Context, target ostor.Target, limitType string) error
	GetQuota(ctx context.Context, target ostor.Target) (ostor.Quota, error)
	ListUsage(ctx context.Context, after string, limit int) (ostor.UsagePage, error)
	GetUsage(ctx context.Context, name string) (ostor.UsageObject, error)
	DeleteUsage(ctx context.Context, name string) error
}

// UsageDay is the usage of one service on one UTC day.
type UsageDay struct {
	Day time.Time // midnight UTC
	// StoredBytes is the bytes stored at the day's last measurement, nil when storage was not
	// measured that day.
	StoredBytes *uint64
	Uploaded    uint64 // bytes
	Downloaded  uint64 // bytes
	Put         uint64 // requests
	Get         uint64
	List        uint64
	Other       uint64
}

// Requests returns the day's requests of every kind together.
func (d UsageDay) Requests() uint64 { return d.Put + d.Get + d.List + d.Other }

// UsageHistory returns the daily usage the bridge has counted for a service, in any order; the
// panel shows the newest day first.
type UsageHistory interface {
	RecentUsage(ctx context.Context, serviceID int64, days int) ([]UsageDay, error)
}

// PanelOptions configures the admin panel.
type PanelOptions struct {
	Log         *zap.Logger
	Store       *whmcs.Store
	Gateway     PanelGateway
	Provisioner *Provisioner

	// Module is the WHMCS server module name of the services the panel shows.
	Module string

	// Deadline bounds the gateway reads of one panel view. Sections whose gateway reads did not
	// return in time show a notice instead. The daemon's config check requires it to be shorter
	// than rpc.call_timeout, whose default of 60 s is below the PHP client's 90 s.
	Deadline time.Duration

	// UsageHistory feeds the usage section; nil hides the section.
	UsageHistory UsageHistory
	// UsageDays is how many days of usage the section shows.
	UsageDays int
}

// DefaultPanelDeadline is the default of PanelOptions.Deadline.
const DefaultPanelDeadline = 4 * time.Second

// maxGatewayReads bounds the gateway requests one panel view runs at the same time.
const maxGatewayReads = 8

// maxBucketLimitReads bounds the bucket limit reads of one service that run at the same time.
const maxBucketLimitReads = 4

// Panel renders the S3 panel of the WHMCS client summary page and runs its actions.
type Panel struct {
	log  *zap.Logger
	opts PanelOptions
}

// NewPanel validates opts and returns a Panel.
func NewPanel(opts PanelOptions) (*Panel, error) {
	if opts.Store == nil || opts.Gateway == nil || opts.Provisioner == nil {
		return nil, errors.New("bridge: PanelOptions needs Store, Gateway and Provisioner")
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.Module == "" {
		opts.Module = "ostorbridge"
	}
	if opts.Deadline <= 0 {
		opts.Deadline = DefaultPanelDeadline
	}
	if opts.UsageDays <= 0 {
		opts.UsageDays = 7
	}
	return &Panel{log: opts.Log.With(zap.String("component", "panel")), opts: opts}, nil
}

// servicePanel is everything the panel shows about one storage service. Each field is written
// by one goroutine of gather, and read only after all of them finished.
type servicePanel struct {
	Service  whmcs.Service
	Identity *whmcs.Identity

	User    *ostor.User
	UserErr string

	UserLimits    *ostor.Limits
	UserLimitsErr string

	Quota    *ostor.Quota
	QuotaErr string

	Buckets    []bucketPanel
	BucketsErr string

	Operations    []whmcs.Operation
	OperationsErr string

	// Warnings are reconciliation findings: differences between the gateway and the bridge's
	// records that an admin should resolve.
	Warnings []string

	Usage    []UsageDay
	UsageErr string
}

// bucketPanel is one bucket with its limits.
type bucketPanel struct {
	Bucket    ostor.Bucket
	Limits    *ostor.Limits
	LimitsErr string
}

// gatherResult is the data of one client summary.
type gatherResult struct {
	Services []*servicePanel
	// GatewayTimedOut is true when the deadline ended before every gateway read returned.
	GatewayTimedOut bool
}

// gather reads the client's storage services from the database and their state from the
// gateway. Gateway reads run concurrently under the panel deadline, and a failed read fills the
// matching error field rather than failing the whole summary. Only a database failure while
// listing the services is returned as an error.
func (p *Panel) gather(ctx context.Context, clientID int64) (gatherResult, error) {
	services, err := p.opts.Store.ServicesOfClient(ctx, clientID, p.opts.Module)
	if err != nil {
		return gatherResult{}, p.opts.Provisioner.dbError(err, "list the services of client %d", clientID)
	}
	sort.Slice(services, func(i, j int) bool { return services[i].ID < services[j].ID })

	gctx, cancel := context.WithTimeout(ctx, p.opts.Deadline)
	defer cancel()

	var wg sync.WaitGroup
	slots := make(chan struct{}, maxGatewayReads)
	run := func(fn func()) {
		wg.Go(func() {
			select {
			case slots <- struct{}{}:
			case <-gctx.Done():
				fn() // fn gets the expired context and records the timeout
				return
			}
			defer func() { <-slots }()
			fn()
		})
	}

	result := gatherResult{}
	for _, svc := range services {
		sp := &servicePanel{Service: svc}
		result.Services = append(result.Services, sp)
		p.gatherService(ctx, gctx, sp, run)
	}
	wg.Wait()

	result.GatewayTimedOut = errors.Is(gctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	for _, sp := range result.Services {
		sp.Warnings = append(sp.Warnings, p.reconcileWarnings(ctx, sp)...)
	}
	return result, nil
}

// gatherService starts the reads of one service. Database reads use ctx; gateway reads use gctx,
// which carries the panel deadline.
func (p *Panel) gatherService(ctx, gctx context.Context, sp *servicePanel, run func(func())) {
	ident, err := p.opts.Store.Identity(ctx, p.opts.Provisioner.db(), sp.Service.ID)
	switch {
	case errors.Is(err, whmcs.ErrNotFound):
		// No S3 user yet: the panel offers Create user.
	case err != nil:
		sp.UserErr = toRPCError(p.opts.Provisioner.dbError(err, "read the S3 identity of service %d", sp.Service.ID)).Message
	default:
		sp.Identity = &ident
	}

	run(func() {
		ops, err := p.opts.Store.RecentOperations(ctx, sp.Service.ID, 5)
		if err != nil {
			sp.OperationsErr = toRPCError(p.opts.Provisioner.dbError(err, "read the operations of service %d", sp.Service.ID)).Message
			return
		}
		sp.Operations = ops
	})
	if p.opts.UsageHistory != nil {
		run(func() {
			days, err := p.opts.UsageHistory.RecentUsage(ctx, sp.Service.ID, p.opts.UsageDays)
			if err != nil {
				p.log.Warn("read usage history", zap.Int64("service_id", sp.Service.ID), zap.Error(err))
				sp.UsageErr = "the usage history could not be read; see the daemon log"
				return
			}
			sort.Slice(days, func(i, j int) bool { return days[i].Day.After(days[j].Day) })
			sp.Usage = days
		})
	}
	if sp.Identity == nil {
		return
	}

	ref := ostor.ByID(sp.Identity.UserID)
	run(func() {
		user, err := p.opts.Gateway.GetUser(gctx, ref)
		if err != nil {
			sp.UserErr = p.readError(gctx, err, "read S3 user %s", sp.Identity.UserID)
			return
		}
		sp.User = &user
	})
	run(func() {
		limits, err := p.opts.Gateway.GetLimits(gctx, ostor.UserTarget(ref))
		if err != nil {
			sp.UserLimitsErr = p.readError(gctx, err, "read the user limits")
			return
		}
		sp.UserLimits = &limits
	})
	run(func() {
		quota, err := p.opts.Gateway.GetQuota(gctx, ostor.UserTarget(ref))
		if err != nil {
			sp.QuotaErr = p.readError(gctx, err, "read the user quota")
			return
		}
		sp.Quota = &quota
	})
	run(func() {
		buckets, err := p.opts.Gateway.ListUserBuckets(gctx, ref)
		if err != nil {
			sp.BucketsErr = p.readError(gctx, err, "list the buckets")
			return
		}
		sort.Slice(buckets, func(i, j int) bool { return buckets[i].Name < buckets[j].Name })
		sp.Buckets = make([]bucketPanel, len(buckets))
		var inner sync.WaitGroup
		// The bucket reads have their own small bound instead of the view's slots, so a client
		// with many buckets neither floods the gateway nor starves the other services' reads.
		bucketSlots := make(chan struct{}, maxBucketLimitReads)
		for i := range buckets {
			sp.Buckets[i].Bucket = buckets[i]
			bp := &sp.Buckets[i]
			inner.Go(func() {
				bucketSlots <- struct{}{}
				defer func() { <-bucketSlots }()
				limits, err := p.opts.Gateway.GetLimits(gctx, ostor.BucketTarget(bp.Bucket.Name))
				if err != nil {
					bp.LimitsErr = p.readError(gctx, err, "read the bucket limits")
					return
				}
				bp.Limits = &limits
			})
		}
		inner.Wait()
	})
}

// readError describes a failed gateway read for the panel.
func (p *Panel) readError(gctx context.Context, err error, format string, args ...any) string {
	what := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(gctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("could not %s: the S3 gateway did not answer within %s", what, p.opts.Deadline)
	case errors.Is(err, ostor.ErrNotSupported):
		return "not supported by the configured gateway release (gateway.profile)"
	}
	p.log.Warn("panel read failed", zap.String("step", what), zap.Error(err))
	return "could not " + what + ": " + gatewayMessage(err)
}

// reconcileWarnings compares the access keys on the gateway with the keys the bridge recorded.
func (p *Panel) reconcileWarnings(ctx context.Context, sp *servicePanel) []string {
	var warnings []string
	for _, op := range sp.Operations {
		if op.State == whmcs.OperationPending {
			warnings = append(warnings, fmt.Sprintf("operation %d (%s) is still pending after %d attempt(s); run it again or run reconciliation", op.ID, op.Kind, op.Attempts))
		}
	}
	if sp.Identity == nil || sp.User == nil {
		return warnings
	}
	recorded, err := p.opts.Store.ActiveKeys(ctx, p.opts.Provisioner.db(), sp.Service.ID)
	if err != nil {
		return append(warnings, "the recorded access keys could not be read, so keys were not compared")
	}
	known := make(map[string]bool, len(recorded))
	for _, k := range recorded {
		known[k.AccessKeyID] = true
	}
	onGateway := make(map[string]bool, len(sp.User.AccessKeys))
	for _, k := range sp.User.AccessKeys {
		onGateway[k.AccessKeyID] = true
		if !known[k.AccessKeyID] {
			warnings = append(warnings, fmt.Sprintf("access key %s exists on the gateway but the bridge has no record of it; run reconciliation", k.AccessKeyID))
		}
	}
	for _, k := range recorded {
		if !onGateway[k.AccessKeyID] {
			warnings = append(warnings, fmt.Sprintf("access key %s is recorded for this service but no longer exists on the gateway; run reconciliation", k.AccessKeyID))
		}
	}
	return warnings
}
