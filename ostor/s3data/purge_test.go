package s3data_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/ostor/s3data"
)

// owner is a user of the fake gateway with a purge configuration signed by
// its own key pair.
type owner struct {
	srv  *ostortest.Server
	user ostor.User
	cfg  s3data.Config
}

func newOwner(t *testing.T, srv *ostortest.Server, email string) owner {
	t.Helper()
	u := srv.AddUser(email)
	key := u.AccessKeys[0]
	return owner{srv: srv, user: u, cfg: s3data.Config{
		Endpoint:          srv.URL,
		AccessKeyID:       key.AccessKeyID,
		SecretAccessKey:   key.SecretAccessKey.Reveal(),
		AllowInsecureHTTP: true,
	}}
}

// addBucket creates a bucket with objects named "dir<i%3>/obj<i>" of
// i bytes each.
func (o owner) addBucket(t *testing.T, name string, objects int) {
	t.Helper()
	o.srv.AddBucket(o.user.ID, name, 0)
	for i := range objects {
		o.srv.AddObject(name, fmt.Sprintf("dir%d/obj%05d", i%3, i), int64(i))
	}
}

func bucketExists(t *testing.T, srv *ostortest.Server, name string) bool {
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
			return true
		}
	}
	return false
}

func countOps(srv *ostortest.Server, op string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Op == op {
			n++
		}
	}
	return n
}

func TestPurgeManyObjectsInSeveralBuckets(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	o := newOwner(t, srv, "owner@example.com")
	o.addBucket(t, "big", 2500)
	o.addBucket(t, "edge", 1001)
	o.addBucket(t, "empty", 0)
	upload := srv.AddMultipartUpload("empty", "unfinished.bin")
	other := newOwner(t, srv, "other@example.com")
	other.addBucket(t, "kept", 5)

	report, err := s3data.Purge(context.Background(), o.cfg, []string{"big", "edge", "empty"})
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}

	want := []s3data.BucketReport{
		{Name: "big", ObjectsDeleted: 2500, Deleted: true},
		{Name: "edge", ObjectsDeleted: 1001, Deleted: true},
		{Name: "empty", ObjectsDeleted: 0, Deleted: true},
	}
	if len(report.Buckets) != len(want) {
		t.Fatalf("report has %d buckets, want %d: %+v", len(report.Buckets), len(want), report)
	}
	for i, w := range want {
		if report.Buckets[i] != w {
			t.Errorf("report.Buckets[%d] = %+v, want %+v", i, report.Buckets[i], w)
		}
	}
	for _, name := range []string{"big", "edge", "empty"} {
		if bucketExists(t, srv, name) {
			t.Errorf("bucket %q still listed by ?ostor-buckets", name)
		}
	}
	if n := srv.MultipartUploads("empty"); n != 0 {
		t.Errorf("%d multipart uploads left", n)
	}
	if !bucketExists(t, srv, "kept") {
		t.Error("another user's bucket was deleted")
	}
	if got := len(srv.Objects("kept")); got != 5 {
		t.Errorf("another user's bucket has %d objects, want 5", got)
	}

	// 2500 and 1001 objects need 3 and 2 pages of at most 1000 keys.
	if n := countOps(srv, ostortest.OpS3DeleteObjects); n != 5 {
		t.Errorf("%d multi-object deletes, want 5", n)
	}
	if n := countOps(srv, ostortest.OpS3ListObjectVersions); n < 5 {
		t.Errorf("%d version listings, want at least 5 for paging", n)
	}
	if n := countOps(srv, ostortest.OpS3AbortMultipartUpload); n != 1 {
		t.Errorf("%d multipart aborts, want 1 (upload %s)", n, upload)
	}
}

func TestPurgeRepeatSucceeds(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	o := newOwner(t, srv, "owner@example.com")
	o.addBucket(t, "data", 10)

	if _, err := s3data.Purge(context.Background(), o.cfg, []string{"data"}); err != nil {
		t.Fatalf("first Purge: %v", err)
	}
	report, err := s3data.Purge(context.Background(), o.cfg, []string{"data"})
	if err != nil {
		t.Fatalf("second Purge: %v", err)
	}
	want := s3data.BucketReport{Name: "data", ObjectsDeleted: 0, Deleted: true}
	if len(report.Buckets) != 1 || report.Buckets[0] != want {
		t.Errorf("second report = %+v, want [%+v]", report.Buckets, want)
	}
}

func TestPurgeMissingBucketIsDone(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	o := newOwner(t, srv, "owner@example.com")

	report, err := s3data.Purge(context.Background(), o.cfg, []string{"never-created"})
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if len(report.Buckets) != 1 || !report.Buckets[0].Deleted {
		t.Errorf("report = %+v, want the bucket marked deleted", report.Buckets)
	}
}

func TestPurgeRejectsBadKeys(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(*s3data.Config)
		wantCode string
	}{
		{"wrong secret", func(c *s3data.Config) { c.SecretAccessKey = "WrongSecretWrongSecretWrongSecret0000000" }, "SignatureDoesNotMatch"},
		{"unknown key", func(c *s3data.Config) { c.AccessKeyID = "0000000000000000ZZZZ" }, "InvalidAccessKeyId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ostortest.Start(t, ostortest.Options{})
			o := newOwner(t, srv, "owner@example.com")
			o.addBucket(t, "data", 3)
			cfg := o.cfg
			tt.mutate(&cfg)

			report, err := s3data.Purge(context.Background(), cfg, []string{"data"})
			if err == nil {
				t.Fatal("Purge succeeded with a bad key pair")
			}
			if !errors.Is(err, s3data.ErrAccessDenied) {
				t.Errorf("errors.Is(err, ErrAccessDenied) = false for %v", err)
			}
			var bucketErr *s3data.BucketError
			if !errors.As(err, &bucketErr) {
				t.Fatalf("error %T is not a *BucketError: %v", err, err)
			}
			if bucketErr.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q", bucketErr.Code, tt.wantCode)
			}
			message := err.Error()
			if !strings.Contains(message, `"data"`) {
				t.Errorf("error does not name the bucket: %s", message)
			}
			if strings.Contains(message, cfg.SecretAccessKey) || strings.Contains(message, o.cfg.SecretAccessKey) {
				t.Errorf("error contains a secret key: %s", message)
			}
			if len(report.Buckets) != 1 || report.Buckets[0].Deleted {
				t.Errorf("report = %+v, want one bucket not deleted", report.Buckets)
			}
			if got := len(srv.Objects("data")); got != 3 {
				t.Errorf("bucket has %d objects after the failed purge, want 3", got)
			}
		})
	}
}

func TestPurgeDisabledUserFails(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	o := newOwner(t, srv, "owner@example.com")
	o.addBucket(t, "data", 3)
	admin, err := ostor.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.DisableUser(context.Background(), ostor.ByID(o.user.ID)); err != nil {
		t.Fatalf("DisableUser: %v", err)
	}

	_, err = s3data.Purge(context.Background(), o.cfg, []string{"data"})
	if !errors.Is(err, s3data.ErrAccessDenied) {
		t.Fatalf("Purge error = %v, want ErrAccessDenied", err)
	}
	if !strings.Contains(err.Error(), "enable the owner") {
		t.Errorf("error does not say to enable the owner: %v", err)
	}
	if got := len(srv.Objects("data")); got != 3 {
		t.Errorf("bucket has %d objects, want 3", got)
	}

	if err := admin.EnableUser(context.Background(), ostor.ByID(o.user.ID)); err != nil {
		t.Fatalf("EnableUser: %v", err)
	}
	if _, err := s3data.Purge(context.Background(), o.cfg, []string{"data"}); err != nil {
		t.Errorf("Purge after EnableUser: %v", err)
	}
}

func TestPurgeOtherUsersBucketDenied(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	o := newOwner(t, srv, "owner@example.com")
	other := newOwner(t, srv, "other@example.com")
	other.addBucket(t, "theirs", 2)

	_, err := s3data.Purge(context.Background(), o.cfg, []string{"theirs"})
	if !errors.Is(err, s3data.ErrAccessDenied) {
		t.Fatalf("Purge error = %v, want ErrAccessDenied", err)
	}
	if got := len(srv.Objects("theirs")); got != 2 {
		t.Errorf("bucket has %d objects, want 2", got)
	}
}

func TestPurgeServerErrorThenRerun(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	o := newOwner(t, srv, "owner@example.com")
	o.addBucket(t, "first", 4)
	o.addBucket(t, "second", 2500)
	// The first bucket's delete and the second bucket's first batch pass,
	// then every multi-object delete fails until the fault is cleared.
	srv.SetFault(ostortest.OpS3DeleteObjects, ostortest.Fault{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", After: 2})

	report, err := s3data.Purge(context.Background(), o.cfg, []string{"first", "second"})
	var bucketErr *s3data.BucketError
	if !errors.As(err, &bucketErr) {
		t.Fatalf("Purge error = %v, want a *BucketError", err)
	}
	if bucketErr.Bucket != "second" || bucketErr.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("BucketError = %+v, want bucket second with status 503", bucketErr)
	}
	if !strings.Contains(err.Error(), "run the purge again") {
		t.Errorf("error does not say to run again: %v", err)
	}
	wantPartial := []s3data.BucketReport{{Name: "first", ObjectsDeleted: 4, Deleted: true}, {Name: "second", ObjectsDeleted: 1000}}
	if len(report.Buckets) != 2 || report.Buckets[0] != wantPartial[0] || report.Buckets[1] != wantPartial[1] {
		t.Errorf("partial report = %+v, want %+v", report.Buckets, wantPartial)
	}

	srv.ClearFaults()
	report, err = s3data.Purge(context.Background(), o.cfg, []string{"first", "second"})
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	wantRerun := []s3data.BucketReport{{Name: "first", Deleted: true}, {Name: "second", ObjectsDeleted: 1500, Deleted: true}}
	if len(report.Buckets) != 2 || report.Buckets[0] != wantRerun[0] || report.Buckets[1] != wantRerun[1] {
		t.Errorf("rerun report = %+v, want %+v", report.Buckets, wantRerun)
	}
	if bucketExists(t, srv, "second") {
		t.Error("bucket second still exists after the rerun")
	}
}

func TestPurgeRetriesOneServerError(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	o := newOwner(t, srv, "owner@example.com")
	o.addBucket(t, "data", 3)
	srv.SetFault(ostortest.OpS3DeleteBucket, ostortest.Fault{Status: http.StatusInternalServerError, Times: 1})

	report, err := s3data.Purge(context.Background(), o.cfg, []string{"data"})
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if !report.Buckets[0].Deleted {
		t.Errorf("report = %+v, want the bucket deleted", report.Buckets)
	}
	if n := countOps(srv, ostortest.OpS3DeleteBucket); n != 2 {
		t.Errorf("%d bucket deletes sent, want 2", n)
	}
}

func TestPurgeWithoutVersionListing(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	o := newOwner(t, srv, "owner@example.com")
	o.addBucket(t, "data", 1200)
	srv.SetFault(ostortest.OpS3ListObjectVersions, ostortest.Fault{Status: http.StatusNotImplemented, Code: "NotImplemented"})

	report, err := s3data.Purge(context.Background(), o.cfg, []string{"data"})
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	want := s3data.BucketReport{Name: "data", ObjectsDeleted: 1200, Deleted: true}
	if report.Buckets[0] != want {
		t.Errorf("report = %+v, want %+v", report.Buckets[0], want)
	}
	if n := countOps(srv, ostortest.OpS3ListObjects); n < 2 {
		t.Errorf("%d ListObjectsV2 requests, want at least 2 pages", n)
	}
}

func TestPurgeBucketNotEmptyRetried(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	o := newOwner(t, srv, "owner@example.com")
	o.addBucket(t, "once", 1)
	o.addBucket(t, "always", 1)

	notEmpty := ostortest.Fault{Status: http.StatusConflict, Code: "BucketNotEmpty", Times: 1}
	srv.SetFault(ostortest.OpS3DeleteBucket, notEmpty)
	report, err := s3data.Purge(context.Background(), o.cfg, []string{"once"})
	if err != nil || !report.Buckets[0].Deleted {
		t.Fatalf("Purge after one BucketNotEmpty = %+v, %v; want the bucket deleted", report.Buckets, err)
	}

	notEmpty.Times = 0
	srv.SetFault(ostortest.OpS3DeleteBucket, notEmpty)
	_, err = s3data.Purge(context.Background(), o.cfg, []string{"always"})
	var bucketErr *s3data.BucketError
	if !errors.As(err, &bucketErr) || bucketErr.Code != "BucketNotEmpty" {
		t.Fatalf("Purge error = %v, want BucketNotEmpty", err)
	}
	if !strings.Contains(err.Error(), "disable its owner") {
		t.Errorf("error does not say what to do: %v", err)
	}
}

func TestPurgeInvalidBucketNames(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	o := newOwner(t, srv, "owner@example.com")
	o.addBucket(t, "valid-bucket", 1)

	for _, name := range []string{"", "ab", strings.Repeat("a", 64), "Upper", "under_score", "-start", "end-", "two..dots", "dot.-hyphen", "192.168.1.1", "bucket/key", "sp ace"} {
		t.Run(name, func(t *testing.T) {
			srv.ResetRequests()
			_, err := s3data.Purge(context.Background(), o.cfg, []string{"valid-bucket", name})
			var nameErr *s3data.BucketNameError
			if !errors.As(err, &nameErr) {
				t.Fatalf("Purge error = %v, want a *BucketNameError", err)
			}
			if nameErr.Name != name {
				t.Errorf("BucketNameError.Name = %q, want %q", nameErr.Name, name)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d requests sent before the name was rejected", n)
			}
		})
	}
	if got := len(srv.Objects("valid-bucket")); got != 1 {
		t.Errorf("valid bucket has %d objects, want 1", got)
	}
}

func TestValidateBucketNameAccepts(t *testing.T) {
	for _, name := range []string{"abc", "my-bucket.2024", strings.Repeat("a", 63), "1.2.3", "a-b-c"} {
		if err := s3data.ValidateBucketName(name); err != nil {
			t.Errorf("ValidateBucketName(%q) = %v", name, err)
		}
	}
}

func TestPurgeConfigErrors(t *testing.T) {
	valid := s3data.Config{Endpoint: "https://s3.example.com", AccessKeyID: "key", SecretAccessKey: "secret-value"}
	tests := []struct {
		name      string
		mutate    func(*s3data.Config)
		wantField string
	}{
		{"missing endpoint", func(c *s3data.Config) { c.Endpoint = "" }, "Endpoint"},
		{"plain http", func(c *s3data.Config) { c.Endpoint = "http://s3.example.com" }, "Endpoint"},
		{"endpoint path", func(c *s3data.Config) { c.Endpoint = "https://s3.example.com/bucket" }, "Endpoint"},
		{"endpoint credentials", func(c *s3data.Config) { c.Endpoint = "https://u:p@s3.example.com" }, "Endpoint"},
		{"ftp scheme", func(c *s3data.Config) { c.Endpoint = "ftp://s3.example.com" }, "Endpoint"},
		{"missing key ID", func(c *s3data.Config) { c.AccessKeyID = "" }, "AccessKeyID"},
		{"key ID with space", func(c *s3data.Config) { c.AccessKeyID = "a b" }, "AccessKeyID"},
		{"missing secret", func(c *s3data.Config) { c.SecretAccessKey = "" }, "SecretAccessKey"},
		{"secret with newline", func(c *s3data.Config) { c.SecretAccessKey = "secret-value\n" }, "SecretAccessKey"},
		{"negative timeout", func(c *s3data.Config) { c.Timeout = -1 }, "Timeout"},
		{"region with slash", func(c *s3data.Config) { c.Region = "a/b" }, "Region"},
		{"CA file and client", func(c *s3data.Config) { c.CAFile = "ca.pem"; c.HTTPClient = http.DefaultClient }, "CAFile"},
		{"unreadable CA file", func(c *s3data.Config) { c.CAFile = t.TempDir() + "/missing.pem" }, "CAFile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.mutate(&cfg)
			_, err := s3data.Purge(context.Background(), cfg, []string{"bucket"})
			var cfgErr *s3data.ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("Purge error = %v, want a *ConfigError", err)
			}
			if cfgErr.Field != tt.wantField {
				t.Errorf("Field = %q, want %q", cfgErr.Field, tt.wantField)
			}
			if strings.Contains(err.Error(), "secret-value") {
				t.Errorf("error contains the secret: %v", err)
			}
		})
	}
}

func TestConfigStringRedactsSecret(t *testing.T) {
	cfg := s3data.Config{Endpoint: "https://s3.example.com", AccessKeyID: "key", SecretAccessKey: "secret-value"}
	for _, text := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(text, "secret-value") {
			t.Errorf("formatted Config contains the secret: %s", text)
		}
		if !strings.Contains(text, "[redacted]") {
			t.Errorf("formatted Config does not mark the secret redacted: %s", text)
		}
	}
}

func TestPurgeCanceledContext(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	o := newOwner(t, srv, "owner@example.com")
	o.addBucket(t, "data", 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := s3data.Purge(ctx, o.cfg, []string{"data"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Purge error = %v, want context.Canceled", err)
	}
	if got := len(srv.Objects("data")); got != 3 {
		t.Errorf("bucket has %d objects, want 3", got)
	}
}

func TestPurgeRequestTimeout(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	o := newOwner(t, srv, "owner@example.com")
	o.addBucket(t, "slow", 1)
	srv.SetFault(ostortest.OpS3ListObjectVersions, ostortest.Fault{Latency: 300 * time.Millisecond})
	cfg := o.cfg
	cfg.Timeout = 20 * time.Millisecond

	_, err := s3data.Purge(context.Background(), cfg, []string{"slow"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Purge error = %v, want one wrapping context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), `"slow"`) {
		t.Errorf("error does not name the bucket: %v", err)
	}
	if got := len(srv.Objects("slow")); got != 1 {
		t.Errorf("bucket has %d objects, want 1", got)
	}
}
