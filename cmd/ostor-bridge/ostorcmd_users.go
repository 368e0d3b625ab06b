package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// userJSON is one user in the JSON output. It has no field for a secret key.
type userJSON struct {
	Email   string     `json:"email"`
	UserID  string     `json:"user_id"`
	State   string     `json:"state"`
	OwnerID string     `json:"owner_id,omitempty"`
	Flags   []string   `json:"flags,omitempty"`
	Space   *spaceJSON `json:"space,omitempty"`
}

// spaceJSON is the space record of users space. Only size_current_bytes has a documented meaning.
type spaceJSON struct {
	SizeCurrentBytes int64 `json:"size_current_bytes"`
	SizeHMax         int64 `json:"size_hmax"`
	SizeHIntegral    int64 `json:"size_hint"`
	LastTS           int64 `json:"last_ts"`
}

// userPageJSON is the JSON output of users list and users space.
type userPageJSON struct {
	Total  int        `json:"total"` // users that match --search
	Offset int        `json:"offset"`
	Users  []userJSON `json:"users"`
}

// userDetailJSON is the JSON output of users get.
type userDetailJSON struct {
	userJSON
	AccessKeyIDs []string      `json:"access_key_ids"`
	Accounts     []accountJSON `json:"accounts,omitempty"`
}

type accountJSON struct {
	Name         string   `json:"name"`
	AccessKeyIDs []string `json:"access_key_ids"`
}

// keyJSON is one access key in the JSON output of keys list.
type keyJSON struct {
	AccessKeyID string `json:"access_key_id"`
	Account     string `json:"account,omitempty"` // empty for the user's own keys
}

func toUserJSON(u ostor.User) userJSON {
	out := userJSON{Email: u.Email, UserID: u.ID, State: u.State, OwnerID: u.OwnerID, Flags: u.Flags}
	if u.Space != nil {
		out.Space = &spaceJSON{SizeCurrentBytes: u.Space.SizeCurr, SizeHMax: u.Space.SizeHMax, SizeHIntegral: u.Space.SizeHInt, LastTS: u.Space.LastTS}
	}
	return out
}

func accessKeyIDs(pairs []ostor.KeyPair) []string {
	ids := make([]string, 0, len(pairs))
	for _, k := range pairs {
		ids = append(ids, k.AccessKeyID)
	}
	return ids
}

// pageFlags are the client-side paging and search flags of users list and users space. The
// gateway returns every user in one reply, so paging only shortens the output.
type pageFlags struct {
	search *string
	offset *countFlag
	limit  *countFlag
}

func (c *ostorCall) pageFlags() pageFlags {
	return pageFlags{
		search: c.fs.String("search", "", "show only users whose email or UserId contains `TEXT` (case-insensitive)"),
		offset: c.countVar("offset", "users", "", "skip the first `N` users, for the next page"),
		limit:  c.countVar("limit", "users", "all", "show at most `N` users (0 shows all)"),
	}
}

// page filters users by --search, sorts them by email and cuts out one page.
func (p pageFlags) page(users []ostor.User) userPageJSON {
	needle := strings.ToLower(*p.search)
	var matched []ostor.User
	for _, u := range users {
		if needle == "" || strings.Contains(strings.ToLower(u.Email), needle) || strings.Contains(strings.ToLower(u.ID), needle) {
			matched = append(matched, u)
		}
	}
	sort.SliceStable(matched, func(i, j int) bool {
		if matched[i].Email != matched[j].Email {
			return matched[i].Email < matched[j].Email
		}
		return matched[i].ID < matched[j].ID
	})

	out := userPageJSON{Total: len(matched), Offset: int(min(p.offset.value, int64(len(matched)))), Users: []userJSON{}}
	end := len(matched)
	if p.limit.value > 0 {
		end = int(min(int64(out.Offset)+p.limit.value, int64(len(matched))))
	}
	for _, u := range matched[out.Offset:end] {
		out.Users = append(out.Users, toUserJSON(u))
	}
	return out
}

// printUserPage prints a page of users. With withSpace the table has a column of bytes stored.
func (c *ostorCall) printUserPage(page userPageJSON, withSpace bool) error {
	err := c.output(page, func(w io.Writer) {
		header := "EMAIL\tUSER ID\tSTATE\tOWNER ID\tFLAGS"
		if withSpace {
			header += "\tBYTES STORED"
		}
		fmt.Fprintln(w, header)
		for _, u := range page.Users {
			row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", u.Email, u.UserID, u.State, u.OwnerID, strings.Join(u.Flags, ","))
			if withSpace {
				size := "-"
				if u.Space != nil {
					size = fmt.Sprint(u.Space.SizeCurrentBytes)
				}
				row += "\t" + size
			}
			fmt.Fprintln(w, row)
		}
	})
	if err != nil {
		return err
	}
	if next := page.Offset + len(page.Users); !*c.asJSON && next < page.Total {
		fmt.Fprintf(c.stderr, "showing users %d to %d of %d: add --offset %d for the next page\n", page.Offset+1, next, page.Total, next)
	}
	return nil
}

func runUsersList(ctx context.Context, c *ostorCall) error {
	return c.listUsers(ctx, false)
}

func runUsersSpace(ctx context.Context, c *ostorCall) error {
	return c.listUsers(ctx, true)
}

// listUsers prints one page of the gateway's users, with the bytes each stores when withSpace is
// set.
func (c *ostorCall) listUsers(ctx context.Context, withSpace bool) error {
	paging := c.pageFlags()
	if err := c.parse(); err != nil {
		return err
	}
	gw, err := c.client()
	if err != nil {
		return err
	}
	list := gw.ListUsers
	if withSpace {
		list = gw.ListUsersWithSpace
	}
	users, err := list(ctx)
	if err != nil {
		return c.gatewayError(err)
	}
	return c.printUserPage(paging.page(users), withSpace)
}

// getUser reads the user that --email or --id selects. Its not-found error names the command
// that finds users.
func (c *ostorCall) getUser(ctx context.Context, t *targetFlags) (ostor.User, error) {
	ref, err := c.requiredUser(t)
	if err != nil {
		return ostor.User{}, err
	}
	gw, err := c.client()
	if err != nil {
		return ostor.User{}, err
	}
	user, err := gw.GetUser(ctx, ref)
	if errors.Is(err, ostor.ErrUserNotFound) {
		return ostor.User{}, fmt.Errorf("%s not found on the gateway: \"ostor-bridge ostor users list --search TEXT\" finds users", describeUser(ref))
	}
	if err != nil {
		return ostor.User{}, c.gatewayError(err)
	}
	return user, nil
}

func runUsersGet(ctx context.Context, c *ostorCall) error {
	selector := c.userFlags()
	if err := c.parse(); err != nil {
		return err
	}
	user, err := c.getUser(ctx, selector)
	if err != nil {
		return err
	}

	detail := userDetailJSON{userJSON: toUserJSON(user), AccessKeyIDs: accessKeyIDs(user.AccessKeys)}
	for _, a := range user.Accounts {
		detail.Accounts = append(detail.Accounts, accountJSON{Name: a.Name, AccessKeyIDs: accessKeyIDs(a.AccessKeys)})
	}
	return c.output(detail, func(w io.Writer) {
		fmt.Fprintf(w, "Email\t%s\n", detail.Email)
		fmt.Fprintf(w, "UserId\t%s\n", detail.UserID)
		fmt.Fprintf(w, "State\t%s\n", detail.State)
		if detail.OwnerID != "" {
			fmt.Fprintf(w, "Owner ID\t%s\n", detail.OwnerID)
		}
		if len(detail.Flags) > 0 {
			fmt.Fprintf(w, "Flags\t%s\n", strings.Join(detail.Flags, ","))
		}
		for _, id := range detail.AccessKeyIDs {
			fmt.Fprintf(w, "Access key ID\t%s\n", id)
		}
		for _, a := range detail.Accounts {
			fmt.Fprintf(w, "Account\t%s\t%s\n", a.Name, strings.Join(a.AccessKeyIDs, ","))
		}
	})
}

func runKeysList(ctx context.Context, c *ostorCall) error {
	selector := c.userFlags()
	if err := c.parse(); err != nil {
		return err
	}
	user, err := c.getUser(ctx, selector)
	if err != nil {
		return err
	}

	keys := []keyJSON{}
	for _, id := range accessKeyIDs(user.AccessKeys) {
		keys = append(keys, keyJSON{AccessKeyID: id})
	}
	for _, a := range user.Accounts {
		for _, id := range accessKeyIDs(a.AccessKeys) {
			keys = append(keys, keyJSON{AccessKeyID: id, Account: a.Name})
		}
	}
	return c.output(keys, func(w io.Writer) {
		fmt.Fprintln(w, "ACCESS KEY ID\tACCOUNT")
		for _, k := range keys {
			fmt.Fprintf(w, "%s\t%s\n", k.AccessKeyID, k.Account)
		}
	})
}
