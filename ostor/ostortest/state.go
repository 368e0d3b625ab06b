package ostortest

import (
	"crypto/rand"
	"io"
	"net/http"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// maxKeyPairs is the documented limit of key pairs per user or account.
const maxKeyPairs = 2

// maxRequestBody bounds the request bodies the fake reads.
const maxRequestBody = 1 << 20

// state is the gateway's data. Gateway.mu guards it.
type state struct {
	users []*user // in creation order
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
	return &state{}
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

func (s *state) deleteUser(target *user) {
	kept := s.users[:0]
	for _, u := range s.users {
		if u != target {
			kept = append(kept, u)
		}
	}
	s.users = kept
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
