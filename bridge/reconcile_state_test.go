package bridge

import (
	"context"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

func TestReconcileStateFixDroppedResolved(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	_, service := h.addService(t, "state-drop@example.com", h.addProduct(t, "S3"))
	userID := h.create(t, service)
	if err := h.p.Suspend(ctx, service, 1); err != nil {
		t.Fatalf("Suspend: %v", err)
	}
	// The service is Active in WHMCS while its user is still disabled on the gateway.
	if _, err := h.db.Exec(`UPDATE tblhosting SET domainstatus = 'Active' WHERE id = ?`, service); err != nil {
		t.Fatal(err)
	}
	h.gw.ResetRequests()
	h.gw.SetFault(ostor.OpUsersEnable, ostortest.Fault{DropAfterApply: true, Times: 1})

	report, err := h.p.Reconcile(ctx, ReconcileRequest{ServiceID: service, Fix: true, AdminID: 1})
	if err != nil {
		t.Fatal(err)
	}

	if len(report.Findings) != 1 {
		t.Fatalf("findings = %+v, want one state mismatch", report.Findings)
	}
	f := report.Findings[0]
	if f.Kind != FindingStateMismatch {
		t.Errorf("finding kind = %s, want %s", f.Kind, FindingStateMismatch)
	}
	if !f.Fixed {
		t.Errorf("finding not fixed although the enable was applied: %+v", f)
	}
	if u, _ := h.user(t, userID); u.State != ostor.StateEnabled {
		t.Errorf("user is %q, want enabled", u.State)
	}
	if n := h.countOps(ostor.OpUsersEnable); n != 1 {
		t.Errorf("sent %d enable requests, want exactly 1", n)
	}
}

func TestReconcileStateFixJournaled(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	_, service := h.addService(t, "state-journal@example.com", h.addProduct(t, "S3"))
	userID := h.create(t, service)
	if _, err := h.db.Exec(`UPDATE tblhosting SET domainstatus = 'Suspended' WHERE id = ?`, service); err != nil {
		t.Fatal(err)
	}

	report, err := h.p.Reconcile(ctx, ReconcileRequest{ServiceID: service, Fix: true, AdminID: 1})
	if err != nil {
		t.Fatal(err)
	}

	if len(report.Findings) != 1 || !report.Findings[0].Fixed {
		t.Fatalf("findings = %+v, want one fixed state mismatch", report.Findings)
	}
	if u, _ := h.user(t, userID); u.State != ostor.StateDisabled {
		t.Errorf("user is %q, want disabled", u.State)
	}
	if n := h.countJournal(t, service, opSuspend, "done"); n != 1 {
		t.Errorf("journal has %d done suspend operations after the fix, want 1", n)
	}
}

func TestReconcileResumedCreateAppliesPlan(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	product := h.addProduct(t, "S3 limited", "10", "", "", "", "", "600", "100")
	_, service := h.addService(t, "resume-plan@example.com", product)

	// The gateway creates the user but the reply is lost, and every later read fails, so Create
	// cannot confirm the user and leaves its operation pending.
	h.gw.SetFault(ostor.OpUsersCreate, ostortest.Fault{DropAfterApply: true, Times: 1})
	h.gw.SetFault(ostor.OpUsersGet, ostortest.Fault{Status: 503, After: 1})
	if _, err := h.p.Create(ctx, service); err == nil {
		t.Fatal("Create succeeded although the gateway could not confirm the user")
	}
	if h.hasIdentity(t, service) {
		t.Fatal("Create recorded an identity although it could not read the user")
	}
	h.gw.ClearFaults()

	report, err := h.p.Reconcile(ctx, ReconcileRequest{ServiceID: service, Fix: true, AdminID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Findings) != 1 || report.Findings[0].Kind != FindingPendingOperation || !report.Findings[0].Fixed {
		t.Fatalf("findings = %+v, want one fixed pending_operation", report.Findings)
	}
	if !h.hasIdentity(t, service) {
		t.Fatal("reconcile did not record the S3 user")
	}

	client, err := ostor.New(h.gw.Config())
	if err != nil {
		t.Fatal(err)
	}
	target := ostor.UserTarget(ostor.ByID(report.Findings[0].UserID))
	limits, err := client.GetLimits(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if limits.OpsDefault != 10 || limits.BandwidthOut != 600 {
		t.Errorf("limits after the resumed Create = %+v, want ops default 10 and bandwidth out 600", limits)
	}
	if q, err := client.GetQuota(ctx, target); err != nil || q.Size != 100 {
		t.Errorf("quota after the resumed Create = %+v, %v; want 100 GB", q, err)
	}
}
