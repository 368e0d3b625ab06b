package ostortest

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Operation names of the S3 data requests, for SetFault and
// RecordedRequest.Op. The admin operations use the ostor.Op* names.
const (
	OpS3ListObjects          = "s3.listObjects"
	OpS3ListObjectVersions   = "s3.listObjectVersions"
	OpS3ListMultipartUploads = "s3.listMultipartUploads"
	OpS3AbortMultipartUpload = "s3.abortMultipartUpload"
	OpS3GetBucketLocation    = "s3.getBucketLocation"
	OpS3HeadBucket           = "s3.headBucket"
	OpS3CreateBucket         = "s3.createBucket"
	OpS3DeleteBucket         = "s3.deleteBucket"
	OpS3PutObject            = "s3.putObject"
	OpS3GetObject            = "s3.getObject"
	OpS3HeadObject           = "s3.headObject"
	OpS3DeleteObject         = "s3.deleteObject"
	OpS3DeleteObjects        = "s3.deleteObjects"
)

// S3Region is the region that GetBucketLocation returns. Requests signed for
// any region are accepted.
const S3Region = "us-east-1"

// Size limits of S3 request bodies that the fake reads into memory.
const (
	maxPutObjectBody = 64 << 20
	maxS3XMLBody     = 4 << 20
	maxS3ListKeys    = 1000
	maxDeleteObjects = 1000
)

// s3Object is one object of a bucket. The fake keeps sizes, not contents.
type s3Object struct {
	size     int64
	etag     string // quoted, as in the ETag header
	modified time.Time
}

// multipartUpload is an unfinished multipart upload.
type multipartUpload struct {
	key       string
	uploadID  string
	initiated time.Time
}

// S3Object describes one object, as returned by Objects.
type S3Object struct {
	Key  string
	Size int64
}

// s3Request is one routed S3 data request.
type s3Request struct {
	op     string
	bucket string
	key    string
	query  url.Values
	caller s3Caller
	r      *http.Request
	// traffic collects the payload bytes that readS3Body reads, for
	// usage statistics.
	traffic *s3Traffic
}

// s3Result is a successful S3 response: status, headers and an XML body.
type s3Result struct {
	status  int // 0 means 200
	headers map[string]string
	body    any // encoded as XML, or nil for an empty body
	// zeroBody, when positive, is the length of a body of zero bytes sent
	// instead of body, because the fake keeps object sizes, not contents.
	zeroBody int64
}

type s3Handler func(g *Gateway, req s3Request) (s3Result, bool, *apiError)

var s3Handlers = map[string]s3Handler{
	OpS3ListObjects:          handleS3ListObjects,
	OpS3ListObjectVersions:   handleS3ListObjectVersions,
	OpS3ListMultipartUploads: handleS3ListMultipartUploads,
	OpS3AbortMultipartUpload: handleS3AbortMultipartUpload,
	OpS3GetBucketLocation:    handleS3GetBucketLocation,
	OpS3HeadBucket:           handleS3HeadBucket,
	OpS3CreateBucket:         handleS3CreateBucket,
	OpS3DeleteBucket:         handleS3DeleteBucket,
	OpS3PutObject:            handleS3PutObject,
	OpS3GetObject:            handleS3GetObject,
	OpS3HeadObject:           handleS3HeadObject,
	OpS3DeleteObject:         handleS3DeleteObject,
	OpS3DeleteObjects:        handleS3DeleteObjects,
}

// isS3DataRequest reports whether r is for the S3 data API: admin requests
// always target "/", and S3 data requests name a bucket in the path.
func isS3DataRequest(r *http.Request) bool {
	return r.URL.Path != "/"
}

// serveS3 handles one S3 data request: path-style "/bucket" or
// "/bucket/key", signed with Signature Version 4 by a user's key pair.
func (g *Gateway) serveS3(w http.ResponseWriter, r *http.Request) {
	rec := RecordedRequest{Method: r.Method, RawQuery: r.URL.RawQuery, Service: "s3", Path: r.URL.Path}
	requestID := g.startRequest(&rec)

	traffic := &s3Traffic{}
	res, apiErr, drop := g.handleS3(r, &rec, traffic)
	setOutcome(&rec, res.status, apiErr, drop)

	// The response is rendered before it is sent, so that its body size is
	// counted and the request recorded before the client can see the
	// response.
	var rendered *httptest.ResponseRecorder
	var downloaded int64
	switch {
	case drop:
	case apiErr == nil && res.zeroBody > 0:
		if r.Method != http.MethodHead {
			downloaded = res.zeroBody
		}
	default:
		rendered = httptest.NewRecorder()
		renderS3(rendered, r, requestID, rec.Status, res, apiErr)
		downloaded = int64(rendered.Body.Len())
	}
	g.record(rec)
	g.countS3Usage(traffic, downloaded)

	switch {
	case drop:
		dropConnection(w)
	case rendered != nil:
		copyRendered(w, rendered)
	default:
		writeZeroBody(w, r, requestID, rec.Status, res)
	}
}

// renderS3 writes an S3 error or an XML result to w.
func renderS3(w http.ResponseWriter, r *http.Request, requestID string, status int, res s3Result, apiErr *apiError) {
	switch {
	case apiErr != nil && r.Method == http.MethodHead:
		// A HEAD response has no body, so the error code goes only in
		// the status and the message header.
		w.Header().Set("x-amz-request-id", requestID)
		w.Header().Set("X-Amz-Err-Message", headerSafe(apiErr.message))
		w.WriteHeader(apiErr.status)
	case apiErr != nil:
		writeError(w, requestID, apiErr)
	default:
		writeS3Result(w, requestID, status, res)
	}
}

// copyRendered sends a rendered response: headers, status and body.
func copyRendered(w http.ResponseWriter, rendered *httptest.ResponseRecorder) {
	for name, values := range rendered.Header() {
		w.Header()[name] = values
	}
	w.WriteHeader(rendered.Code)
	_, _ = w.Write(rendered.Body.Bytes())
}

// writeZeroBody sends a result whose body is res.zeroBody zero bytes.
func writeZeroBody(w http.ResponseWriter, r *http.Request, requestID string, status int, res s3Result) {
	h := w.Header()
	h.Set("x-amz-request-id", requestID)
	for name, value := range res.headers {
		h.Set(name, value)
	}
	h.Set("Content-Length", strconv.FormatInt(res.zeroBody, 10))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = io.CopyN(w, zeroReader{}, res.zeroBody)
	}
}

// zeroReader returns an endless stream of zero bytes.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func (g *Gateway) handleS3(r *http.Request, rec *RecordedRequest, traffic *s3Traffic) (s3Result, *apiError, bool) {
	query, qerr := url.ParseQuery(r.URL.RawQuery)
	if qerr != nil {
		return s3Result{}, errorf(http.StatusBadRequest, "InvalidArgument", "malformed query string %q", r.URL.RawQuery), false
	}
	rec.Params = s3Params(r.URL.RawQuery)

	caller, authErr := g.authenticateS3(r)
	if authErr != nil {
		return s3Result{}, authErr, false
	}

	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	traffic.userID, traffic.bucket = caller.user.id, bucket
	op, routeErr := classifyS3(r.Method, key, query)
	if routeErr != nil {
		return s3Result{}, routeErr, false
	}
	rec.Op = op
	traffic.op = op

	fault, hasFault, injected := g.applyFault(op)
	if injected != nil {
		return s3Result{}, injected, false
	}

	res, applied, handlerErr := s3Handlers[op](g, s3Request{op: op, bucket: bucket, key: key, query: query, caller: caller, r: r, traffic: traffic})
	rec.Applied = applied
	if hasFault && fault.DropAfterApply {
		return s3Result{}, nil, true
	}
	if handlerErr != nil {
		return s3Result{}, handlerErr, false
	}
	return res, nil, false
}

// classifyS3 names the operation of an S3 data request from its method,
// whether the path has a key, and its sub-resource parameter.
func classifyS3(method, key string, query url.Values) (string, *apiError) {
	op := ""
	if key == "" {
		switch {
		case method == http.MethodGet && query.Has("versions"):
			op = OpS3ListObjectVersions
		case method == http.MethodGet && query.Has("uploads"):
			op = OpS3ListMultipartUploads
		case method == http.MethodGet && query.Has("location"):
			op = OpS3GetBucketLocation
		case method == http.MethodGet && query.Get("list-type") == "2":
			op = OpS3ListObjects
		case method == http.MethodPost && query.Has("delete"):
			op = OpS3DeleteObjects
		case method == http.MethodHead && len(query) == 0:
			op = OpS3HeadBucket
		case method == http.MethodPut && len(query) == 0:
			op = OpS3CreateBucket
		case method == http.MethodDelete && len(query) == 0:
			op = OpS3DeleteBucket
		}
	} else {
		switch {
		case method == http.MethodDelete && query.Has("uploadId"):
			op = OpS3AbortMultipartUpload
		case method == http.MethodPut && len(query) == 0:
			op = OpS3PutObject
		case method == http.MethodHead && len(query) == 0:
			op = OpS3HeadObject
		case method == http.MethodGet && len(query) == 0:
			op = OpS3GetObject
		case method == http.MethodDelete && (len(query) == 0 || (len(query) == 1 && query.Get("versionId") == "null")):
			op = OpS3DeleteObject
		}
	}
	if op == "" {
		keys := make([]string, 0, len(query))
		for k := range query {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		target := "an object"
		if key == "" {
			target = "a bucket"
		}
		return "", errorf(http.StatusNotImplemented, "NotImplemented", "ostortest does not implement S3 %s on %s with query parameters %v", method, target, keys)
	}
	return op, nil
}

// s3Params decodes the query for RecordedRequest.Params, keeping the order.
func s3Params(raw string) []Param {
	if raw == "" {
		return nil
	}
	var params []Param
	for _, part := range strings.Split(raw, "&") {
		rawKey, rawValue, hasValue := strings.Cut(part, "=")
		key, _ := url.QueryUnescape(rawKey)
		value, _ := url.QueryUnescape(rawValue)
		params = append(params, Param{Key: key, Value: value, Flag: !hasValue})
	}
	return params
}

func writeS3Result(w http.ResponseWriter, requestID string, status int, res s3Result) {
	h := w.Header()
	h.Set("x-amz-request-id", requestID)
	for name, value := range res.headers {
		h.Set(name, value)
	}
	if res.body == nil {
		w.WriteHeader(status)
		return
	}
	data, err := xml.Marshal(res.body)
	if err != nil {
		writeError(w, requestID, errorf(http.StatusInternalServerError, "InternalError", "encoding response: %v", err))
		return
	}
	h.Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(data)
}

// userByAccessKey finds the user that owns an access key, directly or
// through one of its accounts, and returns the key's secret.
func (s *state) userByAccessKey(keyID string) (*user, string) {
	for _, u := range s.users {
		for _, k := range u.keys {
			if k.id == keyID {
				return u, k.secret
			}
		}
		for _, a := range u.accounts {
			for _, k := range a.keys {
				if k.id == keyID {
					return u, k.secret
				}
			}
		}
	}
	return nil, ""
}

// ownedBucket returns the bucket when it exists and belongs to the caller.
// Gateway.mu must be held.
func (s *state) ownedBucket(name string, caller *user) (*bucket, *apiError) {
	b := s.bucketByName(name)
	if b == nil {
		return nil, errorf(http.StatusNotFound, "NoSuchBucket", "the bucket %q does not exist", name)
	}
	if b.ownerID != caller.id {
		return nil, errorf(http.StatusForbidden, "AccessDenied", "the bucket %q belongs to another user", name)
	}
	return b, nil
}

// putObject stores or replaces an object and adds the size difference to the
// bucket size that ?ostor-buckets reports. Gateway.mu must be held.
func (b *bucket) putObject(key string, size int64, etag string, now time.Time) {
	if b.objects == nil {
		b.objects = make(map[string]*s3Object)
	}
	var previous int64
	if old, ok := b.objects[key]; ok {
		previous = old.size
	}
	b.objects[key] = &s3Object{size: size, etag: etag, modified: now}
	b.resize(b.current-previous+size, now)
}

// deleteObject removes an object and subtracts its size from the bucket
// size. It reports whether the object existed. Gateway.mu must be held.
func (b *bucket) deleteObject(key string, now time.Time) bool {
	obj, ok := b.objects[key]
	if !ok {
		return false
	}
	delete(b.objects, key)
	b.resize(max(0, b.current-obj.size), now)
	return true
}

// sortedKeys returns the object keys in the byte order S3 lists them in.
func (b *bucket) sortedKeys() []string {
	keys := make([]string, 0, len(b.objects))
	for k := range b.objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AddObject stores an object of size bytes in bucket, as its owner would
// with PutObject, and adds size to the bucket size. It panics on an unknown
// bucket or a negative size.
func (g *Gateway) AddObject(bucket, key string, size int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.state.bucketByName(bucket)
	if b == nil {
		panic(fmt.Sprintf("ostortest: AddObject: no bucket %q", bucket))
	}
	if size < 0 || key == "" {
		panic(fmt.Sprintf("ostortest: AddObject: invalid key %q or size %d", key, size))
	}
	sum := md5.Sum([]byte(key))
	b.putObject(key, size, `"`+hex.EncodeToString(sum[:])+`"`, g.now())
}

// Objects returns the objects of a bucket sorted by key, or nil when the
// bucket does not exist.
func (g *Gateway) Objects(bucket string) []S3Object {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.state.bucketByName(bucket)
	if b == nil {
		return nil
	}
	out := make([]S3Object, 0, len(b.objects))
	for _, key := range b.sortedKeys() {
		out = append(out, S3Object{Key: key, Size: b.objects[key].size})
	}
	return out
}

// AddMultipartUpload starts an unfinished multipart upload of key in bucket
// and returns its upload ID. The fake cannot upload parts, so the upload can
// only be listed and aborted. It panics on an unknown bucket.
func (g *Gateway) AddMultipartUpload(bucket, key string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.state.bucketByName(bucket)
	if b == nil {
		panic(fmt.Sprintf("ostortest: AddMultipartUpload: no bucket %q", bucket))
	}
	id := randomString(alphaDigits, 32)
	b.uploads = append(b.uploads, &multipartUpload{key: key, uploadID: id, initiated: g.now()})
	return id
}

// MultipartUploads returns the number of unfinished multipart uploads in a
// bucket, or 0 when the bucket does not exist.
func (g *Gateway) MultipartUploads(bucket string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if b := g.state.bucketByName(bucket); b != nil {
		return len(b.uploads)
	}
	return 0
}
