package ostortest

import (
	"net/http"
	"strings"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// args are the decoded parameters and body of one request.
type args struct {
	params []Param
	body   []byte
}

func (a args) value(key string) (string, bool) {
	for _, p := range a.params {
		if p.Key == key && !p.Flag {
			return p.Value, true
		}
	}
	return "", false
}

func (a args) has(key string) bool {
	for _, p := range a.params {
		if p.Key == key {
			return true
		}
	}
	return false
}

// handlerFunc applies one operation to the state. It runs with Gateway.mu
// held and reports whether it changed the state.
type handlerFunc func(s *state, g *Gateway, a args) (res result, applied bool, err *apiError)

type route struct {
	op      string
	handler handlerFunc
}

// paramKind says whether a parameter is a bare flag or carries a value.
type paramKind int

const (
	valueParam paramKind = iota
	flagParam
)

// opSpec lists the parameters one operation accepts.
type opSpec struct {
	handler handlerFunc
	params  map[string]paramKind
}

var userSelector = map[string]paramKind{"emailAddress": valueParam, "id": valueParam}

func withParams(base map[string]paramKind, extra map[string]paramKind) map[string]paramKind {
	out := make(map[string]paramKind, len(base)+len(extra))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

var opSpecs = map[string]opSpec{
	ostor.OpUsersList:      {handler: handleUsersList, params: map[string]paramKind{"space": flagParam}},
	ostor.OpUsersGet:       {handler: handleUsersGet, params: userSelector},
	ostor.OpUsersCreate:    {handler: handleUsersCreate, params: map[string]paramKind{"emailAddress": valueParam}},
	ostor.OpUsersGenKey:    {handler: handleUsersGenKey, params: withParams(userSelector, map[string]paramKind{"genKey": flagParam})},
	ostor.OpUsersRevokeKey: {handler: handleUsersRevokeKey, params: withParams(userSelector, map[string]paramKind{"revokeKey": valueParam})},
	ostor.OpUsersDisable:   {handler: handleUsersDisable, params: withParams(userSelector, map[string]paramKind{"disable": flagParam})},
	ostor.OpUsersEnable:    {handler: handleUsersEnable, params: withParams(userSelector, map[string]paramKind{"enable": flagParam})},
	ostor.OpUsersDelete:    {handler: handleUsersDelete, params: userSelector},

	ostor.OpAccountsCreate: {handler: handleAccountsCreate, params: withParams(userSelector, map[string]paramKind{"accountName": valueParam})},
	ostor.OpAccountsDelete: {handler: handleAccountsDelete, params: withParams(userSelector, map[string]paramKind{"accountName": valueParam})},
	ostor.OpAccountsGenKey: {handler: handleAccountsGenKey,
		params: withParams(userSelector, map[string]paramKind{"accountName": valueParam, "genKey": flagParam})},
	ostor.OpAccountsRevokeKey: {handler: handleAccountsRevokeKey,
		params: withParams(userSelector, map[string]paramKind{"accountName": valueParam, "revokeKey": valueParam})},

	ostor.OpBucketsList: {handler: handleBucketsList, params: userSelector},
	ostor.OpBucketsGet:  {handler: handleBucketsGet, params: map[string]paramKind{"bucket": valueParam, "multi": flagParam}},

	ostor.OpLimitsGet: {handler: handleLimitsGet, params: limitSelectors},
	ostor.OpLimitsSet: {handler: handleLimitsSet, params: withParams(limitSelectors, map[string]paramKind{
		"ops": flagParam, "bandwidth": flagParam,
		"default": valueParam, "get": valueParam, "put": valueParam, "list": valueParam, "delete": valueParam, "out": valueParam,
		"limit-type": valueParam, "limit-resource": valueParam, "limit-value": valueParam,
	})},
	ostor.OpLimitsDelete: {handler: handleLimitsDelete, params: withParams(limitSelectors, map[string]paramKind{"ops": flagParam, "bandwidth": flagParam})},

	ostor.OpQuotasGet:    {handler: handleQuotasGet, params: withParams(limitSelectors, map[string]paramKind{"default": valueParam})},
	ostor.OpQuotasSet:    {handler: handleQuotasSet, params: withParams(limitSelectors, map[string]paramKind{"default": valueParam, "quota-size": valueParam})},
	ostor.OpQuotasDelete: {handler: handleQuotasDelete, params: withParams(limitSelectors, map[string]paramKind{"default": valueParam})},

	ostor.OpUsageList:   {handler: handleUsageList, params: map[string]paramKind{"after": valueParam, "limit": valueParam}},
	ostor.OpUsageGet:    {handler: handleUsageGet, params: map[string]paramKind{"obj": valueParam}},
	ostor.OpUsageDelete: {handler: handleUsageDelete, params: map[string]paramKind{"obj": valueParam}},
}

// route finds the operation for a request, checks its method against the
// profile and its parameters against the operation's list. Anything it does
// not recognise is a 4xx error, so a client bug never passes silently.
func (g *Gateway) route(method, service string, params []Param) (route, *apiError) {
	a := args{params: params}
	op := classify(method, service, a)
	if op == "" {
		return route{}, errorf(http.StatusBadRequest, "InvalidRequest", "no admin operation matches %s ?ostor-%s with parameters %v", method, service, paramKeys(params))
	}

	if expected := g.profile.Methods[op]; method != expected {
		return route{}, errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "%s must be sent with %s on profile %q, not %s", op, expected, g.profile.Name, method)
	}

	spec := opSpecs[op]
	for _, p := range params {
		kind, ok := spec.params[p.Key]
		if !ok {
			return route{}, errorf(http.StatusBadRequest, "InvalidArgument", "%s does not accept parameter %q", op, p.Key)
		}
		if kind == flagParam && !p.Flag {
			return route{}, errorf(http.StatusBadRequest, "InvalidArgument", "%s: parameter %q is a flag and takes no value", op, p.Key)
		}
		if kind == valueParam && p.Flag {
			return route{}, errorf(http.StatusBadRequest, "InvalidArgument", "%s: parameter %q needs a value", op, p.Key)
		}
	}
	if err := g.checkProfileFeatures(op, a); err != nil {
		return route{}, err
	}
	return route{op: op, handler: spec.handler}, nil
}

// checkProfileFeatures rejects services and parameters that the profile's
// releases do not have.
func (g *Gateway) checkProfileFeatures(op string, a args) *apiError {
	p := g.profile
	switch {
	case a.has("space") && !p.UserSpace:
		return errorf(http.StatusBadRequest, "InvalidArgument", "the space flag is not supported on profile %q", p.Name)
	case strings.HasPrefix(op, "accounts.") && !p.Accounts:
		return errorf(http.StatusBadRequest, "InvalidRequest", "accounts are not supported on profile %q", p.Name)
	case strings.HasPrefix(op, "quotas.") && !p.Quotas:
		return errorf(http.StatusBadRequest, "InvalidRequest", "ostor-quotas is not supported on profile %q", p.Name)
	case op == ostor.OpBucketsGet && !p.BucketSelect:
		return errorf(http.StatusBadRequest, "InvalidArgument", "the bucket and multi selectors are not supported on profile %q", p.Name)
	case op == ostor.OpUsageList && (a.has("after") || a.has("limit")) && !p.UsagePaging:
		return errorf(http.StatusBadRequest, "InvalidArgument", "after and limit are not supported on profile %q", p.Name)
	}
	return nil
}

// classify names the operation a request asks for, from its service, its
// distinguishing parameters and, where those are not enough, its method.
// It returns "" when nothing matches.
func classify(method, service string, a args) string {
	switch service {
	case "users":
		switch {
		case a.has("accountName") && a.has("genKey"):
			return ostor.OpAccountsGenKey
		case a.has("accountName") && a.has("revokeKey"):
			return ostor.OpAccountsRevokeKey
		case a.has("genKey"):
			return ostor.OpUsersGenKey
		case a.has("revokeKey"):
			return ostor.OpUsersRevokeKey
		case a.has("disable"):
			return ostor.OpUsersDisable
		case a.has("enable"):
			return ostor.OpUsersEnable
		}
		switch method {
		case http.MethodGet:
			if a.has("emailAddress") || a.has("id") {
				return ostor.OpUsersGet
			}
			return ostor.OpUsersList
		case http.MethodPut:
			return ostor.OpUsersCreate
		case http.MethodDelete:
			return ostor.OpUsersDelete
		}
	case "accounts":
		return byMethod(method, map[string]string{http.MethodPost: ostor.OpAccountsCreate, http.MethodDelete: ostor.OpAccountsDelete})
	case "buckets":
		if a.has("bucket") || a.has("multi") {
			return ostor.OpBucketsGet
		}
		return ostor.OpBucketsList
	case "limits":
		return byMethod(method, map[string]string{http.MethodGet: ostor.OpLimitsGet, http.MethodPut: ostor.OpLimitsSet, http.MethodDelete: ostor.OpLimitsDelete})
	case "quotas":
		return byMethod(method, map[string]string{http.MethodGet: ostor.OpQuotasGet, http.MethodPut: ostor.OpQuotasSet, http.MethodDelete: ostor.OpQuotasDelete})
	case "usage":
		if method == http.MethodDelete {
			return ostor.OpUsageDelete
		}
		if a.has("obj") {
			return ostor.OpUsageGet
		}
		return ostor.OpUsageList
	}
	return ""
}

func paramKeys(params []Param) []string {
	keys := make([]string, 0, len(params))
	for _, p := range params {
		keys = append(keys, p.Key)
	}
	return keys
}

// byMethod returns the operation for method, or "" when the service has none.
func byMethod(method string, ops map[string]string) string {
	if op, ok := ops[method]; ok {
		return op
	}
	return ""
}
