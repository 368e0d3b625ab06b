package ostortest

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// Values of x-amz-content-sha256 that do not carry the payload hash.
const (
	unsignedPayload        = "UNSIGNED-PAYLOAD"
	streamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingUnsignedTrail = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	sigV4Algorithm         = "AWS4-HMAC-SHA256"
	sigV4ChunkAlgorithm    = "AWS4-HMAC-SHA256-PAYLOAD"
	amzDateLayout          = "20060102T150405Z"
)

// emptySHA256 is the hex SHA-256 of zero bytes.
var emptySHA256 = hex.EncodeToString(sha256.New().Sum(nil))

// sigV4Credential is the parsed Authorization header of a request signed
// with AWS Signature Version 4.
type sigV4Credential struct {
	keyID         string
	date          string // yyyymmdd of the credential scope
	region        string
	service       string
	signedHeaders []string
	signature     string
}

func (c sigV4Credential) scope() string {
	return c.date + "/" + c.region + "/" + c.service + "/aws4_request"
}

// s3Caller is the authenticated sender of an S3 data request.
type s3Caller struct {
	user       *user
	credential sigV4Credential
	amzDate    string
	signingKey []byte
}

// authenticateS3 checks the Signature Version 4 Authorization header of an
// S3 data request against the key pairs of the gateway's users and their
// accounts. It runs before the body is read, so the payload hash is checked
// later by readS3Body. It takes Gateway.mu itself.
func (g *Gateway) authenticateS3(r *http.Request) (s3Caller, *apiError) {
	auth := r.Header.Get("Authorization")
	switch {
	case r.URL.Query().Has("X-Amz-Signature"):
		return s3Caller{}, errorf(http.StatusForbidden, "AccessDenied", "presigned URLs are not supported by ostortest: send the signature in the Authorization header")
	case auth == "":
		return s3Caller{}, errorf(http.StatusForbidden, "AccessDenied", "anonymous S3 requests are not allowed: sign the request with Signature Version 4")
	case strings.HasPrefix(auth, "AWS "):
		return s3Caller{}, errorf(http.StatusForbidden, "AccessDenied", "ostortest accepts S3 data requests signed with Signature Version 4 only, not Version 2")
	}
	cred, err := parseSigV4Authorization(auth)
	if err != nil {
		return s3Caller{}, err
	}

	g.mu.Lock()
	owner, secret := g.state.userByAccessKey(cred.keyID)
	now := g.now()
	g.mu.Unlock()
	if owner == nil {
		return s3Caller{}, errorf(http.StatusForbidden, "InvalidAccessKeyId", "the access key ID %q does not exist: use a key pair of the bucket owner", cred.keyID)
	}

	amzDate := r.Header.Get("X-Amz-Date")
	signed, perr := time.Parse(amzDateLayout, amzDate)
	if perr != nil {
		return s3Caller{}, errorf(http.StatusForbidden, "AccessDenied", "missing or invalid X-Amz-Date header %q: use the layout 20060102T150405Z", amzDate)
	}
	if skew := now.Sub(signed); skew > g.maxSkew || skew < -g.maxSkew {
		return s3Caller{}, errorf(http.StatusForbidden, "RequestTimeTooSkewed", "the difference between the request time and the server's time is too large (%s)", skew.Round(time.Second))
	}
	if cred.date != amzDate[:8] || cred.service != "s3" {
		return s3Caller{}, errorf(http.StatusBadRequest, "AuthorizationHeaderMalformed", "the credential scope %q must have the date of X-Amz-Date (%s) and the service s3", cred.scope(), amzDate[:8])
	}
	if !containsString(cred.signedHeaders, "host") {
		return s3Caller{}, errorf(http.StatusBadRequest, "AuthorizationHeaderMalformed", "SignedHeaders must include host")
	}
	if r.Header.Get("X-Amz-Content-Sha256") == "" {
		return s3Caller{}, errorf(http.StatusBadRequest, "InvalidRequest", "missing required header x-amz-content-sha256")
	}

	key := sigV4SigningKey(secret, cred)
	stringToSign := strings.Join([]string{sigV4Algorithm, amzDate, cred.scope(), sha256Hex([]byte(canonicalRequestV4(r, cred.signedHeaders)))}, "\n")
	expected := hex.EncodeToString(hmacSHA256(key, stringToSign))
	if !hmac.Equal([]byte(expected), []byte(cred.signature)) {
		return s3Caller{}, errorf(http.StatusForbidden, "SignatureDoesNotMatch", "the request signature we calculated does not match the signature you provided: check your key and signing method")
	}

	g.mu.Lock()
	disabled := owner.state == ostor.StateDisabled
	g.mu.Unlock()
	if disabled {
		return s3Caller{}, errorf(http.StatusForbidden, "AccessDenied", "the user %s is disabled", owner.id)
	}
	return s3Caller{user: owner, credential: cred, amzDate: amzDate, signingKey: key}, nil
}

// parseSigV4Authorization parses
// "AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request,
// SignedHeaders=<a;b>, Signature=<hex>".
func parseSigV4Authorization(auth string) (sigV4Credential, *apiError) {
	malformed := func(reason string) (sigV4Credential, *apiError) {
		return sigV4Credential{}, errorf(http.StatusBadRequest, "AuthorizationHeaderMalformed", "the Authorization header is malformed: %s", reason)
	}
	rest, ok := strings.CutPrefix(auth, sigV4Algorithm+" ")
	if !ok {
		return malformed("expected the algorithm " + sigV4Algorithm)
	}

	var cred sigV4Credential
	var haveCredential, haveHeaders bool
	for _, part := range strings.Split(rest, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch name {
		case "Credential":
			fields := strings.Split(value, "/")
			if len(fields) != 5 || fields[4] != "aws4_request" || fields[0] == "" {
				return malformed("Credential must be <access key ID>/<date>/<region>/<service>/aws4_request")
			}
			cred.keyID, cred.date, cred.region, cred.service = fields[0], fields[1], fields[2], fields[3]
			haveCredential = true
		case "SignedHeaders":
			cred.signedHeaders = strings.Split(value, ";")
			haveHeaders = value != ""
		case "Signature":
			cred.signature = value
		default:
			return malformed(fmt.Sprintf("unknown component %q", name))
		}
	}
	if !haveCredential || !haveHeaders || cred.signature == "" {
		return malformed("Credential, SignedHeaders and Signature are required")
	}
	return cred, nil
}

// canonicalRequestV4 is an independent implementation of the canonical
// request of Signature Version 4 for S3, so that a client bug does not cancel
// out in the tests. S3 encodes the path once, not twice as other services do.
func canonicalRequestV4(r *http.Request, signedHeaders []string) string {
	var headerLines strings.Builder
	for _, name := range signedHeaders {
		headerLines.WriteString(name + ":" + canonicalHeaderValue(r, name) + "\n")
	}
	return strings.Join([]string{
		r.Method,
		awsURIEncode(r.URL.Path, false),
		canonicalQueryV4(r.URL.RawQuery),
		headerLines.String(),
		strings.Join(signedHeaders, ";"),
		r.Header.Get("X-Amz-Content-Sha256"),
	}, "\n")
}

func canonicalHeaderValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return v
		}
		return strconv.FormatInt(r.ContentLength, 10)
	}
	values := r.Header.Values(name)
	trimmed := make([]string, len(values))
	for i, v := range values {
		trimmed[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(trimmed, ",")
}

func canonicalQueryV4(raw string) string {
	if raw == "" {
		return ""
	}
	var pairs []string
	for _, part := range strings.Split(raw, "&") {
		rawKey, rawValue, _ := strings.Cut(part, "=")
		key, _ := url.QueryUnescape(rawKey)
		value, _ := url.QueryUnescape(rawValue)
		pairs = append(pairs, awsURIEncode(key, true)+"="+awsURIEncode(value, true))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// awsURIEncode percent-encodes every byte except the unreserved characters
// of RFC 3986, with uppercase hex digits. A slash stays unless encodeSlash.
func awsURIEncode(s string, encodeSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func sigV4SigningKey(secret string, cred sigV4Credential) []byte {
	key := hmacSHA256([]byte("AWS4"+secret), cred.date)
	key = hmacSHA256(key, cred.region)
	key = hmacSHA256(key, cred.service)
	return hmacSHA256(key, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(data))
	return mac.Sum(nil)
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// readS3Body reads the payload of req with readS3Payload and adds its
// decoded length to the request's usage statistics.
func readS3Body(req s3Request, limit int64) ([]byte, *apiError) {
	data, err := readS3Payload(req.r, req.caller, limit)
	if req.traffic != nil {
		req.traffic.uploaded += int64(len(data))
	}
	return data, err
}

// readS3Payload reads at most limit decoded bytes of the payload and checks
// it against x-amz-content-sha256: a hex hash must match, and the chunks of
// a signed streaming upload must carry valid chunk signatures.
func readS3Payload(r *http.Request, caller s3Caller, limit int64) ([]byte, *apiError) {
	tooLarge := errorf(http.StatusBadRequest, "EntityTooLarge", "the request body exceeds the limit of %d bytes of ostortest", limit)
	if r.Body == nil {
		return nil, nil
	}
	mode := r.Header.Get("X-Amz-Content-Sha256")
	switch mode {
	case streamingSignedPayload, streamingUnsignedTrail:
		return readAWSChunked(bufio.NewReader(r.Body), caller, mode == streamingSignedPayload, limit)
	}

	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "IncompleteBody", "reading the request body failed: %v", err)
	}
	if int64(len(data)) > limit {
		return nil, tooLarge
	}
	switch {
	case mode == unsignedPayload:
	case len(mode) == 64:
		if sha256Hex(data) != strings.ToLower(mode) {
			return nil, errorf(http.StatusBadRequest, "XAmzContentSHA256Mismatch", "the x-amz-content-sha256 header does not match the SHA-256 of the body")
		}
	default:
		return nil, errorf(http.StatusNotImplemented, "NotImplemented", "x-amz-content-sha256 %q is not supported by ostortest", mode)
	}
	return data, nil
}

// readAWSChunked decodes an aws-chunked body: "<hex size>[;chunk-signature=
// <sig>]\r\n<data>\r\n" repeated, ending with a zero-size chunk and, for the
// trailer variant, trailer lines that are read and ignored.
func readAWSChunked(body *bufio.Reader, caller s3Caller, signed bool, limit int64) ([]byte, *apiError) {
	malformed := func(reason string) ([]byte, *apiError) {
		return nil, errorf(http.StatusBadRequest, "IncompleteBody", "malformed aws-chunked body: %s", reason)
	}
	var out bytes.Buffer
	previous := caller.credential.signature
	for {
		header, err := body.ReadString('\n')
		if err != nil {
			return malformed("missing chunk header")
		}
		sizeText, extension, _ := strings.Cut(strings.TrimRight(header, "\r\n"), ";")
		size, perr := strconv.ParseInt(sizeText, 16, 64)
		if perr != nil || size < 0 {
			return malformed(fmt.Sprintf("invalid chunk size %q", sizeText))
		}
		if int64(out.Len())+size > limit {
			return nil, errorf(http.StatusBadRequest, "EntityTooLarge", "the request body exceeds the limit of %d bytes of ostortest", limit)
		}
		chunk := make([]byte, size)
		if _, err := io.ReadFull(body, chunk); err != nil {
			return malformed("chunk shorter than its size")
		}

		if signed {
			signature, ok := strings.CutPrefix(extension, "chunk-signature=")
			if !ok {
				return malformed("missing chunk-signature")
			}
			stringToSign := strings.Join([]string{sigV4ChunkAlgorithm, caller.amzDate, caller.credential.scope(), previous, emptySHA256, sha256Hex(chunk)}, "\n")
			expected := hex.EncodeToString(hmacSHA256(caller.signingKey, stringToSign))
			if !hmac.Equal([]byte(expected), []byte(signature)) {
				return nil, errorf(http.StatusForbidden, "SignatureDoesNotMatch", "the signature of chunk %d does not match", out.Len())
			}
			previous = signature
		}
		out.Write(chunk)

		if size == 0 {
			// Trailer lines, if any, end with an empty line. A signed
			// stream may end right after the last chunk header.
			for {
				line, err := body.ReadString('\n')
				if err != nil || strings.TrimRight(line, "\r\n") == "" {
					return out.Bytes(), nil
				}
			}
		}
		if crlf, err := body.ReadString('\n'); err != nil || strings.TrimRight(crlf, "\r\n") != "" {
			return malformed("chunk data not followed by CRLF")
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
