package ostortest

import (
	"crypto/rand"
	"io"
	"net/http"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// maxKeyPairs is the documented limit of key pairs per user or account.
const maxKeyPairs = 2

// maxRequestBody bounds the request bodies the fake reads.
const maxRequestBody = 1 << 20

// state is the gateway's data. Gateway.mu guards it.
type state struct {
	users   []*user   // in creation order
	buckets []*bucket // in creation order
	// limits maps a target ("user:<id>" or "bucket:<name>") to its limits,
	// keyed like the reply ("ops:get"). Absent keys are 0, unlimited.
	limits map[string]map[string]float64
	// quotas maps "user:<id>", "bucket:<name>" or "default:user|bucket" to
	// gigabytes. Absent targets are 0, unlimited.
	quotas map[string]int64
	usage  map[string]*usageObject // by object name
}

type bucket struct {
	name      string
	ownerID   string
	created   time.Time
	epoch     int64
	current   int64
	hmax      int64
	hIntegral int64
	lastTS    int64     // hours since the Unix epoch
	changed   time.Time // time of the last resize
	// objects and uploads are the S3 data of the bucket. The bytes of
	// AddBucket and SetBucketSize are not backed by objects.
	objects map[string]*s3Object
	uploads []*multipartUpload
}

type usageObject struct {
	name      string
	serviceID string
	start     time.Time
	period    int64
	items     []ostor.UsageItem
}

type user struct {
	email    string
	id       string
	state    string
	ownerID  string
	flags    []string
	keys     []keyPair
	accounts []*account
}

type account struct {
	name string
	keys []keyPair
}

type keyPair struct {
	id     string
	secret string
}

func newState() *state {
	return &state{
		limits: make(map[string]map[string]float64),
		quotas: make(map[string]int64),
		usage:  make(map[string]*usageObject),
	}
}

func (s *state) bucketByName(name string) *bucket {
	for _, b := range s.buckets {
		if b.name == name {
			return b
		}
	}
	return nil
}

func (s *state) bucketsOf(ownerID string) []*bucket {
	var out []*bucket
	for _, b := range s.buckets {
		if b.ownerID == ownerID {
			out = append(out, b)
		}
	}
	return out
}

func (s *state) userByEmail(email string) *user {
	for _, u := range s.users {
		if u.email == email {
			return u
		}
	}
	return nil
}

func (s *state) userByID(id string) *user {
	for _, u := range s.users {
		if u.id == id {
			return u
		}
	}
	return nil
}

func (s *state) newUser(email string) *user {
	id := randomHex(16)
	for s.userByID(id) != nil {
		id = randomHex(16)
	}
	u := &user{email: email, id: id, state: ostor.StateEnabled, ownerID: "0000000000000000", flags: []string{}}
	u.keys = append(u.keys, newKeyPair(id))
	s.users = append(s.users, u)
	return u
}

// deleteUser removes the user with its limits and quota.
func (s *state) deleteUser(target *user) {
	kept := s.users[:0]
	for _, u := range s.users {
		if u != target {
			kept = append(kept, u)
		}
	}
	s.users = kept
	delete(s.limits, "user:"+target.id)
	delete(s.quotas, "user:"+target.id)
}

// newKeyPair returns a pair whose ID is the user ID plus four characters, as
// the gateway generates them, and a 40-character secret.
func newKeyPair(userID string) keyPair {
	return keyPair{id: userID + randomString(upperDigits, 4), secret: randomString(alphaDigits, 40)}
}

func (u *user) toUser() ostor.User {
	out := ostor.User{
		Email:        u.email,
		ID:           u.id,
		State:        u.state,
		OwnerID:      u.ownerID,
		Flags:        append([]string{}, u.flags...),
		AccessKeys:   toKeyPairs(u.keys),
		AccountCount: int64(len(u.accounts)),
	}
	for _, a := range u.accounts {
		out.Accounts = append(out.Accounts, ostor.Account{Name: a.name, AccessKeys: toKeyPairs(a.keys)})
	}
	return out
}

func toKeyPairs(keys []keyPair) []ostor.KeyPair {
	out := []ostor.KeyPair{}
	for _, k := range keys {
		out = append(out, ostor.KeyPair{AccessKeyID: k.id, SecretAccessKey: ostor.Secret(k.secret)})
	}
	return out
}

// Users returns a deep copy of every user, in creation order, including
// secret keys. The system user whose key signs requests is not among them.
func (g *Gateway) Users() []ostor.User {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]ostor.User, 0, len(g.state.users))
	for _, u := range g.state.users {
		out = append(out, u.toUser())
	}
	return out
}

// AddUser creates a user directly, without a request, and returns it.
func (g *Gateway) AddUser(email string) ostor.User {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state.newUser(email).toUser()
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	alphaDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	hexDigits   = "0123456789abcdef"
)

func randomHex(n int) string { return randomString(hexDigits, n) }

// randomString returns n characters drawn uniformly from alphabet using
// crypto/rand.
func randomString(alphabet string, n int) string {
	out := make([]byte, n)
	buf := make([]byte, 1)
	limit := 256 - 256%len(alphabet)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic("ostortest: crypto/rand failed: " + err.Error())
		}
		if int(buf[0]) >= limit {
			continue
		}
		out[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(out)
}

func readBody(r *http.Request) []byte {
	data, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	return data
}
