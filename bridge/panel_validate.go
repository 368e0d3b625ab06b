package bridge

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// limitFields maps the panel's limit fields to the gateway's limit type and resource, in the order
// the gateway documents them.
var limitFields = []struct {
	field    string
	limit    string
	resource string
}{
	{"ops_default", ostor.LimitOps, ostor.ResourceDefault},
	{"ops_get", ostor.LimitOps, ostor.ResourceGet},
	{"ops_put", ostor.LimitOps, ostor.ResourcePut},
	{"ops_list", ostor.LimitOps, ostor.ResourceList},
	{"ops_delete", ostor.LimitOps, ostor.ResourceDelete},
	{"bandwidth_out", ostor.LimitBandwidth, ostor.ResourceOut},
}

// parseLimitValues reads the limit fields of params. Empty fields are left unchanged on the
// gateway, and at least one field must be set.
func parseLimitValues(params map[string]string) ([]ostor.LimitValue, map[string]string, error) {
	var values []ostor.LimitValue
	clean := map[string]string{}
	for _, f := range limitFields {
		raw := strings.TrimSpace(params[f.field])
		if raw == "" {
			continue
		}
		v, err := parseLimitValue(f.field, raw)
		if err != nil {
			return nil, nil, err
		}
		values = append(values, ostor.LimitValue{Type: f.limit, Resource: f.resource, Value: v})
		clean[f.field] = strconv.FormatInt(v, 10)
	}
	if len(values) == 0 {
		return nil, nil, invalidInput("ops_default", "no limit value given; enter a number in at least one of ops default, get, put, list, delete or bandwidth out")
	}
	return values, clean, nil
}

func parseLimitValue(field, raw string) (int64, error) {
	unit := "operations per second"
	if strings.HasPrefix(field, "bandwidth") {
		unit = "KB/s"
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, invalidInput(field, "%s %q is not a whole number; enter %s from 0 (unlimited) to %d", field, raw, unit, maxLimitValue)
		}
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v > maxLimitValue {
		return 0, invalidInput(field, "%s %q is too large; enter %s from 0 (unlimited) to %d", field, raw, unit, maxLimitValue)
	}
	return v, nil
}

// validateLimitType checks the limit type of a delete: "" (all), "ops" or "bandwidth".
func validateLimitType(raw string) (string, error) {
	switch raw {
	case "", ostor.LimitOps, ostor.LimitBandwidth:
		return raw, nil
	}
	return "", invalidInput("limit_type", "limit_type %q is invalid; use ops, bandwidth or leave it empty for all limits", raw)
}

// validateBucketName checks what can be checked without the gateway. Buckets created before
// the S3 naming rules tightened can hold upper-case letters and underscores, so the panel only
// rejects what no bucket name holds, and the caller checks that the service's user owns it.
func validateBucketName(name string) error {
	if name == "" {
		return invalidInput("bucket", "bucket name is missing; pick one of the service's buckets")
	}
	if len(name) > 255 {
		return invalidInput("bucket", "bucket name is %d bytes long, the maximum is 255", len(name))
	}
	if err := checkPrintable(name); err != nil {
		return invalidInput("bucket", "bucket name %q %v", name, err)
	}
	return nil
}

// validateUsageObjectName accepts the documented name of a statistics object:
// s3-usage-<service id>-<start>-<period>.
func validateUsageObjectName(name string) error {
	if name == "" {
		return invalidInput("object", "statistics object name is missing")
	}
	if _, err := ostor.ParseUsageName(name); err != nil {
		return invalidInput("object", "statistics object name %q is invalid; expected s3-usage-<service id>-<start time>-<period>, as the object list shows", name)
	}
	return nil
}

// checkPrintable rejects invalid UTF-8 and control characters.
func checkPrintable(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("contains a control character")
		}
	}
	return nil
}
