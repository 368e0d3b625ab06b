package whmcs_test

import (
	"fmt"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

func TestClientAddressesSkipEmptyEmail(t *testing.T) {
	db, store := newStore(t)
	first := db.AddClient(t, whmcstest.Client{Email: "First@Example.com"})
	blank := db.AddClient(t, whmcstest.Client{Email: "blank@example.com"})
	if _, err := db.Exec(`UPDATE tblclients SET email = '' WHERE id = ?`, blank); err != nil {
		t.Fatal(err)
	}

	addresses, err := store.ClientAddresses(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	if len(addresses) != 1 {
		t.Fatalf("ClientAddresses = %+v, want only client %d", addresses, first)
	}
	if addresses[0].ClientID != first || addresses[0].Email != "First@Example.com" {
		t.Errorf("ClientAddresses[0] = %+v, want client %d with its email as stored", addresses[0], first)
	}
}

func TestBillingServiceRecordsMatchBillingServices(t *testing.T) {
	db, store := newStore(t)
	client := db.AddClient(t, whmcstest.Client{Email: "billing@example.com"})
	var options [24]string
	options[6] = "50"
	product := db.AddProduct(t, whmcstest.Product{Name: "S3 50 GB", Module: "ostorbridge", ConfigOptions: options})
	active := db.AddService(t, whmcstest.Service{ClientID: client, ProductID: product})
	suspended := db.AddService(t, whmcstest.Service{ClientID: client, ProductID: product, Status: "Suspended"})
	terminated := db.AddService(t, whmcstest.Service{ClientID: client, ProductID: product, Status: "Terminated"})
	db.AddService(t, whmcstest.Service{ClientID: client, ProductID: product}) // no identity
	for i, id := range []int64{active, suspended, terminated} {
		err := store.WithinTx(t.Context(), func(tx *sqlx.Tx) error {
			return store.InsertIdentity(t.Context(), tx, whmcs.Identity{ServiceID: id, ClientID: client, UserID: fmt.Sprintf("%016x", 0xa0+i), Email: "billing@example.com"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	records, err := store.BillingServiceRecords(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	billed, err := store.BillingServices(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	if got := serviceIDs(records); !equalIDs(got, []int64{active, suspended}) {
		t.Errorf("BillingServiceRecords ids = %v, want %v", got, []int64{active, suspended})
	}
	if len(billed) != len(records) {
		t.Errorf("BillingServices has %d services, BillingServiceRecords %d; want the same services", len(billed), len(records))
	}
	for _, svc := range records {
		if svc.ConfigOptions[6] != "50" {
			t.Errorf("service %d configoption7 = %q, want %q", svc.ID, svc.ConfigOptions[6], "50")
		}
	}
}
