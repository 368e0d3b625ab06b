package ostortest

import (
	"net/http"
	"strconv"
)

var (
	opsResources   = []string{"default", "get", "put", "list", "delete"}
	limitKeys      = []string{"ops:default", "ops:get", "ops:put", "ops:list", "ops:delete", "bandwidth:out"}
	limitSelectors = map[string]paramKind{"emailAddress": valueParam, "id": valueParam, "bucket": valueParam}
)

// limitTarget resolves exactly one of emailAddress, id or bucket to the key
// of the limits and quotas maps.
func limitTarget(s *state, a args) (string, *apiError) {
	selectors := 0
	for _, key := range []string{"emailAddress", "id", "bucket"} {
		if a.has(key) {
			selectors++
		}
	}
	if selectors != 1 {
		return "", errorf(http.StatusBadRequest, "InvalidArgument", "give exactly one of emailAddress, id and bucket")
	}
	if name, ok := a.value("bucket"); ok {
		if s.bucketByName(name) == nil {
			return "", errorf(http.StatusNotFound, "NoSuchBucket", "no bucket %q", name)
		}
		return "bucket:" + name, nil
	}
	u, err := findUser(s, a)
	if err != nil {
		return "", err
	}
	return "user:" + u.id, nil
}

// handleLimitsGet returns every limit as a string, ops with two decimals as
// the gateway prints them.
func handleLimitsGet(s *state, g *Gateway, a args) (result, bool, *apiError) {
	target, err := limitTarget(s, a)
	if err != nil {
		return result{}, false, err
	}
	values := s.limits[target]
	out := make(map[string]string, len(limitKeys))
	for _, key := range limitKeys {
		if key == "bandwidth:out" {
			out[key] = strconv.FormatFloat(values[key], 'f', -1, 64)
		} else {
			out[key] = strconv.FormatFloat(values[key], 'f', 2, 64)
		}
	}
	return result{body: out}, false, nil
}

// handleLimitsSet accepts both documented syntaxes unless Options.LimitSyntax
// selects one: limit-type/limit-resource/limit-value, or the ops and
// bandwidth flags with per-resource values.
func handleLimitsSet(s *state, g *Gateway, a args) (result, bool, *apiError) {
	target, err := limitTarget(s, a)
	if err != nil {
		return result{}, false, err
	}
	staas := a.has("limit-type") || a.has("limit-resource") || a.has("limit-value")
	reference := a.has("ops") || a.has("bandwidth")
	switch {
	case staas && reference:
		return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "mix of limit-type parameters and ops/bandwidth flags")
	case staas && g.limitSyntax == "reference", reference && g.limitSyntax == "staas":
		return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "this gateway accepts only the %s limit syntax", g.limitSyntax)
	}

	updates := make(map[string]float64)
	switch {
	case staas:
		limitType, _ := a.value("limit-type")
		resource, _ := a.value("limit-resource")
		value, perr := parseLimitValue(a, "limit-value", false)
		if perr != nil {
			return result{}, false, perr
		}
		if !validLimit(limitType, resource) {
			return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "invalid limit %s:%s", limitType, resource)
		}
		updates[limitType+":"+resource] = value
	case a.has("ops") && a.has("bandwidth"):
		return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "give only one of ops and bandwidth")
	case a.has("ops"):
		if a.has("out") {
			return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "out belongs to bandwidth, not ops")
		}
		defaultValue, perr := parseLimitValue(a, "default", true)
		if perr != nil {
			return result{}, false, perr
		}
		for _, resource := range opsResources {
			value := defaultValue
			if a.has(resource) {
				if value, perr = parseLimitValue(a, resource, false); perr != nil {
					return result{}, false, perr
				}
			}
			updates["ops:"+resource] = value
		}
	case a.has("bandwidth"):
		for _, resource := range opsResources {
			if a.has(resource) {
				return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "%s belongs to ops, not bandwidth", resource)
			}
		}
		value, perr := parseLimitValue(a, "out", true)
		if perr != nil {
			return result{}, false, perr
		}
		updates["bandwidth:out"] = value
	default:
		return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "missing limit-type or an ops/bandwidth flag")
	}

	if s.limits[target] == nil {
		s.limits[target] = make(map[string]float64)
	}
	for key, value := range updates {
		s.limits[target][key] = value
	}
	return result{}, true, nil
}

func validLimit(limitType, resource string) bool {
	switch limitType {
	case "ops":
		for _, r := range opsResources {
			if r == resource {
				return true
			}
		}
	case "bandwidth":
		return resource == "out"
	}
	return false
}

// parseLimitValue reads a non-negative integer parameter. An absent optional
// parameter is 0.
func parseLimitValue(a args, key string, optional bool) (float64, *apiError) {
	text, ok := a.value(key)
	if !ok {
		if optional {
			return 0, nil
		}
		return 0, errorf(http.StatusBadRequest, "InvalidArgument", "missing %s", key)
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < 0 {
		return 0, errorf(http.StatusBadRequest, "InvalidArgument", "%s=%q is not a non-negative integer", key, text)
	}
	return float64(n), nil
}

func handleLimitsDelete(s *state, g *Gateway, a args) (result, bool, *apiError) {
	target, err := limitTarget(s, a)
	if err != nil {
		return result{}, false, err
	}
	values := s.limits[target]
	for _, key := range limitKeys {
		isOps := key != "bandwidth:out"
		if a.has("ops") && !isOps || a.has("bandwidth") && isOps {
			continue
		}
		delete(values, key)
	}
	return result{status: http.StatusNoContent}, true, nil
}

// quotaTarget resolves emailAddress, id, bucket or default=user|bucket.
func quotaTarget(s *state, a args) (key string, quotaType string, err *apiError) {
	if kind, ok := a.value("default"); ok {
		if a.has("emailAddress") || a.has("id") || a.has("bucket") {
			return "", "", errorf(http.StatusBadRequest, "InvalidArgument", "give exactly one of emailAddress, id, bucket and default")
		}
		if kind != "user" && kind != "bucket" {
			return "", "", errorf(http.StatusBadRequest, "InvalidArgument", "default=%q is invalid: use user or bucket", kind)
		}
		return "default:" + kind, kind, nil
	}
	target, err := limitTarget(s, a)
	if err != nil {
		return "", "", err
	}
	if a.has("bucket") {
		return target, "bucket", nil
	}
	return target, "user", nil
}

// handleQuotasGet renders type as "0"/"1" on vhi, as the API reference
// shows, and as "user"/"bucket" on vhi63, as the StaaS guides show.
func handleQuotasGet(s *state, g *Gateway, a args) (result, bool, *apiError) {
	key, quotaType, err := quotaTarget(s, a)
	if err != nil {
		return result{}, false, err
	}
	typeText := quotaType
	if g.profile.Name != "vhi63" {
		typeText = map[string]string{"user": "0", "bucket": "1"}[quotaType]
	}
	body := map[string]string{"version": "1", "type": typeText, "size": strconv.FormatInt(s.quotas[key], 10)}
	return result{body: body}, false, nil
}

func handleQuotasSet(s *state, g *Gateway, a args) (result, bool, *apiError) {
	key, _, err := quotaTarget(s, a)
	if err != nil {
		return result{}, false, err
	}
	text, ok := a.value("quota-size")
	if !ok {
		return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "missing quota-size")
	}
	size, perr := strconv.ParseInt(text, 10, 64)
	if perr != nil || size < 0 {
		return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "quota-size=%q is not a non-negative integer", text)
	}
	s.quotas[key] = size
	return result{}, true, nil
}

func handleQuotasDelete(s *state, g *Gateway, a args) (result, bool, *apiError) {
	key, _, err := quotaTarget(s, a)
	if err != nil {
		return result{}, false, err
	}
	delete(s.quotas, key)
	return result{status: http.StatusNoContent}, true, nil
}
