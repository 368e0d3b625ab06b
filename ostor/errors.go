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
	// signature mismatch or access denied), unless the reply matches
	// ErrProfileMismatch.
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
	// ErrProfileMismatch: the gateway rejected the request in a way that
	// suggests it runs another release than Config.Profile describes. It
	// responded with 405 (the profile uses another HTTP method for the
	// operation), or with 403 about the x-amz-content-sha256 header that only
	// the vhi63 profile signs.
	ErrProfileMismatch = errors.New("ostor: request does not match the gateway's release")
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
	Profile   string // name of the client's profile, e.g. "vhi63"
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
	if e.profileMismatch() {
		fmt.Fprintf(&b, "; the gateway may run another release than profile %q describes: check Config.Profile (one of %s)",
			e.Profile, strings.Join(ProfileNames(), ", "))
	}
	return b.String()
}

// profileMismatch reports whether the response suggests that the client's
// profile does not match the gateway's release.
//
// NOTE: the vendor documents neither reply. The 405 and the 403 naming
// x-amz-content-sha256 are what package ostortest sends. A live gateway may
// respond to a wrong method with 400, or to a missing signed header with a
// plain SignatureDoesNotMatch, which match ErrBadRequest or
// ErrSignatureRejected instead.
func (e *APIError) profileMismatch() bool {
	switch e.Status {
	case http.StatusMethodNotAllowed:
		return true
	case http.StatusForbidden:
		text := strings.ToLower(e.Code + " " + e.Message)
		return strings.Contains(text, "content-sha256")
	}
	return false
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
	case ErrProfileMismatch:
		return e.profileMismatch()
	case ErrSignatureRejected:
		return e.Status == http.StatusForbidden && !e.profileMismatch()
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
	return "ostor: " + e.Explain(func(field string) string { return "Config." + field })
}

// Explain returns the message with every Config field named by name, so a
// program that reads its settings from a file can name its own keys:
// "invalid gateway.endpoint: …" in place of "invalid Config.Endpoint: …".
// Field names in Reason are renamed too, but text inside double quotes,
// which quotes the rejected value, is left as it is.
func (e *ConfigError) Explain(name func(field string) string) string {
	return "invalid " + name(e.Field) + ": " + renameFields(e.Reason, name)
}

// configFields are the Config field names that a ConfigError's Reason may
// mention.
var configFields = map[string]bool{
	"Endpoint": true, "AccessKeyID": true, "SecretAccessKey": true, "Profile": true,
	"AllowInsecureHTTP": true, "CAFile": true, "Timeout": true, "HTTPClient": true,
	"Now": true, "Methods": true, "ReadAttempts": true, "LimitSyntax": true, "RetryBackoff": true,
}

// renameFields replaces each whole word of text that is a Config field name,
// outside "…" quotes (with backslash escapes as %q writes them), by name(word).
func renameFields(text string, name func(string) string) string {
	var b strings.Builder
	inQuotes := false
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case inQuotes && c == '\\' && i+1 < len(text):
			b.WriteString(text[i : i+2])
			i += 2
		case c == '"':
			inQuotes = !inQuotes
			b.WriteByte(c)
			i++
		case !inQuotes && isWordByte(c):
			end := i
			for end < len(text) && isWordByte(text[end]) {
				end++
			}
			word := text[i:end]
			if configFields[word] {
				word = name(word)
			}
			b.WriteString(word)
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// invalidArgument returns an error that matches ErrInvalidArgument.
func invalidArgument(op, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidArgument, op, fmt.Sprintf(format, args...))
}
