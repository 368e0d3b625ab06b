// Package s3data empties and deletes buckets through the S3 data API of an
// ostor gateway, signed with the bucket owner's own access key pair.
//
// A user that owns buckets cannot be deleted, and the gateway deletes only
// empty buckets. So before a storage service and its data are deleted, Purge
// runs with the owner's key pair and the names of the owner's buckets.
//
// The package does not depend on WHMCS or RPC code, and it logs nothing. No
// error value holds the secret access key or an Authorization header.
package s3data
