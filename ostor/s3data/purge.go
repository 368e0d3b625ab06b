package s3data

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Config selects the S3 endpoint and the key pair that Purge signs with.
// Endpoint, AccessKeyID and SecretAccessKey are required.
type Config struct {
	// Endpoint is the S3 gateway URL, such as "https://s3.example.com", with
	// no path, query or credentials. Buckets are addressed path-style
	// ("/bucket/key"). http:// is rejected unless AllowInsecureHTTP is set.
	Endpoint string
	// Region is the signing region of Signature Version 4. Empty means
	// DefaultRegion.
	Region string
	// AccessKeyID and SecretAccessKey are a key pair of the user that owns
	// the buckets.
	AccessKeyID     string
	SecretAccessKey string
	// AllowInsecureHTTP permits an http:// endpoint. Use it only on loopback
	// or in tests.
	AllowInsecureHTTP bool
	// CAFile is an optional PEM bundle that replaces the system roots for the
	// gateway's TLS certificate. It cannot be combined with HTTPClient.
	CAFile string
	// HTTPClient sends the requests. Nil means a pooled client built from
	// CAFile. Its Timeout, if any, applies on top of Timeout.
	HTTPClient *http.Client
	// Timeout bounds each request, including reading the response. Zero
	// means DefaultTimeout.
	Timeout time.Duration
}

// Report lists what Purge did, one entry per requested bucket in request
// order. A bucket that failed is present with the counts reached so far.
type Report struct {
	Buckets []BucketReport
}

// BucketReport is the outcome for one bucket.
type BucketReport struct {
	// Name is the bucket name as requested.
	Name string
	// ObjectsDeleted counts the objects, object versions and delete markers
	// removed by this call.
	ObjectsDeleted int64
	// Deleted is true when the bucket no longer exists, including when it did
	// not exist before the call.
	Deleted bool
}

// Purge deletes every object of each named bucket and then the bucket. A
// bucket that does not exist counts as deleted, so Purge can be repeated
// after a crash or a failure. Bucket names are validated before any request
// is sent. Purge stops at the first bucket that fails and returns the report
// so far together with an error that names the bucket.
func Purge(ctx context.Context, cfg Config, buckets []string) (Report, error) {
	return Report{}, errors.New("s3data: Purge is not implemented yet")
}
