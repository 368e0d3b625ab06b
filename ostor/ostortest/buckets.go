package ostortest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// jsonBucket is one bucket of GET ?ostor-buckets.
type jsonBucket struct {
	Size struct {
		Current   int64 `json:"current"`
		HIntegral int64 `json:"h_integral"`
		HMax      int64 `json:"hmax"`
		LastTS    int64 `json:"last_ts"`
	} `json:"size"`
	Epoch        int64  `json:"epoch"`
	OwnerID      string `json:"owner_id"`
	Name         string `json:"name"`
	CreationDate string `json:"creation_date"`
}

func (b *bucket) toJSON() jsonBucket {
	var j jsonBucket
	j.Size.Current = b.current
	j.Size.HIntegral = b.hIntegral
	j.Size.HMax = b.hmax
	j.Size.LastTS = b.lastTS
	j.Epoch = b.epoch
	j.OwnerID = b.ownerID
	j.Name = b.name
	j.CreationDate = b.created.UTC().Format("2006-01-02T15:04:05.000Z")
	return j
}

func (b *bucket) toBucket() ostor.Bucket {
	return ostor.Bucket{
		Name: b.name, OwnerID: b.ownerID, CreationDate: b.created.UTC().Truncate(time.Millisecond),
		CreationDateRaw: b.created.UTC().Format("2006-01-02T15:04:05.000Z"), Epoch: b.epoch,
		Size: ostor.BucketSize{Current: b.current, HMax: b.hmax, HIntegral: b.hIntegral, LastTS: b.lastTS},
	}
}

func handleBucketsList(s *state, g *Gateway, a args) (result, bool, *apiError) {
	list := []jsonBucket{}
	var ownerID string
	if a.has("emailAddress") || a.has("id") {
		u, err := findUser(s, a)
		if err != nil {
			return result{}, false, err
		}
		ownerID = u.id
	}
	for _, b := range s.buckets {
		if ownerID == "" || b.ownerID == ownerID {
			list = append(list, b.toJSON())
		}
	}
	return result{body: map[string]any{"Buckets": list}}, false, nil
}

// handleBucketsGet serves &bucket=<name> and &multi with a JSON array of
// names as the body. Unknown names in a multi request are left out.
func handleBucketsGet(s *state, g *Gateway, a args) (result, bool, *apiError) {
	var names []string
	if name, ok := a.value("bucket"); ok {
		if a.has("multi") {
			return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "give at most one of bucket and multi")
		}
		if s.bucketByName(name) == nil {
			return result{}, false, errorf(http.StatusNotFound, "NoSuchBucket", "no bucket %q", name)
		}
		names = []string{name}
	} else if err := json.Unmarshal(a.body, &names); err != nil {
		return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "multi needs a JSON array of bucket names as the body")
	}

	list := []jsonBucket{}
	for _, name := range names {
		if b := s.bucketByName(name); b != nil {
			list = append(list, b.toJSON())
		}
	}
	return result{body: map[string]any{"Buckets": list}}, false, nil
}

// AddBucket creates a bucket owned by the user with the given ID, holding
// sizeBytes bytes, as if the owner had created it through the S3 API. It
// panics on an unknown owner or a duplicate name.
func (g *Gateway) AddBucket(ownerID, name string, sizeBytes int64) ostor.Bucket {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.state.userByID(ownerID) == nil {
		panic(fmt.Sprintf("ostortest: AddBucket: no user with id %q", ownerID))
	}
	if g.state.bucketByName(name) != nil {
		panic(fmt.Sprintf("ostortest: AddBucket: bucket %q exists", name))
	}
	now := g.now()
	b := &bucket{name: name, ownerID: ownerID, created: now}
	g.state.buckets = append(g.state.buckets, b)
	b.resize(sizeBytes, now)
	return b.toBucket()
}

// SetBucketSize changes the bytes stored in a bucket. It panics on an unknown
// bucket.
func (g *Gateway) SetBucketSize(name string, sizeBytes int64) ostor.Bucket {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.state.bucketByName(name)
	if b == nil {
		panic(fmt.Sprintf("ostortest: SetBucketSize: no bucket %q", name))
	}
	b.resize(sizeBytes, g.now())
	return b.toBucket()
}

// DeleteBucket removes a bucket, as its owner would through the S3 API. It
// reports whether the bucket existed.
func (g *Gateway) DeleteBucket(name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state.removeBucket(name)
}

// resize sets the current size. In a new hour the peak and the integral
// restart. Within the hour the integral adds the previous size times the
// seconds it was stored.
// NOTE: this models hmax and h_integral on their apparent meaning, because the
// vendor does not document how the gateway computes them.
func (b *bucket) resize(sizeBytes int64, now time.Time) {
	hour := now.Unix() / 3600
	if hour != b.lastTS {
		b.hmax = 0
		b.hIntegral = 0
	} else {
		b.hIntegral += b.current * int64(now.Sub(b.changed).Seconds())
	}
	b.current = sizeBytes
	b.hmax = max(b.hmax, sizeBytes)
	b.lastTS = hour
	b.changed = now
}
