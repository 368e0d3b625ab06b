// Command traffic is the demo's S3 client. It looks up an S3 user through
// the gateway's admin API, then uploads, lists and downloads a few objects
// with that user's own key pair, as the customer would. It prints what it
// sent, measured on the wire, so the demo can compare it with the usage the
// daemon collects. It never prints the secret key.
//
//	OSTOR_BRIDGE_GATEWAY_SECRET_KEY=<system secret> traffic -endpoint http://127.0.0.1:9000 \
//	    -profile vhi63 -access-key <system key ID> -email <S3 user email> -usage-period 2s
//
// With -usage-period, it waits until the gateway's usage-statistics period
// that holds its last request has ended, so that the next admin request
// lists the statistics object.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// secretEnv names the environment variable with the system user's secret
// key, the same one the daemon reads.
const secretEnv = "OSTOR_BRIDGE_GATEWAY_SECRET_KEY"

// demoObjects are the objects the customer uploads: sizes in bytes.
var demoObjects = []struct {
	key  string
	size int
}{
	{"holiday/beach.jpg", 1_500_000},
	{"holiday/hotel.jpg", 700_000},
	{"notes.txt", 300_000},
}

type options struct {
	endpoint    string
	profile     string
	accessKey   string
	secretKey   string
	email       string
	bucket      string
	usagePeriod time.Duration
}

func main() {
	opts, err := parseOptions(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "traffic: %v\n", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, opts, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "traffic: %v\n", err)
		os.Exit(1)
	}
}

func parseOptions(args []string, getenv func(string) string) (options, error) {
	var opts options
	fs := flag.NewFlagSet("traffic", flag.ContinueOnError)
	fs.StringVar(&opts.endpoint, "endpoint", "", "gateway URL, e.g. http://127.0.0.1:9000 (required)")
	fs.StringVar(&opts.profile, "profile", ostor.DefaultProfile, "release profile of the gateway: "+strings.Join(ostor.ProfileNames(), ", "))
	fs.StringVar(&opts.accessKey, "access-key", "", "access key ID of the gateway's system user (required); the secret is read from $"+secretEnv)
	fs.StringVar(&opts.email, "email", "", "email address of the S3 user whose key pair signs the traffic (required)")
	fs.StringVar(&opts.bucket, "bucket", "demo-photos", "bucket to create and fill")
	fs.DurationVar(&opts.usagePeriod, "usage-period", 0, "the gateway's usage-statistics period; when set, wait until the period of the last request has ended")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	switch {
	case fs.NArg() > 0:
		return opts, fmt.Errorf("unexpected argument %q: all options are flags", fs.Arg(0))
	case opts.endpoint == "":
		return opts, errors.New("missing -endpoint: set the gateway URL")
	case opts.accessKey == "":
		return opts, errors.New("missing -access-key: set the system user's access key ID")
	case opts.email == "":
		return opts, errors.New("missing -email: set the S3 user's email address")
	case opts.usagePeriod < 0 || opts.usagePeriod%time.Second != 0:
		return opts, fmt.Errorf("invalid -usage-period %s: use whole seconds such as 30s, or 0 to not wait", opts.usagePeriod)
	}
	opts.secretKey = getenv(secretEnv)
	if opts.secretKey == "" {
		return opts, fmt.Errorf("missing environment variable %s: set it to the system user's secret key", secretEnv)
	}
	return opts, nil
}

func run(ctx context.Context, opts options, stdout io.Writer) error {
	admin, err := ostor.New(ostor.Config{
		Endpoint:          opts.endpoint,
		AccessKeyID:       opts.accessKey,
		SecretAccessKey:   opts.secretKey,
		Profile:           opts.profile,
		AllowInsecureHTTP: strings.HasPrefix(opts.endpoint, "http://"),
	})
	if err != nil {
		return fmt.Errorf("gateway settings: %w", err)
	}
	user, err := admin.GetUser(ctx, ostor.ByEmail(opts.email))
	if err != nil {
		return fmt.Errorf("looking up the S3 user %q failed: %w", opts.email, err)
	}
	if len(user.AccessKeys) == 0 {
		return fmt.Errorf("the S3 user %q has no access key pair", opts.email)
	}
	key := user.AccessKeys[0]

	endpoint, err := url.Parse(opts.endpoint)
	if err != nil {
		return fmt.Errorf("invalid -endpoint %q: %w", opts.endpoint, err)
	}
	wire := &wireCounter{}
	client, err := minio.New(endpoint.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(key.AccessKeyID, key.SecretAccessKey.Reveal(), ""),
		Secure:       endpoint.Scheme == "https",
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
		Transport:    wire,
	})
	if err != nil {
		return fmt.Errorf("S3 client settings: %w", err)
	}

	fmt.Fprintf(stdout, "S3 user %s signs with its own access key %s (the secret key is not printed)\n", user.ID, key.AccessKeyID)
	if err := sendTraffic(ctx, client, opts.bucket, stdout); err != nil {
		return err
	}
	sent := wire.snapshot()
	fmt.Fprintf(stdout, "sent requests put/get/list/other %d/%d/%d/%d\n", sent.ops["put"], sent.ops["get"], sent.ops["list"], sent.ops["other"])
	fmt.Fprintf(stdout, "sent bytes uploaded %d\n", sent.uploaded)
	fmt.Fprintf(stdout, "sent bytes downloaded %d\n", sent.downloaded)

	if opts.usagePeriod > 0 {
		wait := time.Until(periodEnd(time.Now(), opts.usagePeriod))
		fmt.Fprintf(stdout, "waiting %s for the gateway's %s usage-statistics period to end\n", wait.Round(100*time.Millisecond), opts.usagePeriod)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// sendTraffic creates the bucket, uploads the demo objects, checks one,
// lists the bucket and downloads the photos.
func sendTraffic(ctx context.Context, client *minio.Client, bucket string, stdout io.Writer) error {
	if err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		return fmt.Errorf("creating the bucket %s failed: %w", bucket, err)
	}
	fmt.Fprintf(stdout, "  CreateBucket %s\n", bucket)

	for _, obj := range demoObjects {
		body := bytes.NewReader(make([]byte, obj.size))
		if _, err := client.PutObject(ctx, bucket, obj.key, body, int64(obj.size), minio.PutObjectOptions{}); err != nil {
			return fmt.Errorf("uploading %s/%s failed: %w", bucket, obj.key, err)
		}
		fmt.Fprintf(stdout, "  PutObject %s/%s, %d bytes\n", bucket, obj.key, obj.size)
	}

	info, err := client.StatObject(ctx, bucket, demoObjects[2].key, minio.StatObjectOptions{})
	if err != nil {
		return fmt.Errorf("checking %s/%s failed: %w", bucket, demoObjects[2].key, err)
	}
	fmt.Fprintf(stdout, "  HeadObject %s/%s, %d bytes\n", bucket, info.Key, info.Size)

	listed := 0
	for obj := range client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("listing %s failed: %w", bucket, obj.Err)
		}
		listed++
	}
	fmt.Fprintf(stdout, "  ListObjects %s, %d objects\n", bucket, listed)

	for _, obj := range demoObjects[:2] {
		reader, err := client.GetObject(ctx, bucket, obj.key, minio.GetObjectOptions{})
		if err != nil {
			return fmt.Errorf("downloading %s/%s failed: %w", bucket, obj.key, err)
		}
		n, err := io.Copy(io.Discard, reader)
		reader.Close()
		if err != nil {
			return fmt.Errorf("downloading %s/%s failed: %w", bucket, obj.key, err)
		}
		fmt.Fprintf(stdout, "  GetObject %s/%s, %d bytes\n", bucket, obj.key, n)
	}
	return nil
}

// periodEnd returns the end of the usage-statistics period that contains
// now. The fake gateway aligns periods to multiples of their length since
// the Unix epoch.
func periodEnd(now time.Time, period time.Duration) time.Time {
	seconds := int64(period / time.Second)
	return time.Unix((now.Unix()/seconds+1)*seconds, 0)
}

// wireCounter is an http.RoundTripper that counts the S3 requests and bytes
// a client sends and receives. Uploaded bytes are decoded payload bytes, not
// the chunk signatures of a streaming upload, and downloaded bytes are
// response body bytes, error bodies and XML listings included. Requests are
// put (object writes), get (object reads), list (bucket listings) or other,
// the way the fake gateway counts them.
type wireCounter struct {
	mu         sync.Mutex
	ops        map[string]int64
	uploaded   int64
	downloaded int64
}

func (c *wireCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	payload := max(req.ContentLength, 0)
	if decoded := req.Header.Get("X-Amz-Decoded-Content-Length"); decoded != "" {
		n, err := strconv.ParseInt(decoded, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid X-Amz-Decoded-Content-Length %q: %w", decoded, err)
		}
		payload = n
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}

	c.mu.Lock()
	if c.ops == nil {
		c.ops = make(map[string]int64)
	}
	c.ops[requestKind(req)]++
	c.uploaded += payload
	c.mu.Unlock()
	resp.Body = &countedBody{ReadCloser: resp.Body, counter: c}
	return resp, nil
}

// trafficTotals is a copy of the counts of a wireCounter.
type trafficTotals struct {
	ops        map[string]int64
	uploaded   int64
	downloaded int64
}

func (c *wireCounter) snapshot() trafficTotals {
	c.mu.Lock()
	defer c.mu.Unlock()
	ops := make(map[string]int64, len(c.ops))
	for kind, n := range c.ops {
		ops[kind] = n
	}
	return trafficTotals{ops: ops, uploaded: c.uploaded, downloaded: c.downloaded}
}

// requestKind names the usage counter of a path-style S3 request.
func requestKind(req *http.Request) string {
	_, key, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"), "/")
	query := req.URL.Query()
	switch {
	case key != "" && req.Method == http.MethodPut && len(query) == 0:
		return "put"
	case key != "" && req.Method == http.MethodGet && len(query) == 0:
		return "get"
	case key == "" && req.Method == http.MethodGet && (query.Get("list-type") == "2" || query.Has("versions") || query.Has("uploads")):
		return "list"
	default:
		return "other"
	}
}

// countedBody counts the bytes of a response body and drains it on Close,
// so the count is what the gateway sent.
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
