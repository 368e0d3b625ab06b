package ostortest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// Traffic is simulated S3 traffic of one user in one bucket at one time, for
// GenerateUsage. An empty Bucket is traffic not tied to a bucket.
type Traffic struct {
	At         time.Time
	UserID     string
	Bucket     string
	Put        int64
	Get        int64
	List       int64
	Other      int64
	Uploaded   int64
	Downloaded int64
}

// AddUsage stores a usage object for the period that starts at start and
// lasts period, and returns its name
// (s3-usage-<service ID>-<start>-<period in s>).
func (g *Gateway) AddUsage(start time.Time, period time.Duration, items []ostor.UsageItem) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.addUsageLocked(start, period, items)
}

func (g *Gateway) addUsageLocked(start time.Time, period time.Duration, items []ostor.UsageItem) string {
	seconds := int64(period / time.Second)
	name := ostor.FormatUsageName(ostor.UsageName{ServiceID: g.serviceID, Start: start.UTC().Truncate(time.Second), Period: seconds})
	g.state.usage[name] = &usageObject{
		name: name, serviceID: g.serviceID, start: start.UTC().Truncate(time.Second), period: seconds,
		items: append([]ostor.UsageItem(nil), items...),
	}
	return name
}

// GenerateUsage turns traffic into usage objects, one per period window
// starting at start that saw traffic, with one item per user and bucket.
// Counters of the same user and bucket in one window are summed, and the
// bucket epoch is copied from the bucket if it exists. It returns the new
// object names, sorted.
func (g *Gateway) GenerateUsage(start time.Time, period time.Duration, traffic []Traffic) []string {
	g.mu.Lock()
	defer g.mu.Unlock()

	type itemKey struct{ user, bucket string }
	windows := make(map[int64]map[itemKey]*ostor.UsageItem)
	var order []int64
	for _, t := range traffic {
		window := int64(t.At.Sub(start) / period)
		if t.At.Before(start) {
			window--
		}
		if windows[window] == nil {
			windows[window] = make(map[itemKey]*ostor.UsageItem)
			order = append(order, window)
		}
		key := itemKey{t.UserID, t.Bucket}
		item := windows[window][key]
		if item == nil {
			item = &ostor.UsageItem{Bucket: t.Bucket, UserID: t.UserID}
			if b := g.state.bucketByName(t.Bucket); b != nil {
				item.Epoch = b.epoch
			}
			windows[window][key] = item
		}
		item.Put += t.Put
		item.Get += t.Get
		item.List += t.List
		item.Other += t.Other
		item.Uploaded += t.Uploaded
		item.Downloaded += t.Downloaded
	}

	var names []string
	for _, window := range order {
		var items []ostor.UsageItem
		for _, item := range windows[window] {
			items = append(items, *item)
		}
		sort.Slice(items, func(i, j int) bool {
			if items[i].UserID != items[j].UserID {
				return items[i].UserID < items[j].UserID
			}
			return items[i].Bucket < items[j].Bucket
		})
		windowStart := start.Add(time.Duration(window) * period)
		names = append(names, g.addUsageLocked(windowStart, period, items))
	}
	sort.Strings(names)
	return names
}

// UsageNames returns the names of the stored usage objects, sorted. A
// statistics period that has ended by the gateway clock is stored first.
func (g *Gateway) UsageNames() []string {
	defer g.notifyUsage()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closeUsageWindowLocked(g.now())
	return g.state.sortedUsageNames()
}

func (s *state) sortedUsageNames() []string {
	names := make([]string, 0, len(s.usage))
	for name := range s.usage {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// handleUsageList lists names in sorted order, after the name given in
// after (exclusive) and up to limit names, both VHI 6.3+.
func handleUsageList(s *state, g *Gateway, a args) (result, bool, *apiError) {
	limit := g.maxUsageListItems
	if text, ok := a.value("limit"); ok {
		n, err := strconv.Atoi(text)
		if err != nil || n <= 0 {
			return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "limit=%q is not a positive integer", text)
		}
		limit = min(n, limit)
	}
	after, _ := a.value("after")

	items := []string{}
	truncated := false
	for _, name := range s.sortedUsageNames() {
		if after != "" && name <= after {
			continue
		}
		if len(items) == limit {
			truncated = true
			break
		}
		items = append(items, name)
	}
	return result{body: map[string]any{"nr_items": len(items), "truncated": truncated, "items": items}}, false, nil
}

type jsonUsageItem struct {
	Key struct {
		Bucket string `json:"bucket"`
		Epoch  int64  `json:"epoch"`
		UserID string `json:"user_id"`
		Tag    string `json:"tag"`
	} `json:"key"`
	Counters struct {
		Ops struct {
			Put   int64 `json:"put"`
			Get   int64 `json:"get"`
			List  int64 `json:"list"`
			Other int64 `json:"other"`
		} `json:"ops"`
		NetIO struct {
			Uploaded   int64 `json:"uploaded"`
			Downloaded int64 `json:"downloaded"`
		} `json:"net_io"`
	} `json:"counters"`
}

func handleUsageGet(s *state, g *Gateway, a args) (result, bool, *apiError) {
	name, _ := a.value("obj")
	obj, ok := s.usage[name]
	if !ok {
		return result{}, false, errorf(http.StatusNotFound, "NoSuchKey", "no usage object %q", name)
	}

	items := []jsonUsageItem{}
	for _, it := range obj.items {
		var j jsonUsageItem
		j.Key.Bucket, j.Key.Epoch, j.Key.UserID, j.Key.Tag = it.Bucket, it.Epoch, it.UserID, it.Tag
		j.Counters.Ops.Put, j.Counters.Ops.Get, j.Counters.Ops.List, j.Counters.Ops.Other = it.Put, it.Get, it.List, it.Other
		j.Counters.NetIO.Uploaded, j.Counters.NetIO.Downloaded = it.Uploaded, it.Downloaded
		items = append(items, j)
	}
	body := map[string]any{
		"fmt_version": 1,
		"service_id":  g.renderServiceID(obj.serviceID),
		"start_ts":    obj.start.Unix(),
		"period":      obj.period,
		"nr_items":    len(items),
		"items":       items,
	}
	return result{body: body}, false, nil
}

// renderServiceID returns a bare JSON number when the ID has only decimal
// digits, as the vendor's samples show, unless Options.QuoteServiceID is set.
func (g *Gateway) renderServiceID(id string) any {
	if g.quoteServiceID {
		return id
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return id
		}
	}
	return json.RawMessage(id)
}

func handleUsageDelete(s *state, g *Gateway, a args) (result, bool, *apiError) {
	name, _ := a.value("obj")
	if _, ok := s.usage[name]; !ok {
		return result{}, false, errorf(http.StatusNotFound, "NoSuchKey", "no usage object %q", name)
	}
	delete(s.usage, name)
	return result{status: http.StatusNoContent}, true, nil
}
