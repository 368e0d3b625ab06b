package ostortest

import (
	"net/http"

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
	if a.has("space") && !g.profile.UserSpace {
		return route{}, errorf(http.StatusBadRequest, "InvalidArgument", "the space flag is not supported on profile %q", g.profile.Name)
	}
	return route{op: op, handler: spec.handler}, nil
}

// classify names the operation a request asks for, from its service, its
// distinguishing parameters and, where those are not enough, its method.
// It returns "" when nothing matches.
func classify(method, service string, a args) string {
	switch service {
	case "users":
		switch {
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
