package bridge

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/ostor/s3data"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// lifecycleHarness is a Provisioner on a real MariaDB database with the WHMCS schema and a fake
// gateway served over loopback.
type lifecycleHarness struct {
	db       *whmcstest.DB
	gw       *ostortest.Server
	store    *whmcs.Store
	p        *Provisioner
	serverID int64
}

func newLifecycleHarness(t *testing.T, configure func(*ProvisionerOptions)) *lifecycleHarness {
	t.Helper()
	h := &lifecycleHarness{db: whmcstest.NewDB(t), gw: ostortest.NewServer(ostortest.Options{})}
	t.Cleanup(h.gw.Close)

	client, err := ostor.New(h.gw.Config())
	if err != nil {
		t.Fatal(err)
	}
	h.store = whmcs.NewStore(nil, h.db.DB)
	opts := ProvisionerOptions{DB: h.db.DB, Store: h.store, Gateway: client, PublicEndpoint: "https://s3.example.test"}
	if configure != nil {
		configure(&opts)
	}
	if h.p, err = NewProvisioner(opts); err != nil {
		t.Fatal(err)
	}
	h.serverID = h.db.AddServer(t, whmcstest.Server{Name: "ostor-bridge", Hostname: "127.0.0.1", Module: "ostorbridge"})
	return h
}

// addProduct adds an ostorbridge product with the given config options, configoption1 first.
func (h *lifecycleHarness) addProduct(t *testing.T, name string, options ...string) int64 {
	t.Helper()
	var p whmcstest.Product
	p.Name, p.Module = name, "ostorbridge"
	copy(p.ConfigOptions[:], options)
	return h.db.AddProduct(t, p)
}

// addService adds a client with email and a pending service of product.
func (h *lifecycleHarness) addService(t *testing.T, email string, product int64) (clientID, serviceID int64) {
	t.Helper()
	clientID = h.db.AddClient(t, whmcstest.Client{Email: email, FirstName: "Test", LastName: "Client"})
	serviceID = h.db.AddService(t, whmcstest.Service{ClientID: clientID, ProductID: product, ServerID: h.serverID, Status: "Pending"})
	return clientID, serviceID
}

// create provisions a service and returns its S3 user id.
func (h *lifecycleHarness) create(t *testing.T, serviceID int64) string {
	t.Helper()
	res, err := h.p.Create(context.Background(), serviceID)
	if err != nil {
		t.Fatalf("Create(%d): %v", serviceID, err)
	}
	return res.UserID
}

func (h *lifecycleHarness) user(t *testing.T, id string) (ostor.User, bool) {
	t.Helper()
	for _, u := range h.gw.Users() {
		if u.ID == id {
			return u, true
		}
	}
	return ostor.User{}, false
}

// countOps counts the gateway requests of one operation since the last ResetRequests.
func (h *lifecycleHarness) countOps(op string) int {
	n := 0
	for _, r := range h.gw.Requests() {
		if r.Op == op {
			n++
		}
	}
	return n
}

func (h *lifecycleHarness) countJournal(t *testing.T, serviceID int64, kind, state string) int {
	t.Helper()
	var n int
	err := h.db.Get(&n, `SELECT COUNT(*) FROM mod_ostorbridge_operations WHERE service_id = ? AND kind = ? AND state = ?`, serviceID, kind, state)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (h *lifecycleHarness) hasIdentity(t *testing.T, serviceID int64) bool {
	t.Helper()
	_, err := h.store.Identity(context.Background(), h.db.DB, serviceID)
	if err != nil && !errors.Is(err, whmcs.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func wantCode(t *testing.T, err error, code Code) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want code %d (%s)", code, code.Kind())
	}
	be := asError(err)
	if be.Code != code {
		t.Fatalf("got code %d (%s): %v; want %d (%s)", be.Code, be.Code.Kind(), err, code, code.Kind())
	}
	return be
}

func TestSuspendUnsuspendRepeated(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	_, service := h.addService(t, "susp@example.com", h.addProduct(t, "S3"))
	userID := h.create(t, service)
	h.gw.ResetRequests()

	for i := 0; i < 2; i++ {
		if err := h.p.Suspend(ctx, service, 1); err != nil {
			t.Fatalf("Suspend #%d: %v", i+1, err)
		}
		if u, _ := h.user(t, userID); u.State != ostor.StateDisabled {
			t.Fatalf("after Suspend #%d the user is %q", i+1, u.State)
		}
	}
	if n := h.countOps(ostor.OpUsersDisable); n != 1 {
		t.Errorf("two Suspend calls sent %d disable requests, want 1", n)
	}
	if n := h.countJournal(t, service, opSuspend, "done"); n != 1 {
		t.Errorf("journal has %d done suspend operations, want 1", n)
	}

	for i := 0; i < 2; i++ {
		if err := h.p.Unsuspend(ctx, service, 1); err != nil {
			t.Fatalf("Unsuspend #%d: %v", i+1, err)
		}
	}
	if u, _ := h.user(t, userID); u.State != ostor.StateEnabled {
		t.Errorf("after Unsuspend the user is %q", u.State)
	}
	if n := h.countOps(ostor.OpUsersEnable); n != 1 {
		t.Errorf("two Unsuspend calls sent %d enable requests, want 1", n)
	}
}

func TestSuspendWithoutUserIsNotFound(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	_, service := h.addService(t, "none@example.com", h.addProduct(t, "S3"))

	err := h.p.Suspend(context.Background(), service, 0)

	be := wantCode(t, err, CodeNotFound)
	if !strings.Contains(be.Message, "run Create") {
		t.Errorf("message does not name the fix: %s", be.Message)
	}
}

func TestSuspendDroppedResponseResolved(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	_, service := h.addService(t, "drop@example.com", h.addProduct(t, "S3"))
	userID := h.create(t, service)
	h.gw.ResetRequests()
	h.gw.SetFault(ostor.OpUsersDisable, ostortest.Fault{DropAfterApply: true, Times: 1})

	if err := h.p.Suspend(context.Background(), service, 0); err != nil {
		t.Fatalf("Suspend with a dropped response: %v", err)
	}

	if u, _ := h.user(t, userID); u.State != ostor.StateDisabled {
		t.Errorf("user is %q, want disabled", u.State)
	}
	if n := h.countOps(ostor.OpUsersDisable); n != 1 {
		t.Errorf("sent %d disable requests, want exactly 1", n)
	}
	if n := h.countJournal(t, service, opSuspend, "done"); n != 1 {
		t.Errorf("journal has %d done suspend operations, want 1", n)
	}
}

func TestTerminateDeletesUserWithoutBuckets(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	client, service := h.addService(t, "term@example.com", h.addProduct(t, "S3"))
	adminNote := h.db.AddNote(t, client, "Call before any change.")
	userID := h.create(t, service)

	res, err := h.p.Terminate(ctx, service, 1)
	if err != nil {
		t.Fatalf("Terminate: %v", err)
	}

	if !res.Deleted || res.UserID != userID {
		t.Errorf("result = %+v, want the user %s deleted", res, userID)
	}
	if _, ok := h.user(t, userID); ok {
		t.Errorf("user %s still exists on the gateway", userID)
	}
	if h.hasIdentity(t, service) {
		t.Errorf("identity of service %d was not removed", service)
	}
	notes := h.db.Notes(t, client)
	if len(notes) != 2 {
		t.Fatalf("client has %d notes, want the admin's and the bridge's", len(notes))
	}
	for _, n := range notes {
		if n.ID == adminNote && n.Text != "Call before any change." {
			t.Errorf("admin note changed to %q", n.Text)
		}
		if n.ID != adminNote && !strings.Contains(n.Text, "removed by Terminate") {
			t.Errorf("access-key note does not say the user was removed:\n%s", n.Text)
		}
	}

	h.gw.ResetRequests()
	again, err := h.p.Terminate(ctx, service, 1)
	if err != nil {
		t.Fatalf("second Terminate: %v", err)
	}
	if !again.NothingRecorded {
		t.Errorf("second Terminate result = %+v, want nothing recorded", again)
	}
	if n := len(h.gw.Requests()); n != 0 {
		t.Errorf("second Terminate sent %d gateway requests, want 0", n)
	}
	if n := h.countJournal(t, service, opTerminate, "done"); n != 1 {
		t.Errorf("journal has %d done terminate operations, want 1", n)
	}
}

func TestTerminateDroppedDeleteResolved(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	_, service := h.addService(t, "dropdel@example.com", h.addProduct(t, "S3"))
	userID := h.create(t, service)
	h.gw.ResetRequests()
	h.gw.SetFault(ostor.OpUsersDelete, ostortest.Fault{DropAfterApply: true, Times: 1})

	res, err := h.p.Terminate(context.Background(), service, 0)
	if err != nil {
		t.Fatalf("Terminate with a dropped response: %v", err)
	}

	if !res.Deleted {
		t.Errorf("result = %+v, want deleted", res)
	}
	if _, ok := h.user(t, userID); ok {
		t.Errorf("user %s still exists", userID)
	}
	if n := h.countOps(ostor.OpUsersDelete); n != 1 {
		t.Errorf("sent %d delete requests, want exactly 1", n)
	}
	if h.hasIdentity(t, service) {
		t.Errorf("identity was not removed")
	}
}

func TestTerminateWithBucketsDisablesByDefault(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	_, service := h.addService(t, "buckets@example.com", h.addProduct(t, "S3"))
	userID := h.create(t, service)
	h.gw.Gateway.AddBucket(userID, "photos", 1024)
	h.gw.Gateway.AddBucket(userID, "backups", 2048)
	h.gw.ResetRequests()

	_, err := h.p.Terminate(ctx, service, 0)

	be := wantCode(t, err, CodeConflict)
	for _, want := range []string{"photos", "backups", "disabled", "purge", "Terminate in WHMCS", `"Delete user"`} {
		if !strings.Contains(be.Message, want) {
			t.Errorf("message lacks %q: %s", want, be.Message)
		}
	}
	if !strings.HasSuffix(be.Message, "again.") {
		t.Errorf("message does not end with a full sentence: %s", be.Message)
	}
	u, ok := h.user(t, userID)
	if !ok || u.State != ostor.StateDisabled {
		t.Errorf("user = %+v (exists %v), want it kept and disabled", u, ok)
	}
	if !h.hasIdentity(t, service) {
		t.Errorf("identity was removed although the user is kept")
	}

	_, err = h.p.Terminate(ctx, service, 0)
	wantCode(t, err, CodeConflict)
	if n := h.countOps(ostor.OpUsersDisable); n != 1 {
		t.Errorf("two Terminate calls sent %d disable requests, want 1", n)
	}
	if n := h.countOps(ostor.OpUsersDelete); n != 0 {
		t.Errorf("Terminate sent %d delete requests for a user with buckets", n)
	}
}

// bucketPurger deletes buckets from the fake gateway, standing in for the S3 data API.
type bucketPurger struct {
	gw   *ostortest.Gateway
	keys []string
}

func (b *bucketPurger) Purge(_ context.Context, owner ostor.KeyPair, buckets []string) (PurgeReport, error) {
	b.keys = append(b.keys, owner.AccessKeyID)
	for _, name := range buckets {
		b.gw.DeleteBucket(name)
	}
	return PurgeReport{Buckets: len(buckets), Objects: 3}, nil
}

func TestTerminateWithBucketsPurges(t *testing.T) {
	purger := &bucketPurger{}
	h := newLifecycleHarness(t, func(o *ProvisionerOptions) { o.Purger = purger })
	purger.gw = h.gw.Gateway
	_, service := h.addService(t, "purge@example.com", h.addProduct(t, "S3 purge", "", "", "", "", "", "", "", TerminatePurge))
	userID := h.create(t, service)
	h.gw.Gateway.AddBucket(userID, "data", 4096)
	user, _ := h.user(t, userID)

	res, err := h.p.Terminate(context.Background(), service, 0)
	if err != nil {
		t.Fatalf("Terminate: %v", err)
	}

	if !res.Deleted || len(res.PurgedBuckets) != 1 || res.PurgedBuckets[0] != "data" {
		t.Errorf("result = %+v, want bucket data purged and the user deleted", res)
	}
	if _, ok := h.user(t, userID); ok {
		t.Errorf("user still exists after purge")
	}
	if len(purger.keys) != 1 || purger.keys[0] != user.AccessKeys[0].AccessKeyID {
		t.Errorf("purge used keys %v, want the user's own key %s", purger.keys, user.AccessKeys[0].AccessKeyID)
	}
}

func TestTerminatePurgeWithoutPurgerChangesNothing(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	_, service := h.addService(t, "nopurger@example.com", h.addProduct(t, "S3 purge", "", "", "", "", "", "", "", TerminatePurge))
	userID := h.create(t, service)
	h.gw.Gateway.AddBucket(userID, "keep", 10)

	_, err := h.p.Terminate(context.Background(), service, 0)

	wantCode(t, err, CodeConflict)
	if u, ok := h.user(t, userID); !ok || u.State != ostor.StateEnabled {
		t.Errorf("user = %+v (exists %v), want it untouched", u, ok)
	}
}

func TestPlanAppliedAndReadBack(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	big := h.addProduct(t, "S3 big", "10", "20", "30", "40", "50", "600", "100")
	_, service := h.addService(t, "plan@example.com", big)
	userID := h.create(t, service)
	target := ostor.UserTarget(ostor.ByID(userID))
	client, err := ostor.New(h.gw.Config())
	if err != nil {
		t.Fatal(err)
	}

	limits, err := client.GetLimits(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	want := ostor.Limits{OpsDefault: 10, OpsGet: 20, OpsPut: 30, OpsList: 40, OpsDelete: 50, BandwidthOut: 600}
	if !sameLimits(limits, want) {
		t.Errorf("limits after Create = %+v, want %+v", limits, want)
	}
	if q, err := client.GetQuota(ctx, target); err != nil || q.Size != 100 {
		t.Errorf("quota after Create = %+v, %v; want 100 GB", q, err)
	}

	h.gw.ResetRequests()
	res, err := h.p.ChangePackage(ctx, service, 1)
	if err != nil {
		t.Fatalf("ChangePackage on the same product: %v", err)
	}
	if len(res.Changed) != 0 {
		t.Errorf("ChangePackage on the same product changed %v", res.Changed)
	}
	for _, op := range []string{ostor.OpLimitsSet, ostor.OpLimitsDelete, ostor.OpQuotasSet, ostor.OpQuotasDelete} {
		if n := h.countOps(op); n != 0 {
			t.Errorf("ChangePackage on the same product sent %d %s requests", n, op)
		}
	}

	unlimited := h.addProduct(t, "S3 unlimited", "0", "", "0", "", "0", "", "0")
	if _, err := h.db.Exec(`UPDATE tblhosting SET packageid = ? WHERE id = ?`, unlimited, service); err != nil {
		t.Fatal(err)
	}
	res, err = h.p.ChangePackage(ctx, service, 1)
	if err != nil {
		t.Fatalf("ChangePackage to unlimited: %v", err)
	}
	if strings.Join(res.Changed, ",") != "ops,bandwidth,quota" {
		t.Errorf("changed = %v, want ops, bandwidth and quota", res.Changed)
	}
	limits, err = client.GetLimits(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if !sameLimits(limits, ostor.Limits{}) {
		t.Errorf("limits after the unlimited plan = %+v, want all 0", limits)
	}
	if q, err := client.GetQuota(ctx, target); err != nil || q.Size != 0 {
		t.Errorf("quota after the unlimited plan = %+v, %v; want 0", q, err)
	}
	if h.countOps(ostor.OpLimitsDelete) != 2 || h.countOps(ostor.OpQuotasDelete) != 1 {
		t.Errorf("unlimited plan sent %d limit and %d quota deletes, want 2 and 1",
			h.countOps(ostor.OpLimitsDelete), h.countOps(ostor.OpQuotasDelete))
	}
}

func TestPlanReferenceLimitSyntax(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	h.useGateway(t, ostortest.Options{LimitSyntax: ostor.LimitSyntaxReference})
	client := h.p.opts.Gateway
	_, service := h.addService(t, "refsyntax@example.com", h.addProduct(t, "S3 ref", "5", "", "7", "", "", "9"))
	userID := h.create(t, service)

	limits, err := client.GetLimits(context.Background(), ostor.UserTarget(ostor.ByID(userID)))
	if err != nil {
		t.Fatal(err)
	}
	if limits.OpsDefault != 5 || limits.OpsGet != 0 || limits.OpsPut != 7 || limits.BandwidthOut != 9 {
		t.Errorf("limits = %+v, want default 5, get 0, put 7, bandwidth 9", limits)
	}
}

func TestCreateRejectsInvalidPlan(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	_, service := h.addService(t, "badplan@example.com", h.addProduct(t, "S3 bad", "10", "", "ten"))

	_, err := h.p.Create(context.Background(), service)

	be := wantCode(t, err, CodeInvalidInput)
	if be.Field != "configoption3" || !strings.Contains(be.Message, `"ten"`) || !strings.Contains(be.Message, "Ops limit: PUT") {
		t.Errorf("error field %q message %q; want configoption3 named with its value and label", be.Field, be.Message)
	}
	if n := len(h.gw.Users()); n != 0 {
		t.Errorf("gateway has %d users after a rejected Create", n)
	}
}

func TestEmailChangeKeepsStorage(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	product := h.addProduct(t, "S3")
	client, first := h.addService(t, "old@example.com", product)
	firstUser := h.create(t, first)

	if _, err := h.db.Exec(`UPDATE tblclients SET email = ? WHERE id = ?`, "new@example.com", client); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		res, err := h.p.EmailChanged(ctx, client, "old@example.com", "new@example.com")
		if err != nil {
			t.Fatalf("EmailChanged #%d: %v", i+1, err)
		}
		if len(res.Services) != 1 || res.Services[0].UserID != firstUser || res.Services[0].Email != "old@example.com" {
			t.Errorf("EmailChanged #%d result = %+v, want the first service's user unchanged", i+1, res)
		}
	}
	if n := h.countJournal(t, first, opEmailChanged, "done"); n != 1 {
		t.Errorf("journal has %d email changes, want 1 after a repeated call", n)
	}

	if err := h.p.Suspend(ctx, first, 0); err != nil {
		t.Fatalf("Suspend after the email change: %v", err)
	}
	if u, _ := h.user(t, firstUser); u.State != ostor.StateDisabled || u.Email != "old@example.com" {
		t.Errorf("user after the email change = %+v, want the original user disabled", u)
	}

	second := h.db.AddService(t, whmcstest.Service{ClientID: client, ProductID: product, ServerID: h.serverID, Status: "Pending"})
	secondUser := h.create(t, second)
	if secondUser == firstUser {
		t.Fatalf("second service got the first service's S3 user")
	}
	third := h.db.AddService(t, whmcstest.Service{ClientID: client, ProductID: product, ServerID: h.serverID, Status: "Pending"})
	thirdUser := h.create(t, third)
	u, _ := h.user(t, thirdUser)
	if want := "new+s" + itoa(third) + "@example.com"; u.Email != want {
		t.Errorf("third service's S3 user email = %q, want %q", u.Email, want)
	}
}

func TestEmailChangeRejectsInvalidInput(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()

	_, err := h.p.EmailChanged(ctx, 0, "a@example.com", "b@example.com")
	if be := wantCode(t, err, CodeInvalidInput); be.Field != "client_id" {
		t.Errorf("field = %q, want client_id", be.Field)
	}
	_, err = h.p.EmailChanged(ctx, 5, "a@example.com", "not an email")
	if be := wantCode(t, err, CodeInvalidInput); be.Field != "new_email" {
		t.Errorf("field = %q, want new_email", be.Field)
	}
	_, err = h.p.EmailChanged(ctx, 999999, "a@example.com", "b@example.com")
	wantCode(t, err, CodeNotFound)
}

func TestAdditionalUserEmailTemplate(t *testing.T) {
	h := newLifecycleHarness(t, func(o *ProvisionerOptions) { o.AdditionalUserEmail = "s3-{service_id}.{local}@{domain}" })
	product := h.addProduct(t, "S3")
	client, first := h.addService(t, "tpl@example.com", product)
	h.create(t, first)
	second := h.db.AddService(t, whmcstest.Service{ClientID: client, ProductID: product, ServerID: h.serverID, Status: "Pending"})

	u, _ := h.user(t, h.create(t, second))

	if want := "s3-" + itoa(second) + ".tpl@example.com"; u.Email != want {
		t.Errorf("second user email = %q, want %q", u.Email, want)
	}
}

func TestClientMergeMovesIdentity(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	from, service := h.addService(t, "from@example.com", h.addProduct(t, "S3"))
	h.create(t, service)
	to := h.db.AddClient(t, whmcstest.Client{Email: "to@example.com", FirstName: "To", LastName: "Client"})
	if _, err := h.db.Exec(`UPDATE tblhosting SET userid = ? WHERE id = ?`, to, service); err != nil {
		t.Fatal(err)
	}
	keyNotes := h.db.Notes(t, from)
	if len(keyNotes) != 1 {
		t.Fatalf("merged client has notes %+v before the merge, want the access-key note", keyNotes)
	}
	adminNoteID := h.db.AddNote(t, from, "Merged into client "+itoa(to)+" on request.")

	res, err := h.p.Merged(ctx, from, to)
	if err != nil {
		t.Fatalf("Merged: %v", err)
	}

	if len(res.Services) != 1 || res.Services[0].ServiceID != service {
		t.Errorf("result = %+v, want service %d moved", res, service)
	}
	ident, err := h.store.Identity(ctx, h.db.DB, service)
	if err != nil || ident.ClientID != to {
		t.Errorf("identity = %+v, %v; want client %d", ident, err, to)
	}
	fromNotes := h.db.Notes(t, from)
	if len(fromNotes) != 1 || fromNotes[0].ID != adminNoteID {
		t.Errorf("merged client's notes = %+v, want only the admin's note %d", fromNotes, adminNoteID)
	}
	toNotes := h.db.Notes(t, to)
	if len(toNotes) != 1 || toNotes[0].ID != keyNotes[0].ID {
		t.Errorf("surviving client's notes = %+v, want the moved access-key note %d", toNotes, keyNotes[0].ID)
	}
	again, err := h.p.Merged(ctx, from, to)
	if err != nil || len(again.Services) != 0 {
		t.Errorf("repeated Merged = %+v, %v; want nothing moved", again, err)
	}
	if n := h.countJournal(t, service, opClientMerged, "done"); n != 1 {
		t.Errorf("journal has %d merges, want 1", n)
	}
	if err := h.p.Suspend(ctx, service, 0); err != nil {
		t.Errorf("Suspend after the merge: %v", err)
	}
	if n := len(h.db.Notes(t, to)); n != 1 {
		t.Errorf("surviving client has %d notes after a note write, want the one access-key note", n)
	}
	if n := len(h.db.Notes(t, from)); n != 1 {
		t.Errorf("merged client has %d notes after a note write, want only the admin's note", n)
	}
}

func TestServiceDeletedDisablesAndKeepsData(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	client, service := h.addService(t, "deleted@example.com", h.addProduct(t, "S3"))
	userID := h.create(t, service)
	h.gw.Gateway.AddBucket(userID, "kept", 100)
	if _, err := h.db.Exec(`DELETE FROM tblhosting WHERE id = ?`, service); err != nil {
		t.Fatal(err)
	}
	h.gw.ResetRequests()

	res, err := h.p.Deleted(ctx, service)
	if err != nil {
		t.Fatalf("Deleted: %v", err)
	}

	if !res.Disabled || len(res.Buckets) != 1 || res.Buckets[0] != "kept" {
		t.Errorf("result = %+v, want the user disabled and bucket kept listed", res)
	}
	if u, ok := h.user(t, userID); !ok || u.State != ostor.StateDisabled {
		t.Errorf("user = %+v (exists %v), want kept and disabled", u, ok)
	}
	if !h.hasIdentity(t, service) {
		t.Errorf("identity was removed")
	}
	note, err := h.store.KeyNote(ctx, h.db.DB, client, service)
	if err != nil || !strings.Contains(note.Text, "deleted without Terminate") {
		t.Errorf("note = %q, %v; want it to say the service was deleted", note.Text, err)
	}

	if _, err := h.p.Deleted(ctx, service); err != nil {
		t.Fatalf("second Deleted: %v", err)
	}
	if n := h.countOps(ostor.OpUsersDisable); n != 1 {
		t.Errorf("two Deleted calls sent %d disable requests, want 1", n)
	}
	if n := h.countJournal(t, service, opServiceDeleted, "done"); n != 1 {
		t.Errorf("journal has %d done service_deleted operations, want 1", n)
	}
}

func TestServiceDeletedUnknownServiceIsNoop(t *testing.T) {
	h := newLifecycleHarness(t, nil)

	res, err := h.p.Deleted(context.Background(), 4242)

	if err != nil || res.Disabled || res.UserID != "" {
		t.Errorf("Deleted of a service without identity = %+v, %v; want an empty success", res, err)
	}
}

func TestClientAreaSecretFollowsProduct(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	_, hiddenService := h.addService(t, "hidden@example.com", h.addProduct(t, "S3"))
	_, shownService := h.addService(t, "shown@example.com", h.addProduct(t, "S3 show", "", "", "", "", "", "", "", "", "", "on"))

	res, err := h.p.ClientArea(ctx, hiddenService)
	if err != nil || res.Provisioned {
		t.Fatalf("ClientArea before Create = %+v, %v; want not provisioned", res, err)
	}
	h.create(t, hiddenService)
	shownUser := h.create(t, shownService)

	res, err = h.p.ClientArea(ctx, hiddenService)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Provisioned || res.Endpoint != "https://s3.example.test" || len(res.AccessKeys) != 1 {
		t.Fatalf("ClientArea = %+v, want the endpoint and one key", res)
	}
	if res.SecretsShown || res.AccessKeys[0].SecretAccessKey != "" {
		t.Errorf("secret shown although the product does not allow it")
	}

	res, err = h.p.ClientArea(ctx, shownService)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := h.user(t, shownUser)
	if !res.SecretsShown || res.AccessKeys[0].SecretAccessKey != u.AccessKeys[0].SecretAccessKey.Reveal() {
		t.Errorf("secret not shown although the product allows it: %+v", res.AccessKeys)
	}
}

func TestNoteContentFollowsProduct(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	client, service := h.addService(t, "notesecret@example.com", h.addProduct(t, "S3 note", "", "", "", "", "", "", "", "", NoteKeyIDAndSecret))
	userID := h.create(t, service)
	u, _ := h.user(t, userID)

	note, err := h.store.KeyNote(context.Background(), h.db.DB, client, service)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note.Text, u.AccessKeys[0].SecretAccessKey.Reveal()) {
		t.Errorf("note lacks the secret although the product asks for it:\n%s", note.Text)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// sameLimits compares the decoded limit values and ignores the raw reply.
func sameLimits(a, b ostor.Limits) bool {
	a.Raw, b.Raw = nil, nil
	return a.OpsDefault == b.OpsDefault && a.OpsGet == b.OpsGet && a.OpsPut == b.OpsPut &&
		a.OpsList == b.OpsList && a.OpsDelete == b.OpsDelete && a.BandwidthOut == b.BandwidthOut
}

func TestTerminatePurgesThroughS3Data(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	h.p.opts.Purger = S3DataPurger{Config: s3data.Config{Endpoint: h.gw.URL, AllowInsecureHTTP: true}}
	ctx := context.Background()
	_, service := h.addService(t, "s3purge@example.com", h.addProduct(t, "S3 purge", "", "", "", "", "", "", "", TerminatePurge))
	userID := h.create(t, service)
	h.gw.Gateway.AddBucket(userID, "archive", 0)
	h.gw.Gateway.AddObject("archive", "2026/01.tar", 100)
	h.gw.Gateway.AddObject("archive", "2026/02.tar", 200)
	if err := h.p.Suspend(ctx, service, 0); err != nil {
		t.Fatal(err)
	}

	res, err := h.p.Terminate(ctx, service, 0)
	if err != nil {
		t.Fatalf("Terminate of a suspended user with a bucket: %v", err)
	}

	if !res.Deleted || res.Purge == nil || res.Purge.Objects != 2 || res.Purge.Buckets != 1 {
		t.Errorf("result = %+v (purge %+v), want 2 objects and 1 bucket purged", res, res.Purge)
	}
	if _, ok := h.user(t, userID); ok {
		t.Errorf("user still exists after the purge")
	}
	if n := len(h.gw.Gateway.Objects("archive")); n != 0 {
		t.Errorf("bucket still holds %d objects", n)
	}
}

func TestPlanTreatsLimitsReadErrorAsUnset(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	_, service := h.addService(t, "as2limits@example.com", h.addProduct(t, "S3 bw", "", "", "", "", "", "300"))
	h.gw.SetFault(ostor.OpLimitsGet, ostortest.Fault{Status: 400, Code: "InvalidRequest", Message: "limits are disabled for this user", Times: 1})

	userID := h.create(t, service)

	limits, err := h.p.opts.Gateway.GetLimits(context.Background(), ostor.UserTarget(ostor.ByID(userID)))
	if err != nil || limits.BandwidthOut != 300 {
		t.Errorf("limits = %+v, %v; want bandwidth 300 set although the first read failed", limits, err)
	}
}

func TestReconcileKeepsTerminateDisabledUser(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	_, service := h.addService(t, "heldback@example.com", h.addProduct(t, "S3"))
	userID := h.create(t, service)
	if _, err := h.db.Exec(`UPDATE tblhosting SET domainstatus = 'Active' WHERE id = ?`, service); err != nil {
		t.Fatal(err)
	}
	h.gw.Gateway.AddBucket(userID, "evidence", 10)
	if _, err := h.p.Terminate(ctx, service, 0); err == nil {
		t.Fatal("Terminate of a user with buckets succeeded")
	}

	report, err := h.p.Reconcile(ctx, ReconcileRequest{ServiceID: service, Fix: true})
	if err != nil {
		t.Fatal(err)
	}

	if u, _ := h.user(t, userID); u.State != ostor.StateDisabled {
		t.Errorf("reconcile enabled the user that Terminate disabled; findings %+v", report.Findings)
	}
	if len(report.Findings) != 1 || !strings.Contains(report.Findings[0].Action, "Terminate disabled the user") {
		t.Errorf("findings = %+v, want one state mismatch explaining the Terminate", report.Findings)
	}

	if err := h.p.Unsuspend(ctx, service, 1); err != nil {
		t.Fatalf("Unsuspend: %v", err)
	}
	if u, _ := h.user(t, userID); u.State != ostor.StateEnabled {
		t.Errorf("an admin's Unsuspend did not enable the user")
	}
}

// useGateway replaces the harness's gateway with a new fake gateway started with opts.
func (h *lifecycleHarness) useGateway(t *testing.T, opts ostortest.Options) {
	t.Helper()
	h.gw.Close()
	h.gw = ostortest.NewServer(opts)
	t.Cleanup(h.gw.Close)
	client, err := ostor.New(h.gw.Config())
	if err != nil {
		t.Fatal(err)
	}
	h.p.opts.Gateway = client
}

func TestQuotaOnGatewayWithoutQuotas(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	h.useGateway(t, ostortest.Options{Profile: ostor.ProfileAS2})
	_, withQuota := h.addService(t, "quota-as2@example.com", h.addProduct(t, "S3 quota", "", "", "", "", "", "", "10"))
	_, without := h.addService(t, "noquota-as2@example.com", h.addProduct(t, "S3 no quota", "5"))

	_, err := h.p.Create(context.Background(), withQuota)

	if be := wantCode(t, err, CodeInvalidInput); be.Field != "configoption7" {
		t.Errorf("field = %q, want configoption7", be.Field)
	}
	if n := len(h.gw.Users()); n != 0 {
		t.Fatalf("gateway has %d users after a rejected Create", n)
	}
	h.create(t, without)
}

func TestChangePackageDroppedLimitWriteResolved(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	_, service := h.addService(t, "droplimit@example.com", h.addProduct(t, "S3 small"))
	userID := h.create(t, service)
	bigger := h.addProduct(t, "S3 bigger", "", "", "", "", "", "2048")
	if _, err := h.db.Exec(`UPDATE tblhosting SET packageid = ? WHERE id = ?`, bigger, service); err != nil {
		t.Fatal(err)
	}
	h.gw.ResetRequests()
	h.gw.SetFault(ostor.OpLimitsSet, ostortest.Fault{DropAfterApply: true, Times: 1})

	res, err := h.p.ChangePackage(ctx, service, 1)
	if err != nil {
		t.Fatalf("ChangePackage with a dropped response: %v", err)
	}

	if strings.Join(res.Changed, ",") != "bandwidth" {
		t.Errorf("changed = %v, want bandwidth", res.Changed)
	}
	if n := h.countOps(ostor.OpLimitsSet); n != 1 {
		t.Errorf("sent %d limit writes, want exactly 1", n)
	}
	limits, err := h.p.opts.Gateway.GetLimits(ctx, ostor.UserTarget(ostor.ByID(userID)))
	if err != nil || limits.BandwidthOut != 2048 {
		t.Errorf("limits = %+v, %v; want bandwidth 2048", limits, err)
	}
	if n := h.countJournal(t, service, opPlan, "done"); n != 1 {
		t.Errorf("journal has %d done plan operations, want 1", n)
	}
}

func TestTerminateFinishesAfterCrash(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	client, service := h.addService(t, "crash@example.com", h.addProduct(t, "S3"))
	userID := h.create(t, service)
	// A daemon that journaled the terminate and deleted the user, then died before its commit.
	if _, err := h.store.StartOperation(ctx, service, opTerminate, `{"user_id":"`+userID+`","action":"delete"}`); err != nil {
		t.Fatal(err)
	}
	if err := h.p.opts.Gateway.DeleteUser(ctx, ostor.ByID(userID)); err != nil {
		t.Fatal(err)
	}
	h.gw.ResetRequests()

	res, err := h.p.Terminate(ctx, service, 0)
	if err != nil {
		t.Fatalf("Terminate after the crash: %v", err)
	}

	if !res.Deleted || res.NothingRecorded {
		t.Errorf("result = %+v, want the removal finished", res)
	}
	if n := h.countOps(ostor.OpUsersDelete); n != 0 {
		t.Errorf("sent %d delete requests for a user that is already gone", n)
	}
	if h.hasIdentity(t, service) {
		t.Errorf("identity was not removed")
	}
	if n := h.countJournal(t, service, opTerminate, "pending"); n != 0 {
		t.Errorf("journal still has %d pending terminate operations", n)
	}
	note, err := h.store.KeyNote(ctx, h.db.DB, client, service)
	if err != nil || !strings.Contains(note.Text, "removed by Terminate") {
		t.Errorf("note = %q, %v; want it to record the removal", note.Text, err)
	}
}

func TestServiceDeletedAfterSuspendWritesNote(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	client, service := h.addService(t, "suspdel@example.com", h.addProduct(t, "S3"))
	h.create(t, service)
	if err := h.p.Suspend(ctx, service, 0); err != nil {
		t.Fatal(err)
	}
	h.gw.ResetRequests()

	if _, err := h.p.Deleted(ctx, service); err != nil {
		t.Fatalf("Deleted: %v", err)
	}

	note, err := h.store.KeyNote(ctx, h.db.DB, client, service)
	if err != nil || !strings.Contains(note.Text, "deleted without Terminate") {
		t.Errorf("note = %q, %v; want it to record the deletion", note.Text, err)
	}
	if n := h.countOps(ostor.OpUsersDisable); n != 0 {
		t.Errorf("sent %d disable requests for a user that was already disabled", n)
	}
	if n := h.countJournal(t, service, opServiceDeleted, "done"); n != 1 {
		t.Errorf("journal has %d done service_deleted operations, want 1", n)
	}
}
