package bridge

import (
	"context"
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

func unrecordedUsers(report ReconcileReport) map[string]Finding {
	found := map[string]Finding{}
	for _, f := range report.Findings {
		if f.Kind == FindingUnrecordedUser {
			found[f.UserID] = f
		}
	}
	return found
}

func TestReconcileReportsUnrecordedUsers(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	product := h.addProduct(t, "S3")

	// A service deleted in WHMCS: the ServiceDelete hook keeps its identity and disabled user.
	deletedClient, deleted := h.addService(t, "deleted@example.com", product)
	deletedUser := h.create(t, deleted)
	if _, err := h.db.Exec(`DELETE FROM tblhosting WHERE id = ?`, deleted); err != nil {
		t.Fatal(err)
	}
	if _, err := h.p.Deleted(ctx, deleted); err != nil {
		t.Fatalf("Deleted: %v", err)
	}

	// A provisioned service, whose user is recorded.
	ownerClient, owned := h.addService(t, "owner@example.com", product)
	ownedUser := h.create(t, owned)

	// Users made by hand with addresses the bridge would use.
	pendingClient, _ := h.addService(t, "pending@example.com", product)
	byClientEmail := h.gw.AddUser("Pending@Example.com").ID
	byTemplate := h.gw.AddUser("owner+s9999@example.com").ID

	// Users the bridge has no reason to know.
	stranger := h.gw.AddUser("stranger@example.org").ID
	strangerTemplate := h.gw.AddUser("stranger+s4242@example.org").ID

	// A Create in flight: its email is journaled, the user exists, the identity is not recorded.
	_, creating := h.addService(t, "creating@example.com", product)
	if _, err := h.store.StartOperation(ctx, creating, "create", `{"email":"creating@example.com"}`); err != nil {
		t.Fatal(err)
	}
	inFlight := h.gw.AddUser("creating@example.com").ID
	before := h.gw.Users()

	report, err := h.p.Reconcile(ctx, ReconcileRequest{Fix: true})
	if err != nil {
		t.Fatal(err)
	}

	found := unrecordedUsers(report)
	if len(found) != 3 {
		t.Errorf("unrecorded_user findings = %+v, want 3", found)
	}
	if f := found[deletedUser]; f.ServiceID != deleted || f.ClientID != deletedClient || !strings.Contains(f.Message, `no longer in tblhosting as a service of module "ostorbridge"`) {
		t.Errorf("finding of the deleted service's user = %+v, want service %d, client %d and the reason", f, deleted, deletedClient)
	}
	if f := found[byClientEmail]; f.ClientID != pendingClient || f.ServiceID != 0 {
		t.Errorf("finding of the user with a client's email = %+v, want client %d and no service", f, pendingClient)
	}
	if f := found[byTemplate]; f.ClientID != ownerClient || f.ServiceID != 9999 {
		t.Errorf("finding of the templated user = %+v, want client %d and service 9999", f, ownerClient)
	}
	for _, f := range found {
		if f.Fixed || f.Action != unrecordedUserAction {
			t.Errorf("finding %+v is fixed or lacks the advice; reconcile must only report these users", f)
		}
	}
	for name, id := range map[string]string{"recorded": ownedUser, "stranger": stranger, "stranger with template shape": strangerTemplate, "in flight": inFlight} {
		if _, ok := found[id]; ok {
			t.Errorf("the %s user %s is reported as unrecorded", name, id)
		}
	}
	if after := h.gw.Users(); len(after) != len(before) {
		t.Errorf("reconcile --fix changed the gateway's users from %d to %d", len(before), len(after))
	}
	if u, _ := h.user(t, deletedUser); u.State != ostor.StateDisabled {
		t.Errorf("the deleted service's user is %s, want it left disabled", u.State)
	}
}

func TestReconcileUnrecordedUsersFollowScope(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	product := h.addProduct(t, "S3")
	firstClient, first := h.addService(t, "first@example.com", product)
	secondClient, _ := h.addService(t, "second@example.com", product)
	h.gw.AddUser("first@example.com")
	second := h.gw.AddUser("second@example.com").ID

	byClient, err := h.p.Reconcile(ctx, ReconcileRequest{ClientID: secondClient})
	if err != nil {
		t.Fatal(err)
	}
	found := unrecordedUsers(byClient)
	if _, ok := found[second]; !ok || len(found) != 1 {
		t.Errorf("reconcile of client %d found unrecorded users %+v, want only %s", secondClient, found, second)
	}

	byService, err := h.p.Reconcile(ctx, ReconcileRequest{ServiceID: first})
	if err != nil {
		t.Fatal(err)
	}
	if found := unrecordedUsers(byService); len(found) != 0 {
		t.Errorf("reconcile of service %d (client %d) reported unrecorded users %+v, want none", first, firstClient, found)
	}
	text := byClient.Text()
	if !strings.Contains(text, "unrecorded_user, client ") {
		t.Errorf("text report names no client for the unrecorded user:\n%s", text)
	}
}

func TestAddressMatcherTemplates(t *testing.T) {
	clients := []whmcs.ClientAddress{{ClientID: 7, Email: "Ann@Example.com"}}
	known := map[int64]bool{12: true}
	for _, tc := range []struct {
		template, email string
		client, service int64
		ok              bool
	}{
		{DefaultAdditionalUserEmail, "ann@example.com", 7, 0, true},
		{DefaultAdditionalUserEmail, "ann+s55@example.com", 7, 55, true},
		{DefaultAdditionalUserEmail, "ANN+S55@EXAMPLE.COM", 7, 55, true},
		{DefaultAdditionalUserEmail, "bob+s12@example.com", 0, 12, true},
		{DefaultAdditionalUserEmail, "bob+s13@example.com", 0, 0, false},
		{DefaultAdditionalUserEmail, "ann+sx@example.com", 0, 0, false},
		{"s3-{service_id}@storage.example.net", "s3-12@storage.example.net", 0, 12, true},
		{"s3-{service_id}@storage.example.net", "s3-13@storage.example.net", 0, 0, false},
		{"{local}.{service_id}.{local}@{domain}", "ann.55.ann@example.com", 7, 55, true},
		{"{local}.{service_id}.{local}@{domain}", "ann.55.bob@example.com", 0, 0, false},
		{"a.b+{service_id}@{domain}", "axb+12@example.com", 0, 0, false},
	} {
		m := newAddressMatcher(tc.template, clients, known)
		client, service, ok := m.match(tc.email)
		if client != tc.client || service != tc.service || ok != tc.ok {
			t.Errorf("template %q, email %q: match = %d, %d, %v; want %d, %d, %v", tc.template, tc.email, client, service, ok, tc.client, tc.service, tc.ok)
		}
	}
}

// listingGateway lists one more user than the gateway has, as a listing taken just before a
// concurrent Terminate deleted that user.
type listingGateway struct {
	*ostor.Client
	deleted ostor.User
}

func (g listingGateway) ListUsers(ctx context.Context) ([]ostor.User, error) {
	users, err := g.Client.ListUsers(ctx)
	return append(users, g.deleted), err
}

func TestReconcileSkipsUserDeletedAfterListing(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	h.addService(t, "gone@example.com", h.addProduct(t, "S3"))
	h.p.opts.Gateway = listingGateway{Client: h.p.opts.Gateway.(*ostor.Client), deleted: ostor.User{ID: "00000000000000aa", Email: "gone@example.com"}}

	report, err := h.p.Reconcile(context.Background(), ReconcileRequest{})
	if err != nil {
		t.Fatal(err)
	}

	if found := unrecordedUsers(report); len(found) != 0 {
		t.Errorf("unrecorded_user findings = %+v, want none for a user deleted after the listing", found)
	}
}

func TestPanelReconcileNamesNoServiceZero(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	client, _ := h.addService(t, "panel-user@example.com", h.addProduct(t, "S3"))
	h.gw.AddUser("panel-user@example.com")
	panel := newTestPanel(t, h, nil)

	message, err := runReconcile(context.Background(), panel, &actionTarget{req: ActionRequest{ClientID: client, AdminID: 1}, params: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}

	if !strings.Contains(message, "Gateway: S3 user ") || strings.Contains(message, "Service 0") {
		t.Errorf("reconcile message = %q, want the unrecorded user under Gateway and no service 0", message)
	}
}
