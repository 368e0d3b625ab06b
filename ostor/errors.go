package ostor

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors. Match them with errors.Is, because the error values returned by the
// client carry more detail (see APIError).
var (
	// ErrUserNotFound: the gateway answered 404 to a users operation, and the
	// error code does not name an access key.
	ErrUserNotFound = errors.New("ostor: user not found")
	// ErrKeyNotFound: the user has no access key with the given ID.
	ErrKeyNotFound = errors.New("ostor: access key not found")
	// ErrNotFound: the gateway answered 404 to any operation.
	ErrNotFound = errors.New("ostor: not found")
	// ErrUserExists: a user with this email address already exists.
	ErrUserExists = errors.New("ostor: user already exists")
	// ErrTooManyKeys: the user or account already holds two key pairs.
	ErrTooManyKeys = errors.New("ostor: too many access keys")
	// ErrUserOwnsBuckets: the user still owns buckets, so it cannot be deleted.
	ErrUserOwnsBuckets = errors.New("ostor: user owns buckets")
	// ErrSignatureRejected: the gateway answered 403 (unknown access key,
	// signature mismatch or access denied).
	ErrSignatureRejected = errors.New("ostor: request signature rejected")
	// ErrTimeSkew: the gateway rejected the Date header as too far from its
	// clock. It also matches ErrSignatureRejected.
	ErrTimeSkew = errors.New("ostor: request time too skewed")
	// ErrBadRequest: the gateway answered 400.
	ErrBadRequest = errors.New("ostor: bad request")
	// ErrOutcomeUnknown: a write was sent, but the connection failed, the
	// attempt timed out or the gateway answered 5xx, so it is unknown whether
	// the write was applied. Read the state before repeating the write.
	ErrOutcomeUnknown = errors.New("ostor: outcome of write unknown")
	// ErrInvalidArgument: the caller passed an invalid argument. No request
	// was sent.
	ErrInvalidArgument = errors.New("ostor: invalid argument")
	// ErrNotSupported: the configured profile does not support the
	// operation. No request was sent.
	ErrNotSupported = errors.New("ostor: not supported by profile")
)

// Error codes that the gateway or S3-compatible servers put in the <Code>
// element of an XML error body.
const (
	codeTimeSkewed = "RequestTimeTooSkewed"
)

// APIError is a non-2xx response from the gateway. It never contains the
// Authorization header, a secret key or a raw body of the users or accounts
// services.
type APIError struct {
	Op        string // operation name, e.g. "users.get"
	Method    string // HTTP method sent
	Status    int    // HTTP status code
	RequestID string // x-amz-request-id response header, if any
	Code      string // <Code> of an S3 XML error body, if any
	Message   string // X-Amz-Err-Message header, <Message>, or a truncated body of other services
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ostor: %s (%s) failed: HTTP %d %s", e.Op, e.Method, e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		fmt.Fprintf(&b, ", code %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

// Is maps the response to the sentinel errors.
//
// NOTE: the vendor documents no status or code for a duplicate user, a third
// key pair or deleting a user that owns buckets. The mapping below accepts
// the S3-style codes and the statuses a gateway would plausibly use. Confirm
// it against a live gateway.
func (e *APIError) Is(target error) bool {
	service := serviceOf(e.Op)
	code := strings.ToLower(e.Code)
	message := strings.ToLower(e.Message)
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrUserNotFound:
		return e.Status == http.StatusNotFound && service == "users" && !strings.Contains(code, "accesskey")
	case ErrKeyNotFound:
		return e.Status == http.StatusNotFound && strings.Contains(code, "accesskey")
	case ErrBadRequest:
		return e.Status == http.StatusBadRequest
	case ErrSignatureRejected:
		return e.Status == http.StatusForbidden
	case ErrTimeSkew:
		return e.Status == http.StatusForbidden &&
			(e.Code == codeTimeSkewed || strings.Contains(message, "skew"))
	case ErrUserExists:
		return e.Op == OpUsersCreate &&
			(e.Status == http.StatusConflict || strings.Contains(code, "exist"))
	case ErrTooManyKeys:
		return strings.HasSuffix(e.Op, ".genKey") &&
			(e.Status == http.StatusConflict || e.Status == http.StatusBadRequest || strings.Contains(code, "toomany"))
	case ErrUserOwnsBuckets:
		return e.Op == OpUsersDelete &&
			(e.Status == http.StatusConflict || strings.Contains(code, "notempty") || strings.Contains(message, "bucket"))
	}
	return false
}

// DecodeError is a 2xx response whose body could not be decoded. It never
// contains the body itself.
type DecodeError struct {
	Op          string
	Status      int
	ContentType string
	Reason      string // what was wrong, e.g. "body is HTML, not JSON"
	Err         error  // the decoder's error, if any
}

func (e *DecodeError) Error() string {
	msg := fmt.Sprintf("ostor: %s: decoding response (HTTP %d, Content-Type %q) failed: %s", e.Op, e.Status, e.ContentType, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ConfigError is an invalid Config field. New returns it.
type ConfigError struct {
	Field  string // e.g. "Endpoint"
	Reason string // what is wrong and how to fix it
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("ostor: invalid Config.%s: %s", e.Field, e.Reason)
}

// invalidArgument returns an error that matches ErrInvalidArgument.
func invalidArgument(op, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidArgument, op, fmt.Sprintf(format, args...))
}
