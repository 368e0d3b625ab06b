package s3data

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"
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

// maxPasses is the number of times Purge empties a bucket that is still not
// empty when it is deleted, because its owner kept writing to it.
const maxPasses = 3

// Purge deletes every object, object version and unfinished multipart upload
// of each named bucket, and then the bucket. A bucket that does not exist
// counts as deleted, so Purge can be repeated after a crash or a failure.
// The Config and every bucket name are validated before any request is sent.
// Purge stops at the first bucket that fails and returns the report so far
// with a *BucketError that names the bucket.
func Purge(ctx context.Context, cfg Config, buckets []string) (Report, error) {
	for _, name := range buckets {
		if err := ValidateBucketName(name); err != nil {
			return Report{}, err
		}
	}
	client, err := newClient(cfg)
	if err != nil {
		return Report{}, err
	}

	report := Report{Buckets: make([]BucketReport, 0, len(buckets))}
	for _, name := range buckets {
		bucket, err := purgeBucket(ctx, client, name)
		report.Buckets = append(report.Buckets, bucket)
		if err != nil {
			return report, err
		}
	}
	return report, nil
}

// purgeBucket empties one bucket and deletes it.
func purgeBucket(ctx context.Context, client *minio.Core, name string) (BucketReport, error) {
	report := BucketReport{Name: name}
	for pass := 1; ; pass++ {
		deleted, step, err := deleteAllObjects(ctx, client, name)
		report.ObjectsDeleted += deleted
		if isCode(err, "NoSuchBucket") {
			report.Deleted = true
			return report, nil
		}
		if err != nil {
			return report, newBucketError(ctx, name, step, err)
		}

		if err := abortUploads(ctx, client, name); isCode(err, "NoSuchBucket") {
			report.Deleted = true
			return report, nil
		} else if err != nil {
			return report, newBucketError(ctx, name, stepAbortUploads, err)
		}

		err = client.RemoveBucket(ctx, name)
		switch {
		case err == nil, isCode(err, "NoSuchBucket"):
			report.Deleted = true
			return report, nil
		case isCode(err, "BucketNotEmpty") && pass < maxPasses:
			continue
		case isCode(err, "BucketNotEmpty"):
			return report, &BucketError{Bucket: name, Step: stepDeleteBucket, Code: "BucketNotEmpty", StatusCode: http.StatusConflict, Err: err,
				Hint: fmt.Sprintf("the bucket was still not empty after %d passes, so something keeps writing to it: disable its owner and run the purge again", maxPasses)}
		default:
			return report, newBucketError(ctx, name, stepDeleteBucket, err)
		}
	}
}

// deleteAllObjects deletes every object version of a bucket, in batches of
// up to 1000 keys per multi-object delete. It returns the number deleted and
// the step that failed, if any.
func deleteAllObjects(ctx context.Context, client *minio.Core, bucket string) (int64, string, error) {
	deleted, listed, step, err := deleteListed(ctx, client, bucket, true)
	if err != nil && listed == 0 && step == stepListVersions && isCode(err, "NotImplemented") {
		// A gateway without versioning support may reject ?versions, and
		// then a plain listing finds every object.
		deleted, _, step, err = deleteListed(ctx, client, bucket, false)
	}
	return deleted, step, err
}

// deleteListed lists a bucket, with or without versions, and deletes what
// the listing returns while it pages through it.
func deleteListed(ctx context.Context, client *minio.Core, bucket string, withVersions bool) (deleted, listed int64, step string, err error) {
	listStep := stepListObjects
	if withVersions {
		listStep = stepListVersions
	}
	var listErr error
	objects := func(yield func(minio.ObjectInfo) bool) {
		for obj := range client.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: withVersions}) {
			if obj.Err != nil {
				listErr = obj.Err
				return
			}
			listed++
			if !yield(obj) {
				return
			}
		}
	}

	results, err := client.RemoveObjectsWithIter(ctx, bucket, objects, minio.RemoveObjectsOptions{})
	if err != nil {
		return 0, 0, stepDeleteObjects, err
	}
	var deleteErr error
	for result := range results {
		if result.Err != nil {
			if deleteErr == nil {
				deleteErr = result.Err
			}
			continue
		}
		deleted++
	}

	switch {
	case deleteErr != nil:
		return deleted, listed, stepDeleteObjects, deleteErr
	case listErr != nil:
		return deleted, listed, listStep, listErr
	case ctx.Err() != nil:
		return deleted, listed, stepDeleteObjects, ctx.Err()
	}
	return deleted, listed, "", nil
}

// abortUploads aborts every unfinished multipart upload of a bucket, so
// their stored parts are freed with the bucket.
func abortUploads(ctx context.Context, client *minio.Core, bucket string) error {
	keyMarker, uploadIDMarker := "", ""
	for {
		page, err := client.ListMultipartUploads(ctx, bucket, "", keyMarker, uploadIDMarker, "", 1000)
		if err != nil {
			return err
		}
		for _, upload := range page.Uploads {
			err := client.AbortMultipartUpload(ctx, bucket, upload.Key, upload.UploadID)
			if err != nil && !isCode(err, "NoSuchUpload") {
				return err
			}
		}
		if !page.IsTruncated {
			return nil
		}
		if page.NextKeyMarker == keyMarker && page.NextUploadIDMarker == uploadIDMarker {
			return fmt.Errorf("the multipart upload listing repeats the markers %q and %q, so it would never end", keyMarker, uploadIDMarker)
		}
		keyMarker, uploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}
