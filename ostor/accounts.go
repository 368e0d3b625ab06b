package ostor

import (
	"context"
	"fmt"
)

// requireFeature returns an ErrNotSupported error when the profile lacks a
// feature, before any request is sent.
func (c *Client) requireFeature(op string, supported bool, what string) error {
	if supported {
		return nil
	}
	return fmt.Errorf("%w: %s: %s (profile %q)", ErrNotSupported, op, what, c.profile.Name)
}

// wireAccountReply is the reply to POST ?ostor-accounts (VHI 6.2 sample):
//
//	{"Name":"account1","AWSAccessKeys":[{"AWSAccessKeyId":"bc6265392b818465FQYC","AWSSecretAccessKey":"…"}]}
type wireAccountReply = wireAccount

// CreateAccount creates a named account owned by the user, with one key
// pair: POST /?ostor-accounts&emailAddress=…|id=…&accountName=<name>.
// Accounts exist from VHI 4.6 on, and the as2 profile returns ErrNotSupported.
func (c *Client) CreateAccount(ctx context.Context, owner UserRef, name string) (Account, error) {
	if err := c.validateAccountCall(OpAccountsCreate, owner, name); err != nil {
		return Account{}, err
	}
	q := owner.addTo(newQuery("accounts")).set("accountName", name)
	resp, err := c.call(ctx, OpAccountsCreate, q, nil)
	if err != nil {
		return Account{}, err
	}
	var w wireAccountReply
	if err := decodeJSON(OpAccountsCreate, resp, &w); err != nil {
		return Account{}, err
	}
	return Account{Name: w.Name, AccessKeys: toKeyPairs(w.AWSAccessKeys)}, nil
}

// DeleteAccount deletes an account of the user:
// DELETE /?ostor-accounts&emailAddress=…|id=…&accountName=<name>.
func (c *Client) DeleteAccount(ctx context.Context, owner UserRef, name string) error {
	if err := c.validateAccountCall(OpAccountsDelete, owner, name); err != nil {
		return err
	}
	_, err := c.call(ctx, OpAccountsDelete, owner.addTo(newQuery("accounts")).set("accountName", name), nil)
	return err
}

// GenerateAccountKey adds a key pair to an account:
// POST /?ostor-users&emailAddress=…&accountName=<name>&genKey. The gateway
// answers with the owner's email and ID and the account's key pairs (the
// VHI sample lists only the new pair). Use NewKeyPairs to find the new one.
// An account holds at most two pairs.
func (c *Client) GenerateAccountKey(ctx context.Context, owner UserRef, name string) (User, error) {
	if err := c.validateAccountCall(OpAccountsGenKey, owner, name); err != nil {
		return User{}, err
	}
	q := owner.addTo(newQuery("users")).set("accountName", name).flag("genKey")
	return c.callUser(ctx, OpAccountsGenKey, q)
}

// RevokeAccountKey removes a key pair of an account:
// POST /?ostor-users&emailAddress=…&accountName=<name>&revokeKey=<id>.
func (c *Client) RevokeAccountKey(ctx context.Context, owner UserRef, name, accessKeyID string) error {
	if err := c.validateAccountCall(OpAccountsRevokeKey, owner, name); err != nil {
		return err
	}
	if err := validateName(OpAccountsRevokeKey, "access key ID", accessKeyID); err != nil {
		return err
	}
	q := owner.addTo(newQuery("users")).set("accountName", name).set("revokeKey", accessKeyID)
	_, err := c.call(ctx, OpAccountsRevokeKey, q, nil)
	return err
}

func (c *Client) validateAccountCall(op string, owner UserRef, name string) error {
	if err := c.requireFeature(op, c.profile.Accounts, "accounts need VHI 4.6 or later"); err != nil {
		return err
	}
	if err := owner.validate(op); err != nil {
		return err
	}
	return validateName(op, "account name", name)
}
