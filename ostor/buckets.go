package ostor

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
)

// Bucket is one bucket as GET ?ostor-buckets returns it.
type Bucket struct {
	Name    string
	OwnerID string // UserId of the owner
	// CreationDate is parsed from creation_date. CreationDateRaw keeps the
	// text in case it was not ISO 8601.
	CreationDate    time.Time
	CreationDateRaw string
	Epoch           int64 // bucket generation, also found in usage keys
	Size            BucketSize
}

// BucketSize is the size record of a bucket. Only Current and HMax have a
// documented meaning.
type BucketSize struct {
	Current int64 // bytes stored now
	HMax    int64 // peak bytes over the past hour
	// HIntegral appears to be bytes × time within the hour.
	// NOTE: the vendor does not document its unit.
	HIntegral int64
	// LastTS is the hour of the last size update, in hours since the Unix
	// epoch (UTC). The vendor does not state this, but every sample bucket
	// matches the hour of its creation_date.
	LastTS int64
}

// wireBuckets is the reply of GET ?ostor-buckets (VHI 6.2 sample):
//
//	{"Buckets":[{"size":{"current":12288,"h_integral":7360512,"hmax":12288,"last_ts":424241},
//	  "epoch":0,"owner_id":"ba7eba06129464c5","name":"bucket1","creation_date":"2018-05-25T17:12:00.000Z"}]}
type wireBuckets struct {
	Buckets *[]wireBucket `json:"Buckets"`
}

type wireBucket struct {
	Size struct {
		Current   flexInt `json:"current"`
		HIntegral flexInt `json:"h_integral"`
		HMax      flexInt `json:"hmax"`
		LastTS    flexInt `json:"last_ts"`
	} `json:"size"`
	Epoch        flexInt `json:"epoch"`
	OwnerID      string  `json:"owner_id"`
	Name         string  `json:"name"`
	CreationDate string  `json:"creation_date"`
}

func (w wireBucket) toBucket() Bucket {
	b := Bucket{
		Name:            w.Name,
		OwnerID:         w.OwnerID,
		CreationDateRaw: w.CreationDate,
		Epoch:           int64(w.Epoch),
		Size: BucketSize{
			Current:   int64(w.Size.Current),
			HMax:      int64(w.Size.HMax),
			HIntegral: int64(w.Size.HIntegral),
			LastTS:    int64(w.Size.LastTS),
		},
	}
	if t, err := time.Parse(time.RFC3339Nano, w.CreationDate); err == nil {
		b.CreationDate = t
	}
	return b
}

// ListBuckets returns every bucket: GET /?ostor-buckets.
func (c *Client) ListBuckets(ctx context.Context) ([]Bucket, error) {
	return c.listBuckets(ctx, OpBucketsList, newQuery("buckets"), nil)
}

// ListUserBuckets returns the buckets the user owns:
// GET /?ostor-buckets&emailAddress=…|id=…. A user must own no bucket before
// DeleteUser succeeds.
func (c *Client) ListUserBuckets(ctx context.Context, owner UserRef) ([]Bucket, error) {
	if err := owner.validate(OpBucketsList); err != nil {
		return nil, err
	}
	return c.listBuckets(ctx, OpBucketsList, owner.addTo(newQuery("buckets")), nil)
}

// GetBucket returns one bucket: GET /?ostor-buckets&bucket=<name> (VHI 6.3+).
// A missing bucket yields an error that matches ErrNotFound.
func (c *Client) GetBucket(ctx context.Context, name string) (Bucket, error) {
	if err := c.requireFeature(OpBucketsGet, c.profile.BucketSelect, "the bucket selector needs VHI 6.3 or later"); err != nil {
		return Bucket{}, err
	}
	if err := validateName(OpBucketsGet, "bucket name", name); err != nil {
		return Bucket{}, err
	}
	buckets, err := c.listBuckets(ctx, OpBucketsGet, newQuery("buckets").set("bucket", name), nil)
	if err != nil {
		return Bucket{}, err
	}
	for _, b := range buckets {
		if b.Name == name {
			return b, nil
		}
	}
	return Bucket{}, &APIError{Op: OpBucketsGet, Method: c.profile.Methods[OpBucketsGet], Status: 404, Message: "the reply does not list bucket " + name}
}

// GetBuckets returns several buckets in one request:
// GET /?ostor-buckets&multi with the JSON array of names as the body
// (VHI 6.3+).
//
// NOTE: the vendor shows this only as an s3_curl call with a body file, so how
// the gateway treats Content-Type on this GET is unconfirmed.
func (c *Client) GetBuckets(ctx context.Context, names []string) ([]Bucket, error) {
	if err := c.requireFeature(OpBucketsGet, c.profile.BucketSelect, "the multi selector needs VHI 6.3 or later"); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, invalidArgument(OpBucketsGet, "no bucket names given")
	}
	for _, name := range names {
		if err := validateName(OpBucketsGet, "bucket name", name); err != nil {
			return nil, err
		}
	}
	body, err := json.Marshal(names)
	if err != nil {
		return nil, invalidArgument(OpBucketsGet, "encoding bucket names failed: %v", err)
	}
	return c.listBuckets(ctx, OpBucketsGet, newQuery("buckets").flag("multi"), body)
}

func (c *Client) listBuckets(ctx context.Context, op string, q *query, body []byte) ([]Bucket, error) {
	resp, err := c.call(ctx, op, q, body)
	if err != nil {
		return nil, err
	}
	wire, err := decodeBuckets(op, resp)
	if err != nil {
		return nil, err
	}
	buckets := make([]Bucket, 0, len(wire))
	for _, w := range wire {
		buckets = append(buckets, w.toBucket())
	}
	return buckets, nil
}

// decodeBuckets accepts {"Buckets":[…]}, a bare array and a single bucket
// object, because the reply shape of the bucket selector is not documented.
func decodeBuckets(op string, resp *response) ([]wireBucket, error) {
	body := bytes.TrimSpace(resp.body)
	if err := checkJSONBody(op, resp, body); err != nil {
		return nil, err
	}
	if body[0] == '[' {
		var list []wireBucket
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, newDecodeError(op, resp, err)
		}
		return list, nil
	}

	var wrapped wireBuckets
	if err := json.Unmarshal(body, &wrapped); err != nil {
		return nil, newDecodeError(op, resp, err)
	}
	if wrapped.Buckets != nil {
		return *wrapped.Buckets, nil
	}
	var single wireBucket
	if err := json.Unmarshal(body, &single); err != nil {
		return nil, newDecodeError(op, resp, err)
	}
	if single.Name == "" {
		return nil, &DecodeError{Op: op, Status: resp.status, ContentType: resp.contentType, Reason: `JSON object has neither a "Buckets" array nor a bucket name`}
	}
	return []wireBucket{single}, nil
}
