package whmcs

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"
)

// UsageCounters are request counts and byte counts of S3 traffic.
type UsageCounters struct {
	Put        uint64 `db:"ops_put"`
	Get        uint64 `db:"ops_get"`
	List       uint64 `db:"ops_list"`
	Other      uint64 `db:"ops_other"`
	Uploaded   uint64 `db:"bytes_uploaded"`   // bytes
	Downloaded uint64 `db:"bytes_downloaded"` // bytes
}

// ErrCounterOverflow means that a sum of counters does not fit in 64 bits.
var ErrCounterOverflow = errors.New("usage counter exceeds 2^64-1")

// Add adds o to c. It returns ErrCounterOverflow, and leaves c unchanged,
// when a sum does not fit in a uint64.
func (c *UsageCounters) Add(o UsageCounters) error {
	sum := *c
	fields := [][2]*uint64{
		{&sum.Put, &o.Put}, {&sum.Get, &o.Get}, {&sum.List, &o.List},
		{&sum.Other, &o.Other}, {&sum.Uploaded, &o.Uploaded}, {&sum.Downloaded, &o.Downloaded},
	}
	for _, f := range fields {
		total, carry := bits.Add64(*f[0], *f[1], 0)
		if carry != 0 {
			return ErrCounterOverflow
		}
		*f[0] = total
	}
	*c = sum
	return nil
}

// UsageEntry is the traffic of one S3 user in one statistics object,
// assigned to the WHMCS service that owns the user.
type UsageEntry struct {
	ServiceID int64  // tblhosting.id, 0 when no managed service owns the user
	UserID    string // ostor UserId
	UsageCounters
}

// UsageObjectRecord describes a statistics object whose counters are stored.
type UsageObjectRecord struct {
	Name          string
	Start         time.Time // start_ts; its UTC day is the day the counters are added to
	PeriodSeconds int64
	Items         int64 // counter records in the object
}

// StorageEntry is the bytes an S3 user stores, measured now.
type StorageEntry struct {
	ServiceID int64 // tblhosting.id, 0 when no managed service owns the user
	UserID    string
	Bytes     uint64
}

// UsageDay is one row of usage history. Day is a UTC date, YYYY-MM-DD.
type UsageDay struct {
	Day       string `db:"day"`
	ServiceID int64  `db:"service_id"`
	// UserID is the ostor UserId, or empty in RecentUsage, which sums the
	// users of a service.
	UserID string `db:"s3_user_id"`
	UsageCounters
	Objects uint64 `db:"objects"` // statistics objects that contributed
	// StorageBytes is the bytes stored at the day's last measurement, nil
	// when storage was not measured that day.
	StorageBytes *uint64 `db:"storage_bytes"`
}

// UsageFilter selects usage history rows.
type UsageFilter struct {
	// ServiceID selects one service. 0 selects every service, including
	// the unassigned rows, unless Unassigned is set.
	ServiceID int64
	// Unassigned selects only the rows stored under service 0: S3 users
	// that no managed service owns. ServiceID must then be 0.
	Unassigned bool
	Days       int       // number of UTC days up to and including Today's; at least 1
	Today      time.Time // the last day; its UTC date is used
}

// BillingService is a managed service whose usage goes into tblhosting.
type BillingService struct {
	ServiceID    int64  `db:"service_id"`
	UserID       string `db:"s3_user_id"`
	Status       string `db:"domainstatus"`
	BillingCycle string `db:"billingcycle"`
	NextDueDate  string `db:"nextduedate"` // YYYY-MM-DD, or "" or "0000-00-00" when unset
}

// NextDue returns NextDueDate as a UTC date, or the zero time when it is
// unset or invalid.
func (b BillingService) NextDue() time.Time {
	d, err := time.Parse(time.DateOnly, b.NextDueDate)
	if err != nil {
		return time.Time{}
	}
	return d
}

// HostingUsage are the usage columns of a tblhosting row, in MB as WHMCS
// expects. A nil limit leaves the column as it is.
type HostingUsage struct {
	DiskMB           int64
	BandwidthMB      int64
	DiskLimitMB      *int64
	BandwidthLimitMB *int64
}

// MaxHostingMB is the largest value the int(10) usage columns of tblhosting
// hold, about 2 PiB in MB.
const MaxHostingMB = 2147483647

const (
	insertUsageObject = `INSERT INTO mod_ostorbridge_usage_objects
	(name, period_start, period_seconds, items, processed_at, deleted_at)
VALUES (?, ?, ?, ?, UTC_TIMESTAMP(), NULL)`

	upsertUsageDaily = `INSERT INTO mod_ostorbridge_usage_daily
	(service_id, day, s3_user_id, ops_put, ops_get, ops_list, ops_other,
	 bytes_uploaded, bytes_downloaded, objects, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, UTC_TIMESTAMP())
ON DUPLICATE KEY UPDATE
	ops_put = ops_put + VALUES(ops_put),
	ops_get = ops_get + VALUES(ops_get),
	ops_list = ops_list + VALUES(ops_list),
	ops_other = ops_other + VALUES(ops_other),
	bytes_uploaded = bytes_uploaded + VALUES(bytes_uploaded),
	bytes_downloaded = bytes_downloaded + VALUES(bytes_downloaded),
	objects = objects + 1,
	updated_at = VALUES(updated_at)`

	upsertUsageStorage = `INSERT INTO mod_ostorbridge_usage_daily
	(service_id, day, s3_user_id, storage_bytes, storage_measured_at, updated_at)
VALUES (?, ?, ?, ?, UTC_TIMESTAMP(), UTC_TIMESTAMP())
ON DUPLICATE KEY UPDATE
	storage_bytes = VALUES(storage_bytes),
	storage_measured_at = VALUES(storage_measured_at),
	updated_at = VALUES(updated_at)`

	selectProcessedUsageObjects = `SELECT name, deleted_at IS NOT NULL AS deleted
FROM mod_ostorbridge_usage_objects
WHERE name IN (?)`

	markUsageObjectDeleted = `UPDATE mod_ostorbridge_usage_objects
SET deleted_at = UTC_TIMESTAMP()
WHERE name = ? AND deleted_at IS NULL`

	// An S3 user linked to several services (possible only when an admin
	// adopted one user twice) counts for the lowest service id.
	selectUsageAssignments = `SELECT s3_user_id, MIN(service_id) AS service_id
FROM mod_ostorbridge_identities
GROUP BY s3_user_id`

	selectBillingServices = `SELECT i.service_id, i.s3_user_id, h.domainstatus,
	COALESCE(h.billingcycle, '') AS billingcycle,
	COALESCE(DATE_FORMAT(h.nextduedate, '%Y-%m-%d'), '') AS nextduedate
FROM mod_ostorbridge_identities i
JOIN tblhosting h ON h.id = i.service_id
WHERE h.domainstatus IN ('Active', 'Suspended')
ORDER BY i.service_id`

	// The same services as selectBillingServices, with their client and
	// product.
	selectBillingServiceRecords = serviceSelect + `
JOIN mod_ostorbridge_identities i ON i.service_id = h.id
WHERE h.domainstatus IN ('Active', 'Suspended')
ORDER BY h.id`

	selectUsageTotals = `SELECT
	COALESCE(SUM(ops_put), 0) AS ops_put, COALESCE(SUM(ops_get), 0) AS ops_get,
	COALESCE(SUM(ops_list), 0) AS ops_list, COALESCE(SUM(ops_other), 0) AS ops_other,
	COALESCE(SUM(bytes_uploaded), 0) AS bytes_uploaded, COALESCE(SUM(bytes_downloaded), 0) AS bytes_downloaded
FROM mod_ostorbridge_usage_daily
WHERE service_id = ? AND day >= ? AND day < ?`

	updateHostingUsage = `UPDATE tblhosting
SET diskusage = ?, bwusage = ?,
	disklimit = COALESCE(?, disklimit), bwlimit = COALESCE(?, bwlimit),
	lastupdate = NOW()
WHERE id = ?`

	usageDayColumns = `DATE_FORMAT(day, '%Y-%m-%d') AS day, service_id, s3_user_id,
	ops_put, ops_get, ops_list, ops_other, bytes_uploaded, bytes_downloaded, objects, storage_bytes`

	selectUsageHistory = `SELECT ` + usageDayColumns + `
FROM mod_ostorbridge_usage_daily
WHERE day >= ? AND day <= ? AND (? OR service_id = ?)
ORDER BY day, service_id, s3_user_id`

	// The sums are cast back to unsigned integers: SUM returns DECIMAL.
	selectRecentUsage = `SELECT DATE_FORMAT(day, '%Y-%m-%d') AS day, service_id, '' AS s3_user_id,
	CAST(SUM(ops_put) AS UNSIGNED) AS ops_put, CAST(SUM(ops_get) AS UNSIGNED) AS ops_get,
	CAST(SUM(ops_list) AS UNSIGNED) AS ops_list, CAST(SUM(ops_other) AS UNSIGNED) AS ops_other,
	CAST(SUM(bytes_uploaded) AS UNSIGNED) AS bytes_uploaded,
	CAST(SUM(bytes_downloaded) AS UNSIGNED) AS bytes_downloaded,
	CAST(SUM(objects) AS UNSIGNED) AS objects,
	CAST(SUM(storage_bytes) AS UNSIGNED) AS storage_bytes
FROM mod_ostorbridge_usage_daily
WHERE service_id = ? AND day >= ? AND day <= ?
GROUP BY day, service_id
ORDER BY day`
)

// utcDay formats the UTC date of t for a DATE column. Dates and times of
// the usage tables are passed as text, so the connection's Local time zone
// never shifts them.
func utcDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func utcDateTime(t time.Time) string { return t.UTC().Format(time.DateTime) }

// RecordUsageObject stores the counters of one statistics object and marks
// the object processed, in one transaction. The object's row is inserted
// first: when the object was processed before, or another daemon is
// storing it at the same moment, the insert fails (after waiting for the
// other transaction to end) and RecordUsageObject returns false and adds
// nothing. Entries are written in (service, user) order so that concurrent
// collectors take row locks in the same order.
//
// A lock timeout or deadlock returns an error wrapping ErrLocked, and the
// whole transaction is rolled back, so the call can be repeated.
func (s *Store) RecordUsageObject(ctx context.Context, obj UsageObjectRecord, entries []UsageEntry) (recorded bool, err error) {
	action := fmt.Sprintf("record usage object %q", obj.Name)
	sorted := append([]UsageEntry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].ServiceID != sorted[j].ServiceID {
			return sorted[i].ServiceID < sorted[j].ServiceID
		}
		return sorted[i].UserID < sorted[j].UserID
	})
	day := utcDay(obj.Start)

	err = s.WithinTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, insertUsageObject, obj.Name, utcDateTime(obj.Start), obj.PeriodSeconds, obj.Items); err != nil {
			return wrapDBError(action, err)
		}
		for _, e := range sorted {
			_, err := tx.ExecContext(ctx, upsertUsageDaily, e.ServiceID, day, e.UserID,
				e.Put, e.Get, e.List, e.Other, e.Uploaded, e.Downloaded)
			if err != nil {
				return wrapDBError(fmt.Sprintf("%s: add counters of S3 user %s", action, e.UserID), err)
			}
		}
		return nil
	})
	if errors.Is(err, ErrDuplicate) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// ProcessedUsageObjects returns which of names are already stored, mapped
// to whether the daemon also deleted them from the gateway.
func (s *Store) ProcessedUsageObjects(ctx context.Context, names []string) (map[string]bool, error) {
	processed := make(map[string]bool, len(names))
	if len(names) == 0 {
		return processed, nil
	}
	query, args, err := sqlx.In(selectProcessedUsageObjects, names)
	if err != nil {
		return nil, fmt.Errorf("read processed usage objects: %w", err)
	}
	rows, err := s.db.QueryxContext(ctx, query, args...)
	if err != nil {
		return nil, wrapDBError("read processed usage objects", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var deleted bool
		if err := rows.Scan(&name, &deleted); err != nil {
			return nil, wrapDBError("read processed usage objects", err)
		}
		processed[name] = deleted
	}
	if err := rows.Err(); err != nil {
		return nil, wrapDBError("read processed usage objects", err)
	}
	return processed, nil
}

// MarkUsageObjectDeleted records that a processed object was deleted from
// the gateway.
func (s *Store) MarkUsageObjectDeleted(ctx context.Context, name string) error {
	if _, err := s.db.ExecContext(ctx, markUsageObjectDeleted, name); err != nil {
		return wrapDBError(fmt.Sprintf("mark usage object %q deleted", name), err)
	}
	return nil
}

// UsageAssignments maps each S3 user the bridge manages to its service id.
func (s *Store) UsageAssignments(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		UserID    string `db:"s3_user_id"`
		ServiceID int64  `db:"service_id"`
	}
	if err := s.db.SelectContext(ctx, &rows, selectUsageAssignments); err != nil {
		return nil, wrapDBError("read S3 users of managed services", err)
	}
	assignments := make(map[string]int64, len(rows))
	for _, r := range rows {
		assignments[r.UserID] = r.ServiceID
	}
	return assignments, nil
}

// RecordStorage stores the bytes each S3 user stores now as the storage of
// the UTC day of now.
func (s *Store) RecordStorage(ctx context.Context, now time.Time, entries []StorageEntry) error {
	day := utcDay(now)
	return s.WithinTx(ctx, func(tx *sqlx.Tx) error {
		for _, e := range entries {
			if _, err := tx.ExecContext(ctx, upsertUsageStorage, e.ServiceID, day, e.UserID, e.Bytes); err != nil {
				return wrapDBError(fmt.Sprintf("record storage of S3 user %s", e.UserID), err)
			}
		}
		return nil
	})
}

// BillingServices returns the Active and Suspended services that have an S3
// identity, ordered by service id.
func (s *Store) BillingServices(ctx context.Context) ([]BillingService, error) {
	services := []BillingService{}
	if err := s.db.SelectContext(ctx, &services, selectBillingServices); err != nil {
		return nil, wrapDBError("read managed services for usage billing", err)
	}
	return services, nil
}

// BillingServiceRecords reads the services of BillingServices with their
// client and product, so that a caller can read each product's
// configuration in one query. Services whose client or product row is
// missing are left out.
func (s *Store) BillingServiceRecords(ctx context.Context) ([]Service, error) {
	return s.queryServices(ctx, "read the product configuration of managed services", selectBillingServiceRecords)
}

// UsageTotals sums the counters of a service over the UTC days from from
// (inclusive) to to (exclusive).
func (s *Store) UsageTotals(ctx context.Context, serviceID int64, from, to time.Time) (UsageCounters, error) {
	var totals UsageCounters
	if err := s.db.GetContext(ctx, &totals, selectUsageTotals, serviceID, utcDay(from), utcDay(to)); err != nil {
		return UsageCounters{}, wrapDBError(fmt.Sprintf("sum usage of service %d", serviceID), err)
	}
	return totals, nil
}

// UpdateHostingUsage writes the usage columns of a tblhosting row and sets
// lastupdate. Values above MaxHostingMB are stored as MaxHostingMB, because
// the columns are int(10).
func (s *Store) UpdateHostingUsage(ctx context.Context, serviceID int64, u HostingUsage) error {
	_, err := s.db.ExecContext(ctx, updateHostingUsage,
		clampMB(u.DiskMB), clampMB(u.BandwidthMB), clampLimit(u.DiskLimitMB), clampLimit(u.BandwidthLimitMB), serviceID)
	if err != nil {
		return wrapDBError(fmt.Sprintf("update usage columns of service %d", serviceID), err)
	}
	return nil
}

func clampMB(mb int64) int64 { return max(0, min(mb, MaxHostingMB)) }

func clampLimit(mb *int64) any {
	if mb == nil {
		return nil
	}
	return clampMB(*mb)
}

// UsageHistory returns the daily usage rows of f, ordered by day, service
// and S3 user.
func (s *Store) UsageHistory(ctx context.Context, f UsageFilter) ([]UsageDay, error) {
	if f.Days < 1 {
		return nil, fmt.Errorf("read usage history: days is %d, must be at least 1", f.Days)
	}
	if f.Unassigned && f.ServiceID != 0 {
		return nil, fmt.Errorf("read usage history: service %d and the unassigned rows exclude each other; select one", f.ServiceID)
	}
	from := f.Today.UTC().AddDate(0, 0, -(f.Days - 1))
	everyService := f.ServiceID == 0 && !f.Unassigned
	days := []UsageDay{}
	err := s.db.SelectContext(ctx, &days, selectUsageHistory, utcDay(from), utcDay(f.Today), everyService, f.ServiceID)
	if err != nil {
		return nil, wrapDBError("read usage history", err)
	}
	return days, nil
}

// RecentUsage returns the daily usage of one service over the last days UTC
// days including today, oldest first, with the service's S3 users summed.
// Days without traffic or storage measurements are left out.
func (s *Store) RecentUsage(ctx context.Context, serviceID int64, days int) ([]UsageDay, error) {
	if days < 1 {
		return nil, fmt.Errorf("read recent usage of service %d: days is %d, must be at least 1", serviceID, days)
	}
	today := time.Now().UTC()
	from := today.AddDate(0, 0, -(days - 1))
	rows := []UsageDay{}
	if err := s.db.SelectContext(ctx, &rows, selectRecentUsage, serviceID, utcDay(from), utcDay(today)); err != nil {
		return nil, wrapDBError(fmt.Sprintf("read recent usage of service %d", serviceID), err)
	}
	return rows, nil
}

// ServiceMetrics are the usage-billing figures of one managed service.
type ServiceMetrics struct {
	ServiceID int64  `db:"service_id"`
	Domain    string `db:"domain"`
	Username  string `db:"username"`
	// StorageBytes is the storage of the latest UTC day with a
	// measurement, summed over the service's S3 users; 0 when never measured.
	StorageBytes    uint64 `db:"storage_bytes"`
	DownloadedBytes uint64 `db:"downloaded_bytes"` // in the selected days
	UploadedBytes   uint64 `db:"uploaded_bytes"`   // in the selected days
}

// selectServiceMetrics reads storage and traffic per managed service. The
// first four placeholders are the traffic days [from, to), twice, and the
// last two select every service (0) or one.
const selectServiceMetrics = `SELECT i.service_id,
	COALESCE(h.domain, '') AS domain, COALESCE(h.username, '') AS username,
	COALESCE((SELECT CAST(SUM(d.storage_bytes) AS UNSIGNED)
		FROM mod_ostorbridge_usage_daily d
		WHERE d.service_id = i.service_id AND d.day = (
			SELECT MAX(m.day) FROM mod_ostorbridge_usage_daily m
			WHERE m.service_id = i.service_id AND m.storage_bytes IS NOT NULL)), 0) AS storage_bytes,
	COALESCE((SELECT CAST(SUM(t.bytes_downloaded) AS UNSIGNED)
		FROM mod_ostorbridge_usage_daily t
		WHERE t.service_id = i.service_id AND t.day >= ? AND t.day < ?), 0) AS downloaded_bytes,
	COALESCE((SELECT CAST(SUM(t.bytes_uploaded) AS UNSIGNED)
		FROM mod_ostorbridge_usage_daily t
		WHERE t.service_id = i.service_id AND t.day >= ? AND t.day < ?), 0) AS uploaded_bytes
FROM (SELECT DISTINCT service_id FROM mod_ostorbridge_identities WHERE ? = 0 OR service_id = ?) i
JOIN tblhosting h ON h.id = i.service_id
ORDER BY i.service_id`

// ServiceMetrics returns the latest storage and the traffic over the UTC
// days [from, to) of every service with an S3 identity, or of serviceID
// alone when it is not 0.
func (s *Store) ServiceMetrics(ctx context.Context, serviceID int64, from, to time.Time) ([]ServiceMetrics, error) {
	metrics := []ServiceMetrics{}
	err := s.db.SelectContext(ctx, &metrics, selectServiceMetrics,
		utcDay(from), utcDay(to), utcDay(from), utcDay(to), serviceID, serviceID)
	if err != nil {
		return nil, wrapDBError("read usage metrics", err)
	}
	return metrics, nil
}
