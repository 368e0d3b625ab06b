package ostor

import (
	"bytes"
	"context"
	"encoding/json"
	"unicode"
	"unicode/utf8"
)

// UserRef selects one user, either by email address or by user ID. Exactly
// one of the fields must be set, so build it with ByEmail or ByID.
type UserRef struct {
	Email string
	ID    string
}

// ByEmail selects a user by email address.
func ByEmail(email string) UserRef { return UserRef{Email: email} }

// ByID selects a user by its 16-hex-digit user ID.
func ByID(id string) UserRef { return UserRef{ID: id} }

func (r UserRef) String() string {
	if r.ID != "" {
		return "id " + r.ID
	}
	return "email " + r.Email
}

func (r UserRef) validate(op string) error {
	switch {
	case r.Email != "" && r.ID != "":
		return invalidArgument(op, "user reference has both Email and ID: set exactly one")
	case r.Email == "" && r.ID == "":
		return invalidArgument(op, "user reference is empty: set Email or ID")
	case r.ID != "":
		return validateUserID(op, r.ID)
	default:
		return validateEmail(op, r.Email)
	}
}

// addTo appends the selector parameter (emailAddress or id) to q.
func (r UserRef) addTo(q *query) *query {
	if r.ID != "" {
		return q.set("id", r.ID)
	}
	return q.set("emailAddress", r.Email)
}

// validateUserID accepts the 16 hex digits of a gateway user ID.
func validateUserID(op, id string) error {
	if len(id) != 16 {
		return invalidArgument(op, "user ID %q has %d characters: a user ID has 16 hex digits", id, len(id))
	}
	for i := 0; i < len(id); i++ {
		if !isHexDigit(id[i]) {
			return invalidArgument(op, "user ID %q contains a non-hex character: a user ID has 16 hex digits", id)
		}
	}
	return nil
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// validateEmail rejects values that cannot be an email address on the wire.
// The gateway's own rules are not documented, so any other text is passed on
// (percent-encoded) and judged by the gateway.
func validateEmail(op, email string) error {
	return validateName(op, "email address", email)
}

// validateName rejects empty values, invalid UTF-8 and control characters.
func validateName(op, what, value string) error {
	if value == "" {
		return invalidArgument(op, "%s is empty", what)
	}
	if !utf8.ValidString(value) {
		return invalidArgument(op, "%s %q is not valid UTF-8", what, value)
	}
	for _, r := range value {
		if unicode.IsControl(r) {
			return invalidArgument(op, "%s %q contains a control character", what, value)
		}
	}
	return nil
}

// KeyPair is an S3 access key pair.
type KeyPair struct {
	AccessKeyID     string
	SecretAccessKey Secret
}

// Account is a named credential container owned by a user (VHI 4.6+).
type Account struct {
	Name       string
	AccessKeys []KeyPair
}

// SpaceStat is the space usage of a user, returned by ListUsersWithSpace
// (VHI 6.3+).
//
// NOTE: the vendor does not document these fields. The names follow a
// third-party client that decodes them from a live gateway. The meaning of
// SizeHMax and SizeHInt is unconfirmed.
type SpaceStat struct {
	LastTS   int64 // hours since the Unix epoch of the last update
	SizeCurr int64 // bytes currently stored
	SizeHMax int64
	SizeHInt int64
}

// User is an S3 user as the gateway returns it. Fields the gateway did not
// send are zero: the list operation, for example, returns no key pairs on
// most releases.
type User struct {
	Email      string
	ID         string
	State      string // "enabled" or "disabled", or empty on releases that omit it
	OwnerID    string // "0000000000000000" for top-level users
	Flags      []string
	AccessKeys []KeyPair
	// AccountCount and Accounts are sent by VHI 5.0+ for a single user.
	AccountCount int64
	Accounts     []Account
	// Space is set only by ListUsersWithSpace.
	Space *SpaceStat
}

// User states as the gateway reports them.
const (
	StateEnabled  = "enabled"
	StateDisabled = "disabled"
)

// wireUser is one user in a response of the users service. Samples:
//
//	PUT ?ostor-users (create), AS 2.x and VHI:
//	{"UserEmail":"test@test.test","UserId":"a721fc1a64f13a05",
//	 "AWSAccessKeys":[{"AWSAccessKeyId":"a721fc1a64f13a05OQF4","AWSSecretAccessKey":"…"}]}
//
//	GET ?ostor-users&emailAddress=…, VHI 5.0+ (AccountCount is a string):
//	{"UserEmail":"user@email.com","UserId":"b09693b73b3c7686","State":"enabled",
//	 "OwnerId":"0000000000000000","Flags":[],"AWSAccessKeys":[…],
//	 "AccountCount":"3","Accounts":[{"Name":"account1","AWSAccessKeys":[…]}]}
//
//	GET ?ostor-users&space, VHI 6.3+ (field names from a third-party client):
//	{"Users":[{"UserEmail":…,"SpaceStat":{"LastTs":465442,"SizeCurr":1,"SizeHMax":1,"SizeHInt":1}}]}
type wireUser struct {
	UserEmail     string         `json:"UserEmail"`
	UserID        string         `json:"UserId"`
	State         string         `json:"State"`
	OwnerID       string         `json:"OwnerId"`
	Flags         []string       `json:"Flags"`
	AWSAccessKeys []wireKeyPair  `json:"AWSAccessKeys"`
	AccountCount  flexInt        `json:"AccountCount"`
	Accounts      []wireAccount  `json:"Accounts"`
	SpaceStat     *wireSpaceStat `json:"SpaceStat"`
}

type wireKeyPair struct {
	AWSAccessKeyID     string `json:"AWSAccessKeyId"`
	AWSSecretAccessKey string `json:"AWSSecretAccessKey"`
}

type wireAccount struct {
	Name          string        `json:"Name"`
	AWSAccessKeys []wireKeyPair `json:"AWSAccessKeys"`
}

type wireSpaceStat struct {
	LastTS   flexInt `json:"LastTs"`
	SizeCurr flexInt `json:"SizeCurr"`
	SizeHMax flexInt `json:"SizeHMax"`
	SizeHInt flexInt `json:"SizeHInt"`
}

func (w wireUser) toUser() User {
	u := User{
		Email:        w.UserEmail,
		ID:           w.UserID,
		State:        w.State,
		OwnerID:      w.OwnerID,
		Flags:        append([]string(nil), w.Flags...),
		AccessKeys:   toKeyPairs(w.AWSAccessKeys),
		AccountCount: int64(w.AccountCount),
	}
	for _, a := range w.Accounts {
		u.Accounts = append(u.Accounts, Account{Name: a.Name, AccessKeys: toKeyPairs(a.AWSAccessKeys)})
	}
	if w.SpaceStat != nil {
		u.Space = &SpaceStat{
			LastTS:   int64(w.SpaceStat.LastTS),
			SizeCurr: int64(w.SpaceStat.SizeCurr),
			SizeHMax: int64(w.SpaceStat.SizeHMax),
			SizeHInt: int64(w.SpaceStat.SizeHInt),
		}
	}
	return u
}

func toKeyPairs(w []wireKeyPair) []KeyPair {
	var pairs []KeyPair
	for _, k := range w {
		pairs = append(pairs, KeyPair{AccessKeyID: k.AWSAccessKeyID, SecretAccessKey: Secret(k.AWSSecretAccessKey)})
	}
	return pairs
}

// NewKeyPairs returns the pairs in after whose access key ID is not in
// before, in the order of after. Use it with the key list read before
// GenerateKey to find the new pair, because some releases answer genKey
// with every pair of the user and others with only the new one.
func NewKeyPairs(before, after []KeyPair) []KeyPair {
	known := make(map[string]bool, len(before))
	for _, k := range before {
		known[k.AccessKeyID] = true
	}
	var added []KeyPair
	for _, k := range after {
		if !known[k.AccessKeyID] {
			added = append(added, k)
		}
	}
	return added
}

// CreateUser creates an S3 user with one key pair:
// PUT /?ostor-users&emailAddress=<email>.
//
// Some releases do not enforce unique email addresses, so call GetUser first
// when a duplicate must be avoided. A write error that matches
// ErrOutcomeUnknown means the user may exist now.
func (c *Client) CreateUser(ctx context.Context, email string) (User, error) {
	if err := validateEmail(OpUsersCreate, email); err != nil {
		return User{}, err
	}
	return c.callUser(ctx, OpUsersCreate, newQuery("users").set("emailAddress", email))
}

// GetUser returns one user with its key pairs (and accounts on VHI 5.0+):
// GET /?ostor-users&emailAddress=<email> or &id=<id>. A missing user yields
// an error that matches ErrUserNotFound.
func (c *Client) GetUser(ctx context.Context, ref UserRef) (User, error) {
	if err := ref.validate(OpUsersGet); err != nil {
		return User{}, err
	}
	return c.callUser(ctx, OpUsersGet, ref.addTo(newQuery("users")))
}

// ListUsers returns all users: GET /?ostor-users. It accepts a bare JSON
// array and an object {"Users":[…]}, since releases differ.
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	return c.listUsers(ctx, newQuery("users"))
}

// ListUsersWithSpace returns all users with their space usage:
// GET /?ostor-users&space. Only the vhi63 profile supports it, and other
// profiles return an error that matches ErrNotSupported.
func (c *Client) ListUsersWithSpace(ctx context.Context) ([]User, error) {
	if err := c.requireFeature(OpUsersList, c.profile.UserSpace, "the space flag needs VHI 6.3 or later"); err != nil {
		return nil, err
	}
	return c.listUsers(ctx, newQuery("users").flag("space"))
}

func (c *Client) listUsers(ctx context.Context, q *query) ([]User, error) {
	resp, err := c.call(ctx, OpUsersList, q, nil)
	if err != nil {
		return nil, err
	}
	wire, err := decodeUserList(OpUsersList, resp)
	if err != nil {
		return nil, err
	}
	users := make([]User, 0, len(wire))
	for _, w := range wire {
		users = append(users, w.toUser())
	}
	return users, nil
}

// decodeUserList accepts a bare array, {"Users":[…]} and null.
func decodeUserList(op string, resp *response) ([]wireUser, error) {
	body := bytes.TrimSpace(resp.body)
	if err := checkJSONBody(op, resp, body); err != nil {
		return nil, err
	}
	if body[0] == '[' || bytes.Equal(body, []byte("null")) {
		var users []wireUser
		if err := json.Unmarshal(body, &users); err != nil {
			return nil, newDecodeError(op, resp, err)
		}
		return users, nil
	}

	var wrapped struct {
		Users *[]wireUser `json:"Users"`
	}
	if err := json.Unmarshal(body, &wrapped); err != nil {
		return nil, newDecodeError(op, resp, err)
	}
	if wrapped.Users == nil {
		return nil, &DecodeError{Op: op, Status: resp.status, ContentType: resp.contentType, Reason: `JSON object has no "Users" array`}
	}
	return *wrapped.Users, nil
}

// GenerateKey adds a key pair to the user and returns the user with the key
// pairs the gateway answered: POST (PUT on as2) /?ostor-users&…&genKey.
// Depending on the release the reply lists every pair or only the new one,
// so use NewKeyPairs to find the new pair. A user holds at most two pairs, and a
// third yields an error that matches ErrTooManyKeys.
//
// A write error that matches ErrOutcomeUnknown means a key may have been
// created: read the user before trying again.
func (c *Client) GenerateKey(ctx context.Context, ref UserRef) (User, error) {
	if err := ref.validate(OpUsersGenKey); err != nil {
		return User{}, err
	}
	return c.callUser(ctx, OpUsersGenKey, ref.addTo(newQuery("users")).flag("genKey"))
}

// RevokeKey removes one key pair of the user:
// POST (PUT on as2) /?ostor-users&…&revokeKey=<accessKeyID>.
func (c *Client) RevokeKey(ctx context.Context, ref UserRef, accessKeyID string) error {
	if err := ref.validate(OpUsersRevokeKey); err != nil {
		return err
	}
	if err := validateName(OpUsersRevokeKey, "access key ID", accessKeyID); err != nil {
		return err
	}
	_, err := c.call(ctx, OpUsersRevokeKey, ref.addTo(newQuery("users")).set("revokeKey", accessKeyID), nil)
	return err
}

// DisableUser suspends the user: POST /?ostor-users&…&disable.
func (c *Client) DisableUser(ctx context.Context, ref UserRef) error {
	return c.userFlagCall(ctx, OpUsersDisable, ref, "disable")
}

// EnableUser re-enables a disabled user: POST /?ostor-users&…&enable.
func (c *Client) EnableUser(ctx context.Context, ref UserRef) error {
	return c.userFlagCall(ctx, OpUsersEnable, ref, "enable")
}

// DeleteUser deletes the user: DELETE /?ostor-users&emailAddress=… or &id=….
// Any 2xx status is success (the docs show both 203 and 204). A user that
// still owns buckets yields an error that matches ErrUserOwnsBuckets.
func (c *Client) DeleteUser(ctx context.Context, ref UserRef) error {
	if err := ref.validate(OpUsersDelete); err != nil {
		return err
	}
	_, err := c.call(ctx, OpUsersDelete, ref.addTo(newQuery("users")), nil)
	return err
}

// NOTE: the vendor documents genKey, revokeKey, disable and enable only with
// emailAddress. Sending id= for them is unconfirmed on a live gateway.
func (c *Client) userFlagCall(ctx context.Context, op string, ref UserRef, flag string) error {
	if err := ref.validate(op); err != nil {
		return err
	}
	_, err := c.call(ctx, op, ref.addTo(newQuery("users")).flag(flag), nil)
	return err
}

func (c *Client) callUser(ctx context.Context, op string, q *query) (User, error) {
	resp, err := c.call(ctx, op, q, nil)
	if err != nil {
		return User{}, err
	}
	var w wireUser
	if err := decodeJSON(op, resp, &w); err != nil {
		return User{}, err
	}
	return w.toUser(), nil
}
