package s3data

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"
)

// Steps of a purge, as named in BucketError.Step.
const (
	stepListVersions  = "listing object versions"
	stepListObjects   = "listing objects"
	stepDeleteObjects = "deleting objects"
	stepAbortUploads  = "aborting multipart uploads"
	stepDeleteBucket  = "deleting the bucket"
)

// ErrAccessDenied matches a BucketError caused by the key pair: an unknown
// access key ID, a wrong secret key, a disabled user or a bucket owned by
// someone else.
var ErrAccessDenied = errors.New("s3data: access denied")

// BucketError reports the step of purging one bucket that failed. Objects
// deleted before the failure stay deleted, so running Purge again continues
// where it stopped.
type BucketError struct {
	Bucket string
	// Step is the failed step, such as "deleting objects".
	Step string
	// Code and StatusCode are the S3 error code and HTTP status of the
	// gateway's response. Both are empty when no response arrived.
	Code       string
	StatusCode int
	// Hint is the next step for the operator.
	Hint string
	Err  error
}

func (e *BucketError) Error() string {
	cause := e.Err.Error()
	if e.Code != "" {
		cause = fmt.Sprintf("%s (HTTP %d %s)", strings.TrimSuffix(cause, "."), e.StatusCode, e.Code)
	}
	return fmt.Sprintf("s3data: purge of bucket %q failed while %s: %s. %s", e.Bucket, e.Step, cause, e.Hint)
}

func (e *BucketError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrAccessDenied) true for errors caused by the
// key pair.
func (e *BucketError) Is(target error) bool {
	return target == ErrAccessDenied && isAuthCode(e.Code)
}

func isAuthCode(code string) bool {
	switch code {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
		return true
	}
	return false
}

// newBucketError wraps err with the bucket, the step and a hint for the
// operator chosen from the S3 error code.
func newBucketError(ctx context.Context, bucket, step string, err error) *BucketError {
	e := &BucketError{Bucket: bucket, Step: step, Err: err}
	var response minio.ErrorResponse
	if errors.As(err, &response) && response.Code != "" {
		e.Code, e.StatusCode = response.Code, response.StatusCode
	}

	switch {
	case e.Code == "InvalidAccessKeyId":
		e.Hint = "The gateway does not know the access key ID: use a current key pair of the bucket owner."
	case e.Code == "SignatureDoesNotMatch":
		e.Hint = "The secret key does not match the access key ID, or Region differs from the gateway's: use the owner's current key pair and the gateway's region."
	case e.Code == "AccessDenied":
		e.Hint = "The key pair may not empty this bucket: enable the owner if it is disabled, and use a key pair of the user that owns the bucket."
	case e.Code == "RequestTimeTooSkewed":
		e.Hint = "The clocks of this host and the gateway differ too much: synchronize them with NTP."
	case ctx.Err() != nil:
		e.Hint = "The purge was canceled or timed out: run it again, and it continues where it stopped."
	case e.StatusCode >= http.StatusInternalServerError || e.Code == "":
		e.Hint = "The gateway failed or could not be reached: run the purge again when it is available, and it continues where it stopped."
	default:
		e.Hint = "Fix the cause and run the purge again, which continues where it stopped."
	}
	return e
}

// isCode reports whether err is an S3 error response with the given code.
func isCode(err error, code string) bool {
	var response minio.ErrorResponse
	return errors.As(err, &response) && response.Code == code
}
