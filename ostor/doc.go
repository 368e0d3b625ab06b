// Package ostor is a client for the system (admin) REST API of the object
// storage S3 gateway in Acronis Storage, Acronis Cyber Infrastructure and
// Virtuozzo Hybrid Infrastructure ("ostor").
//
// The admin API lives on the S3 endpoint itself. Every call targets the path
// "/" and names the service as the first, value-less query key, for example
// "/?ostor-users&emailAddress=user%40example.com". Requests are signed with
// AWS Signature Version 2 using the key pair of an S3 system user (created
// with "ostor-s3-admin create-user -S"). Only "/?ostor-<service>" is covered
// by the signature, so anyone who sees one signed request can replay its
// Authorization and Date headers with other parameters while the Date is
// accepted. For that reason New rejects plain http:// endpoints unless
// Config.AllowInsecureHTTP is set.
//
// The API differs between releases, so a Client speaks one release profile
// (see LookupProfile). Each operation has a stable name such as "users.genKey".
// The names are the keys of Config.Methods and of the fault injection in
// package ostortest.
//
// Errors can be matched with errors.Is against the Err* sentinels and taken
// apart with errors.As into *APIError, *DecodeError or *ConfigError. No error
// value holds the Authorization header, a secret key or a raw response body
// of the user and account services, because those bodies contain secret keys.
//
// The package logs nothing.
package ostor
