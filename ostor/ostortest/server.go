// Package ostortest provides an in-memory ostor admin API for tests, in the
// manner of net/http/httptest.
//
// A Gateway keeps users and key pairs, checks every Signature V2 request
// against the system user's key and the gateway clock, plays one release
// profile (methods, reply shapes) and can inject latency, error statuses and
// connections dropped after a write was applied. Anything it does not
// recognise is answered with a 4xx error, so a client bug fails loudly.
//
// On the same server, every path other than "/" is an S3 data request in
// path style ("/bucket", "/bucket/key"), signed with Signature Version 4 by a
// key pair of a user or one of its accounts. The fake serves the requests
// that listing, emptying and deleting a bucket need, plus CreateBucket,
// PutObject and GetObject. It stores object sizes, not contents, so
// GetObject returns zero bytes of the stored size, and it keeps the sizes in
// the bucket sizes of ?ostor-buckets. The S3 data operations have the Op*
// names of this package, for SetFault.
//
// With Options.UsagePeriod set, the gateway counts every authenticated S3
// data request into usage-statistics objects, as a gateway with
// S3_GW_COLLECT_STAT=1 does: requests per user, bucket and counter, the
// decoded request payload bytes as uploaded and the response body bytes as
// downloaded. A period becomes a listed object once the gateway clock
// passes its end.
//
// Deliberate differences from a real gateway: the system user is not listed
// among the users, email addresses are unique unless
// Options.AllowDuplicateEmails is set, and the error statuses for a duplicate
// user (409), a third key pair (409) and an unknown key (404) are choices of
// this fake, because the vendor does not document them.
package ostortest

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// Server is a Gateway served over plain HTTP on a loopback port.
type Server struct {
	// URL is the base URL, "http://127.0.0.1:<port>", without a trailing slash.
	URL string
	// AccessKeyID and SecretAccessKey are the system user's key pair.
	AccessKeyID     string
	SecretAccessKey string

	*Gateway

	httpServer *httptest.Server
}

// NewServer starts a Gateway on 127.0.0.1 and a random port. Call Close when
// done, or use Start in tests.
func NewServer(opts Options) *Server {
	g := NewGateway(opts)
	hs := httptest.NewServer(g)
	keyID, secret := g.SystemCredentials()
	return &Server{URL: hs.URL, AccessKeyID: keyID, SecretAccessKey: secret, Gateway: g, httpServer: hs}
}

// Start starts a Server and closes it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// Close shuts the server down and waits for outstanding requests.
func (s *Server) Close() {
	s.httpServer.Close()
}

// CloseClientConnections closes every open client connection, which makes
// in-flight requests fail.
func (s *Server) CloseClientConnections() {
	s.httpServer.CloseClientConnections()
}

// Config returns a client configuration for this server: its URL, the
// system key pair, the gateway's profile and method overrides, and
// AllowInsecureHTTP, with a short
// retry backoff so tests stay fast.
func (s *Server) Config() ostor.Config {
	return ostor.Config{
		Endpoint:          s.URL,
		AccessKeyID:       s.AccessKeyID,
		SecretAccessKey:   s.SecretAccessKey,
		Profile:           s.Profile().Name,
		AllowInsecureHTTP: true,
		Methods:           copyMap(s.overrides),
		LimitSyntax:       s.Gateway.limitSyntax,
		RetryBackoff:      time.Millisecond,
	}
}
