package bridge

import (
	"context"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// A Create that failed with an open outcome journals the client's email. When another service of
// the same client then creates its user with that email, the resumed Create must not adopt it.
func TestCreateResumeSkipsOtherServiceUser(t *testing.T) {
	for _, adopt := range []bool{false, true} {
		h := newLifecycleHarness(t, func(o *ProvisionerOptions) { o.AdoptExistingUsers = adopt })
		ctx := context.Background()
		product := h.addProduct(t, "S3")
		client, first := h.addService(t, "shared@example.com", product)
		second := h.db.AddService(t, whmcstest.Service{ClientID: client, ProductID: product, ServerID: h.serverID, Status: "Pending"})

		h.gw.SetFault(ostor.OpUsersCreate, ostortest.Fault{Status: 503, Code: "ServiceUnavailable", Message: "restarting", Times: 1})
		if _, err := h.p.Create(ctx, second); err == nil {
			t.Fatalf("adopt=%v: Create(%d) succeeded while the gateway returned HTTP 503", adopt, second)
		}
		firstUser := h.create(t, first)

		res, err := h.p.Create(ctx, second)
		if err == nil && res.UserID == firstUser {
			t.Fatalf("adopt=%v: service %d adopted S3 user %s of service %d", adopt, second, firstUser, first)
		}
		if err != nil {
			// A refused resume closes the stale operation, so the next Create picks a free email.
			wantCode(t, err, CodeConflict)
			res, err = h.p.Create(ctx, second)
			if err != nil {
				t.Fatalf("adopt=%v: Create(%d) after the refused resume: %v", adopt, second, err)
			}
		}
		if res.UserID == firstUser {
			t.Errorf("adopt=%v: service %d records S3 user %s of service %d", adopt, second, firstUser, first)
		}
		if res.Email == "shared@example.com" {
			t.Errorf("adopt=%v: service %d got the first service's email %q", adopt, second, res.Email)
		}
	}
}
