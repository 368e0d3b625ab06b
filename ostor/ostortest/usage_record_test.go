package ostortest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

// testClock is a gateway clock that a test moves forward by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// wireCounter is an http.RoundTripper that measures the traffic a client
// sends and receives: decoded request payload bytes, response body bytes
// and requests. It drains every response body on Close, so the count is
// what the server sent, not only what the client read.
type wireCounter struct {
	mu         sync.Mutex
	uploaded   int64
	downloaded int64
	requests   int
}

func (c *wireCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	payload := req.ContentLength
	if decoded := req.Header.Get("X-Amz-Decoded-Content-Length"); decoded != "" {
		n, err := strconv.ParseInt(decoded, 10, 64)
		if err != nil {
			return nil, err
		}
		payload = n
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.requests++
	c.uploaded += max(payload, 0)
	c.mu.Unlock()
	resp.Body = &countedBody{ReadCloser: resp.Body, counter: c}
	return resp, nil
}

// take returns the counts since the last call and resets them.
func (c *wireCounter) take() (uploaded, downloaded int64, requests int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	uploaded, downloaded, requests = c.uploaded, c.downloaded, c.requests
	c.uploaded, c.downloaded, c.requests = 0, 0, 0
	return uploaded, downloaded, requests
}

type countedBody struct {
	io.ReadCloser
	counter *wireCounter
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.counter.mu.Lock()
	b.counter.downloaded += int64(n)
	b.counter.mu.Unlock()
	return n, err
}

func (b *countedBody) Close() error {
	_, _ = io.Copy(io.Discard, b)
	return b.ReadCloser.Close()
}

func countingClient(t *testing.T, srv *ostortest.Server, u s3User, counter *wireCounter) *minio.Client {
	t.Helper()
	client, err := minio.New(strings.TrimPrefix(srv.URL, "http://"), &minio.Options{
		Creds:        credentials.NewStaticV4(u.keyID, u.secret, ""),
		Region:       ostortest.S3Region,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   1,
		Transport:    counter,
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func putZeros(t *testing.T, client *minio.Client, bucket, key string, size int) {
	t.Helper()
	_, err := client.PutObject(context.Background(), bucket, key, bytes.NewReader(make([]byte, size)), int64(size), minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
}

func getAll(t *testing.T, client *minio.Client, bucket, key string, opts minio.GetObjectOptions) []byte {
	t.Helper()
	obj, err := client.GetObject(context.Background(), bucket, key, opts)
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("reading %s/%s: %v", bucket, key, err)
	}
	return data
}

// readUsage lists every usage object through the admin API and reads each.
func readUsage(t *testing.T, srv *ostortest.Server) []ostor.UsageObject {
	t.Helper()
	ctx := context.Background()
	c, err := ostor.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.ListUsage(ctx, "", 0)
	if err != nil {
		t.Fatalf("ListUsage: %v", err)
	}
	var objects []ostor.UsageObject
	for _, name := range page.Names {
		obj, err := c.GetUsage(ctx, name)
		if err != nil {
			t.Fatalf("GetUsage %s: %v", name, err)
		}
		objects = append(objects, obj)
	}
	return objects
}

func findItem(items []ostor.UsageItem, userID, bucket string) (ostor.UsageItem, bool) {
	for _, it := range items {
		if it.UserID == userID && it.Bucket == bucket {
			return it, true
		}
	}
	return ostor.UsageItem{}, false
}

// usageName returns the name of a usage object of the default service ID.
func usageName(start time.Time, period time.Duration) string {
	return ostor.FormatUsageName(ostor.UsageName{ServiceID: "8000000000000065", Start: start, Period: int64(period / time.Second)})
}

// currentMinute returns the start of the current UTC minute. Test clocks
// start there because the fake rejects requests signed more than
// MaxClockSkew away from its clock.
func currentMinute() time.Time {
	return time.Now().UTC().Truncate(time.Minute)
}

func sumItems(items []ostor.UsageItem) (uploaded, downloaded, requests int64) {
	for _, it := range items {
		uploaded += it.Uploaded
		downloaded += it.Downloaded
		requests += it.Put + it.Get + it.List + it.Other
	}
	return uploaded, downloaded, requests
}

func checkOps(t *testing.T, name string, it ostor.UsageItem, put, get, list, other int64) {
	t.Helper()
	if it.Put != put || it.Get != get || it.List != list || it.Other != other {
		t.Errorf("%s: ops put/get/list/other = %d/%d/%d/%d, want %d/%d/%d/%d", name, it.Put, it.Get, it.List, it.Other, put, get, list, other)
	}
}

func TestUsageCountsS3TrafficPerPeriod(t *testing.T) {
	periodStart := currentMinute()
	clock := &testClock{now: periodStart.Add(10 * time.Second)}
	srv := ostortest.Start(t, ostortest.Options{Now: clock.Now, UsagePeriod: time.Minute})
	owner := addS3User(t, srv, "owner@example.com")
	other := addS3User(t, srv, "other@example.com")
	ownerWire, otherWire := &wireCounter{}, &wireCounter{}
	ownerClient := countingClient(t, srv, owner, ownerWire)
	otherClient := countingClient(t, srv, other, otherWire)
	ctx := context.Background()

	// First period: create a bucket, write two objects, read one, check
	// the other, list the bucket. The other user writes into its own bucket.
	if err := ownerClient.MakeBucket(ctx, "photos", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	createUp, createDown, _ := ownerWire.take()
	putZeros(t, ownerClient, "photos", "a.jpg", 1000)
	putZeros(t, ownerClient, "photos", "b.jpg", 5000)
	if got := getAll(t, ownerClient, "photos", "a.jpg", minio.GetObjectOptions{}); len(got) != 1000 {
		t.Errorf("GetObject a.jpg returned %d bytes, want 1000", len(got))
	}
	if _, err := ownerClient.StatObject(ctx, "photos", "b.jpg", minio.StatObjectOptions{}); err != nil {
		t.Fatalf("StatObject: %v", err)
	}
	for obj := range ownerClient.ListObjects(ctx, "photos", minio.ListObjectsOptions{}) {
		if obj.Err != nil {
			t.Fatalf("ListObjects: %v", obj.Err)
		}
	}
	firstUp, firstDown, firstRequests := ownerWire.take()
	if err := otherClient.MakeBucket(ctx, "docs", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket docs: %v", err)
	}
	putZeros(t, otherClient, "docs", "x.txt", 77)
	otherUp, otherDown, _ := otherWire.take()

	// A request with a wrong secret is not authenticated and not counted.
	forged := countingClient(t, srv, s3User{User: owner.User, keyID: owner.keyID, secret: strings.Repeat("x", 40)}, &wireCounter{})
	if _, err := forged.StatObject(ctx, "photos", "a.jpg", minio.StatObjectOptions{}); err == nil {
		t.Fatal("StatObject with a wrong secret succeeded")
	}

	// Second period: a ranged read, a read of a missing key (its error
	// body counts as downloaded), a write and a delete.
	clock.Set(periodStart.Add(time.Minute + 5*time.Second))
	if names := srv.UsageNames(); len(names) != 1 {
		t.Fatalf("after the first period ended, usage objects = %v, want one", names)
	}
	ranged := minio.GetObjectOptions{}
	if err := ranged.SetRange(0, 99); err != nil {
		t.Fatal(err)
	}
	if got := getAll(t, ownerClient, "photos", "b.jpg", ranged); len(got) != 100 {
		t.Errorf("ranged GetObject returned %d bytes, want 100", len(got))
	}
	if _, err := ownerClient.GetObject(ctx, "photos", "missing.jpg", minio.GetObjectOptions{}); err != nil {
		t.Fatalf("GetObject missing.jpg: %v", err)
	}
	missing, _ := ownerClient.GetObject(ctx, "photos", "missing.jpg", minio.GetObjectOptions{})
	if _, err := io.ReadAll(missing); err == nil {
		t.Error("reading a missing object succeeded")
	}
	putZeros(t, ownerClient, "photos", "c.jpg", 300)
	if err := ownerClient.RemoveObject(ctx, "photos", "c.jpg", minio.RemoveObjectOptions{}); err != nil {
		t.Fatalf("RemoveObject: %v", err)
	}
	secondUp, secondDown, secondRequests := ownerWire.take()

	open, openStart := srv.OpenUsage()
	if len(open) != 1 || !openStart.Equal(periodStart.Add(time.Minute)) {
		t.Errorf("open period = %v from %s, want one record from %s", open, openStart, periodStart.Add(time.Minute))
	}

	clock.Set(periodStart.Add(2*time.Minute + time.Second))
	objects := readUsage(t, srv)
	if len(objects) != 2 {
		t.Fatalf("usage objects = %d, want 2", len(objects))
	}
	first, second := objects[0], objects[1]
	if want := usageName(periodStart, time.Minute); first.Name != want {
		t.Errorf("first object name = %q, want %q", first.Name, want)
	}
	if want := usageName(periodStart.Add(time.Minute), time.Minute); second.Name != want {
		t.Errorf("second object name = %q, want %q", second.Name, want)
	}
	if first.Period != 60 || first.Start.Unix() != periodStart.Unix() {
		t.Errorf("first object covers %d s from %s, want 60 s from %s", first.Period, first.Start, periodStart)
	}

	create, ok := findItem(first.Items, owner.ID, "")
	if !ok {
		t.Fatalf("first object has no record without a bucket for the owner: %+v", first.Items)
	}
	checkOps(t, "owner without bucket", create, 0, 0, 0, 1)
	if create.Uploaded != createUp || create.Downloaded != createDown {
		t.Errorf("create bucket bytes = %d up / %d down, want %d / %d", create.Uploaded, create.Downloaded, createUp, createDown)
	}
	photos, ok := findItem(first.Items, owner.ID, "photos")
	if !ok {
		t.Fatalf("first object has no record for photos: %+v", first.Items)
	}
	checkOps(t, "photos, first period", photos, 2, 1, 1, 1)
	if photos.Uploaded != firstUp || photos.Downloaded != firstDown {
		t.Errorf("photos, first period: bytes = %d up / %d down, want %d / %d measured by the client", photos.Uploaded, photos.Downloaded, firstUp, firstDown)
	}
	if photos.Uploaded != 6000 {
		t.Errorf("photos, first period: uploaded = %d, want the 6000 object bytes", photos.Uploaded)
	}
	if photos.Downloaded < 1000 {
		t.Errorf("photos, first period: downloaded = %d, want at least the 1000 bytes of a.jpg", photos.Downloaded)
	}
	if got := photos.Put + photos.Get + photos.List + photos.Other; got != int64(firstRequests) {
		t.Errorf("photos, first period: %d requests counted, the client sent %d", got, firstRequests)
	}

	docsCreate, _ := findItem(first.Items, other.ID, "")
	docs, ok := findItem(first.Items, other.ID, "docs")
	if !ok {
		t.Fatalf("first object has no record for the other user's bucket: %+v", first.Items)
	}
	checkOps(t, "docs", docs, 1, 0, 0, 0)
	if up, down := docs.Uploaded+docsCreate.Uploaded, docs.Downloaded+docsCreate.Downloaded; up != otherUp || down != otherDown {
		t.Errorf("other user: bytes = %d up / %d down, want %d / %d", up, down, otherUp, otherDown)
	}
	if len(first.Items) != 4 {
		t.Errorf("first object has %d records, want 4 (two users, with and without a bucket): %+v", len(first.Items), first.Items)
	}

	if len(second.Items) != 1 {
		t.Fatalf("second object has %d records, want 1: %+v", len(second.Items), second.Items)
	}
	later := second.Items[0]
	if later.UserID != owner.ID || later.Bucket != "photos" {
		t.Errorf("second object record is for %s/%q, want %s/photos", later.UserID, later.Bucket, owner.ID)
	}
	checkOps(t, "photos, second period", later, 1, 2, 0, 1)
	if later.Uploaded != secondUp || later.Downloaded != secondDown {
		t.Errorf("photos, second period: bytes = %d up / %d down, want %d / %d measured by the client", later.Uploaded, later.Downloaded, secondUp, secondDown)
	}
	if _, _, requests := sumItems(second.Items); requests != int64(secondRequests) {
		t.Errorf("second period: %d requests counted, the client sent %d", requests, secondRequests)
	}
}

func TestUsageRecordingOffByDefault(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	u := addS3User(t, srv, "owner@example.com")
	client := minioClient(t, srv, u)
	if err := client.MakeBucket(context.Background(), "photos", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	putZeros(t, client, "photos", "a.jpg", 10)

	if names := srv.UsageNames(); len(names) != 0 {
		t.Errorf("usage objects = %v, want none without Options.UsagePeriod", names)
	}
	if open, _ := srv.OpenUsage(); open != nil {
		t.Errorf("open period = %+v, want nothing without Options.UsagePeriod", open)
	}
}

func TestUsageOpenPeriodStaysUnlisted(t *testing.T) {
	periodStart := currentMinute()
	clock := &testClock{now: periodStart.Add(59 * time.Second)}
	srv := ostortest.Start(t, ostortest.Options{Now: clock.Now, UsagePeriod: time.Minute})
	u := addS3User(t, srv, "owner@example.com")
	client := minioClient(t, srv, u)
	if err := client.MakeBucket(context.Background(), "photos", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}

	if objects := readUsage(t, srv); len(objects) != 0 {
		t.Fatalf("usage objects before the period ended = %d, want 0", len(objects))
	}
	clock.Set(periodStart.Add(time.Minute))
	objects := readUsage(t, srv)
	if len(objects) != 1 {
		t.Fatalf("usage objects at the period's end = %d, want 1", len(objects))
	}
	if want := usageName(periodStart, time.Minute); objects[0].Name != want {
		t.Errorf("object name = %q, want %q", objects[0].Name, want)
	}
}

func TestUsageMergesIntoStoredObject(t *testing.T) {
	periodStart := currentMinute()
	clock := &testClock{now: periodStart.Add(time.Second)}
	srv := ostortest.Start(t, ostortest.Options{Now: clock.Now, UsagePeriod: time.Minute})
	u := addS3User(t, srv, "owner@example.com")
	srv.AddUsage(periodStart, time.Minute, []ostor.UsageItem{{UserID: u.ID, Bucket: "", Put: 5, Uploaded: 500}})
	client := minioClient(t, srv, u)
	if err := client.MakeBucket(context.Background(), "photos", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}

	clock.Set(periodStart.Add(time.Minute))
	objects := readUsage(t, srv)
	if len(objects) != 1 {
		t.Fatalf("usage objects = %d, want 1", len(objects))
	}
	item, ok := findItem(objects[0].Items, u.ID, "")
	if !ok {
		t.Fatalf("no record without a bucket: %+v", objects[0].Items)
	}
	checkOps(t, "merged record", item, 5, 0, 0, 1)
	if item.Uploaded != 500 {
		t.Errorf("merged record uploaded = %d, want 500 from AddUsage", item.Uploaded)
	}
}

func TestGetObjectRanges(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	u := addS3User(t, srv, "owner@example.com")
	client := minioClient(t, srv, u)
	ctx := context.Background()
	if err := client.MakeBucket(ctx, "photos", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	srv.AddObject("photos", "a.bin", 1000)

	cases := []struct {
		name         string
		header       string
		status       int
		length       int
		contentRange string
	}{
		{"whole object", "", http.StatusOK, 1000, ""},
		{"first and last", "bytes=10-19", http.StatusPartialContent, 10, "bytes 10-19/1000"},
		{"open end", "bytes=990-", http.StatusPartialContent, 10, "bytes 990-999/1000"},
		{"suffix", "bytes=-5", http.StatusPartialContent, 5, "bytes 995-999/1000"},
		{"last past the end", "bytes=995-5000", http.StatusPartialContent, 5, "bytes 995-999/1000"},
		{"several ranges are ignored", "bytes=0-1,5-6", http.StatusOK, 1000, ""},
		{"start past the end", "bytes=1000-", http.StatusRequestedRangeNotSatisfiable, -1, ""},
	}
	core := minio.Core{Client: client}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := minio.GetObjectOptions{}
			if tc.header != "" {
				opts.Set("Range", tc.header)
			}
			body, _, headers, err := core.GetObject(ctx, "photos", "a.bin", opts)
			if tc.length < 0 {
				if err == nil {
					body.Close()
					t.Fatalf("GetObject with %q succeeded, want status %d", tc.header, tc.status)
				}
				if resp := minio.ToErrorResponse(err); resp.StatusCode != tc.status {
					t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			defer body.Close()
			data, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) != tc.length {
				t.Errorf("body length = %d, want %d", len(data), tc.length)
			}
			if !bytes.Equal(data, make([]byte, len(data))) {
				t.Error("body has non-zero bytes")
			}
			if got := headers.Get("Content-Range"); got != tc.contentRange {
				t.Errorf("Content-Range = %q, want %q", got, tc.contentRange)
			}
		})
	}
}

func TestGetObjectEmpty(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	u := addS3User(t, srv, "owner@example.com")
	client := minioClient(t, srv, u)
	if err := client.MakeBucket(context.Background(), "photos", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	putZeros(t, client, "photos", "empty.txt", 0)

	if got := getAll(t, client, "photos", "empty.txt", minio.GetObjectOptions{}); len(got) != 0 {
		t.Errorf("GetObject of an empty object returned %d bytes", len(got))
	}
}

func TestUsagePeriodMustBeWholeSeconds(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewGateway accepted a usage period of 1.5 s")
		}
	}()
	ostortest.NewGateway(ostortest.Options{UsagePeriod: 1500 * time.Millisecond})
}

func TestUsageObserverGetsWrittenObjects(t *testing.T) {
	periodStart := currentMinute()
	clock := &testClock{now: periodStart.Add(time.Second)}
	var mu sync.Mutex
	var names []string
	var records [][]ostor.UsageItem
	srv := ostortest.Start(t, ostortest.Options{Now: clock.Now, UsagePeriod: time.Minute, UsageObserver: func(name string, items []ostor.UsageItem) {
		mu.Lock()
		defer mu.Unlock()
		names = append(names, name)
		records = append(records, items)
	}})
	u := addS3User(t, srv, "owner@example.com")
	client := minioClient(t, srv, u)
	if err := client.MakeBucket(context.Background(), "photos", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}

	clock.Set(periodStart.Add(time.Minute))
	if len(readUsage(t, srv)) != 1 {
		t.Fatal("no usage object after the period ended")
	}
	mu.Lock()
	defer mu.Unlock()
	if want := usageName(periodStart, time.Minute); len(names) != 1 || names[0] != want {
		t.Fatalf("observer got %v, want [%s]", names, want)
	}
	if len(records[0]) != 1 || records[0][0].UserID != u.ID || records[0][0].Other != 1 {
		t.Errorf("observer records = %+v, want one record of one other request by %s", records[0], u.ID)
	}
}
