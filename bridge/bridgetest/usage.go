// Package bridgetest holds the test fixtures that the bridge's workflow tests and the daemon's
// process tests share: WHMCS services that own users of a fake gateway, and checks of the usage
// counters stored for them.
package bridgetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// AddManagedUsers adds n ostorbridge services of one new client, each with a new gateway user
// "user<i>@example.com" recorded as its S3 identity. It returns the service id of each S3 UserId.
func AddManagedUsers(t testing.TB, db *whmcstest.DB, store *whmcs.Store, gw *ostortest.Gateway, n int) map[string]int64 {
	t.Helper()
	services := map[string]int64{}
	clientID := db.AddClient(t, whmcstest.Client{Email: "owner@example.com"})
	productID := db.AddProduct(t, whmcstest.Product{Name: "S3", Module: "ostorbridge"})
	for i := range n {
		user := gw.AddUser(fmt.Sprintf("user%d@example.com", i))
		serviceID := db.AddService(t, whmcstest.Service{ClientID: clientID, ProductID: productID})
		err := store.WithinTx(t.Context(), func(tx *sqlx.Tx) error {
			return store.InsertIdentity(t.Context(), tx, whmcs.Identity{ServiceID: serviceID, ClientID: clientID, UserID: user.ID, Email: user.Email})
		})
		if err != nil {
			t.Fatal(err)
		}
		services[user.ID] = serviceID
	}
	return services
}

// AddTraffic adds the counters of tr to want[tr.UserID].
func AddTraffic(want map[string]whmcs.UsageCounters, tr ostortest.Traffic) {
	c := want[tr.UserID]
	c.Add(whmcs.UsageCounters{Put: uint64(tr.Put), Get: uint64(tr.Get), List: uint64(tr.List), Other: uint64(tr.Other),
		Uploaded: uint64(tr.Uploaded), Downloaded: uint64(tr.Downloaded)})
	want[tr.UserID] = c
}

// CheckStoredTotals sums the stored daily counters of every day per S3 user and compares them
// with want. It also checks that each user's rows are stored under services[user], which is 0
// for a user no service owns.
func CheckStoredTotals(t testing.TB, store *whmcs.Store, services map[string]int64, want map[string]whmcs.UsageCounters) {
	t.Helper()
	rows, err := store.UsageHistory(t.Context(), whmcs.UsageFilter{Days: 36500, Today: time.Now().AddDate(1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]whmcs.UsageCounters{}
	for _, r := range rows {
		if r.ServiceID != services[r.UserID] {
			t.Errorf("usage of S3 user %s stored under service %d, want %d", r.UserID, r.ServiceID, services[r.UserID])
		}
		c := got[r.UserID]
		if err := c.Add(r.UsageCounters); err != nil {
			t.Fatal(err)
		}
		got[r.UserID] = c
	}

	if len(got) != len(want) {
		t.Errorf("stored usage of %d S3 users, want %d", len(got), len(want))
	}
	for user, w := range want {
		if got[user] != w {
			t.Errorf("stored counters of S3 user %s = %+v, want %+v", user, got[user], w)
		}
	}
}
