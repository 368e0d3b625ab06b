package ostor_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

func TestAccountsLifecycle(t *testing.T) {
	for _, profile := range []string{ostor.ProfileVHI, ostor.ProfileVHI63} {
		t.Run(profile, func(t *testing.T) {
			srv, c := start(t, profile)
			ctx := context.Background()
			owner := srv.AddUser("owner@example.com")
			ref := ostor.ByEmail(owner.Email)

			acc, err := c.CreateAccount(ctx, ref, "backup+daily")
			if err != nil {
				t.Fatalf("CreateAccount: %v", err)
			}
			if acc.Name != "backup+daily" || len(acc.AccessKeys) != 1 {
				t.Fatalf("CreateAccount = %+v, want one key pair", acc)
			}
			if !strings.HasPrefix(acc.AccessKeys[0].AccessKeyID, owner.ID) {
				t.Errorf("account key %q does not start with owner id %q", acc.AccessKeys[0].AccessKeyID, owner.ID)
			}

			generated, err := c.GenerateAccountKey(ctx, ref, "backup+daily")
			if err != nil {
				t.Fatalf("GenerateAccountKey: %v", err)
			}
			added := ostor.NewKeyPairs(acc.AccessKeys, generated.AccessKeys)
			if len(added) != 1 {
				t.Fatalf("GenerateAccountKey added %d pairs, want 1", len(added))
			}
			if _, err := c.GenerateAccountKey(ctx, ref, "backup+daily"); !errors.Is(err, ostor.ErrTooManyKeys) {
				t.Errorf("third account key error = %v, want ErrTooManyKeys", err)
			}

			user, err := c.GetUser(ctx, ostor.ByID(owner.ID))
			if err != nil {
				t.Fatalf("GetUser: %v", err)
			}
			if user.AccountCount != 1 || len(user.Accounts) != 1 || len(user.Accounts[0].AccessKeys) != 2 {
				t.Errorf("GetUser accounts = %d %+v, want one account with two pairs", user.AccountCount, user.Accounts)
			}

			if err := c.RevokeAccountKey(ctx, ref, "backup+daily", added[0].AccessKeyID); err != nil {
				t.Fatalf("RevokeAccountKey: %v", err)
			}
			if err := c.DeleteAccount(ctx, ostor.ByID(owner.ID), "backup+daily"); err != nil {
				t.Fatalf("DeleteAccount: %v", err)
			}
			if n := len(srv.Users()[0].Accounts); n != 0 {
				t.Errorf("gateway has %d accounts after delete, want 0", n)
			}
			if err := c.DeleteAccount(ctx, ref, "backup+daily"); !errors.Is(err, ostor.ErrNotFound) {
				t.Errorf("second DeleteAccount error = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestUnsupportedFeaturesSendNothing(t *testing.T) {
	srv, as2 := start(t, ostor.ProfileAS2)
	_, vhi := start(t, ostor.ProfileVHI)
	ctx := context.Background()
	ref := ostor.ByEmail("u@example.com")
	calls := map[string]func() error{
		"as2 account":      func() error { _, err := as2.CreateAccount(ctx, ref, "a"); return err },
		"as2 account key":  func() error { _, err := as2.GenerateAccountKey(ctx, ref, "a"); return err },
		"as2 quota":        func() error { _, err := as2.GetQuota(ctx, ostor.UserTarget(ref)); return err },
		"as2 space":        func() error { _, err := as2.ListUsersWithSpace(ctx); return err },
		"as2 usage paging": func() error { _, err := as2.ListUsage(ctx, "", 10); return err },
		"vhi bucket":       func() error { _, err := vhi.GetBucket(ctx, "b"); return err },
		"vhi multi":        func() error { _, err := vhi.GetBuckets(ctx, []string{"b"}); return err },
		"vhi usage after":  func() error { _, err := vhi.ListUsage(ctx, "s3-usage-x", 0); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ostor.ErrNotSupported) {
			t.Errorf("%s: error = %v, want ErrNotSupported", name, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("as2 gateway saw %d requests, want 0", n)
	}
}

func TestBucketsAndDeleteWithBuckets(t *testing.T) {
	for _, profile := range allProfiles {
		t.Run(profile, func(t *testing.T) {
			srv, c := start(t, profile)
			ctx := context.Background()
			alice := srv.AddUser("alice@example.com")
			bob := srv.AddUser("bob@example.com")
			srv.AddBucket(alice.ID, "alice-photos", 12288)
			srv.AddBucket(alice.ID, "alice-backups", 46700160)
			srv.AddBucket(bob.ID, "bob-data", 5_000_000_000_000)

			all, err := c.ListBuckets(ctx)
			if err != nil {
				t.Fatalf("ListBuckets: %v", err)
			}
			if len(all) != 3 {
				t.Errorf("ListBuckets returned %d buckets, want 3", len(all))
			}
			owned, err := c.ListUserBuckets(ctx, ostor.ByEmail(alice.Email))
			if err != nil {
				t.Fatalf("ListUserBuckets: %v", err)
			}
			var names []string
			for _, b := range owned {
				names = append(names, b.Name)
				if b.OwnerID != alice.ID {
					t.Errorf("bucket %s owner = %q, want %q", b.Name, b.OwnerID, alice.ID)
				}
			}
			if !slices.Equal(names, []string{"alice-photos", "alice-backups"}) {
				t.Errorf("alice's buckets = %v", names)
			}
			byID, err := c.ListUserBuckets(ctx, ostor.ByID(bob.ID))
			if err != nil {
				t.Fatalf("ListUserBuckets by id: %v", err)
			}
			if len(byID) != 1 || byID[0].Size.Current != 5_000_000_000_000 || byID[0].Size.HMax != 5_000_000_000_000 {
				t.Errorf("bob's buckets = %+v, want one 5 TB bucket", byID)
			}
			if byID[0].CreationDate.IsZero() {
				t.Errorf("creation date %q was not parsed", byID[0].CreationDateRaw)
			}

			err = c.DeleteUser(ctx, ostor.ByID(alice.ID))
			if !errors.Is(err, ostor.ErrUserOwnsBuckets) {
				t.Fatalf("DeleteUser with buckets error = %v, want ErrUserOwnsBuckets", err)
			}
			if len(srv.Users()) != 2 {
				t.Errorf("the refused delete removed a user")
			}
			srv.DeleteBucket("alice-photos")
			srv.DeleteBucket("alice-backups")
			if err := c.DeleteUser(ctx, ostor.ByID(alice.ID)); err != nil {
				t.Errorf("DeleteUser after emptying: %v", err)
			}
		})
	}
}

func TestBucketSelectorsVHI63(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI63)
	ctx := context.Background()
	u := srv.AddUser("u@example.com")
	srv.AddBucket(u.ID, "one", 10)
	srv.AddBucket(u.ID, "two", 20)
	srv.AddBucket(u.ID, "three", 30)

	b, err := c.GetBucket(ctx, "two")
	if err != nil {
		t.Fatalf("GetBucket: %v", err)
	}
	if b.Name != "two" || b.Size.Current != 20 {
		t.Errorf("GetBucket = %+v", b)
	}
	if _, err := c.GetBucket(ctx, "missing"); !errors.Is(err, ostor.ErrNotFound) {
		t.Errorf("GetBucket(missing) error = %v, want ErrNotFound", err)
	}

	several, err := c.GetBuckets(ctx, []string{"three", "one", "missing"})
	if err != nil {
		t.Fatalf("GetBuckets: %v", err)
	}
	var names []string
	for _, b := range several {
		names = append(names, b.Name)
	}
	if !slices.Equal(names, []string{"three", "one"}) {
		t.Errorf("GetBuckets names = %v, want [three one]", names)
	}

	users, err := c.ListUsersWithSpace(ctx)
	if err != nil {
		t.Fatalf("ListUsersWithSpace: %v", err)
	}
	if users[0].Space == nil || users[0].Space.SizeCurr != 60 {
		t.Errorf("space = %+v, want SizeCurr 60", users[0].Space)
	}
}

func TestLimitsBothSyntaxes(t *testing.T) {
	for _, syntax := range []string{ostor.LimitSyntaxStaaS, ostor.LimitSyntaxReference} {
		for _, profile := range allProfiles {
			t.Run(syntax+"/"+profile, func(t *testing.T) {
				srv := ostortest.Start(t, ostortest.Options{Profile: profile, LimitSyntax: syntax})
				c := newClient(t, srv.Config())
				ctx := context.Background()
				u := srv.AddUser("limits@example.com")
				srv.AddBucket(u.ID, "limited", 1)
				user := ostor.UserTarget(ostor.ByEmail(u.Email))

				err := c.SetLimits(ctx, user,
					ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourceGet, Value: 3600},
					ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourceDefault, Value: 10},
					ostor.LimitValue{Type: ostor.LimitBandwidth, Resource: ostor.ResourceOut, Value: 100})
				if err != nil {
					t.Fatalf("SetLimits: %v", err)
				}
				limits, err := c.GetLimits(ctx, user)
				if err != nil {
					t.Fatalf("GetLimits: %v", err)
				}
				if limits.OpsGet != 3600 || limits.OpsDefault != 10 || limits.BandwidthOut != 100 {
					t.Errorf("limits = %+v, want get 3600, default 10, out 100", limits)
				}
				// The reference syntax sets ops types that were not given to
				// the default value; the StaaS syntax leaves them unchanged.
				wantPut := 0.0
				if syntax == ostor.LimitSyntaxReference {
					wantPut = 10
				}
				if limits.OpsPut != wantPut {
					t.Errorf("ops:put = %v, want %v", limits.OpsPut, wantPut)
				}
				if limits.Raw["ops:get"] != "3600.00" {
					t.Errorf("raw ops:get = %q, want \"3600.00\"", limits.Raw["ops:get"])
				}

				wantSets := 3
				if syntax == ostor.LimitSyntaxReference {
					wantSets = 2
				}
				if n := countOp(srv, ostor.OpLimitsSet); n != wantSets {
					t.Errorf("gateway saw %d limit requests, want %d", n, wantSets)
				}

				bucket := ostor.BucketTarget("limited")
				if err := c.SetLimits(ctx, bucket, ostor.LimitValue{Type: ostor.LimitBandwidth, Resource: ostor.ResourceOut, Value: 5}); err != nil {
					t.Fatalf("SetLimits on bucket: %v", err)
				}
				if err := c.DeleteLimits(ctx, user, ostor.LimitOps); err != nil {
					t.Fatalf("DeleteLimits: %v", err)
				}
				limits, err = c.GetLimits(ctx, user)
				if err != nil {
					t.Fatalf("GetLimits after delete: %v", err)
				}
				if limits.OpsGet != 0 || limits.BandwidthOut != 100 {
					t.Errorf("after deleting ops limits = %+v, want ops 0 and out still 100", limits)
				}
				bucketLimits, err := c.GetLimits(ctx, bucket)
				if err != nil {
					t.Fatalf("GetLimits on bucket: %v", err)
				}
				if bucketLimits.BandwidthOut != 5 {
					t.Errorf("bucket out = %v, want 5", bucketLimits.BandwidthOut)
				}
			})
		}
	}
}

func TestLimitSyntaxMismatchIsBadRequest(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{LimitSyntax: ostor.LimitSyntaxStaaS})
	cfg := srv.Config()
	cfg.LimitSyntax = ostor.LimitSyntaxReference
	c := newClient(t, cfg)
	u := srv.AddUser("x@example.com")

	err := c.SetLimits(context.Background(), ostor.UserTarget(ostor.ByID(u.ID)),
		ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourceGet, Value: 1})
	if !errors.Is(err, ostor.ErrBadRequest) {
		t.Errorf("SetLimits error = %v, want ErrBadRequest", err)
	}
}

func TestSetLimitsReportsPartialFailure(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI)
	u := srv.AddUser("p@example.com")
	target := ostor.UserTarget(ostor.ByID(u.ID))
	srv.SetFault(ostor.OpLimitsSet, ostortest.Fault{Status: http.StatusBadRequest, After: 1, Times: 1})

	err := c.SetLimits(context.Background(), target,
		ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourceGet, Value: 7},
		ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourcePut, Value: 8},
		ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourceList, Value: 9})
	if !errors.Is(err, ostor.ErrBadRequest) {
		t.Fatalf("SetLimits error = %v, want ErrBadRequest", err)
	}
	if !strings.Contains(err.Error(), "after ops:get were applied") {
		t.Errorf("error %q does not name the applied limit", err)
	}
	if n := countOp(srv, ostor.OpLimitsSet); n != 2 {
		t.Errorf("gateway saw %d limit requests, want 2 (stop after the failure)", n)
	}

	limits, err := c.GetLimits(context.Background(), target)
	if err != nil {
		t.Fatalf("GetLimits: %v", err)
	}
	if limits.OpsGet != 7 || limits.OpsPut != 0 || limits.OpsList != 0 {
		t.Errorf("limits = %+v, want only get applied", limits)
	}
}

func TestSetLimitsValidatesBeforeSending(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI)
	u := srv.AddUser("v@example.com")
	target := ostor.UserTarget(ostor.ByID(u.ID))
	bad := [][]ostor.LimitValue{
		nil,
		{{Type: ostor.LimitOps, Resource: "bogus", Value: 1}},
		{{Type: ostor.LimitBandwidth, Resource: ostor.ResourceGet, Value: 1}},
		{{Type: "iops", Resource: ostor.ResourceGet, Value: 1}},
		{{Type: ostor.LimitOps, Resource: ostor.ResourceGet, Value: -1}},
		{{Type: ostor.LimitOps, Resource: ostor.ResourceGet, Value: 1}, {Type: ostor.LimitOps, Resource: ostor.ResourceGet, Value: 2}},
	}
	for _, values := range bad {
		if err := c.SetLimits(context.Background(), target, values...); !errors.Is(err, ostor.ErrInvalidArgument) {
			t.Errorf("SetLimits(%+v) error = %v, want ErrInvalidArgument", values, err)
		}
	}
	if n := countOp(srv, ostor.OpLimitsSet); n != 0 {
		t.Errorf("gateway saw %d limit requests, want 0", n)
	}
}

func TestQuotas(t *testing.T) {
	for _, profile := range []string{ostor.ProfileVHI, ostor.ProfileVHI63} {
		t.Run(profile, func(t *testing.T) {
			srv, c := start(t, profile)
			ctx := context.Background()
			u := srv.AddUser("q@example.com")
			srv.AddBucket(u.ID, "quoted", 1)

			targets := []struct {
				target   ostor.Target
				wantType string
			}{
				{ostor.UserTarget(ostor.ByEmail(u.Email)), "user"},
				{ostor.BucketTarget("quoted"), "bucket"},
				{ostor.DefaultQuotaTarget("user"), "user"},
				{ostor.DefaultQuotaTarget("bucket"), "bucket"},
			}
			for i, tt := range targets {
				size := int64(1024 * (i + 1))
				if err := c.SetQuota(ctx, tt.target, size); err != nil {
					t.Fatalf("SetQuota(%+v): %v", tt.target, err)
				}
				q, err := c.GetQuota(ctx, tt.target)
				if err != nil {
					t.Fatalf("GetQuota(%+v): %v", tt.target, err)
				}
				if q.Size != size || q.Type != tt.wantType || q.Version != "1" {
					t.Errorf("GetQuota(%+v) = %+v, want size %d type %s", tt.target, q, size, tt.wantType)
				}
				if err := c.DeleteQuota(ctx, tt.target); err != nil {
					t.Fatalf("DeleteQuota: %v", err)
				}
				q, err = c.GetQuota(ctx, tt.target)
				if err != nil {
					t.Fatalf("GetQuota after delete: %v", err)
				}
				if q.Size != 0 {
					t.Errorf("quota after delete = %d, want 0", q.Size)
				}
			}

			if err := c.SetQuota(ctx, ostor.DefaultQuotaTarget("group"), 1); !errors.Is(err, ostor.ErrInvalidArgument) {
				t.Errorf("SetQuota(default=group) error = %v, want ErrInvalidArgument", err)
			}
			if _, err := c.GetLimits(ctx, ostor.DefaultQuotaTarget("user")); !errors.Is(err, ostor.ErrInvalidArgument) {
				t.Errorf("GetLimits(default) error = %v, want ErrInvalidArgument", err)
			}
		})
	}
}

func TestUsageCollection(t *testing.T) {
	start0 := time.Date(2017, 2, 1, 16, 0, 0, 0, time.UTC)
	for _, profile := range allProfiles {
		t.Run(profile, func(t *testing.T) {
			srv, c := start(t, profile)
			ctx := context.Background()
			u := srv.AddUser("usage@example.com")
			srv.AddBucket(u.ID, "client", 1)

			names := srv.GenerateUsage(start0, 30*time.Minute, []ostortest.Traffic{
				{At: start0.Add(time.Minute), UserID: u.ID, Bucket: "client", Put: 1, Get: 3, Uploaded: 41258, Downloaded: 45511311},
				{At: start0.Add(2 * time.Minute), UserID: u.ID, Bucket: "client", Get: 2, Downloaded: 1 << 40},
				{At: start0.Add(3 * time.Minute), UserID: u.ID, Bucket: "", List: 1},
				{At: start0.Add(45 * time.Minute), UserID: u.ID, Bucket: "client", Other: 7},
			})
			if len(names) != 2 {
				t.Fatalf("GenerateUsage made %d objects, want 2", len(names))
			}

			page, err := c.ListUsage(ctx, "", 0)
			if err != nil {
				t.Fatalf("ListUsage: %v", err)
			}
			if !slices.Equal(page.Names, names) || page.Truncated || page.Count != 2 {
				t.Errorf("ListUsage = %+v, want %v untruncated", page, names)
			}

			obj, err := c.GetUsage(ctx, names[0])
			if err != nil {
				t.Fatalf("GetUsage: %v", err)
			}
			if obj.ServiceID != "8000000000000065" || !obj.Start.Equal(start0) || obj.Period != 1800 || len(obj.Items) != 2 {
				t.Fatalf("GetUsage = %+v", obj)
			}
			noBucket, client := obj.Items[0], obj.Items[1]
			if noBucket.Bucket != "" || noBucket.List != 1 {
				t.Errorf("item without bucket = %+v, want list 1", noBucket)
			}
			if client.Put != 1 || client.Get != 5 || client.Uploaded != 41258 || client.Downloaded != 45511311+(1<<40) {
				t.Errorf("client item = %+v", client)
			}

			if err := c.DeleteUsage(ctx, names[0]); err != nil {
				t.Fatalf("DeleteUsage: %v", err)
			}
			if err := c.DeleteUsage(ctx, names[0]); !errors.Is(err, ostor.ErrNotFound) {
				t.Errorf("second DeleteUsage error = %v, want ErrNotFound", err)
			}
			if got := srv.UsageNames(); !slices.Equal(got, names[1:]) {
				t.Errorf("gateway usage names = %v, want %v", got, names[1:])
			}
		})
	}
}

func TestUsagePagingVHI63(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI63)
	ctx := context.Background()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var want []string
	for i := 0; i < 5; i++ {
		want = append(want, srv.AddUsage(base.Add(time.Duration(i)*30*time.Minute), 30*time.Minute, nil))
	}

	var got []string
	after := ""
	for pages := 0; pages < 10; pages++ {
		page, err := c.ListUsage(ctx, after, 2)
		if err != nil {
			t.Fatalf("ListUsage(after %q): %v", after, err)
		}
		if len(page.Names) > 2 {
			t.Fatalf("page has %d names, want at most 2", len(page.Names))
		}
		got = append(got, page.Names...)
		if !page.Truncated {
			break
		}
		after = page.Names[len(page.Names)-1]
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged names = %v, want %v", got, want)
	}
}

func TestUsageTruncatedWithoutPaging(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{Profile: ostor.ProfileVHI, MaxUsageListItems: 2})
	c := newClient(t, srv.Config())
	ctx := context.Background()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		srv.AddUsage(base.Add(time.Duration(i)*time.Hour), time.Hour, nil)
	}

	// Without paging, the documented way on to the rest is to delete what was
	// processed and list again.
	var seen []string
	for rounds := 0; rounds < 5; rounds++ {
		page, err := c.ListUsage(ctx, "", 0)
		if err != nil {
			t.Fatalf("ListUsage: %v", err)
		}
		for _, name := range page.Names {
			seen = append(seen, name)
			if err := c.DeleteUsage(ctx, name); err != nil {
				t.Fatalf("DeleteUsage: %v", err)
			}
		}
		if !page.Truncated {
			break
		}
	}
	if len(seen) != 3 {
		t.Errorf("collected %d objects, want 3", len(seen))
	}
}

func TestUsageServiceIDForms(t *testing.T) {
	tests := []struct {
		name      string
		opts      ostortest.Options
		serviceID string
	}{
		{"numeric", ostortest.Options{}, "8000000000000065"},
		{"quoted", ostortest.Options{QuoteServiceID: true}, "8000000000000065"},
		{"hex letters", ostortest.Options{UsageServiceID: "800000000000006a"}, "800000000000006a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ostortest.Start(t, tt.opts)
			c := newClient(t, srv.Config())
			name := srv.AddUsage(time.Date(2017, 2, 1, 16, 27, 24, 0, time.UTC), 30*time.Minute, []ostor.UsageItem{{UserID: "b81d6c5f895a8c86", Put: 1}})
			obj, err := c.GetUsage(context.Background(), name)
			if err != nil {
				t.Fatalf("GetUsage: %v", err)
			}
			if obj.ServiceID != tt.serviceID {
				t.Errorf("ServiceID = %q, want %q", obj.ServiceID, tt.serviceID)
			}
		})
	}
}

func TestServiceFaultsAndSkew(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI63)
	ctx := context.Background()
	srv.AddUser("f@example.com")

	srv.SetFault(ostor.OpBucketsList, ostortest.Fault{Status: http.StatusServiceUnavailable, Times: 1})
	if _, err := c.ListBuckets(ctx); err != nil {
		t.Errorf("ListBuckets after one 503: %v", err)
	}
	srv.SetFault(ostortest.AnyOp, ostortest.Fault{Status: http.StatusInternalServerError})
	if err := c.DeleteUsage(ctx, "s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800"); !errors.Is(err, ostor.ErrOutcomeUnknown) {
		t.Errorf("DeleteUsage under a 500 fault error = %v, want ErrOutcomeUnknown", err)
	}
	srv.ClearFaults()

	srv.SetNow(func() time.Time { return time.Now().Add(time.Hour) })
	if _, err := c.ListUsage(ctx, "", 0); !errors.Is(err, ostor.ErrTimeSkew) {
		t.Errorf("ListUsage with the gateway clock an hour ahead error = %v, want ErrTimeSkew", err)
	}
}

func TestLimitSyntaxOnTheWire(t *testing.T) {
	tests := []struct {
		syntax string
		want   []string
	}{
		{ostor.LimitSyntaxStaaS, []string{
			"ostor-limits&id=%s&limit-type=ops&limit-resource=default&limit-value=0",
			"ostor-limits&id=%s&limit-type=ops&limit-resource=get&limit-value=3600",
			"ostor-limits&id=%s&limit-type=bandwidth&limit-resource=out&limit-value=100",
		}},
		{ostor.LimitSyntaxReference, []string{
			"ostor-limits&id=%s&ops&default=0&get=3600",
			"ostor-limits&id=%s&bandwidth&out=100",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.syntax, func(t *testing.T) {
			srv := ostortest.Start(t, ostortest.Options{LimitSyntax: tt.syntax})
			c := newClient(t, srv.Config())
			u := srv.AddUser("wire@example.com")
			err := c.SetLimits(context.Background(), ostor.UserTarget(ostor.ByID(u.ID)),
				ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourceDefault, Value: 0},
				ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourceGet, Value: 3600},
				ostor.LimitValue{Type: ostor.LimitBandwidth, Resource: ostor.ResourceOut, Value: 100})
			if err != nil {
				t.Fatalf("SetLimits: %v", err)
			}
			var got []string
			for _, r := range srv.Requests() {
				got = append(got, r.RawQuery)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, fmt.Sprintf(w, u.ID))
			}
			if !slices.Equal(got, want) {
				t.Errorf("queries = %q, want %q", got, want)
			}
		})
	}
}
