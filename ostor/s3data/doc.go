// Package s3data empties and deletes buckets through the S3 data API of an
// ostor gateway, signed with the bucket owner's own access key pair.
//
// The admin API cannot delete a bucket that holds objects, and a user that
// owns buckets cannot be deleted, so terminating a storage service that
// should lose its data first calls Purge with the owner's key pair and the
// names of the owner's buckets.
//
// The package knows nothing of WHMCS or RPC and logs nothing. No error value
// holds the secret access key or an Authorization header.
package s3data
