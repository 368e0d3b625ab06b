package ostortest

import (
	"fmt"
	"sort"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// usageKey identifies one counter record of a usage object.
type usageKey struct{ user, bucket string }

// usageWindow is the statistics period that is still open. Its counters
// become a usage object when the gateway clock passes start+period.
type usageWindow struct {
	start time.Time // zero while no request was counted
	items map[usageKey]*ostor.UsageItem
}

// closedUsage is a usage object written from S3 traffic, for
// Options.UsageObserver.
type closedUsage struct {
	name  string
	items []ostor.UsageItem
}

// s3Traffic is what one S3 data request contributes to usage statistics.
type s3Traffic struct {
	userID   string // empty until the request is authenticated
	bucket   string
	op       string // "" when the request matched no operation
	uploaded int64  // decoded payload bytes the handler read
}

// validateUsagePeriod panics unless period is zero or a whole number of
// seconds, because object names carry the period in seconds.
func validateUsagePeriod(period time.Duration) {
	if period < 0 || period%time.Second != 0 {
		panic(fmt.Sprintf("ostortest: Options.UsagePeriod %s is not zero or a whole number of seconds", period))
	}
}

// usageCounter names the counter in counters.ops that an S3 operation
// adds to.
//
// NOTE: The vendor documents the four counters but not which requests each
// one counts. This mapping is a choice of this fake: object writes are put,
// object reads are get, listings are list, and everything else, HEAD and
// DELETE included, is other.
func usageCounter(op string) string {
	switch op {
	case OpS3PutObject:
		return "put"
	case OpS3GetObject:
		return "get"
	case OpS3ListObjects, OpS3ListObjectVersions, OpS3ListMultipartUploads:
		return "list"
	default:
		return "other"
	}
}

// usageBucket returns the bucket name of a request's counter record. A
// create-bucket request goes to the record without a bucket, because the
// vendor's billing guide counts requests on buckets themselves, such as
// creating one, in that record.
func usageBucket(t *s3Traffic) string {
	if t.op == OpS3CreateBucket {
		return ""
	}
	return t.bucket
}

// countS3Usage adds one authenticated S3 data request and the response body
// bytes sent for it to the open statistics period. It does nothing when
// Options.UsagePeriod is zero or the request was not authenticated.
func (g *Gateway) countS3Usage(t *s3Traffic, downloaded int64) {
	if g.usagePeriod == 0 || t.userID == "" {
		return
	}
	defer g.notifyUsage()
	g.mu.Lock()
	defer g.mu.Unlock()

	// The clock is read when counting, not when the request arrived, so a
	// slow request never lands in a period that was already closed.
	now := g.now()
	g.closeUsageWindowLocked(now)
	if g.usageWindow.items == nil {
		g.usageWindow.start = usageWindowStart(now, g.usagePeriod)
		g.usageWindow.items = make(map[usageKey]*ostor.UsageItem)
	}

	bucketName := usageBucket(t)
	key := usageKey{t.userID, bucketName}
	item := g.usageWindow.items[key]
	if item == nil {
		item = &ostor.UsageItem{UserID: t.userID, Bucket: bucketName}
		if b := g.state.bucketByName(bucketName); b != nil {
			item.Epoch = b.epoch
		}
		g.usageWindow.items[key] = item
	}
	switch usageCounter(t.op) {
	case "put":
		item.Put++
	case "get":
		item.Get++
	case "list":
		item.List++
	default:
		item.Other++
	}
	item.Uploaded += t.uploaded
	item.Downloaded += downloaded
}

// usageWindowStart returns the start of the period that contains now.
// Periods are aligned to multiples of their length since the Unix epoch, so
// every gateway cuts the same periods.
func usageWindowStart(now time.Time, period time.Duration) time.Time {
	seconds := int64(period / time.Second)
	unix := now.Unix()
	offset := unix % seconds
	if offset < 0 {
		offset += seconds
	}
	return time.Unix(unix-offset, 0).UTC()
}

// closeUsageWindowLocked writes the open period as a usage object once now
// has reached its end, and queues it for notifyUsage. Gateway.mu must be
// held.
func (g *Gateway) closeUsageWindowLocked(now time.Time) {
	w := &g.usageWindow
	if w.items == nil || now.Before(w.start.Add(g.usagePeriod)) {
		return
	}
	items := make([]ostor.UsageItem, 0, len(w.items))
	for _, item := range w.items {
		items = append(items, *item)
	}
	sortUsageItems(items)
	name := g.mergeUsageLocked(w.start, g.usagePeriod, items)
	*w = usageWindow{}
	if g.usageObserver != nil {
		g.usageClosed = append(g.usageClosed, closedUsage{name: name, items: items})
	}
}

// notifyUsage passes the usage objects written since the last call to
// Options.UsageObserver. It takes Gateway.mu itself, and calls the observer
// without holding it.
func (g *Gateway) notifyUsage() {
	if g.usageObserver == nil {
		return
	}
	g.mu.Lock()
	closed := g.usageClosed
	g.usageClosed = nil
	g.mu.Unlock()
	for _, c := range closed {
		g.usageObserver(c.name, c.items)
	}
}

// mergeUsageLocked stores items as the usage object of the period, adding
// them to the counters of an object of the same name that AddUsage or
// GenerateUsage stored earlier. It returns the object name. Gateway.mu must
// be held.
func (g *Gateway) mergeUsageLocked(start time.Time, period time.Duration, items []ostor.UsageItem) string {
	name := ostor.FormatUsageName(ostor.UsageName{ServiceID: g.serviceID, Start: start.UTC().Truncate(time.Second), Period: int64(period / time.Second)})
	existing, ok := g.state.usage[name]
	if !ok {
		return g.addUsageLocked(start, period, items)
	}
	for _, item := range items {
		merged := false
		for i := range existing.items {
			old := &existing.items[i]
			if old.UserID != item.UserID || old.Bucket != item.Bucket {
				continue
			}
			old.Put += item.Put
			old.Get += item.Get
			old.List += item.List
			old.Other += item.Other
			old.Uploaded += item.Uploaded
			old.Downloaded += item.Downloaded
			merged = true
			break
		}
		if !merged {
			existing.items = append(existing.items, item)
		}
	}
	sortUsageItems(existing.items)
	return name
}

func sortUsageItems(items []ostor.UsageItem) {
	sort.Slice(items, func(i, j int) bool {
		if items[i].UserID != items[j].UserID {
			return items[i].UserID < items[j].UserID
		}
		return items[i].Bucket < items[j].Bucket
	})
}

// OpenUsage returns the counter records of the statistics period that is
// still open, sorted by user and bucket, and the period's start. It returns
// nil when no request was counted since the last period closed.
func (g *Gateway) OpenUsage() ([]ostor.UsageItem, time.Time) {
	defer g.notifyUsage()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closeUsageWindowLocked(g.now())
	if g.usageWindow.items == nil {
		return nil, time.Time{}
	}
	items := make([]ostor.UsageItem, 0, len(g.usageWindow.items))
	for _, item := range g.usageWindow.items {
		items = append(items, *item)
	}
	sortUsageItems(items)
	return items, g.usageWindow.start
}
