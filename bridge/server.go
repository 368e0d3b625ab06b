package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/gorilla/rpc/v2"
	"github.com/gorilla/rpc/v2/json2"
	"go.uber.org/zap"
)

// MaxRequestBytes bounds an RPC request body. The largest legitimate request (an admin action
// with a limit table) is well under 64 KiB.
const MaxRequestBytes = 1 << 20

// ServerOptions configures the RPC handler.
type ServerOptions struct {
	Log          *zap.Logger
	Secret       []byte        // shared with the PHP module; at least MinSecretLength bytes
	MaxClockSkew time.Duration // accepted difference between a request's timestamp and the daemon clock
	CallTimeout  time.Duration // deadline of one RPC call, including gateway and database work
	Now          func() time.Time
	Provisioner  *Provisioner
	Checker      Checker // runs System.Check; nil reports only the daemon itself
	Panel        *Panel  // serves the Admin service; nil leaves it out
	Usage        *Usage  // serves the Usage methods; nil makes them fail with CodeConflict

	// Metrics counts RPC calls; nil records nothing.
	Metrics *Metrics
}

// Checker tests the daemon's dependencies for System.Check.
type Checker interface {
	Check(ctx context.Context) CheckReply
}

// Handler serves JSON-RPC 2.0 on POST /rpc and liveness on GET /healthz.
type Handler struct {
	log      *zap.Logger
	verifier *verifier
	timeout  time.Duration
	rpc      *rpc.Server
	params   map[string]reflect.Type // method → params type, for strict decoding
	mux      *http.ServeMux
	metrics  *Metrics
}

// NewHandler validates opts and builds the handler.
func NewHandler(opts ServerOptions) (*Handler, error) {
	if len(opts.Secret) < MinSecretLength {
		return nil, fmt.Errorf("rpc secret is %d bytes long; set rpc.secret (or OSTOR_BRIDGE_RPC_SECRET) to at least %d random characters, e.g. the output of `openssl rand -hex 32`", len(opts.Secret), MinSecretLength)
	}
	if opts.Provisioner == nil {
		return nil, errors.New("bridge: ServerOptions.Provisioner is required")
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxClockSkew <= 0 {
		opts.MaxClockSkew = 2 * time.Minute
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 60 * time.Second
	}

	h := &Handler{
		log:      opts.Log.With(zap.String("component", "rpc")),
		verifier: newVerifier(opts.Secret, opts.MaxClockSkew, opts.Now),
		timeout:  opts.CallTimeout,
		rpc:      rpc.NewServer(),
		params:   make(map[string]reflect.Type),
		mux:      http.NewServeMux(),
		metrics:  opts.Metrics,
	}
	h.rpc.RegisterCodec(json2.NewCustomCodecWithErrorMapper(rpc.DefaultEncoderSelector, func(err error) error {
		return toRPCError(err)
	}), "application/json")
	h.rpc.RegisterAfterFunc(func(i *rpc.RequestInfo) {
		if c := callFrom(i.Request.Context()); c != nil {
			c.err = i.Error
		}
	})

	services := map[string]any{
		"Service": &ServiceAPI{p: opts.Provisioner},
		"Client":  &ClientAPI{p: opts.Provisioner},
		"System":  &SystemAPI{checker: opts.Checker},
		"Usage":   &UsageAPI{u: opts.Usage},
	}
	if opts.Panel != nil {
		services["Admin"] = &AdminAPI{panel: opts.Panel}
	}
	for name, receiver := range services {
		if err := h.register(receiver, name); err != nil {
			return nil, err
		}
	}

	h.mux.Handle("POST /rpc", http.HandlerFunc(h.serveRPC))
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	return h, nil
}

// register exposes receiver's RPC methods and records their params types for strict decoding.
func (h *Handler) register(receiver any, name string) error {
	if err := h.rpc.RegisterService(receiver, name); err != nil {
		return fmt.Errorf("register RPC service %s: %w", name, err)
	}
	t := reflect.TypeOf(receiver)
	for i := 0; i < t.NumMethod(); i++ {
		m := t.Method(i)
		if m.Type.NumIn() == 4 {
			h.params[name+"."+m.Name] = m.Type.In(2).Elem()
		}
	}
	return nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// envelope is the part of a JSON-RPC request the handler checks before gorilla/rpc decodes it.
type envelope struct {
	Version string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      json.RawMessage `json:"id"`
}

// call collects what the single log line of an RPC call reports.
type call struct {
	remote    string // client address or "unix", logged for failed calls
	method    string // as the caller sent it; logCall logs it through printableMethod
	serviceID int64
	err       error
}

type callKey struct{}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// noteService records the WHMCS service id of the current call for its log line.
func noteService(ctx context.Context, id int64) {
	if c := callFrom(ctx); c != nil {
		c.serviceID = id
	}
}

func (h *Handler) serveRPC(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{remote: remoteName(r)}
	defer func() {
		d := time.Since(start)
		h.logCall(c, d)
		_, known := h.params[c.method]
		h.metrics.observeRPC(c.method, known, c.err, d)
	}()

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	if err != nil {
		e := &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("request body is unreadable or larger than %d bytes", MaxRequestBytes)}
		c.err = e
		writeRPCError(w, http.StatusRequestEntityTooLarge, nil, e)
		return
	}

	// Authentication comes before parsing, so an unauthenticated caller learns nothing about
	// which bodies would be accepted.
	if err := h.verifier.verify(r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body); err != nil {
		e := &Error{Code: CodeUnauthorized, Message: err.Error()}
		c.err = e
		writeRPCError(w, http.StatusUnauthorized, nil, e)
		return
	}

	env, rpcErr := h.checkEnvelope(body)
	c.method = env.Method
	if rpcErr != nil {
		c.err = rpcErr
		writeRPCError(w, http.StatusBadRequest, env.ID, rpcErr)
		return
	}

	ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), callKey{}, c), h.timeout)
	defer cancel()
	r = r.WithContext(ctx)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	h.rpc.ServeHTTP(w, r)
}

// checkEnvelope rejects what gorilla/rpc would silently accept: notifications (no id or a null
// id are run without a reply), batches, and params that do not decode strictly into the method's
// argument type.
func (h *Handler) checkEnvelope(body []byte) (envelope, *Error) {
	var env envelope
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return env, &Error{Code: CodeInvalidRequest, Message: "batch requests are not supported; send one JSON-RPC request object per HTTP request"}
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return env, &Error{Code: CodeParse, Message: "request body is not valid JSON: " + err.Error()}
	}
	if env.Version != "2.0" {
		return env, &Error{Code: CodeInvalidRequest, Message: fmt.Sprintf("jsonrpc must be \"2.0\", got %q", env.Version)}
	}
	if id := bytes.TrimSpace(env.ID); len(id) == 0 || bytes.Equal(id, []byte("null")) {
		return env, &Error{Code: CodeInvalidRequest, Message: "request id is missing or null; the daemon does not run notifications, send a string or number id"}
	}
	if env.Method == "" {
		return env, &Error{Code: CodeInvalidRequest, Message: "method is missing"}
	}
	paramsType, ok := h.params[env.Method]
	if !ok && methodNamePattern.MatchString(env.Method) {
		return env, &Error{Code: CodeNoMethod, Message: fmt.Sprintf("unknown method %q; see docs/rpc.md for the methods of this daemon version", env.Method)}
	}
	if !ok {
		return env, &Error{Code: CodeNoMethod, Message: fmt.Sprintf("unknown method: the %d-byte method name is not of the form Service.Method; see docs/rpc.md for the methods of this daemon version", len(env.Method))}
	}
	if p := bytes.TrimSpace(env.Params); len(p) == 0 || p[0] != '{' {
		return env, &Error{Code: CodeInvalidParams, Message: fmt.Sprintf("params of %s must be a JSON object", env.Method)}
	}
	dec := json.NewDecoder(bytes.NewReader(env.Params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(reflect.New(paramsType).Interface()); err != nil {
		return env, &Error{Code: CodeInvalidParams, Message: fmt.Sprintf("invalid params for %s: %s", env.Method, strings.TrimPrefix(err.Error(), "json: "))}
	}
	return env, nil
}

// writeRPCError replies to a request that never reached gorilla/rpc.
func writeRPCError(w http.ResponseWriter, status int, id json.RawMessage, e *Error) {
	if len(bytes.TrimSpace(id)) == 0 {
		id = json.RawMessage("null")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Version string          `json:"jsonrpc"`
		Error   *json2.Error    `json:"error"`
		ID      json.RawMessage `json:"id"`
	}{"2.0", toRPCError(e), id})
}

// logCall writes the one log line of an RPC call. Arguments and results are not logged: they may
// contain client data, and results of key operations contain secrets.
func (h *Handler) logCall(c *call, d time.Duration) {
	fields := h.methodFields(c.method)
	fields = append(fields, zap.Duration("duration", d))
	if c.serviceID != 0 {
		fields = append(fields, zap.Int64("service_id", c.serviceID))
	}
	if c.err == nil {
		h.log.Info("rpc call", fields...)
		return
	}
	rpcErr := toRPCError(c.err)
	fields = append(fields, zap.Int("code", int(rpcErr.Code)), zap.String("error", rpcErr.Message), zap.String("remote", c.remote))
	var be *Error
	if errors.As(c.err, &be) && be.Err != nil {
		fields = append(fields, zap.NamedError("cause", be.Err))
	}
	h.log.Warn("rpc call failed", fields...)
}

// methodNamePattern matches the Service.Method shape of the daemon's method names. Unknown names
// of that shape are logged and quoted in errors. Other names are not, because an authenticated
// caller can send any bytes there, including line breaks and terminal escapes.
var methodNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,31}\.[A-Za-z][A-Za-z0-9]{0,31}$`)

// unprintableMethod replaces a method name in the log that is neither known nor of the
// Service.Method shape.
const unprintableMethod = "(invalid method name)"

// methodFields returns the log fields that name the method of a call: the name itself when it is
// known or has the Service.Method shape, otherwise unprintableMethod and the name's length in bytes.
func (h *Handler) methodFields(method string) []zap.Field {
	if _, known := h.params[method]; known || method == "" || methodNamePattern.MatchString(method) {
		return []zap.Field{zap.String("method", method)}
	}
	return []zap.Field{zap.String("method", unprintableMethod), zap.Int("method_bytes", len(method))}
}

// remoteName returns the caller's address for the log. A request over a unix socket has no
// caller address, and net/http sets RemoteAddr to "@" for it, so it is named "unix".
func remoteName(r *http.Request) string {
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && local.Network() == "unix" {
		return "unix"
	}
	return r.RemoteAddr
}
