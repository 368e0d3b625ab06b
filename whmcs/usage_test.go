package whmcs_test

import (
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

func TestRecordUsageObjectOnce(t *testing.T) {
	db := whmcstest.NewDB(t)
	store := whmcs.NewStore(zaptest.NewLogger(t), db.DB)
	obj := whmcs.UsageObjectRecord{Name: "s3-usage-8000000000000065-2026-12-01T23:30:00.000Z-1800", Start: time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC), PeriodSeconds: 1800, Items: 2}
	entries := []whmcs.UsageEntry{
		{ServiceID: 5, UserID: "aaaaaaaaaaaaaaaa", UsageCounters: whmcs.UsageCounters{Get: 2, Downloaded: 1<<63 + 1}},
		{ServiceID: 0, UserID: "bbbbbbbbbbbbbbbb", UsageCounters: whmcs.UsageCounters{Put: 1, Uploaded: 10}},
	}

	recorded, err := store.RecordUsageObject(t.Context(), obj, entries)
	if err != nil || !recorded {
		t.Fatalf("first RecordUsageObject = %v, %v; want true, nil", recorded, err)
	}
	recorded, err = store.RecordUsageObject(t.Context(), obj, entries)
	if err != nil || recorded {
		t.Fatalf("second RecordUsageObject = %v, %v; want false, nil", recorded, err)
	}

	rows, err := store.UsageHistory(t.Context(), whmcs.UsageFilter{ServiceID: 5, Days: 1, Today: obj.Start})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("UsageHistory of service 5 returned %d rows, want 1", len(rows))
	}
	if rows[0].Day != "2026-12-01" || rows[0].Downloaded != 1<<63+1 || rows[0].Objects != 1 || rows[0].StorageBytes != nil {
		t.Errorf("usage row = %+v, want day 2026-12-01, 2^63+1 bytes downloaded, 1 object, no storage", rows[0])
	}
}

func TestRecentUsageSumsUsersPerDay(t *testing.T) {
	db := whmcstest.NewDB(t)
	store := whmcs.NewStore(zaptest.NewLogger(t), db.DB)
	today := time.Now().UTC()
	for i, user := range []string{"aaaaaaaaaaaaaaaa", "cccccccccccccccc"} {
		obj := whmcs.UsageObjectRecord{Name: "object-" + user, Start: today, PeriodSeconds: 1800, Items: 1}
		entry := whmcs.UsageEntry{ServiceID: 9, UserID: user, UsageCounters: whmcs.UsageCounters{Downloaded: uint64(100 * (i + 1))}}
		if _, err := store.RecordUsageObject(t.Context(), obj, []whmcs.UsageEntry{entry}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.RecordStorage(t.Context(), today, []whmcs.StorageEntry{{ServiceID: 9, UserID: "aaaaaaaaaaaaaaaa", Bytes: 1 << 40}}); err != nil {
		t.Fatal(err)
	}

	days, err := store.RecentUsage(t.Context(), 9, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 1 {
		t.Fatalf("RecentUsage returned %d days, want 1", len(days))
	}
	day := days[0]
	if day.Day != today.Format(time.DateOnly) || day.Downloaded != 300 || day.Objects != 2 || day.UserID != "" {
		t.Errorf("RecentUsage day = %+v, want today with 300 bytes downloaded from 2 objects", day)
	}
	if day.StorageBytes == nil || *day.StorageBytes != 1<<40 {
		t.Errorf("RecentUsage storage = %v, want 2^40", day.StorageBytes)
	}
	if _, err := store.RecentUsage(t.Context(), 9, 0); err == nil {
		t.Errorf("RecentUsage with 0 days returned no error")
	}
}

func TestUpdateHostingUsageClampsToColumn(t *testing.T) {
	db := whmcstest.NewDB(t)
	store := whmcs.NewStore(zaptest.NewLogger(t), db.DB)
	client := db.AddClient(t, whmcstest.Client{Email: "clamp@example.com"})
	product := db.AddProduct(t, whmcstest.Product{Name: "S3", Module: "ostorbridge"})
	service := db.AddService(t, whmcstest.Service{ClientID: client, ProductID: product})
	limit := int64(50)

	err := store.UpdateHostingUsage(t.Context(), service, whmcs.HostingUsage{DiskMB: 1 << 40, BandwidthMB: 12, DiskLimitMB: &limit})
	if err != nil {
		t.Fatal(err)
	}
	var row struct {
		Disk, DiskLimit, Bw, BwLimit int64
	}
	if err := db.QueryRowContext(t.Context(), `SELECT diskusage, disklimit, bwusage, bwlimit FROM tblhosting WHERE id = ?`, service).
		Scan(&row.Disk, &row.DiskLimit, &row.Bw, &row.BwLimit); err != nil {
		t.Fatal(err)
	}
	if row.Disk != whmcs.MaxHostingMB || row.DiskLimit != 50 || row.Bw != 12 || row.BwLimit != 0 {
		t.Errorf("tblhosting usage = %+v, want disk clamped to %d, disk limit 50, bandwidth 12, bandwidth limit untouched", row, whmcs.MaxHostingMB)
	}
}
