package bridge

import (
	"context"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// pendingOperation returns the service's only pending operation of kind and fails the test when
// there is not exactly one.
func (h *lifecycleHarness) pendingOperation(t *testing.T, serviceID int64, kind string) whmcs.Operation {
	t.Helper()
	ops, err := h.store.PendingOperations(context.Background(), serviceID)
	if err != nil {
		t.Fatal(err)
	}
	var found []whmcs.Operation
	for _, op := range ops {
		if op.Kind == kind {
			found = append(found, op)
		}
	}
	if len(found) != 1 {
		t.Fatalf("service %d has %d pending %s operations, want 1: %+v", serviceID, len(found), kind, ops)
	}
	return found[0]
}

// gatewayUnavailable is a fault that fails every request of its operation with HTTP 503 until
// ClearFaults.
var gatewayUnavailable = ostortest.Fault{Status: 503, Code: "ServiceUnavailable", Message: "the gateway is restarting"}

func TestCreateGatewayDownJournalsError(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	_, service := h.addService(t, "down-create@example.com", h.addProduct(t, "S3"))
	h.gw.SetFault(ostor.OpUsersCreate, gatewayUnavailable)

	_, err := h.p.Create(context.Background(), service)

	if err == nil {
		t.Fatal("Create succeeded while the gateway returned HTTP 503")
	}
	op := h.pendingOperation(t, service, "create")
	if op.LastError == "" {
		t.Errorf("pending create operation %d has no last_error after: %v", op.ID, err)
	}
}

func TestSuspendGatewayDownJournalsError(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	_, service := h.addService(t, "down-suspend@example.com", h.addProduct(t, "S3"))
	h.create(t, service)
	h.gw.SetFault(ostor.OpUsersDisable, gatewayUnavailable)

	err := h.p.Suspend(context.Background(), service, 1)

	if err == nil {
		t.Fatal("Suspend succeeded while the gateway returned HTTP 503")
	}
	op := h.pendingOperation(t, service, opSuspend)
	if op.LastError == "" {
		t.Errorf("pending suspend operation %d has no last_error after: %v", op.ID, err)
	}
}

func TestTerminateGatewayDownJournalsError(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	_, service := h.addService(t, "down-terminate@example.com", h.addProduct(t, "S3"))
	h.create(t, service)
	h.gw.SetFault(ostor.OpUsersDelete, gatewayUnavailable)

	_, err := h.p.Terminate(context.Background(), service, 1)

	if err == nil {
		t.Fatal("Terminate succeeded while the gateway returned HTTP 503")
	}
	op := h.pendingOperation(t, service, opTerminate)
	if op.LastError == "" {
		t.Errorf("pending terminate operation %d has no last_error after: %v", op.ID, err)
	}
}

func TestChangePackageGatewayDownJournalsError(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	_, service := h.addService(t, "down-plan@example.com", h.addProduct(t, "S3 small"))
	h.create(t, service)
	bigger := h.addProduct(t, "S3 bigger", "", "", "", "", "", "2048")
	if _, err := h.db.Exec(`UPDATE tblhosting SET packageid = ? WHERE id = ?`, bigger, service); err != nil {
		t.Fatal(err)
	}
	h.gw.SetFault(ostor.OpLimitsSet, gatewayUnavailable)

	_, err := h.p.ChangePackage(context.Background(), service, 1)

	if err == nil {
		t.Fatal("ChangePackage succeeded while the gateway returned HTTP 503")
	}
	op := h.pendingOperation(t, service, opPlan)
	if op.LastError == "" {
		t.Errorf("pending plan operation %d has no last_error after: %v", op.ID, err)
	}
}
