package ostor

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Doer sends one HTTP request. *http.Client implements it.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Default values of Config fields.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultReadAttempts = 3
	DefaultRetryBackoff = 250 * time.Millisecond
)

// Config configures a Client. Endpoint, AccessKeyID and SecretAccessKey are
// required. Printing a Config with fmt redacts SecretAccessKey.
type Config struct {
	// Endpoint is the S3 gateway URL, such as "https://s3.example.com", with
	// no path, query or credentials. http:// is rejected unless
	// AllowInsecureHTTP is set.
	Endpoint string
	// AccessKeyID and SecretAccessKey are the key pair of an S3 system user.
	AccessKeyID     string
	SecretAccessKey string
	// Profile names the gateway release profile (see LookupProfile).
	// Empty selects DefaultProfile.
	Profile string
	// AllowInsecureHTTP permits an http:// endpoint. Signed requests can be
	// replayed with other parameters by anyone who sees them, so use it only
	// on loopback or in tests.
	AllowInsecureHTTP bool
	// CAFile is an optional PEM bundle that replaces the system roots for the
	// gateway's TLS certificate. It cannot be combined with HTTPClient.
	CAFile string
	// Timeout bounds one operation call: every attempt, the backoff waits
	// between read retries and reading the body share this deadline. An
	// operation that sends several requests, such as SetLimits with several
	// values, applies it to each request. Zero means DefaultTimeout.
	Timeout time.Duration
	// HTTPClient sends the requests. Nil means one pooled keep-alive
	// http.Client that does not follow redirects.
	HTTPClient Doer
	// Now is the clock used for the Date header. Nil means time.Now.
	Now func() time.Time
	// Methods overrides the HTTP method of single operations, for example
	// {"users.genKey": "PUT"}. Keys are operation names (see Operations).
	Methods map[string]string
	// ReadAttempts is the maximum number of attempts of a read operation
	// sent with GET. Zero means DefaultReadAttempts, and 1 disables retries.
	// Writes are always sent once.
	ReadAttempts int
	// LimitSyntax selects the parameter syntax of SetLimits:
	// LimitSyntaxStaaS or LimitSyntaxReference. Empty means
	// DefaultLimitSyntax.
	LimitSyntax string
	// RetryBackoff is the base delay before the second attempt of a read.
	// Each further attempt doubles it, with random jitter. Zero means
	// DefaultRetryBackoff.
	RetryBackoff time.Duration
	// Observe, when set, is called once per HTTP request sent to the
	// gateway, so a retried read is observed once per attempt. Its
	// arguments are the operation name (see Operations), the HTTP status,
	// the transport error and the time from sending to the end of the
	// response body. The status is 0 when no complete response arrived.
	// The error is nil when a complete response arrived, whatever its
	// status, and for a write that may have been applied it matches
	// ErrOutcomeUnknown. Observe runs on the calling goroutine, so
	// it must be safe for concurrent use and return quickly.
	Observe func(op string, status int, err error, d time.Duration)
}

// String returns the configuration with SecretAccessKey redacted.
func (c Config) String() string {
	secret := ""
	if c.SecretAccessKey != "" {
		secret = redacted
	}
	return fmt.Sprintf("ostor.Config{Endpoint:%q AccessKeyID:%q SecretAccessKey:%q Profile:%q AllowInsecureHTTP:%t CAFile:%q Timeout:%s Methods:%v ReadAttempts:%d LimitSyntax:%q RetryBackoff:%s}",
		c.Endpoint, c.AccessKeyID, secret, c.Profile, c.AllowInsecureHTTP, c.CAFile, c.Timeout, c.Methods, c.ReadAttempts, c.LimitSyntax, c.RetryBackoff)
}

// GoString returns the same text as String, so %#v redacts the secret too.
func (c Config) GoString() string { return c.String() }

// Client calls the admin API of one gateway. It is safe for concurrent use.
type Client struct {
	endpoint     *url.URL
	accessKeyID  string
	secret       Secret
	profile      Profile
	httpClient   Doer
	timeout      time.Duration
	now          func() time.Time
	readAttempts int
	retryBackoff time.Duration
	limitSyntax  string
	observe      func(op string, status int, err error, d time.Duration)
}

// New validates cfg and returns a Client. Every error is a *ConfigError that
// names the field and the fix. New sends no request.
func New(cfg Config) (*Client, error) {
	endpoint, err := ParseEndpoint(cfg.Endpoint, EndpointRules{
		AllowHTTP: cfg.AllowInsecureHTTP,
		HTTPRisk:  "replayable signatures and the secret keys in responses",
		RootOnly:  "the admin API lives at the root",
	})
	if err != nil {
		return nil, err
	}
	if err := validateAccessKeyID(cfg.AccessKeyID); err != nil {
		return nil, err
	}
	if cfg.SecretAccessKey == "" {
		return nil, &ConfigError{Field: "SecretAccessKey", Reason: "missing: set the secret key of the S3 system user"}
	}
	if strings.TrimSpace(cfg.SecretAccessKey) != cfg.SecretAccessKey {
		return nil, &ConfigError{Field: "SecretAccessKey", Reason: "has leading or trailing whitespace: remove it"}
	}

	profile, err := LookupProfile(cfg.Profile)
	if err != nil {
		return nil, &ConfigError{Field: "Profile", Reason: err.Error()}
	}
	if err := applyMethodOverrides(profile.Methods, cfg.Methods); err != nil {
		return nil, err
	}

	timeout := cfg.Timeout
	switch {
	case timeout < 0:
		return nil, &ConfigError{Field: "Timeout", Reason: fmt.Sprintf("%s is negative: use 0 for the default %s or a positive duration", timeout, DefaultTimeout)}
	case timeout == 0:
		timeout = DefaultTimeout
	}
	readAttempts := cfg.ReadAttempts
	switch {
	case readAttempts < 0:
		return nil, &ConfigError{Field: "ReadAttempts", Reason: fmt.Sprintf("%d is negative: use 0 for the default %d, or 1 to disable retries", readAttempts, DefaultReadAttempts)}
	case readAttempts == 0:
		readAttempts = DefaultReadAttempts
	}
	backoff := cfg.RetryBackoff
	switch {
	case backoff < 0:
		return nil, &ConfigError{Field: "RetryBackoff", Reason: fmt.Sprintf("%s is negative: use 0 for the default %s or a positive duration", backoff, DefaultRetryBackoff)}
	case backoff == 0:
		backoff = DefaultRetryBackoff
	}

	limitSyntax := cfg.LimitSyntax
	switch limitSyntax {
	case "":
		limitSyntax = DefaultLimitSyntax
	case LimitSyntaxStaaS, LimitSyntaxReference:
	default:
		return nil, &ConfigError{Field: "LimitSyntax", Reason: fmt.Sprintf("unknown syntax %q: use %q or %q", limitSyntax, LimitSyntaxStaaS, LimitSyntaxReference)}
	}

	httpClient := cfg.HTTPClient
	if httpClient != nil && cfg.CAFile != "" {
		return nil, &ConfigError{Field: "CAFile", Reason: "has no effect when HTTPClient is set: configure the CA in HTTPClient's transport instead"}
	}
	if httpClient == nil {
		httpClient, err = newDefaultHTTPClient(cfg.CAFile)
		if err != nil {
			return nil, err
		}
	}

	now := cfg.Now
	if now == nil {
		now = time.Now
	}

	return &Client{
		endpoint:     endpoint,
		accessKeyID:  cfg.AccessKeyID,
		secret:       Secret(cfg.SecretAccessKey),
		profile:      profile,
		httpClient:   httpClient,
		timeout:      timeout,
		now:          now,
		readAttempts: readAttempts,
		retryBackoff: backoff,
		limitSyntax:  limitSyntax,
		observe:      cfg.Observe,
	}, nil
}

// Profile returns a copy of the profile the client speaks, with the method
// overrides of Config.Methods applied.
func (c *Client) Profile() Profile {
	p := c.profile
	p.Methods = copyMethods(p.Methods)
	return p
}

func validateAccessKeyID(id string) error {
	if id == "" {
		return &ConfigError{Field: "AccessKeyID", Reason: "missing: set the access key ID of the S3 system user"}
	}
	for _, r := range id {
		if r <= ' ' || r == ':' || r >= 0x7f {
			return &ConfigError{Field: "AccessKeyID", Reason: fmt.Sprintf("%q contains whitespace, a colon or a non-ASCII character: copy the key ID exactly", id)}
		}
	}
	return nil
}

func applyMethodOverrides(methods, overrides map[string]string) error {
	for op, method := range overrides {
		if _, ok := methods[op]; !ok {
			return &ConfigError{Field: "Methods", Reason: fmt.Sprintf("unknown operation %q: use one of %s", op, strings.Join(Operations(), ", "))}
		}
		switch method {
		case http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete:
		default:
			return &ConfigError{Field: "Methods", Reason: fmt.Sprintf("operation %q has method %q: use GET, PUT, POST or DELETE", op, method)}
		}
		if method == http.MethodGet && !IsReadOperation(op) {
			return &ConfigError{Field: "Methods", Reason: fmt.Sprintf("operation %q changes state and cannot use GET: use PUT, POST or DELETE", op)}
		}
		methods[op] = method
	}
	return nil
}

func newDefaultHTTPClient(caFile string) (*http.Client, error) {
	transport, err := NewTransport(caFile)
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Transport: transport,
		// A redirect would resend a write to another URL, so the first
		// response is always returned as is.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}
