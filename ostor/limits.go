package ostor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Target selects what limits and quotas apply to: a user, a bucket, or
// (quotas only) the default for new users or buckets. Build it with
// UserTarget, BucketTarget or DefaultQuotaTarget.
type Target struct {
	User    UserRef
	Bucket  string
	Default string // "user" or "bucket", for quotas only
}

// UserTarget selects a user's limits or quota.
func UserTarget(ref UserRef) Target { return Target{User: ref} }

// BucketTarget selects a bucket's limits or quota.
func BucketTarget(name string) Target { return Target{Bucket: name} }

// DefaultQuotaTarget selects the default quota for new users ("user") or
// buckets ("bucket").
func DefaultQuotaTarget(kind string) Target { return Target{Default: kind} }

func (t Target) validate(op string, allowDefault bool) error {
	set := 0
	if t.User != (UserRef{}) {
		set++
	}
	if t.Bucket != "" {
		set++
	}
	if t.Default != "" {
		set++
	}
	switch {
	case set != 1:
		return invalidArgument(op, "target must select exactly one of a user, a bucket or a default")
	case t.User != (UserRef{}):
		return t.User.validate(op)
	case t.Bucket != "":
		return validateName(op, "bucket name", t.Bucket)
	case !allowDefault:
		return invalidArgument(op, "default targets exist only for quotas")
	case t.Default != "user" && t.Default != "bucket":
		return invalidArgument(op, "default quota kind %q is invalid: use \"user\" or \"bucket\"", t.Default)
	}
	return nil
}

func (t Target) addTo(q *query) *query {
	switch {
	case t.Bucket != "":
		return q.set("bucket", t.Bucket)
	case t.Default != "":
		return q.set("default", t.Default)
	default:
		return t.User.addTo(q)
	}
}

// Limit types and resources of the limits service. Ops limits are in
// operations per second as the CLI prints them, bandwidth in kilobytes per
// second. 0 means unlimited.
//
// NOTE: the AS 2.0 API reference calls ops values "ops/min" while the StaaS
// guides and the CLI read the same numbers back as ops/s. Verify the unit on
// the target release.
const (
	LimitOps       = "ops"
	LimitBandwidth = "bandwidth"

	ResourceDefault = "default"
	ResourceGet     = "get"
	ResourcePut     = "put"
	ResourceList    = "list"
	ResourceDelete  = "delete"
	ResourceOut     = "out"
)

// Limit syntaxes of PUT ?ostor-limits, selected by Config.LimitSyntax.
const (
	// LimitSyntaxStaaS sends one resource per request:
	// &limit-type=ops&limit-resource=get&limit-value=3600. Every StaaS
	// integration guide from AS 2 to VI 7.2 uses it.
	LimitSyntaxStaaS = "staas"
	// LimitSyntaxReference sends all ops values in one request:
	// &ops&default=0&get=3600, and &bandwidth&out=100. The API references
	// from AS 2.0 to VHI 4.7 document it. Ops types not given take the value
	// of default on the gateway.
	LimitSyntaxReference = "reference"

	DefaultLimitSyntax = LimitSyntaxStaaS
)

// LimitValue is one limit to set.
type LimitValue struct {
	Type     string // LimitOps or LimitBandwidth
	Resource string // default, get, put, list or delete for ops, out for bandwidth
	Value    int64  // 0 = unlimited
}

// Limits are the limits of one user or bucket. Values are as the gateway
// prints them ("3600.00"), parsed as float64. Raw keeps every key and text.
type Limits struct {
	OpsDefault   float64
	OpsGet       float64
	OpsPut       float64
	OpsList      float64
	OpsDelete    float64
	BandwidthOut float64
	Raw          map[string]string
}

// wireLimits is the reply of GET ?ostor-limits (VHI sample). Every value is
// a string:
//
//	{"ops:default":"0.00","ops:get":"3600.00","ops:put":"0.00","ops:list":"0.00",
//	 "ops:delete":"0.00","bandwidth:out":"100"}
type wireLimits map[string]flexString

// GetLimits returns the limits of a user or bucket:
// GET /?ostor-limits&emailAddress=…|id=…|bucket=….
//
// NOTE: AS 2.x documents an error when limits were never set for the
// target, but its status is unconfirmed.
func (c *Client) GetLimits(ctx context.Context, target Target) (Limits, error) {
	if err := target.validate(OpLimitsGet, false); err != nil {
		return Limits{}, err
	}
	resp, err := c.call(ctx, OpLimitsGet, target.addTo(newQuery("limits")), nil)
	if err != nil {
		return Limits{}, err
	}
	var w wireLimits
	if err := decodeJSON(OpLimitsGet, resp, &w); err != nil {
		return Limits{}, err
	}
	return w.toLimits(OpLimitsGet, resp)
}

func (w wireLimits) toLimits(op string, resp *response) (Limits, error) {
	l := Limits{Raw: make(map[string]string, len(w))}
	fields := map[string]*float64{
		"ops:default": &l.OpsDefault, "ops:get": &l.OpsGet, "ops:put": &l.OpsPut,
		"ops:list": &l.OpsList, "ops:delete": &l.OpsDelete, "bandwidth:out": &l.BandwidthOut,
	}
	for key, value := range w {
		text := strings.TrimSpace(string(value))
		l.Raw[key] = text
		field, known := fields[key]
		if !known || text == "" {
			continue
		}
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return Limits{}, &DecodeError{Op: op, Status: resp.status, ContentType: resp.contentType,
				Reason: fmt.Sprintf("limit %q has the non-numeric value %.32q", key, text)}
		}
		*field = v
	}
	return l, nil
}

// SetLimits sets one or more limits of a user or bucket:
// PUT /?ostor-limits&…, in the syntax of Config.LimitSyntax.
//
// With LimitSyntaxStaaS each value is one request, sent in order. With
// LimitSyntaxReference all ops values form one request and the bandwidth
// value another, and the gateway sets ops types that were not given to the
// default value. When a request fails, the error names the values already
// applied. Writes are not retried.
func (c *Client) SetLimits(ctx context.Context, target Target, values ...LimitValue) error {
	if err := target.validate(OpLimitsSet, false); err != nil {
		return err
	}
	if len(values) == 0 {
		return invalidArgument(OpLimitsSet, "no limit values given")
	}
	seen := make(map[string]bool)
	for _, v := range values {
		if err := v.validate(); err != nil {
			return err
		}
		key := v.Type + ":" + v.Resource
		if seen[key] {
			return invalidArgument(OpLimitsSet, "limit %s given twice", key)
		}
		seen[key] = true
	}

	var queries []*query
	var labels []string
	if c.limitSyntax == LimitSyntaxReference {
		queries, labels = referenceLimitQueries(target, values)
	} else {
		for _, v := range values {
			q := target.addTo(newQuery("limits")).
				set("limit-type", v.Type).set("limit-resource", v.Resource).
				set("limit-value", strconv.FormatInt(v.Value, 10))
			queries = append(queries, q)
			labels = append(labels, v.Type+":"+v.Resource)
		}
	}

	for i, q := range queries {
		if _, err := c.call(ctx, OpLimitsSet, q, nil); err != nil {
			if i == 0 {
				return err
			}
			return fmt.Errorf("setting limits %s failed after %s were applied: %w", labels[i], strings.Join(labels[:i], ", "), err)
		}
	}
	return nil
}

// referenceLimitQueries groups values into one ops request (default first,
// then the documented order) and one bandwidth request.
func referenceLimitQueries(target Target, values []LimitValue) ([]*query, []string) {
	order := map[string]int{ResourceDefault: 0, ResourceGet: 1, ResourcePut: 2, ResourceList: 3, ResourceDelete: 4, ResourceOut: 5}
	sorted := append([]LimitValue(nil), values...)
	sort.SliceStable(sorted, func(i, j int) bool { return order[sorted[i].Resource] < order[sorted[j].Resource] })

	var queries []*query
	var labels []string
	for _, limitType := range []string{LimitOps, LimitBandwidth} {
		var q *query
		var names []string
		for _, v := range sorted {
			if v.Type != limitType {
				continue
			}
			if q == nil {
				q = target.addTo(newQuery("limits")).flag(limitType)
			}
			q.set(v.Resource, strconv.FormatInt(v.Value, 10))
			names = append(names, limitType+":"+v.Resource)
		}
		if q != nil {
			queries = append(queries, q)
			labels = append(labels, strings.Join(names, "+"))
		}
	}
	return queries, labels
}

func (v LimitValue) validate() error {
	switch v.Type {
	case LimitOps:
		switch v.Resource {
		case ResourceDefault, ResourceGet, ResourcePut, ResourceList, ResourceDelete:
		default:
			return invalidArgument(OpLimitsSet, "ops resource %q is invalid: use default, get, put, list or delete", v.Resource)
		}
	case LimitBandwidth:
		if v.Resource != ResourceOut {
			return invalidArgument(OpLimitsSet, "bandwidth resource %q is invalid: use out", v.Resource)
		}
	default:
		return invalidArgument(OpLimitsSet, "limit type %q is invalid: use ops or bandwidth", v.Type)
	}
	if v.Value < 0 {
		return invalidArgument(OpLimitsSet, "limit %s:%s is negative (%d): use 0 for unlimited", v.Type, v.Resource, v.Value)
	}
	return nil
}

// DeleteLimits resets limits of a user or bucket to 0 (unlimited):
// DELETE /?ostor-limits&…[&ops|&bandwidth]. limitType LimitOps or
// LimitBandwidth adds that flag, as the API reference shows, and "" sends no
// flag, as the StaaS guides show.
func (c *Client) DeleteLimits(ctx context.Context, target Target, limitType string) error {
	if err := target.validate(OpLimitsDelete, false); err != nil {
		return err
	}
	q := target.addTo(newQuery("limits"))
	switch limitType {
	case "":
	case LimitOps, LimitBandwidth:
		q.flag(limitType)
	default:
		return invalidArgument(OpLimitsDelete, "limit type %q is invalid: use ops, bandwidth or \"\"", limitType)
	}
	_, err := c.call(ctx, OpLimitsDelete, q, nil)
	return err
}

// flexString decodes a JSON string or number into its text.
type flexString string

func (s *flexString) UnmarshalJSON(data []byte) error {
	text := strings.TrimSpace(string(data))
	switch {
	case text == "null":
		*s = ""
	case strings.HasPrefix(text, `"`):
		unquoted, err := strconv.Unquote(text)
		if err != nil {
			return errors.New("invalid JSON string")
		}
		*s = flexString(unquoted)
	case len(text) > 0 && (text[0] == '-' || ('0' <= text[0] && text[0] <= '9')):
		*s = flexString(text)
	default:
		return errors.New("expected a string or a number")
	}
	return nil
}
