package bridge

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// UsageGateway is the part of the ostor admin API that usage collection and
// billing use. *ostor.Client implements it.
type UsageGateway interface {
	Profile() ostor.Profile
	ListUsage(ctx context.Context, after string, limit int) (ostor.UsagePage, error)
	StreamUsage(ctx context.Context, name string, fn func(ostor.UsageItem) error) (ostor.UsageObject, error)
	DeleteUsage(ctx context.Context, name string) error
	ListBuckets(ctx context.Context) ([]ostor.Bucket, error)
	ListUsersWithSpace(ctx context.Context) ([]ostor.User, error)
}

// Bandwidth rules for tblhosting.bwusage.
const (
	BandwidthDownloaded = "downloaded" // bytes clients downloaded
	BandwidthTotal      = "total"      // bytes downloaded plus bytes uploaded
)

// DefaultMaxConsecutiveFailures is the number of statistics objects in a
// row that may fail to be read or stored before a run stops. A broken
// gateway or database fails every object, and retrying each one would
// only log the same error once per object.
const DefaultMaxConsecutiveFailures = 10

// DefaultUsagePageSize is the number of names per usage list request on
// gateways with paging. A third-party client saw broken JSON above about
// 700 names per reply, so the default stays well below that.
const DefaultUsagePageSize = 500

// UsageOptions configures usage collection and billing.
type UsageOptions struct {
	Log     *zap.Logger
	Store   *whmcs.Store
	Gateway UsageGateway

	// DeleteProcessed deletes each statistics object from the gateway once
	// its counters are committed. Gateways without list paging (before
	// VHI 6.3) list at most one page, so there the later pages are reached
	// only when processed objects are deleted.
	DeleteProcessed bool

	// PageSize is the number of names per list request when the gateway
	// pages; 0 means DefaultUsagePageSize.
	PageSize int

	// MaxConsecutiveFailures stops a run after this many objects in a row
	// failed to be read or stored; 0 means DefaultMaxConsecutiveFailures.
	// Any object that does not fail resets the count, so a corrupt object
	// among good ones does not stop the run.
	MaxConsecutiveFailures int

	// Bandwidth selects what tblhosting.bwusage counts: BandwidthDownloaded
	// (the default) or BandwidthTotal.
	Bandwidth string

	// Progress, when set, is called after each statistics object.
	Progress func(CollectSummary)

	// Metrics counts collection runs; nil records nothing.
	Metrics *Metrics

	Now func() time.Time
}

// Usage collects usage statistics from the gateway into the bridge's
// tables and writes the usage columns of WHMCS services. Its methods are
// safe for concurrent use, and several daemons may run them against one
// database at once.
type Usage struct {
	log  *zap.Logger
	opts UsageOptions
	busy chan struct{} // one Collect or Update of this process at a time
}

// NewUsage validates opts and returns a Usage.
func NewUsage(opts UsageOptions) (*Usage, error) {
	if opts.Store == nil || opts.Gateway == nil {
		return nil, errors.New("bridge: UsageOptions needs Store and Gateway")
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultUsagePageSize
	}
	if opts.MaxConsecutiveFailures <= 0 {
		opts.MaxConsecutiveFailures = DefaultMaxConsecutiveFailures
	}
	switch opts.Bandwidth {
	case "":
		opts.Bandwidth = BandwidthDownloaded
	case BandwidthDownloaded, BandwidthTotal:
	default:
		return nil, fmt.Errorf("usage bandwidth rule %q is invalid; use %q or %q", opts.Bandwidth, BandwidthDownloaded, BandwidthTotal)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Usage{
		log:  opts.Log.With(zap.String("component", "usage")),
		opts: opts,
		busy: make(chan struct{}, 1),
	}, nil
}

// CollectSummary counts what one collection run did.
type CollectSummary struct {
	Listed    int `json:"listed"`    // object names the gateway listed
	Processed int `json:"processed"` // objects whose counters this run stored
	Skipped   int `json:"skipped"`   // objects stored before, by this or another daemon
	// Vanished counts the skipped objects that were listed but gone when
	// read, because another collector stored and deleted them meanwhile.
	// They are included in Skipped.
	Vanished int `json:"vanished"`
	Deleted  int `json:"deleted"` // objects this run deleted from the gateway
	Failed   int `json:"failed"`  // objects left for the next run because of an error
	// Left counts the listed objects that remain on the gateway unstored:
	// the failed ones and, when a run stopped early, those it did not
	// reach. Objects in pages that were never listed are not included.
	Left  int   `json:"left"`
	Items int64 `json:"items"` // counter records read from processed objects

	Totals whmcs.UsageCounters `json:"totals"` // counters of processed objects
	// Unassigned are the counters of S3 users the bridge does not manage,
	// by ostor UserId. They are stored under service 0.
	Unassigned map[string]whmcs.UsageCounters `json:"unassigned"`
}

// lock waits for the other Collect or Update of this process to finish.
func (u *Usage) lock(ctx context.Context) (func(), error) {
	select {
	case u.busy <- struct{}{}:
		return func() { <-u.busy }, nil
	case <-ctx.Done():
		return nil, newError(CodeBusy, ctx.Err(), "usage collection is already running in this daemon; retry when it has finished")
	}
}

// Collect reads every statistics object the gateway lists and stores its
// counters exactly once. An object that fails is logged, counted in
// Failed and left on the gateway for the next run. Collect returns an
// error when it cannot continue: a list request or a database read
// fails, ctx ends, or MaxConsecutiveFailures objects in a row fail, which
// returns a *CollectStoppedError.
func (u *Usage) Collect(ctx context.Context) (CollectSummary, error) {
	unlock, err := u.lock(ctx)
	if err != nil {
		return CollectSummary{}, err
	}
	defer unlock()
	summary, err := u.collect(ctx)
	u.opts.Metrics.recordCollection(summary, err)
	return summary, err
}

// maxLoggedUnassigned bounds the user ids in the log line about unassigned
// traffic.
const maxLoggedUnassigned = 50

// logUnassigned reports S3 users whose traffic no managed service owns, so
// an operator can find users created outside WHMCS.
func (u *Usage) logUnassigned(summary CollectSummary) {
	if len(summary.Unassigned) == 0 {
		return
	}
	users := make([]string, 0, len(summary.Unassigned))
	for id := range summary.Unassigned {
		users = append(users, id)
	}
	sort.Strings(users)
	if len(users) > maxLoggedUnassigned {
		users = users[:maxLoggedUnassigned]
	}
	u.log.Warn("usage of S3 users that no managed service owns was stored under service 0",
		zap.Int("users", len(summary.Unassigned)), zap.Strings("user_ids", users))
}

// CollectStoppedError reports a collection run that stopped because too
// many statistics objects in a row failed. Err is the last failure.
type CollectStoppedError struct {
	Failures int  // consecutive failed objects
	Left     int  // listed objects left on the gateway, as CollectSummary.Left
	More     bool // the gateway has objects beyond the listed pages
	Err      error
}

func (e *CollectStoppedError) Error() string {
	more := ""
	if e.More {
		more = ", as do the objects not listed yet"
	}
	return fmt.Sprintf("usage collection stopped after %d objects in a row failed; %d listed objects stay on the gateway for the next run%s; fix the cause and run again; last error: %v",
		e.Failures, e.Left, more, e.Err)
}

func (e *CollectStoppedError) Unwrap() error { return e.Err }

// collectRun is the state of one collection run.
type collectRun struct {
	summary     CollectSummary
	assignments map[string]int64
	consecutive int   // objects failed in a row
	lastErr     error // the latest failure
	vanished    []string
}

// maxLoggedVanished bounds the object names in the log line about
// vanished objects.
const maxLoggedVanished = 10

// logVanished reports in one line the objects that another collector took
// while this run was reading them.
func (u *Usage) logVanished(run *collectRun) {
	if run.summary.Vanished == 0 {
		return
	}
	u.log.Warn("usage objects vanished before they were read; another collector probably stored and deleted them",
		zap.Int("objects", run.summary.Vanished), zap.Strings("first_objects", run.vanished))
}

func (u *Usage) collect(ctx context.Context) (CollectSummary, error) {
	run := &collectRun{summary: CollectSummary{Unassigned: map[string]whmcs.UsageCounters{}}}
	summary, err := u.collectPages(ctx, run)
	u.logVanished(run)
	u.logUnassigned(summary)
	return summary, err
}

func (u *Usage) collectPages(ctx context.Context, run *collectRun) (CollectSummary, error) {
	var err error
	run.assignments, err = u.opts.Store.UsageAssignments(ctx)
	if err != nil {
		return run.summary, err
	}

	paging := u.opts.Gateway.Profile().UsagePaging
	after := ""
	for {
		limit := 0
		if paging {
			limit = u.opts.PageSize
		}
		u.log.Debug("listing usage objects", zap.String("after", after), zap.Int("limit", limit))
		page, err := u.opts.Gateway.ListUsage(ctx, after, limit)
		if err != nil {
			return run.summary, fmt.Errorf("list usage objects after %q: %w", after, err)
		}
		run.summary.Listed += len(page.Names)

		deletedBefore := run.summary.Deleted
		if err := u.collectPage(ctx, page.Names, run); err != nil {
			var stopped *CollectStoppedError
			if errors.As(err, &stopped) {
				stopped.More = page.Truncated
			}
			return run.summary, err
		}

		if !page.Truncated || len(page.Names) == 0 {
			return run.summary, nil
		}
		if paging {
			after = page.Names[len(page.Names)-1]
			continue
		}
		// Without paging the gateway lists the same first names again,
		// so a new list request helps only when this page deleted some.
		if run.summary.Deleted == deletedBefore {
			u.log.Warn("usage listing is truncated and the gateway cannot page; objects beyond the first page are collected only once processed objects are deleted (usage.delete_processed)",
				zap.Int("listed", len(page.Names)))
			return run.summary, nil
		}
	}
}

// collectPage processes the listed names. It returns a
// *CollectStoppedError when MaxConsecutiveFailures objects in a row fail.
func (u *Usage) collectPage(ctx context.Context, names []string, run *collectRun) error {
	summary := &run.summary
	processed, err := u.opts.Store.ProcessedUsageObjects(ctx, names)
	if err != nil {
		return err
	}
	for i, name := range names {
		if err := ctx.Err(); err != nil {
			summary.Left += len(names) - i
			return err
		}
		deleted, done := processed[name]
		switch {
		case done:
			summary.Skipped++
			run.consecutive = 0
			if u.opts.DeleteProcessed && !deleted {
				u.deleteObject(ctx, name, summary)
			}
		default:
			if err := u.processObject(ctx, name, run); err != nil {
				summary.Failed++
				summary.Left++
				run.consecutive++
				run.lastErr = err
			} else {
				run.consecutive = 0
			}
		}
		if u.opts.Progress != nil {
			u.opts.Progress(*summary)
		}
		if run.consecutive >= u.opts.MaxConsecutiveFailures {
			summary.Left += len(names) - i - 1
			return &CollectStoppedError{Failures: run.consecutive, Left: summary.Left, Err: run.lastErr}
		}
	}
	return nil
}

// objectTotals are the counters of one statistics object per S3 user.
type objectTotals struct {
	users map[string]*whmcs.UsageCounters
	items int64
}

// aggregateItem adds one item to the totals. Negative counters make the
// object invalid, because the gateway documents only counts.
func (t *objectTotals) aggregateItem(it ostor.UsageItem) error {
	for _, v := range []int64{it.Put, it.Get, it.List, it.Other, it.Uploaded, it.Downloaded} {
		if v < 0 {
			return fmt.Errorf("item of S3 user %q, bucket %q has a negative counter %d", it.UserID, it.Bucket, v)
		}
	}
	c := t.users[it.UserID]
	if c == nil {
		c = &whmcs.UsageCounters{}
		t.users[it.UserID] = c
	}
	t.items++
	return c.Add(whmcs.UsageCounters{
		Put: uint64(it.Put), Get: uint64(it.Get), List: uint64(it.List), Other: uint64(it.Other),
		Uploaded: uint64(it.Uploaded), Downloaded: uint64(it.Downloaded),
	})
}

// recordAttempts bounds the retries of a transaction that hit a deadlock
// or lock timeout, which concurrent collectors can cause.
const recordAttempts = 3

// processObject reads, stores and, when configured, deletes one object.
// It returns the error that left the object on the gateway.
// The counters are committed before the delete is sent, so a crash in
// between leaves a stored object on the gateway, which the next run skips
// and deletes.
func (u *Usage) processObject(ctx context.Context, name string, run *collectRun) error {
	summary := &run.summary
	log := u.log.With(zap.String("object", name))
	log.Debug("reading usage object")
	totals := objectTotals{users: map[string]*whmcs.UsageCounters{}}
	obj, err := u.opts.Gateway.StreamUsage(ctx, name, totals.aggregateItem)
	if errors.Is(err, ostor.ErrNotFound) {
		log.Debug("usage object vanished before it was read")
		summary.Skipped++
		summary.Vanished++
		if len(run.vanished) < maxLoggedVanished {
			run.vanished = append(run.vanished, name)
		}
		return nil
	}
	if err != nil {
		log.Error("reading usage object failed; it stays on the gateway for the next run", zap.Error(err))
		return fmt.Errorf("read usage object %s: %w", name, err)
	}

	entries := make([]whmcs.UsageEntry, 0, len(totals.users))
	for userID, c := range totals.users {
		entries = append(entries, whmcs.UsageEntry{ServiceID: run.assignments[userID], UserID: userID, UsageCounters: *c})
	}
	record := whmcs.UsageObjectRecord{Name: name, Start: obj.Start, PeriodSeconds: obj.Period, Items: totals.items}

	var recorded bool
	for attempt := 1; ; attempt++ {
		recorded, err = u.opts.Store.RecordUsageObject(ctx, record, entries)
		if err == nil || !errors.Is(err, whmcs.ErrLocked) || attempt == recordAttempts {
			break
		}
		log.Info("storing usage object hit a lock conflict; retrying", zap.Int("attempt", attempt), zap.Error(err))
	}
	if err != nil {
		log.Error("storing usage object failed; it stays on the gateway for the next run", zap.Error(err))
		return fmt.Errorf("store usage object %s: %w", name, err)
	}
	if !recorded {
		log.Debug("usage object was stored by another collector")
		summary.Skipped++
	} else {
		log.Debug("stored usage object", zap.Int64("items", totals.items), zap.Int("users", len(entries)))
		summary.Processed++
		summary.Items += totals.items
		u.addToSummary(entries, summary)
	}

	if u.opts.DeleteProcessed {
		u.deleteObject(ctx, name, summary)
	}
	return nil
}

func (u *Usage) addToSummary(entries []whmcs.UsageEntry, summary *CollectSummary) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].UserID < entries[j].UserID })
	for _, e := range entries {
		if err := summary.Totals.Add(e.UsageCounters); err != nil {
			u.log.Warn("collection totals overflow 64 bits; the summary is capped, the stored counters are not affected")
		}
		if e.ServiceID == 0 {
			c := summary.Unassigned[e.UserID]
			if err := c.Add(e.UsageCounters); err == nil {
				summary.Unassigned[e.UserID] = c
			}
		}
	}
}

// deleteObject deletes a stored object from the gateway and records that.
// An object that is already gone counts as deleted.
func (u *Usage) deleteObject(ctx context.Context, name string, summary *CollectSummary) {
	err := u.opts.Gateway.DeleteUsage(ctx, name)
	if err != nil && !errors.Is(err, ostor.ErrNotFound) {
		u.log.Warn("deleting a stored usage object failed; the next run deletes it", zap.String("object", name), zap.Error(err))
		return
	}
	summary.Deleted++
	if err := u.opts.Store.MarkUsageObjectDeleted(ctx, name); err != nil {
		u.log.Warn("recording the deletion of a usage object failed", zap.String("object", name), zap.Error(err))
	}
}
