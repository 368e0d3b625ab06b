package bridge_test

import (
	"testing"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap/zaptest"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

func TestUpdateWritesDiskLimitFromQuota(t *testing.T) {
	db := whmcstest.NewDB(t)
	store := whmcs.NewStore(zaptest.NewLogger(t), db.DB)
	gw := ostortest.Start(t, ostortest.Options{})
	client, err := ostor.New(gw.Config())
	if err != nil {
		t.Fatal(err)
	}

	var withQuota, hugeQuota, noQuota, badQuota [24]string
	withQuota[bridge.OptionQuotaGB-1] = "50"
	hugeQuota[bridge.OptionQuotaGB-1] = "1000000000" // 10^12 MB, beyond the int(10) column
	badQuota[bridge.OptionQuotaGB-1] = "fifty"
	clientID := db.AddClient(t, whmcstest.Client{Email: "owner@example.com"})
	services := map[string]int64{}
	for _, p := range []struct {
		name    string
		options [24]string
	}{{"quota", withQuota}, {"huge", hugeQuota}, {"none", noQuota}, {"invalid", badQuota}} {
		productID := db.AddProduct(t, whmcstest.Product{Name: p.name, Module: "ostorbridge", ConfigOptions: p.options})
		serviceID := db.AddService(t, whmcstest.Service{ClientID: clientID, ProductID: productID})
		user := gw.AddUser(p.name + "@example.com")
		err := store.WithinTx(t.Context(), func(tx *sqlx.Tx) error {
			return store.InsertIdentity(t.Context(), tx, whmcs.Identity{ServiceID: serviceID, ClientID: clientID, UserID: user.ID, Email: user.Email})
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(t.Context(), `UPDATE tblhosting SET disklimit = 1000, bwlimit = 2000 WHERE id = ?`, serviceID); err != nil {
			t.Fatal(err)
		}
		services[p.name] = serviceID
	}

	u, err := bridge.NewUsage(bridge.UsageOptions{Log: zaptest.NewLogger(t), Store: store, Gateway: client})
	if err != nil {
		t.Fatal(err)
	}
	summary, err := u.Update(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if summary.Failed != 0 || len(summary.Services) != 4 {
		t.Errorf("Update wrote %d services with %d failures, want 4 and 0", len(summary.Services), summary.Failed)
	}

	want := map[string]int64{"quota": 50 * 1024, "huge": whmcs.MaxHostingMB, "none": 1000, "invalid": 1000}
	for name, serviceID := range services {
		var limits struct {
			Disk int64 `db:"disklimit"`
			Bw   int64 `db:"bwlimit"`
		}
		if err := db.GetContext(t.Context(), &limits, `SELECT disklimit, bwlimit FROM tblhosting WHERE id = ?`, serviceID); err != nil {
			t.Fatal(err)
		}
		if limits.Disk != want[name] {
			t.Errorf("product %q: disklimit = %d MB, want %d", name, limits.Disk, want[name])
		}
		if limits.Bw != 2000 {
			t.Errorf("product %q: bwlimit = %d MB, want 2000 kept", name, limits.Bw)
		}
	}
	for _, su := range summary.Services {
		if su.ServiceID == services["quota"] && su.DiskLimitMB != 50*1024 {
			t.Errorf("summary disk_limit_mb of the quota service = %d, want %d", su.DiskLimitMB, 50*1024)
		}
		if su.ServiceID == services["none"] && su.DiskLimitMB != 0 {
			t.Errorf("summary disk_limit_mb of the service without quota = %d, want 0", su.DiskLimitMB)
		}
	}
}
