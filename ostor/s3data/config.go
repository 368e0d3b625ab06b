package s3data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// Default values of Config fields.
const (
	// DefaultRegion is the signing region when Config.Region is empty,
	// the region S3 clients use when a service names none.
	// NOTE: the region name an ostor gateway expects in Signature Version 4
	// is not documented, so Config.Region can override it.
	DefaultRegion  = "us-east-1"
	DefaultTimeout = 30 * time.Second
)

// maxAttempts is the number of attempts of one request that failed with a
// 5xx status or a network error. Every request Purge sends is idempotent.
const maxAttempts = 3

const redacted = "[redacted]"

// ConfigError reports an invalid Config field. Purge sends no request when
// it returns one.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("s3data: invalid Config.%s: %s", e.Field, e.Reason)
}

// String returns the configuration with SecretAccessKey redacted.
func (c Config) String() string {
	secret := ""
	if c.SecretAccessKey != "" {
		secret = redacted
	}
	return fmt.Sprintf("s3data.Config{Endpoint:%q Region:%q AccessKeyID:%q SecretAccessKey:%q AllowInsecureHTTP:%t CAFile:%q Timeout:%s}",
		c.Endpoint, c.Region, c.AccessKeyID, secret, c.AllowInsecureHTTP, c.CAFile, c.Timeout)
}

// GoString returns the same text as String, so %#v redacts the secret too.
func (c Config) GoString() string { return c.String() }

// newClient validates cfg and builds a path-style minio client from it.
func newClient(cfg Config) (*minio.Core, error) {
	endpoint, err := parseEndpoint(cfg.Endpoint, cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	if err := validateCredentials(cfg.AccessKeyID, cfg.SecretAccessKey); err != nil {
		return nil, err
	}
	region := cfg.Region
	if region == "" {
		region = DefaultRegion
	}
	if strings.ContainsAny(region, "/ \t\r\n") {
		return nil, &ConfigError{Field: "Region", Reason: fmt.Sprintf("%q contains a slash or whitespace: use the gateway's region name, such as %q", region, DefaultRegion)}
	}
	timeout := cfg.Timeout
	switch {
	case timeout < 0:
		return nil, &ConfigError{Field: "Timeout", Reason: fmt.Sprintf("%s is negative: use 0 for the default %s or a positive duration", timeout, DefaultTimeout)}
	case timeout == 0:
		timeout = DefaultTimeout
	}

	var transport http.RoundTripper
	switch {
	case cfg.HTTPClient != nil && cfg.CAFile != "":
		return nil, &ConfigError{Field: "CAFile", Reason: "has no effect when HTTPClient is set: configure the CA in HTTPClient's transport instead"}
	case cfg.HTTPClient != nil:
		transport = clientTransport{client: cfg.HTTPClient}
	default:
		transport, err = newTransport(cfg.CAFile)
		if err != nil {
			return nil, err
		}
	}

	client, err := minio.NewCore(endpoint.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		Secure:       endpoint.Scheme == "https",
		Transport:    timeoutTransport{next: transport, timeout: timeout},
		Region:       region,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   maxAttempts,
	})
	if err != nil {
		return nil, &ConfigError{Field: "Endpoint", Reason: fmt.Sprintf("%q is not usable as an S3 endpoint (%v): use https://host[:port]", cfg.Endpoint, err)}
	}
	return client, nil
}

// parseEndpoint checks the endpoint as the admin API client does, with the risks and reasons of
// the S3 data API.
func parseEndpoint(raw string, allowHTTP bool) (*url.URL, error) {
	u, err := ostor.ParseEndpoint(raw, ostor.EndpointRules{
		AllowHTTP: allowHTTP,
		HTTPRisk:  "the signed requests",
		RootOnly:  "buckets are addressed as /bucket at the root",
	})
	return u, asConfigError(err)
}

func validateCredentials(keyID, secret string) error {
	if keyID == "" {
		return &ConfigError{Field: "AccessKeyID", Reason: "missing: set the access key ID of the bucket owner"}
	}
	for _, r := range keyID {
		if r <= ' ' || r == '/' || r >= 0x7f {
			return &ConfigError{Field: "AccessKeyID", Reason: fmt.Sprintf("%q contains whitespace, a slash or a non-ASCII character: copy the key ID exactly", keyID)}
		}
	}
	if secret == "" {
		return &ConfigError{Field: "SecretAccessKey", Reason: "missing: set the secret key of the bucket owner"}
	}
	if strings.TrimSpace(secret) != secret {
		return &ConfigError{Field: "SecretAccessKey", Reason: "has leading or trailing whitespace: remove it"}
	}
	return nil
}

func newTransport(caFile string) (*http.Transport, error) {
	transport, err := ostor.NewTransport(caFile)
	return transport, asConfigError(err)
}

// asConfigError turns an *ostor.ConfigError into this package's ConfigError, so that callers
// see one error type and the "s3data" prefix. Other errors are returned as they are.
func asConfigError(err error) error {
	var ce *ostor.ConfigError
	if errors.As(err, &ce) {
		return &ConfigError{Field: ce.Field, Reason: ce.Reason}
	}
	return err
}

// clientTransport sends requests through a caller's http.Client, so its
// Timeout, redirect policy and transport apply.
type clientTransport struct {
	client *http.Client
}

func (t clientTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.client.Do(req)
}

// timeoutTransport bounds each request, including reading the response
// body, by timeout.
type timeoutTransport struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
