package ostortest

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// s3TimeLayout is the timestamp layout of S3 XML listings.
const s3TimeLayout = "2006-01-02T15:04:05.000Z"

// nullVersionID is the version ID S3 gives objects of a bucket without
// versioning. The fake has no versioning, so every object has it.
const nullVersionID = "null"

type xmlOwner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

type xmlContents struct {
	Key          string    `xml:"Key"`
	LastModified string    `xml:"LastModified"`
	ETag         string    `xml:"ETag"`
	Size         int64     `xml:"Size"`
	StorageClass string    `xml:"StorageClass"`
	Owner        *xmlOwner `xml:"Owner,omitempty"`
}

type xmlCommonPrefix struct {
	Prefix string `xml:"Prefix"`
}

type xmlListBucketResult struct {
	XMLName               xml.Name          `xml:"ListBucketResult"`
	Namespace             string            `xml:"xmlns,attr"`
	Name                  string            `xml:"Name"`
	Prefix                string            `xml:"Prefix"`
	Delimiter             string            `xml:"Delimiter,omitempty"`
	StartAfter            string            `xml:"StartAfter,omitempty"`
	ContinuationToken     string            `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string            `xml:"NextContinuationToken,omitempty"`
	KeyCount              int               `xml:"KeyCount"`
	MaxKeys               int               `xml:"MaxKeys"`
	EncodingType          string            `xml:"EncodingType,omitempty"`
	IsTruncated           bool              `xml:"IsTruncated"`
	Contents              []xmlContents     `xml:"Contents"`
	CommonPrefixes        []xmlCommonPrefix `xml:"CommonPrefixes"`
}

// s3ListParams are the validated paging parameters of a listing.
type s3ListParams struct {
	prefix       string
	delimiter    string
	maxKeys      int
	urlEncoding  bool
	encodingType string
}

func parseListParams(q url.Values, allowed []string, maxKeysName string) (s3ListParams, *apiError) {
	for name := range q {
		if !containsString(allowed, name) {
			return s3ListParams{}, errorf(http.StatusBadRequest, "InvalidArgument", "ostortest does not support the listing parameter %q", name)
		}
	}
	p := s3ListParams{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), maxKeys: maxS3ListKeys}
	if raw := q.Get(maxKeysName); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return s3ListParams{}, errorf(http.StatusBadRequest, "InvalidArgument", "%s %q must be a non-negative integer", maxKeysName, raw)
		}
		p.maxKeys = min(n, maxS3ListKeys)
	}
	switch q.Get("encoding-type") {
	case "":
	case "url":
		p.urlEncoding = true
		p.encodingType = "url"
	default:
		return s3ListParams{}, errorf(http.StatusBadRequest, "InvalidArgument", "encoding-type %q is invalid: use url or leave it out", q.Get("encoding-type"))
	}
	return p, nil
}

func (p s3ListParams) encode(s string) string {
	if p.urlEncoding {
		return awsURIEncode(s, false)
	}
	return s
}

// handleS3ListObjects serves ListObjectsV2 with prefix, delimiter, paging by
// continuation token and start-after, at most 1000 keys per page.
func handleS3ListObjects(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	p, err := parseListParams(req.query, []string{"list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after", "encoding-type", "fetch-owner"}, "max-keys")
	if err != nil {
		return s3Result{}, false, err
	}
	after := req.query.Get("start-after")
	token := req.query.Get("continuation-token")
	if token != "" {
		decoded, derr := base64.RawURLEncoding.DecodeString(token)
		if derr != nil {
			return s3Result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "the continuation token %q is invalid: pass NextContinuationToken unchanged", token)
		}
		after = string(decoded)
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := g.state.ownedBucket(req.bucket, req.caller.user)
	if err != nil {
		return s3Result{}, false, err
	}

	out := xmlListBucketResult{
		Namespace: s3Namespace, Name: b.name, Prefix: p.encode(p.prefix), Delimiter: p.encode(p.delimiter),
		StartAfter: p.encode(req.query.Get("start-after")), ContinuationToken: token, MaxKeys: p.maxKeys, EncodingType: p.encodingType,
	}
	var owner *xmlOwner
	if req.query.Get("fetch-owner") == "true" {
		owner = &xmlOwner{ID: b.ownerID, DisplayName: b.ownerID}
	}

	// last is the key or common prefix most recently emitted. A common
	// prefix stands for every key under it, so those keys are skipped.
	last := ""
	for _, key := range b.sortedKeys() {
		if key <= after || !strings.HasPrefix(key, p.prefix) {
			continue
		}
		entry, isPrefix := key, false
		if p.delimiter != "" {
			if i := strings.Index(key[len(p.prefix):], p.delimiter); i >= 0 {
				entry, isPrefix = key[:len(p.prefix)+i+len(p.delimiter)], true
			}
		}
		if isPrefix && (entry == last || entry == after) {
			continue
		}
		if out.KeyCount == p.maxKeys {
			out.IsTruncated = true
			out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
			break
		}
		if isPrefix {
			out.CommonPrefixes = append(out.CommonPrefixes, xmlCommonPrefix{Prefix: p.encode(entry)})
		} else {
			obj := b.objects[key]
			out.Contents = append(out.Contents, xmlContents{
				Key: p.encode(key), LastModified: obj.modified.UTC().Format(s3TimeLayout), ETag: obj.etag,
				Size: obj.size, StorageClass: "STANDARD", Owner: owner,
			})
		}
		out.KeyCount++
		last = entry
	}
	return s3Result{body: out}, false, nil
}

type xmlVersion struct {
	Key          string `xml:"Key"`
	VersionID    string `xml:"VersionId"`
	IsLatest     bool   `xml:"IsLatest"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

type xmlListVersionsResult struct {
	XMLName             xml.Name     `xml:"ListVersionsResult"`
	Namespace           string       `xml:"xmlns,attr"`
	Name                string       `xml:"Name"`
	Prefix              string       `xml:"Prefix"`
	KeyMarker           string       `xml:"KeyMarker"`
	VersionIDMarker     string       `xml:"VersionIdMarker"`
	NextKeyMarker       string       `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string       `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int          `xml:"MaxKeys"`
	EncodingType        string       `xml:"EncodingType,omitempty"`
	IsTruncated         bool         `xml:"IsTruncated"`
	Versions            []xmlVersion `xml:"Version"`
}

// handleS3ListObjectVersions serves ListObjectVersions. The fake keeps no
// versions, so each object is listed once with the version ID "null".
func handleS3ListObjectVersions(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	p, err := parseListParams(req.query, []string{"versions", "prefix", "delimiter", "max-keys", "key-marker", "version-id-marker", "encoding-type"}, "max-keys")
	if err != nil {
		return s3Result{}, false, err
	}
	if p.delimiter != "" {
		return s3Result{}, false, errorf(http.StatusNotImplemented, "NotImplemented", "ostortest does not support a delimiter when listing versions")
	}
	marker := req.query.Get("key-marker")

	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := g.state.ownedBucket(req.bucket, req.caller.user)
	if err != nil {
		return s3Result{}, false, err
	}

	out := xmlListVersionsResult{
		Namespace: s3Namespace, Name: b.name, Prefix: p.encode(p.prefix), KeyMarker: p.encode(marker),
		VersionIDMarker: req.query.Get("version-id-marker"), MaxKeys: p.maxKeys, EncodingType: p.encodingType,
	}
	for _, key := range b.sortedKeys() {
		if key <= marker || !strings.HasPrefix(key, p.prefix) {
			continue
		}
		if len(out.Versions) == p.maxKeys {
			last := out.Versions[len(out.Versions)-1]
			out.IsTruncated = true
			out.NextKeyMarker = last.Key
			out.NextVersionIDMarker = nullVersionID
			break
		}
		obj := b.objects[key]
		out.Versions = append(out.Versions, xmlVersion{
			Key: p.encode(key), VersionID: nullVersionID, IsLatest: true, LastModified: obj.modified.UTC().Format(s3TimeLayout),
			ETag: obj.etag, Size: obj.size, StorageClass: "STANDARD",
		})
	}
	return s3Result{body: out}, false, nil
}

type xmlUpload struct {
	Key          string `xml:"Key"`
	UploadID     string `xml:"UploadId"`
	Initiated    string `xml:"Initiated"`
	StorageClass string `xml:"StorageClass"`
}

type xmlListMultipartUploadsResult struct {
	XMLName            xml.Name    `xml:"ListMultipartUploadsResult"`
	Namespace          string      `xml:"xmlns,attr"`
	Bucket             string      `xml:"Bucket"`
	KeyMarker          string      `xml:"KeyMarker"`
	UploadIDMarker     string      `xml:"UploadIdMarker"`
	NextKeyMarker      string      `xml:"NextKeyMarker"`
	NextUploadIDMarker string      `xml:"NextUploadIdMarker"`
	Prefix             string      `xml:"Prefix"`
	MaxUploads         int         `xml:"MaxUploads"`
	EncodingType       string      `xml:"EncodingType,omitempty"`
	IsTruncated        bool        `xml:"IsTruncated"`
	Uploads            []xmlUpload `xml:"Upload"`
}

// handleS3ListMultipartUploads serves ListMultipartUploads, ordered by key
// and then upload ID, with key-marker and upload-id-marker paging.
func handleS3ListMultipartUploads(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	p, err := parseListParams(req.query, []string{"uploads", "prefix", "delimiter", "max-uploads", "key-marker", "upload-id-marker", "encoding-type"}, "max-uploads")
	if err != nil {
		return s3Result{}, false, err
	}
	if p.delimiter != "" {
		return s3Result{}, false, errorf(http.StatusNotImplemented, "NotImplemented", "ostortest does not support a delimiter when listing multipart uploads")
	}
	keyMarker, idMarker := req.query.Get("key-marker"), req.query.Get("upload-id-marker")

	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := g.state.ownedBucket(req.bucket, req.caller.user)
	if err != nil {
		return s3Result{}, false, err
	}

	uploads := append([]*multipartUpload(nil), b.uploads...)
	sort.Slice(uploads, func(i, j int) bool {
		if uploads[i].key != uploads[j].key {
			return uploads[i].key < uploads[j].key
		}
		return uploads[i].uploadID < uploads[j].uploadID
	})
	out := xmlListMultipartUploadsResult{
		Namespace: s3Namespace, Bucket: b.name, KeyMarker: p.encode(keyMarker), UploadIDMarker: idMarker,
		Prefix: p.encode(p.prefix), MaxUploads: p.maxKeys, EncodingType: p.encodingType,
	}
	for _, u := range uploads {
		if u.key < keyMarker || (u.key == keyMarker && (idMarker == "" || u.uploadID <= idMarker)) || !strings.HasPrefix(u.key, p.prefix) {
			continue
		}
		if len(out.Uploads) == p.maxKeys {
			out.IsTruncated = true
			break
		}
		out.Uploads = append(out.Uploads, xmlUpload{Key: p.encode(u.key), UploadID: u.uploadID, Initiated: u.initiated.UTC().Format(s3TimeLayout), StorageClass: "STANDARD"})
		out.NextKeyMarker, out.NextUploadIDMarker = u.key, u.uploadID
	}
	return s3Result{body: out}, false, nil
}

func handleS3AbortMultipartUpload(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	id := req.query.Get("uploadId")
	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := g.state.ownedBucket(req.bucket, req.caller.user)
	if err != nil {
		return s3Result{}, false, err
	}
	for i, u := range b.uploads {
		if u.uploadID == id && u.key == req.key {
			b.uploads = append(b.uploads[:i:i], b.uploads[i+1:]...)
			return s3Result{status: http.StatusNoContent}, true, nil
		}
	}
	return s3Result{}, false, errorf(http.StatusNotFound, "NoSuchUpload", "no multipart upload %q of key %q", id, req.key)
}

func handleS3GetBucketLocation(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, err := g.state.ownedBucket(req.bucket, req.caller.user); err != nil {
		return s3Result{}, false, err
	}
	return s3Result{body: struct {
		XMLName   xml.Name `xml:"LocationConstraint"`
		Namespace string   `xml:"xmlns,attr"`
		Region    string   `xml:",chardata"`
	}{Namespace: s3Namespace, Region: S3Region}}, false, nil
}

func handleS3HeadBucket(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, err := g.state.ownedBucket(req.bucket, req.caller.user); err != nil {
		return s3Result{}, false, err
	}
	return s3Result{headers: map[string]string{"x-amz-bucket-region": S3Region}}, false, nil
}

// handleS3CreateBucket creates a bucket owned by the caller. A body, which
// carries the location constraint, is read and ignored.
func handleS3CreateBucket(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	if _, err := readS3Body(req, maxS3XMLBody); err != nil {
		return s3Result{}, false, err
	}
	if reason := invalidBucketName(req.bucket); reason != "" {
		return s3Result{}, false, errorf(http.StatusBadRequest, "InvalidBucketName", "the bucket name %q is invalid: %s", req.bucket, reason)
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	if b := g.state.bucketByName(req.bucket); b != nil {
		if b.ownerID == req.caller.user.id {
			return s3Result{}, false, errorf(http.StatusConflict, "BucketAlreadyOwnedByYou", "you already own the bucket %q", req.bucket)
		}
		return s3Result{}, false, errorf(http.StatusConflict, "BucketAlreadyExists", "the bucket name %q is taken by another user: choose another name", req.bucket)
	}
	now := g.now()
	b := &bucket{name: req.bucket, ownerID: req.caller.user.id, created: now}
	g.state.buckets = append(g.state.buckets, b)
	b.resize(0, now)
	return s3Result{headers: map[string]string{"Location": "/" + req.bucket}}, true, nil
}

// handleS3DeleteBucket deletes an empty bucket with its limits and quota.
// Unfinished multipart uploads do not keep a bucket from being deleted.
// NOTE: whether a real gateway also ignores unfinished multipart uploads here
// is not documented.
func handleS3DeleteBucket(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := g.state.ownedBucket(req.bucket, req.caller.user)
	if err != nil {
		return s3Result{}, false, err
	}
	if n := len(b.objects); n > 0 {
		return s3Result{}, false, errorf(http.StatusConflict, "BucketNotEmpty", "the bucket %q is not empty: it contains %d objects", req.bucket, n)
	}
	g.state.removeBucket(req.bucket)
	return s3Result{status: http.StatusNoContent}, true, nil
}

// handleS3PutObject stores the object's size and ETag, not its contents.
func handleS3PutObject(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	if req.r.Header.Get("X-Amz-Copy-Source") != "" {
		return s3Result{}, false, errorf(http.StatusNotImplemented, "NotImplemented", "ostortest does not implement CopyObject")
	}
	if len(req.key) > 1024 {
		return s3Result{}, false, errorf(http.StatusBadRequest, "KeyTooLongError", "the object key is %d bytes long: the maximum is 1024", len(req.key))
	}
	data, err := readS3Body(req, maxPutObjectBody)
	if err != nil {
		return s3Result{}, false, err
	}
	sum := md5.Sum(data)
	if want := req.r.Header.Get("Content-Md5"); want != "" && want != base64.StdEncoding.EncodeToString(sum[:]) {
		return s3Result{}, false, errorf(http.StatusBadRequest, "BadDigest", "the Content-MD5 you specified did not match what we received")
	}
	etag := `"` + hex.EncodeToString(sum[:]) + `"`

	g.mu.Lock()
	defer g.mu.Unlock()
	b, aerr := g.state.ownedBucket(req.bucket, req.caller.user)
	if aerr != nil {
		return s3Result{}, false, aerr
	}
	b.putObject(req.key, int64(len(data)), etag, g.now())
	return s3Result{headers: map[string]string{"ETag": etag}}, true, nil
}

func handleS3HeadObject(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := g.state.ownedBucket(req.bucket, req.caller.user)
	if err != nil {
		return s3Result{}, false, err
	}
	obj, ok := b.objects[req.key]
	if !ok {
		return s3Result{}, false, errorf(http.StatusNotFound, "NoSuchKey", "the key %q does not exist", req.key)
	}
	return s3Result{headers: map[string]string{
		"ETag": obj.etag, "Content-Length": strconv.FormatInt(obj.size, 10),
		"Last-Modified": obj.modified.UTC().Format(http.TimeFormat),
	}}, false, nil
}

// handleS3DeleteObject deletes one object. Deleting a missing key succeeds,
// as in S3.
func handleS3DeleteObject(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := g.state.ownedBucket(req.bucket, req.caller.user)
	if err != nil {
		return s3Result{}, false, err
	}
	applied := b.deleteObject(req.key, g.now())
	return s3Result{status: http.StatusNoContent}, applied, nil
}

type xmlDeleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type xmlDeleted struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
}

type xmlDeleteError struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}

type xmlDeleteResult struct {
	XMLName   xml.Name         `xml:"DeleteResult"`
	Namespace string           `xml:"xmlns,attr"`
	Deleted   []xmlDeleted     `xml:"Deleted"`
	Errors    []xmlDeleteError `xml:"Error"`
}

// handleS3DeleteObjects serves the multi-object delete (POST ?delete). S3
// requires an integrity check of the body, so Content-MD5 must be present
// unless the payload hash is signed.
func handleS3DeleteObjects(g *Gateway, req s3Request) (s3Result, bool, *apiError) {
	data, err := readS3Body(req, maxS3XMLBody)
	if err != nil {
		return s3Result{}, false, err
	}
	contentMD5 := req.r.Header.Get("Content-Md5")
	sum := md5.Sum(data)
	switch {
	case contentMD5 != "" && contentMD5 != base64.StdEncoding.EncodeToString(sum[:]):
		return s3Result{}, false, errorf(http.StatusBadRequest, "BadDigest", "the Content-MD5 you specified did not match what we received")
	case contentMD5 == "" && len(req.r.Header.Get("X-Amz-Content-Sha256")) != 64:
		return s3Result{}, false, errorf(http.StatusBadRequest, "InvalidRequest", "missing Content-MD5 or a signed payload hash, which a multi-object delete requires")
	}
	var body xmlDeleteRequest
	if derr := xml.NewDecoder(bytes.NewReader(data)).Decode(&body); derr != nil {
		return s3Result{}, false, errorf(http.StatusBadRequest, "MalformedXML", "the multi-object delete body is not valid XML: %v", derr)
	}
	if n := len(body.Objects); n == 0 || n > maxDeleteObjects {
		return s3Result{}, false, errorf(http.StatusBadRequest, "MalformedXML", "a multi-object delete must name 1 to %d objects, not %d", maxDeleteObjects, n)
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	b, aerr := g.state.ownedBucket(req.bucket, req.caller.user)
	if aerr != nil {
		return s3Result{}, false, aerr
	}
	out := xmlDeleteResult{Namespace: s3Namespace}
	applied := false
	now := g.now()
	for _, obj := range body.Objects {
		if obj.VersionID != "" && obj.VersionID != nullVersionID {
			out.Errors = append(out.Errors, xmlDeleteError{Key: obj.Key, VersionID: obj.VersionID, Code: "NoSuchVersion", Message: "the version ID does not exist"})
			continue
		}
		if b.deleteObject(obj.Key, now) {
			applied = true
		}
		if !body.Quiet {
			out.Deleted = append(out.Deleted, xmlDeleted{Key: obj.Key, VersionID: obj.VersionID})
		}
	}
	return s3Result{body: out}, applied, nil
}

// removeBucket deletes a bucket with its limits and quota and reports
// whether it existed. Gateway.mu must be held.
func (s *state) removeBucket(name string) bool {
	for i, b := range s.buckets {
		if b.name == name {
			s.buckets = append(s.buckets[:i:i], s.buckets[i+1:]...)
			delete(s.limits, "bucket:"+name)
			delete(s.quotas, "bucket:"+name)
			return true
		}
	}
	return false
}

// invalidBucketName returns why name breaks the S3 bucket naming rules, or
// "" when it is valid.
func invalidBucketName(name string) string {
	if len(name) < 3 || len(name) > 63 {
		return fmt.Sprintf("it is %d characters long: use 3 to 63", len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return "use only lowercase letters, digits, hyphens and dots"
		}
	}
	if !isAlphanumeric(name[0]) || !isAlphanumeric(name[len(name)-1]) {
		return "it must begin and end with a letter or digit"
	}
	if strings.Contains(name, "..") {
		return "it must not contain two adjacent dots"
	}
	return ""
}

func isAlphanumeric(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
}
