package ostor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// UsagePage is one reply of the usage list.
type UsagePage struct {
	Names     []string // object names, sorted by service ID, then time
	Count     int64    // nr_items as the gateway reports it
	Truncated bool     // more names exist after the last one
}

// UsageObject is one usage-statistics object.
type UsageObject struct {
	Name       string
	FmtVersion int64
	// ServiceID is the 16-hex-digit ID of the gateway service that collected
	// the data, as text. It is taken from the object name when the name has
	// the documented layout, and checked against the body.
	ServiceID string
	Start     time.Time // start_ts
	Period    int64     // seconds covered, which can be shorter than the name's period
	Items     []UsageItem
}

// UsageItem is the counters of one user and bucket in one period. An empty
// Bucket counts requests that are not tied to a bucket, such as listing
// buckets.
type UsageItem struct {
	Bucket     string
	Epoch      int64
	UserID     string
	Tag        string
	Put        int64
	Get        int64
	List       int64
	Other      int64
	Uploaded   int64 // bytes
	Downloaded int64 // bytes
}

// UsageName is the parsed name of a usage object:
// s3-usage-<service_id>-<start, ISO 8601 UTC>-<configured period in s>.
type UsageName struct {
	ServiceID string
	Start     time.Time
	Period    int64
}

const usageNamePrefix = "s3-usage-"

// ParseUsageName parses "s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800".
func ParseUsageName(name string) (UsageName, error) {
	rest, ok := strings.CutPrefix(name, usageNamePrefix)
	if !ok {
		return UsageName{}, fmt.Errorf("usage object name %q does not start with %q", name, usageNamePrefix)
	}
	serviceID, rest, ok := strings.Cut(rest, "-")
	if !ok || len(serviceID) != 16 || !isHex(serviceID) {
		return UsageName{}, fmt.Errorf("usage object name %q has no 16-hex-digit service ID", name)
	}
	cut := strings.LastIndexByte(rest, '-')
	if cut < 0 {
		return UsageName{}, fmt.Errorf("usage object name %q has no period", name)
	}
	start, err := time.Parse(time.RFC3339Nano, rest[:cut])
	if err != nil {
		return UsageName{}, fmt.Errorf("usage object name %q has an invalid start time: %w", name, err)
	}
	period, err := strconv.ParseInt(rest[cut+1:], 10, 64)
	if err != nil || period <= 0 {
		return UsageName{}, fmt.Errorf("usage object name %q has an invalid period %q", name, rest[cut+1:])
	}
	return UsageName{ServiceID: strings.ToLower(serviceID), Start: start, Period: period}, nil
}

// FormatUsageName builds an object name in the gateway's layout.
func FormatUsageName(n UsageName) string {
	return fmt.Sprintf("%s%s-%s-%d", usageNamePrefix, n.ServiceID, n.Start.UTC().Format("2006-01-02T15:04:05.000Z"), n.Period)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return false
		}
	}
	return true
}

// wireUsageList is the reply of GET ?ostor-usage:
//
//	{"nr_items":7,"truncated":false,"items":["s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800",…]}
type wireUsageList struct {
	NrItems   flexInt  `json:"nr_items"`
	Truncated flexBool `json:"truncated"`
	Items     []string `json:"items"`
}

// ListUsage returns one page of usage object names: GET /?ostor-usage, with
// &after=<name>&limit=<n> when after or limit is set. Paging exists from
// VHI 6.3 on, and other profiles return ErrNotSupported for a non-empty after or
// a non-zero limit. Without paging, process and delete the listed objects,
// then list again while Truncated is true.
//
// NOTE: a third-party client saw broken JSON for limit values above about
// 700, so keep limit well below that.
func (c *Client) ListUsage(ctx context.Context, after string, limit int) (UsagePage, error) {
	q := newQuery("usage")
	if after != "" || limit != 0 {
		if err := c.requireFeature(OpUsageList, c.profile.UsagePaging, "after and limit need VHI 6.3 or later"); err != nil {
			return UsagePage{}, err
		}
		if limit < 0 {
			return UsagePage{}, invalidArgument(OpUsageList, "limit %d is negative", limit)
		}
		if after != "" {
			if err := validateName(OpUsageList, "after", after); err != nil {
				return UsagePage{}, err
			}
			q.set("after", after)
		}
		if limit > 0 {
			q.set("limit", strconv.Itoa(limit))
		}
	}

	resp, err := c.call(ctx, OpUsageList, q, nil)
	if err != nil {
		return UsagePage{}, err
	}
	var w wireUsageList
	if err := decodeJSON(OpUsageList, resp, &w); err != nil {
		return UsagePage{}, err
	}
	names := w.Items
	if names == nil {
		names = []string{}
	}
	return UsagePage{Names: names, Count: int64(w.NrItems), Truncated: bool(w.Truncated)}, nil
}

// wireUsageObject is the reply of GET ?ostor-usage&obj=<name>:
//
//	{"fmt_version":1,"service_id":8000000000000065,"start_ts":1485966714,"period":1390,"nr_items":1,
//	 "items":[{"key":{"bucket":"client","epoch":98309,"user_id":"b81d6c5f895a8c86","tag":""},
//	   "counters":{"ops":{"put":1,"get":3,"list":0,"other":0},"net_io":{"uploaded":41258,"downloaded":45511311}}}]}
//
// The docs render service_id as a bare number, which loses precision in
// float64 parsers and cannot hold hex letters, so it is read as raw JSON.
type wireUsageObject struct {
	FmtVersion flexInt         `json:"fmt_version"`
	ServiceID  json.RawMessage `json:"service_id"`
	StartTS    flexInt         `json:"start_ts"`
	Period     flexInt         `json:"period"`
	NrItems    flexInt         `json:"nr_items"`
	Items      []wireUsageItem `json:"items"`
}

// wireUsageItem is one element of items in a usage object.
type wireUsageItem struct {
	Key struct {
		Bucket string  `json:"bucket"`
		Epoch  flexInt `json:"epoch"`
		UserID string  `json:"user_id"`
		Tag    string  `json:"tag"`
	} `json:"key"`
	Counters struct {
		Ops struct {
			Put   flexInt `json:"put"`
			Get   flexInt `json:"get"`
			List  flexInt `json:"list"`
			Other flexInt `json:"other"`
		} `json:"ops"`
		NetIO struct {
			Uploaded   flexInt `json:"uploaded"`
			Downloaded flexInt `json:"downloaded"`
		} `json:"net_io"`
	} `json:"counters"`
}

func (it *wireUsageItem) toItem() UsageItem {
	return UsageItem{
		Bucket:     it.Key.Bucket,
		Epoch:      int64(it.Key.Epoch),
		UserID:     it.Key.UserID,
		Tag:        it.Key.Tag,
		Put:        int64(it.Counters.Ops.Put),
		Get:        int64(it.Counters.Ops.Get),
		List:       int64(it.Counters.Ops.List),
		Other:      int64(it.Counters.Ops.Other),
		Uploaded:   int64(it.Counters.NetIO.Uploaded),
		Downloaded: int64(it.Counters.NetIO.Downloaded),
	}
}

// GetUsage reads one usage object: GET /?ostor-usage&obj=<name>. When the
// name has the documented layout, the service_id in the body must match the
// one in the name.
func (c *Client) GetUsage(ctx context.Context, name string) (UsageObject, error) {
	if err := validateName(OpUsageGet, "usage object name", name); err != nil {
		return UsageObject{}, err
	}
	resp, err := c.call(ctx, OpUsageGet, newQuery("usage").set("obj", name), nil)
	if err != nil {
		return UsageObject{}, err
	}
	return decodeUsageObject(resp, name)
}

func decodeUsageObject(resp *response, name string) (UsageObject, error) {
	var w wireUsageObject
	if err := decodeJSON(OpUsageGet, resp, &w); err != nil {
		return UsageObject{}, err
	}
	fail := func(reason string) (UsageObject, error) {
		return UsageObject{}, &DecodeError{Op: OpUsageGet, Status: resp.status, ContentType: resp.contentType, Reason: reason}
	}

	serviceID, err := decodeServiceID(w.ServiceID)
	if err != nil {
		return fail(err.Error())
	}
	if parsed, err := ParseUsageName(name); err == nil {
		if serviceID != "" && serviceID != parsed.ServiceID {
			return fail(fmt.Sprintf("service_id %s does not match %s in the object name %q", serviceID, parsed.ServiceID, name))
		}
		serviceID = parsed.ServiceID
	}
	if int64(w.NrItems) > int64(len(w.Items)) {
		return fail(fmt.Sprintf("nr_items is %d but the body has only %d items", int64(w.NrItems), len(w.Items)))
	}

	obj := UsageObject{
		Name:       name,
		FmtVersion: int64(w.FmtVersion),
		ServiceID:  serviceID,
		Start:      time.Unix(int64(w.StartTS), 0).UTC(),
		Period:     int64(w.Period),
		Items:      make([]UsageItem, 0, len(w.Items)),
	}
	for i := range w.Items {
		obj.Items = append(obj.Items, w.Items[i].toItem())
	}
	return obj, nil
}

// decodeServiceID returns the service ID as 16 lowercase hex digits. A JSON
// number is taken digit by digit (never through float64) and left-padded
// with zeros. A JSON string is taken as is. A missing value returns "".
func decodeServiceID(raw json.RawMessage) (string, error) {
	text := string(bytes.TrimSpace(raw))
	if text == "" || text == "null" {
		return "", nil
	}
	if strings.HasPrefix(text, `"`) {
		unquoted, err := strconv.Unquote(text)
		if err != nil {
			return "", fmt.Errorf("service_id is an invalid JSON string")
		}
		text = strings.TrimSpace(unquoted)
	}
	if text == "" || len(text) > 16 || !isHex(text) {
		return "", fmt.Errorf("service_id %.40q is not up to 16 hex digits", text)
	}
	return strings.Repeat("0", 16-len(text)) + strings.ToLower(text), nil
}

// DeleteUsage deletes one usage object: DELETE /?ostor-usage&obj=<name>.
// Delete an object only after its counters are stored, because deletion is
// permanent.
func (c *Client) DeleteUsage(ctx context.Context, name string) error {
	if err := validateName(OpUsageDelete, "usage object name", name); err != nil {
		return err
	}
	_, err := c.call(ctx, OpUsageDelete, newQuery("usage").set("obj", name), nil)
	return err
}

// flexBool decodes true, false, 0, 1, "true" and "false".
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch strings.Trim(strings.TrimSpace(string(data)), `"`) {
	case "true", "1":
		*b = true
	case "false", "0", "null", "":
		*b = false
	default:
		return fmt.Errorf("expected a boolean")
	}
	return nil
}
