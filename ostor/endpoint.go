package ostor

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
)

// EndpointRules are the settings and the wording with which ParseEndpoint checks a gateway
// address. The admin API client and the S3 data client reach the same gateway for different
// purposes, so each explains its own risk of plain http and its own reason for a bare root.
type EndpointRules struct {
	AllowHTTP bool   // accept http as well as https
	HTTPRisk  string // the data plain http exposes, completing "uses plain http, which exposes …"
	RootOnly  string // the reason only the root is accepted, completing "has a path, query or fragment: …"
}

// ParseEndpoint checks that raw is an https (or, with rules.AllowHTTP, http) URL with a host and
// without credentials, path, query or fragment, and returns it with the path "/". Every error is
// a *ConfigError for the field Endpoint.
func ParseEndpoint(raw string, rules EndpointRules) (*url.URL, error) {
	if raw == "" {
		return nil, &ConfigError{Field: "Endpoint", Reason: `missing: set the S3 gateway URL, e.g. "https://s3.example.com"`}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &ConfigError{Field: "Endpoint", Reason: fmt.Sprintf("%q is not a valid URL (%v): use e.g. \"https://s3.example.com\"", raw, err)}
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !rules.AllowHTTP {
			return nil, &ConfigError{Field: "Endpoint", Reason: fmt.Sprintf("%q uses plain http, which exposes %s: use https, or set AllowInsecureHTTP for loopback and tests", raw, rules.HTTPRisk)}
		}
	default:
		return nil, &ConfigError{Field: "Endpoint", Reason: fmt.Sprintf("%q has scheme %q: use https://host[:port]", raw, u.Scheme)}
	}
	if u.Host == "" {
		return nil, &ConfigError{Field: "Endpoint", Reason: fmt.Sprintf("%q has no host: use https://host[:port]", raw)}
	}
	if u.User != nil {
		return nil, &ConfigError{Field: "Endpoint", Reason: "contains user credentials: remove them and set AccessKeyID and SecretAccessKey"}
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, &ConfigError{Field: "Endpoint", Reason: fmt.Sprintf("%q has a path, query or fragment: %s, so use only scheme://host[:port]", raw, rules.RootOnly)}
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}, nil
}

// NewTransport returns a clone of http.DefaultTransport that requires TLS 1.2 or later and, when
// caFile is not empty, trusts only the PEM certificates in caFile. Every error is a *ConfigError
// for the field CAFile.
func NewTransport(caFile string) (*http.Transport, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 8
	transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return transport, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, &ConfigError{Field: "CAFile", Reason: fmt.Sprintf("cannot be read (%v): give the path of a PEM bundle", err)}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, &ConfigError{Field: "CAFile", Reason: fmt.Sprintf("%q contains no PEM certificate: give a PEM bundle", caFile)}
	}
	transport.TLSClientConfig.RootCAs = pool
	return transport, nil
}
