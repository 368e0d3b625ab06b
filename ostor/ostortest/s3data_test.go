package ostortest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

// s3User is a user of the fake gateway with its first key pair.
type s3User struct {
	ostor.User
	keyID, secret string
}

func addS3User(t *testing.T, srv *ostortest.Server, email string) s3User {
	t.Helper()
	u := srv.AddUser(email)
	return s3User{User: u, keyID: u.AccessKeys[0].AccessKeyID, secret: u.AccessKeys[0].SecretAccessKey.Reveal()}
}

// minioClient returns a path-style S3 client of the fake signed with the
// user's key pair. Over plain HTTP, minio-go signs PutObject bodies chunk
// by chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
func minioClient(t *testing.T, srv *ostortest.Server, u s3User) *minio.Client {
	t.Helper()
	client, err := minio.New(strings.TrimPrefix(srv.URL, "http://"), &minio.Options{
		Creds:        credentials.NewStaticV4(u.keyID, u.secret, ""),
		Region:       ostortest.S3Region,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func adminBucket(t *testing.T, srv *ostortest.Server, name string) (ostor.Bucket, bool) {
	t.Helper()
	c, err := ostor.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	buckets, err := c.ListBuckets(context.Background())
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	for _, b := range buckets {
		if b.Name == name {
			return b, true
		}
	}
	return ostor.Bucket{}, false
}

func TestS3ObjectsChangeBucketSize(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	u := addS3User(t, srv, "owner@example.com")
	client := minioClient(t, srv, u)
	ctx := context.Background()

	if err := client.MakeBucket(ctx, "photos", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	for key, size := range map[string]int{"a.jpg": 100, "b/c.jpg": 250, "empty": 0} {
		data := bytes.Repeat([]byte("x"), size)
		if _, err := client.PutObject(ctx, "photos", key, bytes.NewReader(data), int64(size), minio.PutObjectOptions{}); err != nil {
			t.Fatalf("PutObject(%s): %v", key, err)
		}
	}

	b, ok := adminBucket(t, srv, "photos")
	if !ok {
		t.Fatal("bucket photos not listed by ?ostor-buckets")
	}
	if b.OwnerID != u.ID {
		t.Errorf("owner_id = %q, want %q", b.OwnerID, u.ID)
	}
	if b.Size.Current != 350 {
		t.Errorf("size = %d after three puts, want 350", b.Size.Current)
	}

	if _, err := client.PutObject(ctx, "photos", "a.jpg", strings.NewReader("short"), 5, minio.PutObjectOptions{}); err != nil {
		t.Fatalf("PutObject replacing a.jpg: %v", err)
	}
	if err := client.RemoveObject(ctx, "photos", "b/c.jpg", minio.RemoveObjectOptions{}); err != nil {
		t.Fatalf("RemoveObject: %v", err)
	}
	b, _ = adminBucket(t, srv, "photos")
	if b.Size.Current != 5 {
		t.Errorf("size = %d after a replace and a delete, want 5", b.Size.Current)
	}
	if got := srv.Objects("photos"); len(got) != 2 || got[0] != (ostortest.S3Object{Key: "a.jpg", Size: 5}) {
		t.Errorf("Objects = %+v, want a.jpg (5 bytes) and empty", got)
	}
}

func TestS3DeleteBucketNotEmpty(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	u := addS3User(t, srv, "owner@example.com")
	srv.AddBucket(u.ID, "full", 0)
	srv.AddObject("full", "key", 1)
	client := minioClient(t, srv, u)

	err := client.RemoveBucket(context.Background(), "full")
	if code := minio.ToErrorResponse(err).Code; code != "BucketNotEmpty" {
		t.Fatalf("RemoveBucket error = %v (code %q), want BucketNotEmpty", err, code)
	}
	if _, ok := adminBucket(t, srv, "full"); !ok {
		t.Error("a non-empty bucket was deleted")
	}

	if err := client.RemoveObject(context.Background(), "full", "key", minio.RemoveObjectOptions{}); err != nil {
		t.Fatalf("RemoveObject: %v", err)
	}
	if err := client.RemoveBucket(context.Background(), "full"); err != nil {
		t.Fatalf("RemoveBucket of the emptied bucket: %v", err)
	}
	if _, ok := adminBucket(t, srv, "full"); ok {
		t.Error("bucket still listed after RemoveBucket")
	}
}

func TestS3ListObjectsPagesAndPrefixes(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	u := addS3User(t, srv, "owner@example.com")
	srv.AddBucket(u.ID, "data", 0)
	for i := range 2100 {
		srv.AddObject("data", fmt.Sprintf("dir%d/key %04d+&=", i%2, i), 1)
	}
	srv.AddObject("data", "top", 1)
	client := minioClient(t, srv, u)
	ctx := context.Background()

	var keys []string
	for obj := range client.ListObjectsIter(ctx, "data", minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatalf("ListObjects: %v", obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	if len(keys) != 2101 {
		t.Fatalf("listed %d keys, want 2101", len(keys))
	}
	if keys[0] != "dir0/key 0000+&=" || keys[2100] != "top" {
		t.Errorf("first and last keys = %q, %q", keys[0], keys[2100])
	}
	pages := 0
	for _, r := range srv.Requests() {
		if r.Op == ostortest.OpS3ListObjects {
			pages++
		}
	}
	if pages != 3 {
		t.Errorf("%d list pages, want 3 of at most 1000 keys", pages)
	}

	var entries []string
	for obj := range client.ListObjectsIter(ctx, "data", minio.ListObjectsOptions{MaxKeys: 1}) {
		if obj.Err != nil {
			t.Fatalf("ListObjects with delimiter: %v", obj.Err)
		}
		entries = append(entries, obj.Key)
	}
	if want := []string{"dir0/", "dir1/", "top"}; strings.Join(entries, ",") != strings.Join(want, ",") {
		t.Errorf("entries with delimiter = %q, want %q", entries, want)
	}
}

func TestS3UnknownOperationRejected(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	u := addS3User(t, srv, "owner@example.com")
	srv.AddBucket(u.ID, "data", 0)
	srv.AddObject("data", "key", 1)

	_, err := minioClient(t, srv, u).GetObjectACL(context.Background(), "data", "key")
	if code := minio.ToErrorResponse(err).Code; code != "NotImplemented" {
		t.Errorf("GetObjectACL error = %v (code %q), want NotImplemented", err, code)
	}
}

// signedS3Request builds a request signed with Signature Version 4 by
// minio-go's signer, with the payload hash of body.
func signedS3Request(t *testing.T, method, target, keyID, secret string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	return signer.SignV4(*req, keyID, secret, "", ostortest.S3Region)
}

// sendS3 sends req and returns the status and the S3 error code.
func sendS3(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e struct {
		Code string `xml:"Code"`
	}
	_ = xml.Unmarshal(data, &e)
	return resp.StatusCode, e.Code
}

func TestS3SignatureChecks(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	u := addS3User(t, srv, "owner@example.com")
	other := addS3User(t, srv, "other@example.com")
	disabled := addS3User(t, srv, "disabled@example.com")
	srv.AddBucket(u.ID, "data", 0)
	srv.AddBucket(disabled.ID, "frozen", 0)
	admin, err := ostor.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.DisableUser(context.Background(), ostor.ByID(disabled.ID)); err != nil {
		t.Fatal(err)
	}
	systemKey, systemSecret := srv.SystemCredentials()
	list := srv.URL + "/data?list-type=2"

	tests := []struct {
		name       string
		request    func() *http.Request
		wantStatus int
		wantCode   string
	}{
		{"valid", func() *http.Request {
			return signedS3Request(t, http.MethodGet, list, u.keyID, u.secret, nil)
		}, http.StatusOK, ""},
		{"wrong secret", func() *http.Request {
			return signedS3Request(t, http.MethodGet, list, u.keyID, other.secret, nil)
		}, http.StatusForbidden, "SignatureDoesNotMatch"},
		{"unknown key", func() *http.Request {
			return signedS3Request(t, http.MethodGet, list, "UNKNOWNKEY0000000000", u.secret, nil)
		}, http.StatusForbidden, "InvalidAccessKeyId"},
		{"system key", func() *http.Request {
			return signedS3Request(t, http.MethodGet, list, systemKey, systemSecret, nil)
		}, http.StatusForbidden, "InvalidAccessKeyId"},
		{"query changed after signing", func() *http.Request {
			req := signedS3Request(t, http.MethodGet, list, u.keyID, u.secret, nil)
			req.URL.RawQuery += "&prefix=x"
			return req
		}, http.StatusForbidden, "SignatureDoesNotMatch"},
		{"path changed after signing", func() *http.Request {
			req := signedS3Request(t, http.MethodDelete, srv.URL+"/data/a", u.keyID, u.secret, nil)
			req.URL.Path = "/data/b"
			return req
		}, http.StatusForbidden, "SignatureDoesNotMatch"},
		{"body does not match hash", func() *http.Request {
			req := signedS3Request(t, http.MethodPut, srv.URL+"/data/key", u.keyID, u.secret, []byte("signed"))
			req.Body = io.NopCloser(strings.NewReader("sent!!"))
			return req
		}, http.StatusBadRequest, "XAmzContentSHA256Mismatch"},
		{"missing authorization", func() *http.Request {
			req, _ := http.NewRequest(http.MethodGet, list, nil)
			return req
		}, http.StatusForbidden, "AccessDenied"},
		{"signature version 2", func() *http.Request {
			req, _ := http.NewRequest(http.MethodGet, list, nil)
			req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			return signer.SignV2(*req, u.keyID, u.secret, false)
		}, http.StatusForbidden, "AccessDenied"},
		{"disabled user", func() *http.Request {
			return signedS3Request(t, http.MethodGet, srv.URL+"/frozen?list-type=2", disabled.keyID, disabled.secret, nil)
		}, http.StatusForbidden, "AccessDenied"},
		{"bucket of another user", func() *http.Request {
			return signedS3Request(t, http.MethodGet, list, other.keyID, other.secret, nil)
		}, http.StatusForbidden, "AccessDenied"},
		{"missing bucket", func() *http.Request {
			return signedS3Request(t, http.MethodGet, srv.URL+"/nothing?list-type=2", u.keyID, u.secret, nil)
		}, http.StatusNotFound, "NoSuchBucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code := sendS3(t, tt.request())
			if status != tt.wantStatus {
				t.Errorf("status = %d (%s), want %d", status, code, tt.wantStatus)
			}
			if code != tt.wantCode {
				t.Errorf("code = %q, want %q", code, tt.wantCode)
			}
		})
	}
	if got := srv.Objects("data"); len(got) != 0 {
		t.Errorf("rejected requests stored objects: %+v", got)
	}
}

func TestS3ClockSkewRejected(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	u := addS3User(t, srv, "owner@example.com")
	srv.AddBucket(u.ID, "data", 0)
	srv.SetNow(func() time.Time { return time.Now().Add(time.Hour) })

	status, code := sendS3(t, signedS3Request(t, http.MethodGet, srv.URL+"/data?list-type=2", u.keyID, u.secret, nil))
	if status != http.StatusForbidden || code != "RequestTimeTooSkewed" {
		t.Errorf("status %d code %q, want 403 RequestTimeTooSkewed", status, code)
	}
}

// sha256Hasher adapts crypto/sha256 to the hasher minio-go's streaming
// signer takes.
type sha256Hasher struct{ hash.Hash }

func (sha256Hasher) Close() {}

func streamingPut(t *testing.T, target string, u s3User, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return signer.StreamingSignV4(req, u.keyID, u.secret, "", ostortest.S3Region, int64(len(body)), time.Now().UTC(), sha256Hasher{sha256.New()})
}

func TestS3StreamingChunkSignatures(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	u := addS3User(t, srv, "owner@example.com")
	srv.AddBucket(u.ID, "data", 0)
	// Larger than one 64 KiB chunk, so the chain of chunk signatures is
	// checked across chunks.
	body := bytes.Repeat([]byte("0123456789abcdef"), 10000)

	status, code := sendS3(t, streamingPut(t, srv.URL+"/data/good", u, body))
	if status != http.StatusOK {
		t.Fatalf("valid streaming PUT: status %d code %q", status, code)
	}
	if got := srv.Objects("data"); len(got) != 1 || got[0].Size != int64(len(body)) {
		t.Errorf("Objects = %+v, want good with %d bytes", got, len(body))
	}

	req := streamingPut(t, srv.URL+"/data/bad", u, body)
	signed, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	// Change one data byte of the second chunk and keep its signature.
	i := bytes.LastIndex(signed, []byte("0123456789abcdef"))
	signed[i] = 'X'
	req.Body = io.NopCloser(bytes.NewReader(signed))
	status, code = sendS3(t, req)
	if status != http.StatusForbidden || code != "SignatureDoesNotMatch" {
		t.Errorf("tampered chunk: status %d code %q, want 403 SignatureDoesNotMatch", status, code)
	}
	if got := srv.Objects("data"); len(got) != 1 {
		t.Errorf("tampered upload was stored: %+v", got)
	}
}

func TestS3DeleteObjectDroppedAfterApply(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	u := addS3User(t, srv, "owner@example.com")
	srv.AddBucket(u.ID, "data", 0)
	srv.AddObject("data", "key", 7)
	srv.SetFault(ostortest.OpS3DeleteObject, ostortest.Fault{DropAfterApply: true, Times: 1})

	err := minioClient(t, srv, u).RemoveObject(context.Background(), "data", "key", minio.RemoveObjectOptions{})
	if err == nil {
		t.Fatal("RemoveObject succeeded although the connection was dropped")
	}
	if got := srv.Objects("data"); len(got) != 0 {
		t.Errorf("Objects = %+v, want the delete applied before the drop", got)
	}
	requests := srv.Requests()
	last := requests[len(requests)-1]
	if last.Op != ostortest.OpS3DeleteObject || !last.Dropped || !last.Applied || last.Path != "/data/key" {
		t.Errorf("recorded %+v, want an applied, dropped s3.deleteObject of /data/key", last)
	}
}
