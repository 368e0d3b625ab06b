package bridge

import (
	"context"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// bytesPerMB is the WHMCS megabyte used for tblhosting usage columns:
// 2^20 bytes, as control panels such as cPanel report disk usage.
const bytesPerMB = 1 << 20

// mbPerGB converts a quota in the gateway's GB into WHMCS megabytes.
const mbPerGB = 1024

// BytesToMB converts bytes to the MB of the tblhosting usage columns,
// rounding up, so that any stored or transferred byte shows as at least
// 1 MB and a client is never billed for less than was used.
func BytesToMB(b uint64) int64 {
	mb := b / bytesPerMB
	if b%bytesPerMB != 0 {
		mb++
	}
	return int64(mb) // at most 2^44, no overflow
}

// billingCycleMonths maps tblhosting.billingcycle values to their length.
var billingCycleMonths = map[string]int{
	"monthly":       1,
	"quarterly":     3,
	"semi-annually": 6,
	"annually":      12,
	"biennially":    24,
	"triennially":   36,
}

// BillingPeriod returns the UTC days [start, end) of the billing period of
// a service that contains today. For a recurring cycle the period ends on
// the next due date and starts one cycle earlier. When today lies outside
// that period (an overdue service, or one paid several cycles ahead), the
// period is moved by whole cycles until it contains today. Free and
// one-time services, unknown cycles and services without a next due date
// use the calendar month.
//
// NOTE: a due date on the 29th to 31st moves to the next month's start in
// shorter months (Go's AddDate normalises 31 February to 3 March), while
// WHMCS keeps such dates at the month's end.
func BillingPeriod(cycle string, nextDue time.Time, today time.Time) (start, end time.Time) {
	today = utcDate(today)
	months, recurring := billingCycleMonths[strings.ToLower(strings.TrimSpace(cycle))]
	if !recurring || nextDue.IsZero() {
		start = time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	}

	end = time.Date(nextDue.Year(), nextDue.Month(), nextDue.Day(), 0, 0, 0, 0, time.UTC)
	for !end.After(today) {
		end = end.AddDate(0, months, 0)
	}
	start = end.AddDate(0, -months, 0)
	for start.After(today) {
		end = start
		start = end.AddDate(0, -months, 0)
	}
	return start, end
}

func utcDate(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ServiceUsage is the usage that Update wrote for one service.
type ServiceUsage struct {
	ServiceID       int64  `json:"service_id"`
	StorageBytes    uint64 `json:"storage_bytes"`
	BandwidthBytes  uint64 `json:"bandwidth_bytes"` // in the billing period, by the bandwidth rule
	DownloadedBytes uint64 `json:"downloaded_bytes"`
	UploadedBytes   uint64 `json:"uploaded_bytes"`
	PeriodStart     string `json:"period_start"` // first UTC day of the billing period
	PeriodEnd       string `json:"period_end"`   // first UTC day after it
	DiskMB          int64  `json:"disk_mb"`
	BandwidthMB     int64  `json:"bandwidth_mb"`
	DiskLimitMB     int64  `json:"disk_limit_mb,omitempty"` // written from the plan's quota; 0 when disklimit was kept
}

// UpdateSummary reports one Update run.
type UpdateSummary struct {
	Collect CollectSummary `json:"collect"`
	// CollectError is set when collection stopped early; the usage columns
	// were still written from what the database holds.
	CollectError  string         `json:"collect_error,omitempty"`
	StorageSource string         `json:"storage_source"` // "users" or "buckets"
	Services      []ServiceUsage `json:"services"`
	Failed        int            `json:"failed"` // services whose columns could not be written
}

// Update collects new statistics, measures storage and writes diskusage,
// bwusage, lastupdate and, from the plan's quota, disklimit of every Active
// and Suspended service with an S3 identity. When ctx has a deadline, collection gets half of the time
// left, so the usage columns are written even when a backlog of objects
// remains for the next run.
//
// NOTE: writing the columns takes two queries per service. Through RPC the
// whole run is bounded by rpc.call_timeout, so installations with many
// thousands of services should let usage.interval run the updates.
func (u *Usage) Update(ctx context.Context) (UpdateSummary, error) {
	unlock, err := u.lock(ctx)
	if err != nil {
		return UpdateSummary{}, err
	}
	defer unlock()

	var summary UpdateSummary
	collectCtx := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		collectCtx, cancel = context.WithDeadline(ctx, time.Now().Add(time.Until(deadline)/2))
		defer cancel()
	}
	summary.Collect, err = u.collect(collectCtx)
	u.opts.Metrics.recordCollection(summary.Collect, err)
	if err != nil {
		if ctx.Err() != nil {
			return summary, err
		}
		summary.CollectError = err.Error()
		u.log.Warn("usage collection stopped early; writing usage from the stored counters", zap.Error(err))
	}

	storage, source, err := u.measureStorage(ctx)
	if err != nil {
		return summary, fmt.Errorf("measure storage: %w", err)
	}
	summary.StorageSource = source

	services, err := u.opts.Store.BillingServices(ctx)
	if err != nil {
		return summary, err
	}
	assignments, err := u.opts.Store.UsageAssignments(ctx)
	if err != nil {
		return summary, err
	}
	if err := u.recordStorage(ctx, storage, assignments); err != nil {
		return summary, err
	}
	diskLimits, err := u.diskLimits(ctx)
	if err != nil {
		return summary, err
	}

	now := u.opts.Now()
	for _, svc := range services {
		su, err := u.updateService(ctx, svc, storage[svc.UserID], diskLimits[svc.ServiceID], now)
		if err != nil {
			if ctx.Err() != nil {
				return summary, err
			}
			u.log.Error("writing usage of a service failed", zap.Int64("service_id", svc.ServiceID), zap.Error(err))
			summary.Failed++
			continue
		}
		summary.Services = append(summary.Services, su)
	}
	u.log.Info("usage updated", zap.Int("services", len(summary.Services)), zap.Int("failed", summary.Failed),
		zap.Int("objects_processed", summary.Collect.Processed), zap.Int("unassigned_users", len(summary.Collect.Unassigned)))
	return summary, nil
}

// updateService writes the usage columns of one service. diskLimitMB is
// written to disklimit when it is not nil.
func (u *Usage) updateService(ctx context.Context, svc whmcs.BillingService, storageBytes uint64, diskLimitMB *int64, now time.Time) (ServiceUsage, error) {
	start, end := BillingPeriod(svc.BillingCycle, svc.NextDue(), now)
	totals, err := u.opts.Store.UsageTotals(ctx, svc.ServiceID, start, end)
	if err != nil {
		return ServiceUsage{}, err
	}
	bandwidth := totals.Downloaded
	if u.opts.Bandwidth == BandwidthTotal {
		var carry uint64
		bandwidth, carry = bits.Add64(totals.Downloaded, totals.Uploaded, 0)
		if carry != 0 {
			return ServiceUsage{}, fmt.Errorf("bandwidth of service %d: %w", svc.ServiceID, whmcs.ErrCounterOverflow)
		}
	}

	su := ServiceUsage{
		ServiceID:       svc.ServiceID,
		StorageBytes:    storageBytes,
		BandwidthBytes:  bandwidth,
		DownloadedBytes: totals.Downloaded,
		UploadedBytes:   totals.Uploaded,
		PeriodStart:     start.Format(time.DateOnly),
		PeriodEnd:       end.Format(time.DateOnly),
		DiskMB:          BytesToMB(storageBytes),
		BandwidthMB:     BytesToMB(bandwidth),
	}
	if diskLimitMB != nil {
		su.DiskLimitMB = min(*diskLimitMB, whmcs.MaxHostingMB)
	}
	// NOTE: the plan has a bandwidth rate (kb/s) but no traffic volume, so
	// bwlimit keeps the value WHMCS has.
	err = u.opts.Store.UpdateHostingUsage(ctx, svc.ServiceID, whmcs.HostingUsage{
		DiskMB: su.DiskMB, BandwidthMB: su.BandwidthMB, DiskLimitMB: diskLimitMB,
	})
	return su, err
}

// diskLimits returns the disklimit of each billed service whose plan sets
// a storage quota: the quota in GB times 1024 MB, since the gateway's
// quota is what the limit means to WHMCS. Services without a quota, and
// services whose product configuration is invalid, keep the disklimit
// WHMCS has. An invalid configuration is logged.
func (u *Usage) diskLimits(ctx context.Context) (map[int64]*int64, error) {
	records, err := u.opts.Store.BillingServiceRecords(ctx)
	if err != nil {
		return nil, err
	}
	limits := make(map[int64]*int64, len(records))
	for _, svc := range records {
		plan, err := PlanOf(svc)
		if err != nil {
			u.log.Warn("disklimit of a service left as WHMCS has it: its product configuration is invalid",
				zap.Int64("service_id", svc.ID), zap.Int64("product_id", svc.ProductID), zap.Error(err))
			continue
		}
		if plan.QuotaGB > 0 {
			mb := plan.QuotaGB * mbPerGB // at most maxLimitValue * 1024, no overflow
			limits[svc.ID] = &mb
		}
	}
	return limits, nil
}

// measureStorage returns the bytes stored per S3 user: from the users
// listing with the space flag where the profile offers it (VHI 6.3+), or
// else from the bucket sizes summed by owner.
func (u *Usage) measureStorage(ctx context.Context) (map[string]uint64, string, error) {
	storage := map[string]uint64{}
	if u.opts.Gateway.Profile().UserSpace {
		users, err := u.opts.Gateway.ListUsersWithSpace(ctx)
		if err != nil {
			return nil, "", err
		}
		for _, user := range users {
			if user.Space != nil && user.Space.SizeCurr > 0 {
				storage[user.ID] += uint64(user.Space.SizeCurr)
			}
		}
		return storage, "users", nil
	}

	buckets, err := u.opts.Gateway.ListBuckets(ctx)
	if err != nil {
		return nil, "", err
	}
	for _, b := range buckets {
		if b.Size.Current > 0 {
			storage[b.OwnerID] += uint64(b.Size.Current)
		}
	}
	return storage, "buckets", nil
}

// recordStorage stores today's storage of every measured S3 user and of
// every managed user, which stores 0 bytes when the gateway did not list it.
func (u *Usage) recordStorage(ctx context.Context, storage map[string]uint64, assignments map[string]int64) error {
	entries := make([]whmcs.StorageEntry, 0, len(storage)+len(assignments))
	for userID, bytes := range storage {
		entries = append(entries, whmcs.StorageEntry{ServiceID: assignments[userID], UserID: userID, Bytes: bytes})
	}
	for userID, serviceID := range assignments {
		if _, measured := storage[userID]; !measured {
			entries = append(entries, whmcs.StorageEntry{ServiceID: serviceID, UserID: userID})
		}
	}
	return u.opts.Store.RecordStorage(ctx, u.opts.Now(), entries)
}
