package whmcs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

func TestServiceReadsJoinedRow(t *testing.T) {
	db, store := newStore(t)
	email := "josé.müller+s3@exämple.com"
	clientID := db.AddClient(t, whmcstest.Client{Email: email, FirstName: "José", LastName: "Müller"})
	var options [24]string
	options[0] = "gold"
	options[23] = "last option 日本"
	productID := db.AddProduct(t, whmcstest.Product{Name: "S3 Gold", Module: "ostorbridge", ConfigOptions: options})
	serverID := db.AddServer(t, whmcstest.Server{Name: "gw1", Module: "ostorbridge", Hostname: "s3.example.com", Port: 443, Secure: true})
	serviceID := db.AddService(t, whmcstest.Service{
		ClientID: clientID, ProductID: productID, ServerID: serverID,
		Status: "Suspended", Domain: "bucket.example.com", Username: "s3user",
	})

	svc, err := store.Service(t.Context(), serviceID)
	if err != nil {
		t.Fatal(err)
	}

	want := whmcs.Service{
		ID: serviceID, ClientID: clientID, ProductID: productID, ServerID: serverID,
		Status: "Suspended", Domain: "bucket.example.com", Username: "s3user",
		ClientEmail: email, ClientStatus: "Active",
		ProductName: "S3 Gold", ProductModule: "ostorbridge", ConfigOptions: options,
	}
	if svc != want {
		t.Errorf("Service(%d) =\n%+v\nwant\n%+v", serviceID, svc, want)
	}
}

func TestServiceUnknownID(t *testing.T) {
	_, store := newStore(t)

	_, err := store.Service(t.Context(), 424242)
	if !errors.Is(err, whmcs.ErrNotFound) {
		t.Fatalf("Service(424242) error = %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "424242") {
		t.Errorf("error %q does not name the id", err)
	}
}

func TestServiceToleratesNullColumns(t *testing.T) {
	db, store := newStore(t)
	ctx := t.Context()
	clientID := db.AddClient(t, whmcstest.Client{Email: "null@example.com"})
	productID := db.AddProduct(t, whmcstest.Product{Name: "S3", Module: "ostorbridge"})
	serviceID := db.AddService(t, whmcstest.Service{ClientID: clientID, ProductID: productID, Domain: "d", Username: "u"})

	// Installs upgraded from old WHMCS versions can have nullable columns.
	for _, statement := range []string{
		`ALTER TABLE tblhosting MODIFY domain text NULL, MODIFY username text NULL`,
		`ALTER TABLE tblproducts MODIFY configoption3 text NULL`,
		`UPDATE tblhosting SET domain = NULL, username = NULL`,
		`UPDATE tblproducts SET configoption3 = NULL`,
	} {
		if _, err := db.ExecContext(ctx, statement); err != nil {
			t.Fatalf("%s: %v", statement, err)
		}
	}

	svc, err := store.Service(ctx, serviceID)
	if err != nil {
		t.Fatalf("Service with NULL columns: %v", err)
	}
	if svc.Domain != "" {
		t.Errorf("Domain = %q, want empty for NULL", svc.Domain)
	}
	if svc.Username != "" {
		t.Errorf("Username = %q, want empty for NULL", svc.Username)
	}
	if svc.ConfigOptions[2] != "" {
		t.Errorf("ConfigOptions[2] = %q, want empty for NULL", svc.ConfigOptions[2])
	}
}

func TestServiceMissingClientRow(t *testing.T) {
	db, store := newStore(t)
	productID := db.AddProduct(t, whmcstest.Product{Name: "S3", Module: "ostorbridge"})
	serviceID := db.AddService(t, whmcstest.Service{ClientID: 999, ProductID: productID})

	_, err := store.Service(t.Context(), serviceID)
	if err == nil {
		t.Fatal("Service of a service without client row succeeded")
	}
	if errors.Is(err, whmcs.ErrNotFound) {
		t.Errorf("error %v wraps ErrNotFound, but the service exists", err)
	}
	if !strings.Contains(err.Error(), "client 999") {
		t.Errorf("error %q does not name the missing client", err)
	}
}

func TestServicesOfClientFiltersModule(t *testing.T) {
	db, store := newStore(t)
	clientID := db.AddClient(t, whmcstest.Client{Email: "many@example.com"})
	otherClientID := db.AddClient(t, whmcstest.Client{Email: "other@example.com"})
	s3Product := db.AddProduct(t, whmcstest.Product{Name: "S3", Module: "ostorbridge"})
	hostingProduct := db.AddProduct(t, whmcstest.Product{Name: "Web", Module: "cpanel"})
	first := db.AddService(t, whmcstest.Service{ClientID: clientID, ProductID: s3Product})
	web := db.AddService(t, whmcstest.Service{ClientID: clientID, ProductID: hostingProduct})
	second := db.AddService(t, whmcstest.Service{ClientID: clientID, ProductID: s3Product, Status: "Terminated"})
	db.AddService(t, whmcstest.Service{ClientID: otherClientID, ProductID: s3Product})

	services, err := store.ServicesOfClient(t.Context(), clientID, "ostorbridge")
	if err != nil {
		t.Fatal(err)
	}
	if got := serviceIDs(services); !equalIDs(got, []int64{first, second}) {
		t.Errorf("ServicesOfClient(ostorbridge) ids = %v, want %v", got, []int64{first, second})
	}

	all, err := store.ServicesOfClient(t.Context(), clientID, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := serviceIDs(all); !equalIDs(got, []int64{first, web, second}) {
		t.Errorf("ServicesOfClient(all) ids = %v, want %v", got, []int64{first, web, second})
	}

	none, err := store.ServicesOfClient(t.Context(), 4040, "ostorbridge")
	if err != nil {
		t.Fatal(err)
	}
	if len(none) != 0 {
		t.Errorf("ServicesOfClient of unknown client = %v, want none", serviceIDs(none))
	}
}

func serviceIDs(services []whmcs.Service) []int64 {
	ids := []int64{}
	for _, s := range services {
		ids = append(ids, s.ID)
	}
	return ids
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
