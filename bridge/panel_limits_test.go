package bridge

import (
	"context"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

func TestPanelLimitsWaitForServiceLock(t *testing.T) {
	h := newLifecycleHarness(t, func(o *ProvisionerOptions) { o.LockWait = 200 * time.Millisecond })
	ctx := context.Background()
	client, service := h.addService(t, "panel-lock@example.com", h.addProduct(t, "S3"))
	h.create(t, service)
	panel := newTestPanel(t, h, nil)

	// Another operation, such as a ChangePackage in another daemon, holds the service.
	release, err := h.store.LockService(ctx, service, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	h.gw.ResetRequests()

	actions := []ActionRequest{
		{Action: "set_user_limits", Params: map[string]string{"ops_get": "100"}},
		{Action: "delete_user_limits", Params: map[string]string{"limit_type": "ops"}, Confirmed: true},
	}
	for _, req := range actions {
		req.ClientID, req.ServiceID, req.AdminID = client, service, 1
		_, err := panel.Act(ctx, req)
		wantCode(t, err, CodeBusy)
	}

	if n := h.countOps(ostor.OpLimitsSet); n != 0 {
		t.Errorf("sent %d limits.set requests while another operation held the service, want 0", n)
	}
	if n := h.countOps(ostor.OpLimitsDelete); n != 0 {
		t.Errorf("sent %d limits.delete requests while another operation held the service, want 0", n)
	}
}

func TestPanelSetLimitsDroppedResolved(t *testing.T) {
	h := newLifecycleHarness(t, nil)
	ctx := context.Background()
	client, service := h.addService(t, "panel-drop@example.com", h.addProduct(t, "S3"))
	userID := h.create(t, service)
	panel := newTestPanel(t, h, nil)
	h.gw.ResetRequests()
	h.gw.SetFault(ostor.OpLimitsSet, ostortest.Fault{DropAfterApply: true, Times: 1})

	res, err := panel.Act(ctx, ActionRequest{ClientID: client, ServiceID: service, AdminID: 1,
		Action: "set_user_limits", Params: map[string]string{"ops_get": "100", "bandwidth_out": "2048"}})

	if err != nil {
		t.Fatalf("set_user_limits with a dropped response that was applied: %v", err)
	}
	if !res.OK {
		t.Errorf("result not OK: %+v", res)
	}
	// The client sends one request per value. The ops request was applied before its response
	// was dropped, so only the bandwidth request may follow it.
	perResource := map[string]int{}
	for _, r := range h.gw.Requests() {
		if r.Op == ostor.OpLimitsSet {
			resource, _ := r.Value("limit-resource")
			perResource[resource]++
		}
	}
	if perResource[ostor.ResourceGet] != 1 {
		t.Errorf("sent %d limits.set requests for ops get, want exactly 1", perResource[ostor.ResourceGet])
	}
	if perResource[ostor.ResourceOut] != 1 {
		t.Errorf("sent %d limits.set requests for bandwidth out, want exactly 1", perResource[ostor.ResourceOut])
	}
	limits, err := h.p.opts.Gateway.GetLimits(ctx, ostor.UserTarget(ostor.ByID(userID)))
	if err != nil {
		t.Fatal(err)
	}
	if limits.OpsGet != 100 {
		t.Errorf("ops get limit = %v, want 100", limits.OpsGet)
	}
	if limits.BandwidthOut != 2048 {
		t.Errorf("bandwidth out limit = %v, want 2048", limits.BandwidthOut)
	}
}
