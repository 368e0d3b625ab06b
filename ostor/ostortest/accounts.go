package ostortest

import (
	"fmt"
	"net/http"
)

// findUserAccount finds the user that the request names and its account accountName.
func findUserAccount(s *state, a args) (*user, *account, *apiError) {
	u, err := findUser(s, a)
	if err != nil {
		return nil, nil, err
	}
	acc, err := findAccount(u, a)
	if err != nil {
		return nil, nil, err
	}
	return u, acc, nil
}

func findAccount(u *user, a args) (*account, *apiError) {
	name, _ := a.value("accountName")
	for _, acc := range u.accounts {
		if acc.name == name {
			return acc, nil
		}
	}
	return nil, errorf(http.StatusNotFound, "NoSuchAccount", "user %s has no account %q", u.id, name)
}

func requireAccountName(a args) *apiError {
	if name, ok := a.value("accountName"); !ok || name == "" {
		return errorf(http.StatusBadRequest, "InvalidArgument", "missing accountName")
	}
	return nil
}

// handleAccountsCreate creates an account with one key pair. Its key IDs,
// like the user's, start with the owner's user ID.
func handleAccountsCreate(s *state, g *Gateway, a args) (result, bool, *apiError) {
	if err := requireAccountName(a); err != nil {
		return result{}, false, err
	}
	u, err := findUser(s, a)
	if err != nil {
		return result{}, false, err
	}
	name, _ := a.value("accountName")
	if _, missing := findAccount(u, a); missing == nil {
		return result{}, false, errorf(http.StatusConflict, "AccountAlreadyExists", "user %s already has an account %q", u.id, name)
	}
	acc := &account{name: name, keys: []keyPair{newKeyPair(u.id)}}
	u.accounts = append(u.accounts, acc)
	return result{body: jsonAccount{Name: acc.name, AWSAccessKeys: jsonKeys(acc.keys)}}, true, nil
}

func handleAccountsDelete(s *state, g *Gateway, a args) (result, bool, *apiError) {
	if err := requireAccountName(a); err != nil {
		return result{}, false, err
	}
	u, acc, err := findUserAccount(s, a)
	if err != nil {
		return result{}, false, err
	}
	kept := u.accounts[:0]
	for _, other := range u.accounts {
		if other != acc {
			kept = append(kept, other)
		}
	}
	u.accounts = kept
	return result{status: http.StatusNoContent}, true, nil
}

// handleAccountsGenKey answers with the owner's email and ID and the new
// pair only, as the VHI sample shows.
func handleAccountsGenKey(s *state, g *Gateway, a args) (result, bool, *apiError) {
	u, acc, err := findUserAccount(s, a)
	if err != nil {
		return result{}, false, err
	}
	pair, err := addKeyPair(&acc.keys, u.id, fmt.Sprintf("account %q", acc.name))
	if err != nil {
		return result{}, false, err
	}
	return result{body: jsonUserKeys{UserEmail: u.email, UserID: u.id, AWSAccessKeys: jsonKeys([]keyPair{pair})}}, true, nil
}

func handleAccountsRevokeKey(s *state, g *Gateway, a args) (result, bool, *apiError) {
	_, acc, err := findUserAccount(s, a)
	if err != nil {
		return result{}, false, err
	}
	keyID, _ := a.value("revokeKey")
	if err := revokeKeyPair(&acc.keys, keyID, fmt.Sprintf("account %q", acc.name)); err != nil {
		return result{}, false, err
	}
	return result{}, true, nil
}
