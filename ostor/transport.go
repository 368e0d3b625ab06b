package ostor

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxBodyBytes bounds a response body. Usage objects and user lists are the
// largest bodies, and a body above this size is reported as an error.
const maxBodyBytes = 64 << 20

// maxMessageBytes bounds the raw-body fallback in APIError.Message.
const maxMessageBytes = 256

// response is a fully read gateway response.
type response struct {
	status      int
	header      http.Header
	contentType string
	body        []byte
}

// TransportError is a request that got no complete HTTP response: the
// connection failed, the attempt timed out or the body could not be read.
// For writes it is wrapped in an error that matches ErrOutcomeUnknown, unless
// the connection failed before the request could be sent.
type TransportError struct {
	Op     string
	Method string
	Err    error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("ostor: %s (%s): request failed: %v", e.Op, e.Method, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// outcomeUnknown wraps the cause of a failed write so that it matches both
// ErrOutcomeUnknown and the cause.
func outcomeUnknown(cause error) error {
	return fmt.Errorf("%w (the write may have been applied: read the state before repeating it): %w", ErrOutcomeUnknown, cause)
}

// call sends one operation and returns its 2xx response. Reads sent with GET
// are retried on transport errors and 5xx responses, up to c.readAttempts
// attempts. Everything else is sent exactly once.
//
// c.timeout bounds the whole call: every attempt and every backoff wait share
// one deadline, so a hung gateway costs at most c.timeout per call and never
// c.readAttempts times as much. An attempt that used up the deadline is not
// retried.
func (c *Client) call(ctx context.Context, op string, q *query, body []byte) (*response, error) {
	method, ok := c.profile.Methods[op]
	if !ok {
		return nil, fmt.Errorf("ostor: internal error: operation %q has no method", op)
	}
	write := !IsReadOperation(op) || method != http.MethodGet
	attempts := c.readAttempts
	if write {
		attempts = 1
	}

	parent := ctx
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()
	// transportError names the call's own deadline when it expired, because
	// the bare "context deadline exceeded" does not say which limit applied.
	transportError := func(err error) *TransportError {
		if errors.Is(err, context.DeadlineExceeded) && parent.Err() == nil {
			err = fmt.Errorf("no response within the timeout of %s, retries included: %w", c.timeout, err)
		}
		return &TransportError{Op: op, Method: method, Err: err}
	}

	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, transportError(err)
		}

		start := time.Now()
		resp, err := c.send(ctx, op, method, q, body)
		c.observeAttempt(op, write, resp, err, time.Since(start))
		var failure error
		switch {
		case err != nil:
			failure = transportError(err)
			if write {
				if sentNothing(err) {
					return nil, failure
				}
				return nil, outcomeUnknown(failure)
			}
		case resp.status >= 200 && resp.status < 300:
			return resp, nil
		case resp.status >= 500:
			failure = c.apiError(op, method, resp)
			if write {
				return nil, outcomeUnknown(failure)
			}
		default:
			return nil, c.apiError(op, method, resp)
		}

		if attempt >= attempts || ctx.Err() != nil {
			return nil, failure
		}
		wait := c.backoff(attempt)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return nil, failure
		}
		if err := sleepContext(ctx, wait); err != nil {
			return nil, failure
		}
	}
}

// observeAttempt reports one attempt of call to Config.Observe, with the
// transport error wrapped as call returns it.
func (c *Client) observeAttempt(op string, write bool, resp *response, err error, d time.Duration) {
	if c.observe == nil {
		return
	}
	if err != nil {
		if write && !sentNothing(err) {
			err = outcomeUnknown(err)
		}
		c.observe(op, 0, err, d)
		return
	}
	c.observe(op, resp.status, nil, d)
}

// send performs one attempt. ctx carries the deadline of the whole call,
// which also bounds reading the body.
func (c *Client) send(ctx context.Context, op, method string, q *query, body []byte) (*response, error) {
	httpResp, err := c.do(ctx, method, q, body)
	if err != nil {
		return nil, err
	}
	defer httpResp.Body.Close()

	data, err := io.ReadAll(io.LimitReader(httpResp.Body, maxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	if len(data) > maxBodyBytes {
		return nil, fmt.Errorf("response body exceeds %d bytes", maxBodyBytes)
	}
	return &response{
		status:      httpResp.StatusCode,
		header:      httpResp.Header,
		contentType: httpResp.Header.Get("Content-Type"),
		body:        data,
	}, nil
}

// do signs and sends one request and returns the response with its body
// unread. The caller closes the body.
func (c *Client) do(ctx context.Context, method string, q *query, body []byte) (*http.Response, error) {
	u := *c.endpoint
	u.RawQuery = q.encode()
	var bodyReader io.Reader
	if body != nil {
		bodyReader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bodyReader)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}

	date := formatDate(c.now())
	req.Header.Set("Date", date)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ostor-bridge")
	if c.profile.SignContentSHA256 {
		req.Header.Set(headerContentSHA256, unsignedPayload)
	}
	signature := signV2(c.secret.Reveal(), stringToSign(method, date, c.profile.SignContentSHA256, q.resource()))
	req.Header.Set("Authorization", "AWS "+c.accessKeyID+":"+signature)

	return c.httpClient.Do(req)
}

// sentNothing reports whether err happened before any byte of the request
// could reach the gateway: DNS, TCP connect and TLS handshake failures.
func sentNothing(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return true
	}
	var unknownAuthority x509.UnknownAuthorityError
	if errors.As(err, &unknownAuthority) {
		return true
	}
	var hostnameErr x509.HostnameError
	return errors.As(err, &hostnameErr)
}

// backoff returns the delay after the given failed attempt: the base doubled
// per attempt, scaled by a random factor in [0.5, 1).
func (c *Client) backoff(attempt int) time.Duration {
	d := c.retryBackoff << (attempt - 1)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// s3Error is the S3 XML error body <Error><Code/><Message/><RequestId/></Error>.
type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
}

// apiError builds the APIError of a response and records the client's
// profile, which the message names when the profile may not match the gateway.
func (c *Client) apiError(op, method string, resp *response) *APIError {
	e := newAPIError(op, method, resp)
	e.Profile = c.profile.Name
	return e
}

// newAPIError reads the status, the X-Amz-Err-Message and x-amz-request-id
// headers and an S3 XML error body. The raw body is used as the message only
// as a last resort, truncated, and never for the users and accounts services,
// whose bodies can contain secret keys.
func newAPIError(op, method string, resp *response) *APIError {
	e := &APIError{
		Op:        op,
		Method:    method,
		Status:    resp.status,
		RequestID: resp.header.Get("x-amz-request-id"),
		Message:   cleanText(resp.header.Get("X-Amz-Err-Message"), maxMessageBytes),
	}

	var body s3Error
	if xml.Unmarshal(resp.body, &body) == nil {
		e.Code = cleanText(body.Code, maxMessageBytes)
		if e.Message == "" {
			e.Message = cleanText(body.Message, maxMessageBytes)
		}
		if e.RequestID == "" {
			e.RequestID = cleanText(body.RequestID, maxMessageBytes)
		}
		return e
	}

	service := serviceOf(op)
	if e.Message == "" && service != "users" && service != "accounts" {
		e.Message = cleanText(string(resp.body), maxMessageBytes)
	}
	return e
}

// cleanText makes gateway-supplied text safe to put in an error message: it
// replaces invalid UTF-8 and control characters, collapses whitespace and
// truncates to max bytes.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
