package ostortest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// DefaultMaxClockSkew is how far a request's Date may be from the gateway's
// clock, the same 15 minutes that AWS S3 allows.
const DefaultMaxClockSkew = 15 * time.Minute

// Options configures a Gateway.
type Options struct {
	// Profile is the release profile to play (see ostor.LookupProfile).
	// Empty selects ostor.DefaultProfile.
	Profile string
	// Methods overrides the HTTP method the gateway expects for single
	// operations, in the same form as ostor.Config.Methods.
	Methods map[string]string
	// Now is the gateway's clock. Nil means time.Now. A clock that differs
	// from the client's by more than MaxClockSkew makes every request fail
	// with 403 RequestTimeTooSkewed.
	Now func() time.Time
	// MaxClockSkew is the accepted distance between Date and Now. Zero means
	// DefaultMaxClockSkew.
	MaxClockSkew time.Duration
	// AccessKeyID and SecretAccessKey are the system user's key pair. When
	// either is empty, a random pair is generated.
	AccessKeyID     string
	SecretAccessKey string
	// AllowDuplicateEmails lets several users share one email address, as
	// the vendor's own samples show. By default a second create with the
	// same address fails with 409 UserAlreadyExists.
	AllowDuplicateEmails bool
	// LimitSyntax restricts PUT ?ostor-limits to one syntax,
	// ostor.LimitSyntaxStaaS or ostor.LimitSyntaxReference. Empty accepts
	// both, because which one a release accepts is not documented.
	LimitSyntax string
	// UsageServiceID is the 16-hex-digit service ID in usage object names.
	// Empty means "8000000000000065", the ID in the vendor's samples.
	UsageServiceID string
	// QuoteServiceID renders service_id in usage objects as a JSON string.
	// By default it is a bare number when it has only decimal digits, as in
	// the vendor's samples, and a string otherwise.
	QuoteServiceID bool
	// MaxUsageListItems is the maximum number of names in one usage list
	// reply. A longer list is cut and marked truncated. Zero means 1000.
	MaxUsageListItems int
	// UsagePeriod, when positive, makes the gateway count every
	// authenticated S3 data request into usage objects that cover this
	// many seconds each, as a gateway with S3_GW_COLLECT_STAT=1 does. It
	// must be a whole number of seconds. Zero records no usage.
	UsagePeriod time.Duration
	// UsageObserver, if set, is called with the name and counter records
	// of each usage object that the gateway writes from S3 traffic. It must
	// not call back into the Gateway.
	UsageObserver func(name string, items []ostor.UsageItem)
	// MaxRecordedRequests bounds the list returned by Requests, and the oldest
	// entries are dropped first. Zero means no bound.
	MaxRecordedRequests int
	// Observer, if set, is called after each request with its record. It
	// must not call back into the Gateway.
	Observer func(RecordedRequest)
}

// Param is one decoded query parameter. Flag is true for a bare key such as
// genKey.
type Param struct {
	Key   string
	Value string
	Flag  bool
}

// RecordedRequest is one request the gateway received, in arrival order.
type RecordedRequest struct {
	Time     time.Time
	Method   string
	Service  string  // e.g. "users" for ?ostor-users, or "s3" for S3 data
	Path     string  // URL path of an S3 data request, "" for the admin API
	Op       string  // operation name, or "" when the request matched none
	Params   []Param // decoded parameters after the service word, in order
	RawQuery string
	Status   int  // HTTP status sent, or 0 when the connection was dropped
	Applied  bool // true when the request changed the gateway's state
	Dropped  bool // true when the connection was closed without a response
}

// Value returns the decoded value of the first parameter named key.
func (r RecordedRequest) Value(key string) (string, bool) {
	for _, p := range r.Params {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Fault changes how the gateway handles requests of one operation.
type Fault struct {
	// Latency delays the request before it is handled. The request is still
	// handled when the client gives up during the delay, as a real gateway
	// would.
	Latency time.Duration
	// Status, if 400 or more, is sent instead of handling the request, with
	// Code and Message in the S3 XML error body and X-Amz-Err-Message.
	Status  int
	Code    string
	Message string
	// DropAfterApply handles the request, then closes the connection
	// without sending a response.
	DropAfterApply bool
	// Times is the number of requests the fault affects before it clears
	// itself. Zero means every request until ClearFaults.
	Times int
	// After is the number of matching requests handled normally before the
	// fault starts.
	After int
}

type faultState struct {
	Fault
	remaining int // requests left when Times > 0
	skip      int // requests left to pass before the fault starts
}

// AnyOp selects every operation in SetFault.
const AnyOp = "*"

// Gateway is an in-memory ostor admin API that checks signatures. It is an
// http.Handler, and NewServer serves it on loopback. All methods are safe for
// concurrent use.
type Gateway struct {
	profile              ostor.Profile
	overrides            map[string]string // Options.Methods, for Server.Config
	maxSkew              time.Duration
	allowDuplicateEmails bool
	maxRecorded          int
	observer             func(RecordedRequest)
	limitSyntax          string
	serviceID            string
	quoteServiceID       bool
	maxUsageListItems    int
	usagePeriod          time.Duration
	usageObserver        func(name string, items []ostor.UsageItem)

	inFlight atomic.Int64 // requests in ServeHTTP, counted for InFlight

	mu          sync.Mutex // guards every field below
	now         func() time.Time
	credentials map[string]string // system access key ID → secret
	state       *state
	faults      map[string]*faultState
	requests    []RecordedRequest
	requestSeq  uint64
	usageWindow usageWindow   // open statistics period, when usagePeriod > 0
	usageClosed []closedUsage // objects written but not yet passed to usageObserver
}

// NewGateway returns a Gateway with no users. It panics on an unknown
// profile or method override, because those are programming errors in a
// test.
func NewGateway(opts Options) *Gateway {
	profile, err := ostor.LookupProfile(opts.Profile)
	if err != nil {
		panic("ostortest: " + err.Error())
	}
	for op, method := range opts.Methods {
		if _, ok := profile.Methods[op]; !ok {
			panic(fmt.Sprintf("ostortest: Options.Methods: unknown operation %q", op))
		}
		profile.Methods[op] = method
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	maxSkew := opts.MaxClockSkew
	if maxSkew == 0 {
		maxSkew = DefaultMaxClockSkew
	}
	switch opts.LimitSyntax {
	case "", ostor.LimitSyntaxStaaS, ostor.LimitSyntaxReference:
	default:
		panic(fmt.Sprintf("ostortest: Options.LimitSyntax: unknown syntax %q", opts.LimitSyntax))
	}
	serviceID := opts.UsageServiceID
	if serviceID == "" {
		serviceID = "8000000000000065"
	}
	if len(serviceID) != 16 {
		panic(fmt.Sprintf("ostortest: Options.UsageServiceID %q is not 16 hex digits", serviceID))
	}
	maxUsage := opts.MaxUsageListItems
	if maxUsage <= 0 {
		maxUsage = 1000
	}
	validateUsagePeriod(opts.UsagePeriod)
	keyID, secret := opts.AccessKeyID, opts.SecretAccessKey
	if keyID == "" || secret == "" {
		keyID = randomHex(16) + randomString(upperDigits, 4)
		secret = randomString(alphaDigits, 40)
	}
	return &Gateway{
		profile:              profile,
		overrides:            copyMap(opts.Methods),
		maxSkew:              maxSkew,
		allowDuplicateEmails: opts.AllowDuplicateEmails,
		maxRecorded:          opts.MaxRecordedRequests,
		observer:             opts.Observer,
		limitSyntax:          opts.LimitSyntax,
		serviceID:            strings.ToLower(serviceID),
		quoteServiceID:       opts.QuoteServiceID,
		maxUsageListItems:    maxUsage,
		usagePeriod:          opts.UsagePeriod,
		usageObserver:        opts.UsageObserver,
		now:                  now,
		credentials:          map[string]string{keyID: secret},
		state:                newState(),
		faults:               make(map[string]*faultState),
	}
}

// Profile returns the profile the gateway plays.
func (g *Gateway) Profile() ostor.Profile { return g.profile }

// SystemCredentials returns the first system key pair.
func (g *Gateway) SystemCredentials() (accessKeyID, secretAccessKey string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for id, secret := range g.credentials {
		return id, secret
	}
	return "", ""
}

// SetNow replaces the gateway's clock, for example to simulate clock skew.
func (g *Gateway) SetNow(now func() time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.now = now
}

// SetFault installs f for the operation op (an ostor.Op* name or AnyOp),
// replacing any earlier fault for op.
func (g *Gateway) SetFault(op string, f Fault) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults[op] = &faultState{Fault: f, remaining: f.Times, skip: f.After}
}

// ClearFaults removes every fault.
func (g *Gateway) ClearFaults() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults = make(map[string]*faultState)
}

// Requests returns a copy of the recorded requests, oldest first.
func (g *Gateway) Requests() []RecordedRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]RecordedRequest, len(g.requests))
	for i, r := range g.requests {
		r.Params = append([]Param(nil), r.Params...)
		out[i] = r
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (g *Gateway) ResetRequests() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = nil
}

// applyFault takes the next fault queued for op and waits its latency. It returns the error the
// fault injects, or nil when the fault only delays or drops the response.
func (g *Gateway) applyFault(op string) (fault Fault, hasFault bool, injected *apiError) {
	fault, hasFault = g.takeFault(op)
	if hasFault && fault.Latency > 0 {
		time.Sleep(fault.Latency)
	}
	if !hasFault || fault.Status < 400 {
		return fault, hasFault, nil
	}
	code := fault.Code
	if code == "" {
		code = "InjectedFault"
	}
	message := fault.Message
	if message == "" {
		message = "fault injected by ostortest for " + op
	}
	return fault, hasFault, errorf(fault.Status, code, "%s", message)
}

// takeFault returns the fault for op, if any, and counts its use.
func (g *Gateway) takeFault(op string) (Fault, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, key := range []string{op, AnyOp} {
		f, ok := g.faults[key]
		if !ok {
			continue
		}
		if f.skip > 0 {
			f.skip--
			return Fault{}, false
		}
		if f.Times > 0 {
			f.remaining--
			if f.remaining <= 0 {
				delete(g.faults, key)
			}
		}
		return f.Fault, true
	}
	return Fault{}, false
}

// apiError is an error response: HTTP status, S3 error code and message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// result is what a handler returns on success.
type result struct {
	status int // 0 means 200
	body   any // encoded as JSON, or nil for an empty body
}

// ServeHTTP handles one admin API or S3 data request.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	if isS3DataRequest(r) {
		g.serveS3(w, r)
		return
	}
	rec := RecordedRequest{Method: r.Method, RawQuery: r.URL.RawQuery}
	requestID := g.startRequest(&rec)
	res, apiErr, drop := g.handle(r, &rec)
	g.recordOutcome(&rec, res.status, apiErr, drop)

	switch {
	case drop:
		dropConnection(w)
	case apiErr != nil:
		writeError(w, requestID, apiErr)
	default:
		writeResult(w, requestID, rec.Status, res.body)
	}
}

// startRequest stamps rec with the gateway's time and returns the next
// request id.
func (g *Gateway) startRequest(rec *RecordedRequest) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	rec.Time = g.now()
	g.requestSeq++
	return fmt.Sprintf("%032x", g.requestSeq)
}

// recordOutcome sets the status of rec from a handler's outcome and
// records it. Handlers call it before they respond, so a client that has
// received the response (or the dropped connection) finds the request in
// Requests.
func (g *Gateway) recordOutcome(rec *RecordedRequest, status int, apiErr *apiError, drop bool) {
	setOutcome(rec, status, apiErr, drop)
	g.record(*rec)
}

// setOutcome sets the status of rec from a handler's outcome, where status
// 0 means 200.
func setOutcome(rec *RecordedRequest, status int, apiErr *apiError, drop bool) {
	switch {
	case drop:
		rec.Dropped = true
	case apiErr != nil:
		rec.Status = apiErr.status
	case status == 0:
		rec.Status = http.StatusOK
	default:
		rec.Status = status
	}
}

// handle authenticates, routes and applies one request. It returns the
// result or an error, or drop=true when the connection must be closed.
func (g *Gateway) handle(r *http.Request, rec *RecordedRequest) (result, *apiError, bool) {
	service, params, perr := parseQuery(r.URL.RawQuery)
	rec.Service, rec.Params = service, params
	if perr != nil {
		return result{}, perr, false
	}

	if err := g.authenticate(r); err != nil {
		return result{}, err, false
	}

	rt, err := g.route(r.Method, service, params)
	if err != nil {
		return result{}, err, false
	}
	rec.Op = rt.op

	fault, hasFault, injected := g.applyFault(rt.op)
	if injected != nil {
		return result{}, injected, false
	}

	var body []byte
	if r.Body != nil {
		body = readBody(r)
	}
	g.mu.Lock()
	g.closeUsageWindowLocked(g.now())
	res, applied, handlerErr := rt.handler(g.state, g, args{params: params, body: body})
	g.mu.Unlock()
	g.notifyUsage()
	rec.Applied = applied

	if hasFault && fault.DropAfterApply {
		return result{}, nil, true
	}
	if handlerErr != nil {
		return result{}, handlerErr, false
	}
	return res, nil, false
}

func (g *Gateway) record(rec RecordedRequest) {
	g.mu.Lock()
	g.requests = append(g.requests, rec)
	if g.maxRecorded > 0 && len(g.requests) > g.maxRecorded {
		g.requests = append([]RecordedRequest(nil), g.requests[len(g.requests)-g.maxRecorded:]...)
	}
	g.mu.Unlock()
	if g.observer != nil {
		g.observer(rec)
	}
}

// authenticate checks the Signature V2 Authorization header the way the
// gateway does: only "/?ostor-<service>" is signed, plus the standard method,
// Content-MD5, Content-Type, Date and x-amz-* header lines.
func (g *Gateway) authenticate(r *http.Request) *apiError {
	auth := r.Header.Get("Authorization")
	keyID, signature, ok := strings.Cut(strings.TrimPrefix(auth, "AWS "), ":")
	if !strings.HasPrefix(auth, "AWS ") || !ok || keyID == "" || signature == "" {
		return errorf(http.StatusForbidden, "AccessDenied", "missing or malformed Authorization header: expected \"AWS <access key ID>:<signature>\"")
	}

	g.mu.Lock()
	secret, known := g.credentials[keyID]
	now := g.now()
	g.mu.Unlock()
	if !known {
		return errorf(http.StatusForbidden, "InvalidAccessKeyId", "the access key ID %q is not a system user's key", keyID)
	}

	dateHeader := r.Header.Get("Date")
	if dateHeader == "" {
		return errorf(http.StatusForbidden, "AccessDenied", "missing Date header")
	}
	date, err := parseHTTPDate(dateHeader)
	if err != nil {
		return errorf(http.StatusForbidden, "AccessDenied", "invalid Date header %q: use the RFC 1123 layout", dateHeader)
	}
	if skew := now.Sub(date); skew > g.maxSkew || skew < -g.maxSkew {
		return errorf(http.StatusForbidden, "RequestTimeTooSkewed", "the difference between the request time and the server's time is too large (%s)", skew.Round(time.Second))
	}

	// NOTE: a VHI 6.3 gateway may accept requests without this header, but the
	// fake requires it so that tests prove the vhi63 client sends it.
	if g.profile.SignContentSHA256 && r.Header.Get("x-amz-content-sha256") == "" {
		return errorf(http.StatusForbidden, "AccessDenied", "missing x-amz-content-sha256 header, which this profile signs")
	}

	expected := signV2(secret, canonicalString(r))
	if !hmac.Equal([]byte(expected), []byte(signature)) {
		return errorf(http.StatusForbidden, "SignatureDoesNotMatch", "the request signature we calculated does not match the signature you provided")
	}
	return nil
}

func parseHTTPDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC1123Z, time.RFC1123} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unparseable date %q", s)
}

// canonicalString is an independent implementation of the string to sign,
// so that a client bug does not cancel out in the tests.
func canonicalString(r *http.Request) string {
	var amz []string
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "x-amz-") {
			amz = append(amz, lower+":"+strings.Join(values, ","))
		}
	}
	sort.Strings(amz)

	resource := "/?" + strings.SplitN(r.URL.RawQuery, "&", 2)[0]
	lines := []string{r.Method, r.Header.Get("Content-MD5"), r.Header.Get("Content-Type"), r.Header.Get("Date")}
	lines = append(lines, amz...)
	lines = append(lines, resource)
	return strings.Join(lines, "\n")
}

func signV2(secret, s string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// parseQuery splits "ostor-<service>&k=v&flag" into the service word and the
// decoded parameters. Keys and values are decoded like form values, so a raw
// "+" becomes a space, as a form-decoding server would read it.
func parseQuery(raw string) (string, []Param, *apiError) {
	parts := strings.Split(raw, "&")
	first, err := url.QueryUnescape(parts[0])
	if err != nil || !strings.HasPrefix(first, "ostor-") || strings.Contains(parts[0], "=") {
		return "", nil, errorf(http.StatusBadRequest, "InvalidRequest", "query must start with a value-less ostor-<service> key, got %q", parts[0])
	}
	service := strings.TrimPrefix(first, "ostor-")

	var params []Param
	seen := make(map[string]bool)
	for _, part := range parts[1:] {
		rawKey, rawValue, hasValue := strings.Cut(part, "=")
		key, kerr := url.QueryUnescape(rawKey)
		value, verr := url.QueryUnescape(rawValue)
		if kerr != nil || verr != nil || key == "" {
			return service, params, errorf(http.StatusBadRequest, "InvalidArgument", "malformed query parameter %q", part)
		}
		if seen[key] {
			return service, params, errorf(http.StatusBadRequest, "InvalidArgument", "parameter %q appears more than once", key)
		}
		seen[key] = true
		params = append(params, Param{Key: key, Value: value, Flag: !hasValue})
	}
	return service, params, nil
}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	body, _ := xml.Marshal(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		RequestID string   `xml:"RequestId"`
	}{Code: e.code, Message: e.message, RequestID: requestID})

	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("x-amz-request-id", requestID)
	h.Set("X-Amz-Err-Message", headerSafe(e.message))
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}

// headerSafe replaces bytes that may not appear in a header value.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

func writeResult(w http.ResponseWriter, requestID string, status int, body any) {
	h := w.Header()
	h.Set("x-amz-request-id", requestID)
	if body == nil {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		return
	}
	data, err := json.Marshal(body)
	if err != nil {
		writeError(w, requestID, errorf(http.StatusInternalServerError, "InternalError", "encoding response: %v", err))
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// dropConnection closes the client connection without a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// InFlight returns the number of requests the gateway is still handling. A request whose client
// went away stays in flight until its fault latency has passed and the gateway has applied it,
// so a test can wait for InFlight to reach 0 before it inspects the state.
func (g *Gateway) InFlight() int {
	return int(g.inFlight.Load())
}
