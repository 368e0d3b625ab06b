package ostor_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

var allProfiles = []string{ostor.ProfileAS2, ostor.ProfileVHI, ostor.ProfileVHI63}

func newClient(t *testing.T, cfg ostor.Config) *ostor.Client {
	t.Helper()
	c, err := ostor.New(cfg)
	if err != nil {
		t.Fatalf("ostor.New: %v", err)
	}
	return c
}

// start returns a fake gateway for profile and a client configured for it.
func start(t *testing.T, profile string) (*ostortest.Server, *ostor.Client) {
	t.Helper()
	srv := ostortest.Start(t, ostortest.Options{Profile: profile})
	return srv, newClient(t, srv.Config())
}

func keyIDs(pairs []ostor.KeyPair) []string {
	var ids []string
	for _, k := range pairs {
		ids = append(ids, k.AccessKeyID)
	}
	return ids
}

func TestUserLifecycleEveryProfile(t *testing.T) {
	for _, profile := range allProfiles {
		t.Run(profile, func(t *testing.T) {
			srv, c := start(t, profile)
			ctx := context.Background()
			const email = "client@example.com"

			created, err := c.CreateUser(ctx, email)
			if err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			if created.Email != email || len(created.ID) != 16 {
				t.Fatalf("CreateUser returned email %q id %q", created.Email, created.ID)
			}
			if len(created.AccessKeys) != 1 {
				t.Fatalf("CreateUser returned %d key pairs, want 1", len(created.AccessKeys))
			}
			first := created.AccessKeys[0]
			if len(first.AccessKeyID) != 20 || first.AccessKeyID[:16] != created.ID {
				t.Errorf("key ID %q does not start with user ID %q", first.AccessKeyID, created.ID)
			}
			if len(first.SecretAccessKey.Reveal()) != 40 {
				t.Errorf("secret has %d characters, want 40", len(first.SecretAccessKey.Reveal()))
			}

			byEmail, err := c.GetUser(ctx, ostor.ByEmail(email))
			if err != nil {
				t.Fatalf("GetUser by email: %v", err)
			}
			if byEmail.ID != created.ID || byEmail.State != ostor.StateEnabled {
				t.Errorf("GetUser by email = id %q state %q, want id %q enabled", byEmail.ID, byEmail.State, created.ID)
			}
			byID, err := c.GetUser(ctx, ostor.ByID(created.ID))
			if err != nil {
				t.Fatalf("GetUser by id: %v", err)
			}
			if byID.Email != email {
				t.Errorf("GetUser by id email = %q, want %q", byID.Email, email)
			}

			list, err := c.ListUsers(ctx)
			if err != nil {
				t.Fatalf("ListUsers: %v", err)
			}
			if len(list) != 1 || list[0].ID != created.ID {
				t.Errorf("ListUsers = %+v, want the one created user", list)
			}

			generated, err := c.GenerateKey(ctx, ostor.ByEmail(email))
			if err != nil {
				t.Fatalf("GenerateKey: %v", err)
			}
			added := ostor.NewKeyPairs(created.AccessKeys, generated.AccessKeys)
			if len(added) != 1 || added[0].AccessKeyID == first.AccessKeyID {
				t.Fatalf("NewKeyPairs found %v, want exactly one new pair", keyIDs(added))
			}
			afterGen, err := c.GetUser(ctx, ostor.ByID(created.ID))
			if err != nil {
				t.Fatalf("GetUser after GenerateKey: %v", err)
			}
			if got, want := keyIDs(afterGen.AccessKeys), []string{first.AccessKeyID, added[0].AccessKeyID}; !slices.Equal(got, want) {
				t.Errorf("keys after GenerateKey = %v, want %v", got, want)
			}

			_, err = c.GenerateKey(ctx, ostor.ByEmail(email))
			if !errors.Is(err, ostor.ErrTooManyKeys) {
				t.Errorf("third GenerateKey error = %v, want ErrTooManyKeys", err)
			}

			if err := c.RevokeKey(ctx, ostor.ByEmail(email), first.AccessKeyID); err != nil {
				t.Fatalf("RevokeKey: %v", err)
			}
			err = c.RevokeKey(ctx, ostor.ByEmail(email), first.AccessKeyID)
			if !errors.Is(err, ostor.ErrKeyNotFound) || errors.Is(err, ostor.ErrUserNotFound) {
				t.Errorf("second RevokeKey error = %v, want ErrKeyNotFound only", err)
			}
			if got := keyIDs(srv.Users()[0].AccessKeys); !slices.Equal(got, []string{added[0].AccessKeyID}) {
				t.Errorf("gateway keys after RevokeKey = %v, want only %s", got, added[0].AccessKeyID)
			}

			if err := c.DisableUser(ctx, ostor.ByEmail(email)); err != nil {
				t.Fatalf("DisableUser: %v", err)
			}
			if got := srv.Users()[0].State; got != ostor.StateDisabled {
				t.Errorf("state after DisableUser = %q, want disabled", got)
			}
			if err := c.EnableUser(ctx, ostor.ByID(created.ID)); err != nil {
				t.Fatalf("EnableUser: %v", err)
			}
			if got := srv.Users()[0].State; got != ostor.StateEnabled {
				t.Errorf("state after EnableUser = %q, want enabled", got)
			}

			if err := c.DeleteUser(ctx, ostor.ByEmail(email)); err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
			if n := len(srv.Users()); n != 0 {
				t.Errorf("gateway has %d users after DeleteUser, want 0", n)
			}
			_, err = c.GetUser(ctx, ostor.ByEmail(email))
			if !errors.Is(err, ostor.ErrUserNotFound) {
				t.Errorf("GetUser after delete error = %v, want ErrUserNotFound", err)
			}
			err = c.DeleteUser(ctx, ostor.ByEmail(email))
			if !errors.Is(err, ostor.ErrUserNotFound) {
				t.Errorf("second DeleteUser error = %v, want ErrUserNotFound", err)
			}
		})
	}
}

func TestProfileMethodsOnTheWire(t *testing.T) {
	want := map[string]map[string]string{
		ostor.ProfileAS2:   {ostor.OpUsersGenKey: "PUT", ostor.OpUsersRevokeKey: "PUT", ostor.OpUsersDisable: "POST"},
		ostor.ProfileVHI:   {ostor.OpUsersGenKey: "POST", ostor.OpUsersRevokeKey: "POST", ostor.OpUsersDisable: "POST"},
		ostor.ProfileVHI63: {ostor.OpUsersGenKey: "POST", ostor.OpUsersRevokeKey: "POST", ostor.OpUsersDisable: "POST"},
	}
	for profile, methods := range want {
		t.Run(profile, func(t *testing.T) {
			srv, c := start(t, profile)
			ctx := context.Background()
			u := srv.AddUser("m@example.com")
			if _, err := c.GenerateKey(ctx, ostor.ByID(u.ID)); err != nil {
				t.Fatalf("GenerateKey: %v", err)
			}
			if err := c.RevokeKey(ctx, ostor.ByID(u.ID), u.AccessKeys[0].AccessKeyID); err != nil {
				t.Fatalf("RevokeKey: %v", err)
			}
			if err := c.DisableUser(ctx, ostor.ByID(u.ID)); err != nil {
				t.Fatalf("DisableUser: %v", err)
			}
			for _, r := range srv.Requests() {
				if w, ok := methods[r.Op]; ok && r.Method != w {
					t.Errorf("%s sent with %s, want %s", r.Op, r.Method, w)
				}
			}
		})
	}
}

func TestGatewayRejectsOtherProfileMethod(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{Profile: ostor.ProfileVHI})
	u := srv.AddUser("m@example.com")
	cfg := srv.Config()
	cfg.Methods = map[string]string{ostor.OpUsersGenKey: http.MethodPut}
	c := newClient(t, cfg)

	_, err := c.GenerateKey(context.Background(), ostor.ByID(u.ID))
	var apiErr *ostor.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusMethodNotAllowed {
		t.Fatalf("PUT genKey on vhi error = %v, want HTTP 405", err)
	}
	if n := len(srv.Users()[0].AccessKeys); n != 1 {
		t.Errorf("user has %d keys after the rejected genKey, want 1", n)
	}
}

func TestEmailRoundTripsUnchanged(t *testing.T) {
	emails := []string{
		"o'brien+billing@example.com",
		`"quoted"@example.com`,
		"jürgen.müller+s3@bücher.example",
		"a&id=0000000000000000@example.com",
	}
	for _, profile := range allProfiles {
		t.Run(profile, func(t *testing.T) {
			srv, c := start(t, profile)
			ctx := context.Background()
			for _, email := range emails {
				created, err := c.CreateUser(ctx, email)
				if err != nil {
					t.Fatalf("CreateUser(%q): %v", email, err)
				}
				if created.Email != email {
					t.Errorf("CreateUser(%q) returned email %q", email, created.Email)
				}
				got, err := c.GetUser(ctx, ostor.ByEmail(email))
				if err != nil {
					t.Fatalf("GetUser(%q): %v", email, err)
				}
				if got.Email != email || got.ID != created.ID {
					t.Errorf("GetUser(%q) = email %q id %q, want id %q", email, got.Email, got.ID, created.ID)
				}
			}

			list, err := c.ListUsers(ctx)
			if err != nil {
				t.Fatalf("ListUsers: %v", err)
			}
			var listed []string
			for _, u := range list {
				listed = append(listed, u.Email)
			}
			if !slices.Equal(listed, emails) {
				t.Errorf("ListUsers emails = %q, want %q", listed, emails)
			}
			for _, r := range srv.Requests() {
				if r.Op == ostor.OpUsersCreate && len(r.Params) != 1 {
					t.Errorf("create request %q decoded into %d parameters, want 1", r.RawQuery, len(r.Params))
				}
			}
		})
	}
}

func TestDropAfterApplyIsOutcomeUnknown(t *testing.T) {
	for _, profile := range allProfiles {
		t.Run(profile, func(t *testing.T) {
			srv, c := start(t, profile)
			srv.SetFault(ostor.OpUsersCreate, ostortest.Fault{DropAfterApply: true})

			_, err := c.CreateUser(context.Background(), "drop@example.com")
			if !errors.Is(err, ostor.ErrOutcomeUnknown) {
				t.Fatalf("CreateUser error = %v, want ErrOutcomeUnknown", err)
			}
			var transportErr *ostor.TransportError
			if !errors.As(err, &transportErr) {
				t.Errorf("CreateUser error %v does not wrap a *TransportError", err)
			}

			var creates int
			for _, r := range srv.Requests() {
				if r.Op == ostor.OpUsersCreate {
					creates++
					if !r.Applied || !r.Dropped {
						t.Errorf("create request applied=%t dropped=%t, want both", r.Applied, r.Dropped)
					}
				}
			}
			if creates != 1 {
				t.Errorf("gateway saw %d create requests, want exactly 1", creates)
			}
			if users := srv.Users(); len(users) != 1 || users[0].Email != "drop@example.com" {
				t.Errorf("gateway users = %v, want the dropped write applied", users)
			}
		})
	}
}

func TestWriteServerErrorIsOutcomeUnknown(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI)
	u := srv.AddUser("w@example.com")
	srv.SetFault(ostor.OpUsersDisable, ostortest.Fault{Status: http.StatusServiceUnavailable})

	err := c.DisableUser(context.Background(), ostor.ByID(u.ID))
	if !errors.Is(err, ostor.ErrOutcomeUnknown) {
		t.Fatalf("DisableUser error = %v, want ErrOutcomeUnknown", err)
	}
	var apiErr *ostor.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusServiceUnavailable {
		t.Errorf("DisableUser error %v does not wrap the 503 APIError", err)
	}
	if n := countOp(srv, ostor.OpUsersDisable); n != 1 {
		t.Errorf("gateway saw %d disable requests, want 1", n)
	}
}

func TestWriteTimeoutIsOutcomeUnknown(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	cfg := srv.Config()
	cfg.Timeout = 50 * time.Millisecond
	c := newClient(t, cfg)
	srv.SetFault(ostor.OpUsersCreate, ostortest.Fault{Latency: 300 * time.Millisecond})

	_, err := c.CreateUser(context.Background(), "slow@example.com")
	if !errors.Is(err, ostor.ErrOutcomeUnknown) {
		t.Fatalf("CreateUser error = %v, want ErrOutcomeUnknown", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CreateUser error = %v, want it to wrap context.DeadlineExceeded", err)
	}
	// The gateway applies the write after its 300ms latency, so the test waits for it. The 30s
	// bound only catches a write that is never applied.
	deadline := time.Now().Add(30 * time.Second)
	for len(srv.Users()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(srv.Users()); n != 1 {
		t.Errorf("gateway has %d users, want the slow write applied once", n)
	}
}

func TestReadRetriesServerErrors(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI)
	srv.AddUser("r@example.com")
	srv.SetFault(ostor.OpUsersList, ostortest.Fault{Status: http.StatusInternalServerError, Times: 2})

	users, err := c.ListUsers(context.Background())
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(users) != 1 {
		t.Errorf("ListUsers returned %d users, want 1", len(users))
	}
	if n := countOp(srv, ostor.OpUsersList); n != 3 {
		t.Errorf("gateway saw %d list requests, want 3 (two failures and a success)", n)
	}
}

func TestReadRetriesAreBounded(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	cfg := srv.Config()
	cfg.ReadAttempts = 2
	c := newClient(t, cfg)
	srv.SetFault(ostor.OpUsersList, ostortest.Fault{Status: http.StatusBadGateway})

	_, err := c.ListUsers(context.Background())
	var apiErr *ostor.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadGateway {
		t.Fatalf("ListUsers error = %v, want the 502 APIError", err)
	}
	if errors.Is(err, ostor.ErrOutcomeUnknown) {
		t.Errorf("read error %v matches ErrOutcomeUnknown", err)
	}
	if n := countOp(srv, ostor.OpUsersList); n != 2 {
		t.Errorf("gateway saw %d list requests, want 2", n)
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI)
	_, err := c.GetUser(context.Background(), ostor.ByEmail("missing@example.com"))
	if !errors.Is(err, ostor.ErrUserNotFound) {
		t.Fatalf("GetUser error = %v, want ErrUserNotFound", err)
	}
	if n := countOp(srv, ostor.OpUsersGet); n != 1 {
		t.Errorf("gateway saw %d get requests, want 1", n)
	}
}

func TestDuplicateCreateIsUserExists(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI)
	srv.AddUser("dup@example.com")
	_, err := c.CreateUser(context.Background(), "dup@example.com")
	if !errors.Is(err, ostor.ErrUserExists) {
		t.Errorf("CreateUser error = %v, want ErrUserExists", err)
	}
}

func TestInvalidArgumentsSendNothing(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI)
	ctx := context.Background()
	calls := map[string]func() error{
		"empty email":      func() error { _, err := c.CreateUser(ctx, ""); return err },
		"newline in email": func() error { _, err := c.CreateUser(ctx, "a\n@example.com"); return err },
		"empty ref":        func() error { _, err := c.GetUser(ctx, ostor.UserRef{}); return err },
		"both selectors": func() error {
			_, err := c.GetUser(ctx, ostor.UserRef{Email: "a@b", ID: "0123456789abcdef"})
			return err
		},
		"short id":         func() error { return c.DeleteUser(ctx, ostor.ByID("abc")) },
		"non-hex id":       func() error { return c.DisableUser(ctx, ostor.ByID("0123456789abcdeg")) },
		"empty revoke key": func() error { return c.RevokeKey(ctx, ostor.ByEmail("a@b"), "") },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ostor.ErrInvalidArgument) {
			t.Errorf("%s: error = %v, want ErrInvalidArgument", name, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("gateway saw %d requests, want 0", n)
	}
}

func TestListUsersWithSpaceNeedsVHI63(t *testing.T) {
	_, c := start(t, ostor.ProfileVHI)
	if _, err := c.ListUsersWithSpace(context.Background()); !errors.Is(err, ostor.ErrNotSupported) {
		t.Errorf("ListUsersWithSpace on vhi error = %v, want ErrNotSupported", err)
	}

	srv, c63 := start(t, ostor.ProfileVHI63)
	srv.AddUser("s@example.com")
	users, err := c63.ListUsersWithSpace(context.Background())
	if err != nil {
		t.Fatalf("ListUsersWithSpace on vhi63: %v", err)
	}
	if len(users) != 1 || users[0].Space == nil {
		t.Errorf("ListUsersWithSpace = %+v, want one user with Space set", users)
	}
}

func countOp(srv *ostortest.Server, op string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Op == op {
			n++
		}
	}
	return n
}
