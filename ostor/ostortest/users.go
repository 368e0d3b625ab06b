package ostortest

import (
	"net/http"
	"strconv"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// JSON shapes of the users service, as documented per release.

type jsonKeyPair struct {
	AWSAccessKeyID     string `json:"AWSAccessKeyId"`
	AWSSecretAccessKey string `json:"AWSSecretAccessKey"`
}

// jsonUserKeys is the create and genKey reply:
// {"UserEmail":…,"UserId":…,"AWSAccessKeys":[…]}.
type jsonUserKeys struct {
	UserEmail     string        `json:"UserEmail"`
	UserID        string        `json:"UserId"`
	AWSAccessKeys []jsonKeyPair `json:"AWSAccessKeys"`
}

type jsonAccount struct {
	Name          string        `json:"Name"`
	AWSAccessKeys []jsonKeyPair `json:"AWSAccessKeys"`
}

// jsonUserInfo is the reply to GET ?ostor-users&emailAddress=…. AccountCount
// is a string and appears, with Accounts, from VHI 5.0 on.
type jsonUserInfo struct {
	UserEmail     string        `json:"UserEmail"`
	UserID        string        `json:"UserId"`
	State         string        `json:"State"`
	OwnerID       string        `json:"OwnerId"`
	Flags         []string      `json:"Flags"`
	AWSAccessKeys []jsonKeyPair `json:"AWSAccessKeys"`
	AccountCount  string        `json:"AccountCount,omitempty"`
	Accounts      []jsonAccount `json:"Accounts,omitempty"`
}

// jsonUserSummary is one entry of the user list.
type jsonUserSummary struct {
	UserEmail string         `json:"UserEmail"`
	UserID    string         `json:"UserId"`
	State     string         `json:"State"`
	OwnerID   string         `json:"OwnerId"`
	Flags     []string       `json:"Flags,omitempty"`
	SpaceStat *jsonSpaceStat `json:"SpaceStat,omitempty"`
}

type jsonSpaceStat struct {
	LastTs   int64 `json:"LastTs"`
	SizeCurr int64 `json:"SizeCurr"`
	SizeHMax int64 `json:"SizeHMax"`
	SizeHInt int64 `json:"SizeHInt"`
}

func jsonKeys(keys []keyPair) []jsonKeyPair {
	out := []jsonKeyPair{}
	for _, k := range keys {
		out = append(out, jsonKeyPair{AWSAccessKeyID: k.id, AWSSecretAccessKey: k.secret})
	}
	return out
}

// findUser resolves exactly one of emailAddress or id.
func findUser(s *state, a args) (*user, *apiError) {
	email, byEmail := a.value("emailAddress")
	id, byID := a.value("id")
	switch {
	case byEmail && byID:
		return nil, errorf(http.StatusBadRequest, "InvalidArgument", "give at most one of emailAddress and id")
	case byEmail:
		if u := s.userByEmail(email); u != nil {
			return u, nil
		}
		return nil, errorf(http.StatusNotFound, "NoSuchUser", "no user with email address %q", email)
	case byID:
		if u := s.userByID(id); u != nil {
			return u, nil
		}
		return nil, errorf(http.StatusNotFound, "NoSuchUser", "no user with id %q", id)
	}
	return nil, errorf(http.StatusBadRequest, "InvalidArgument", "missing emailAddress or id")
}

func handleUsersList(s *state, g *Gateway, a args) (result, bool, *apiError) {
	list := []jsonUserSummary{}
	for _, u := range s.users {
		entry := jsonUserSummary{UserEmail: u.email, UserID: u.id, State: u.state, OwnerID: u.ownerID}
		if g.profile.Name == ostor.ProfileVHI63 {
			entry.Flags = append([]string{}, u.flags...)
		}
		if a.has("space") {
			entry.SpaceStat = s.spaceStat(u, g)
		}
		list = append(list, entry)
	}
	// A live VHI 6.x gateway answered {"Users":[…]}, while the documentation of
	// every release shows a bare array.
	if g.profile.Name == ostor.ProfileVHI63 {
		return result{body: map[string]any{"Users": list}}, false, nil
	}
	return result{body: list}, false, nil
}

func handleUsersGet(s *state, g *Gateway, a args) (result, bool, *apiError) {
	u, err := findUser(s, a)
	if err != nil {
		return result{}, false, err
	}
	info := jsonUserInfo{
		UserEmail: u.email, UserID: u.id, State: u.state, OwnerID: u.ownerID,
		Flags: append([]string{}, u.flags...), AWSAccessKeys: jsonKeys(u.keys),
	}
	if g.profile.Name != ostor.ProfileAS2 {
		info.AccountCount = strconv.Itoa(len(u.accounts))
		for _, acc := range u.accounts {
			info.Accounts = append(info.Accounts, jsonAccount{Name: acc.name, AWSAccessKeys: jsonKeys(acc.keys)})
		}
	}
	return result{body: info}, false, nil
}

func handleUsersCreate(s *state, g *Gateway, a args) (result, bool, *apiError) {
	email, ok := a.value("emailAddress")
	if !ok || email == "" {
		return result{}, false, errorf(http.StatusBadRequest, "InvalidArgument", "missing emailAddress")
	}
	if !g.allowDuplicateEmails && s.userByEmail(email) != nil {
		return result{}, false, errorf(http.StatusConflict, "UserAlreadyExists", "a user with email address %q already exists", email)
	}
	u := s.newUser(email)
	return result{body: jsonUserKeys{UserEmail: u.email, UserID: u.id, AWSAccessKeys: jsonKeys(u.keys)}}, true, nil
}

// handleUsersGenKey answers with every key pair on as2 (the AS 2.4 sample)
// and with only the new pair on VHI (the StaaS guide sample).
func handleUsersGenKey(s *state, g *Gateway, a args) (result, bool, *apiError) {
	u, err := findUser(s, a)
	if err != nil {
		return result{}, false, err
	}
	pair, err := addKeyPair(&u.keys, u.id, "user "+u.id)
	if err != nil {
		return result{}, false, err
	}
	answered := []keyPair{pair}
	if g.profile.Name == ostor.ProfileAS2 {
		answered = u.keys
	}
	return result{body: jsonUserKeys{UserEmail: u.email, UserID: u.id, AWSAccessKeys: jsonKeys(answered)}}, true, nil
}

func handleUsersRevokeKey(s *state, g *Gateway, a args) (result, bool, *apiError) {
	u, err := findUser(s, a)
	if err != nil {
		return result{}, false, err
	}
	keyID, _ := a.value("revokeKey")
	if err := revokeKeyPair(&u.keys, keyID, "user "+u.id); err != nil {
		return result{}, false, err
	}
	return result{}, true, nil
}

// addKeyPair issues a key pair of user userID into keys, unless keys holds
// the maximum already. owner names the holder of keys in the error.
func addKeyPair(keys *[]keyPair, userID, owner string) (keyPair, *apiError) {
	if len(*keys) >= maxKeyPairs {
		return keyPair{}, errorf(http.StatusConflict, "TooManyAccessKeys", "%s already has %d access key pairs, the maximum", owner, maxKeyPairs)
	}
	pair := newKeyPair(userID)
	*keys = append(*keys, pair)
	return pair, nil
}

// revokeKeyPair removes the pair keyID from keys. owner names the holder of
// keys in the error.
func revokeKeyPair(keys *[]keyPair, keyID, owner string) *apiError {
	for i, k := range *keys {
		if k.id == keyID {
			*keys = append((*keys)[:i:i], (*keys)[i+1:]...)
			return nil
		}
	}
	return errorf(http.StatusNotFound, "NoSuchAccessKey", "%s has no access key %q", owner, keyID)
}

func handleUsersDisable(s *state, g *Gateway, a args) (result, bool, *apiError) {
	return setUserState(s, a, ostor.StateDisabled)
}

func handleUsersEnable(s *state, g *Gateway, a args) (result, bool, *apiError) {
	return setUserState(s, a, ostor.StateEnabled)
}

func setUserState(s *state, a args, newState string) (result, bool, *apiError) {
	u, err := findUser(s, a)
	if err != nil {
		return result{}, false, err
	}
	changed := u.state != newState
	u.state = newState
	return result{}, changed, nil
}

// handleUsersDelete rejects a user who owns buckets with 409, and answers
// 203 on as2, as the AS 2.x sample response shows, and 204 elsewhere.
func handleUsersDelete(s *state, g *Gateway, a args) (result, bool, *apiError) {
	u, err := findUser(s, a)
	if err != nil {
		return result{}, false, err
	}
	if owned := s.bucketsOf(u.id); len(owned) > 0 {
		return result{}, false, errorf(http.StatusConflict, "UserOwnsBuckets",
			"user %s still owns %d buckets: delete them through the S3 API first", u.id, len(owned))
	}
	s.deleteUser(u)
	status := http.StatusNoContent
	if g.profile.Name == ostor.ProfileAS2 {
		status = http.StatusNonAuthoritativeInfo
	}
	return result{status: status}, true, nil
}

// spaceStat sums the sizes of the user's buckets. LastTs is the latest
// bucket update, or the current hour when the user has no bucket.
func (s *state) spaceStat(u *user, g *Gateway) *jsonSpaceStat {
	stat := &jsonSpaceStat{LastTs: g.now().Unix() / 3600}
	owned := s.bucketsOf(u.id)
	if len(owned) > 0 {
		stat.LastTs = 0
	}
	for _, b := range owned {
		stat.SizeCurr += b.current
		stat.SizeHMax += b.hmax
		stat.SizeHInt += b.hIntegral
		stat.LastTs = max(stat.LastTs, b.lastTS)
	}
	return stat
}
