package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// PlanResult reports the limits and quota of a service's S3 user after ChangePackage or Create.
type PlanResult struct {
	UserID string `json:"user_id"`
	Plan   Plan   `json:"plan"`

	// Changed lists what this call changed on the gateway, as "ops", "bandwidth" and "quota";
	// it is empty when the gateway already matched the plan.
	Changed []string `json:"changed"`

	// QuotaSupported is false when the gateway release has no quotas; the plan's quota must
	// then be 0.
	QuotaSupported bool `json:"quota_supported"`
}

// gatewayPlan is the limits and quota the gateway reports for a user, in the units of Plan.
type gatewayPlan struct {
	limits         ostor.Limits
	quotaGB        int64
	quotaSupported bool
}

// ChangePackage is WHMCS ChangePackage: it applies the limits and quota of the service's current
// product to its S3 user and reads them back. WHMCS switches the service to the new product
// before it calls the module, so the product read from the database is the new one. The
// access-key note is rewritten as well, because the new product's "Access-key note" setting can
// add or remove the secret keys.
func (p *Provisioner) ChangePackage(ctx context.Context, serviceID, adminID int64) (PlanResult, error) {
	svc, err := p.loadService(ctx, serviceID)
	if err != nil {
		return PlanResult{}, err
	}
	plan, err := PlanOf(svc)
	if err != nil {
		return PlanResult{}, err
	}
	if err := p.checkPlanSupported(plan); err != nil {
		return PlanResult{}, err
	}
	if _, err := SettingsOf(svc); err != nil {
		return PlanResult{}, err
	}

	release, err := p.opts.Store.LockService(ctx, svc.ID, p.opts.LockWait)
	if err != nil {
		return PlanResult{}, p.dbError(err, "lock service %d", svc.ID)
	}
	defer release()

	ident, err := p.requireServiceIdentity(ctx, svc.ID)
	if err != nil {
		return PlanResult{}, err
	}
	result, err := p.applyPlan(ctx, svc.ID, adminID, ident, plan)
	if err != nil {
		return PlanResult{}, err
	}
	if err := p.refreshNote(ctx, svc, ident); err != nil {
		return PlanResult{}, err
	}
	return result, nil
}

// applyPlan makes the gateway's limits and quota of the identity's user match plan. It reads the
// gateway first and writes only what differs, so a repeated call writes nothing. Every write sets
// a value, so an unanswered write is resolved by the read-back that follows all writes. The
// caller holds the service lock.
func (p *Provisioner) applyPlan(ctx context.Context, serviceID, adminID int64, ident whmcs.Identity, plan Plan) (PlanResult, error) {
	log := p.log.With(zap.Int64("service_id", serviceID), zap.String("s3_user_id", ident.UserID))
	user := ostor.UserTarget(ostor.ByID(ident.UserID))
	result := PlanResult{UserID: ident.UserID, Plan: plan, Changed: []string{}}

	current, err := p.readGatewayPlan(ctx, user, plan)
	if err != nil {
		return PlanResult{}, err
	}
	result.QuotaSupported = current.quotaSupported
	changes := planChanges(plan, current)
	if len(changes) == 0 {
		if err := p.completePending(ctx, serviceID, opPlan); err != nil {
			return PlanResult{}, err
		}
		return result, nil
	}

	detail, _ := json.Marshal(struct {
		Plan    Plan     `json:"plan"`
		Changes []string `json:"changes"`
		AdminID int64    `json:"admin_id"`
	}{plan, changes, adminID})
	op, err := p.opts.Store.StartOperation(ctx, serviceID, opPlan, string(detail))
	if err != nil {
		return PlanResult{}, p.dbError(err, "journal the plan change of service %d", serviceID)
	}

	unknown := false
	for _, change := range changes {
		err := p.writePlanPart(ctx, user, change, plan)
		if errors.Is(err, ostor.ErrOutcomeUnknown) {
			log.Warn("plan write unanswered, checking by reading back", zap.String("part", change), zap.Error(err))
			unknown = true
			continue
		}
		if err != nil {
			err = p.gatewayError(err, "set the %s of S3 user %s", change, ident.UserID)
			p.failOperation(op.ID, err)
			return PlanResult{}, err
		}
	}

	after, err := p.readGatewayPlan(ctx, user, plan)
	if err != nil {
		// A retryable read failure leaves the writes journaled as pending, so the next call
		// compares again.
		p.keepOrFail(op.ID, err)
		return PlanResult{}, err
	}
	if left := planChanges(plan, after); len(left) > 0 {
		if unknown {
			// The read-back shows that a write with an unknown outcome was not applied. The
			// operation stays pending with this error, and the next call writes what differs.
			err := newError(CodeOutcomeUnknown, nil,
				"the S3 gateway failed the write of the %s of user %s without a clear outcome, and it still reports the old values (%s); repeat the change when the gateway works again",
				strings.Join(left, " and "), ident.UserID, describeGatewayPlan(after))
			p.keepOrFail(op.ID, err)
			return PlanResult{}, err
		}
		err := newError(CodeGatewayReject, nil,
			"the S3 gateway still reports different %s for user %s after they were set (%s); check gateway.profile and the limit syntax against the gateway's release",
			strings.Join(left, " and "), ident.UserID, describeGatewayPlan(after))
		p.failOperation(op.ID, err)
		return PlanResult{}, err
	}

	err = p.opts.Store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		return p.opts.Store.CompleteOperation(ctx, tx, op.ID)
	})
	if err != nil {
		return PlanResult{}, p.dbError(err, "journal the plan change of service %d as done", serviceID)
	}
	log.Info("applied plan", zap.Strings("changed", changes), zap.Any("plan", plan))
	result.Changed = changes
	return result, nil
}

// checkPlanSupported rejects a plan that the gateway's release cannot apply, before anything is
// written. Only gateways that report their profile, as *ostor.Client does, are checked here;
// readGatewayPlan checks the others when it reads the quota.
func (p *Provisioner) checkPlanSupported(plan Plan) error {
	g, ok := p.opts.Gateway.(interface{ Profile() ostor.Profile })
	if !ok || plan.QuotaGB == 0 || g.Profile().Quotas {
		return nil
	}
	return quotaUnsupported(plan)
}

func quotaUnsupported(plan Plan) *Error {
	return invalidInput(fmt.Sprintf("configoption%d", OptionQuotaGB),
		"the product sets a storage quota of %d GB, but the gateway release in gateway.profile has no quotas (they need VHI 4.7 or later); set the quota to 0 or correct gateway.profile",
		plan.QuotaGB)
}

// readGatewayPlan reads the user's limits and, where the gateway release has quotas, its quota.
func (p *Provisioner) readGatewayPlan(ctx context.Context, user ostor.Target, plan Plan) (gatewayPlan, error) {
	var g gatewayPlan
	limits, err := p.opts.Gateway.GetLimits(ctx, user)
	switch {
	case limitsNeverSet(err):
		// AS 2.x documents that reading the limits of a user whose limits were never set fails,
		// and a user without limits is unlimited, which the zero Limits express.
		// NOTE: the status of that failure is not documented; any 4xx other than 403 is taken
		// for it.
		p.log.Debug("reading limits failed, treating them as unset", zap.String("s3_user_id", user.User.ID), zap.Error(err))
	case err != nil:
		return gatewayPlan{}, p.gatewayError(err, "read the limits of S3 user %s", user.User.ID)
	default:
		g.limits = limits
	}

	quota, err := p.opts.Gateway.GetQuota(ctx, user)
	switch {
	case errors.Is(err, ostor.ErrNotSupported):
		if plan.QuotaGB != 0 {
			return gatewayPlan{}, quotaUnsupported(plan)
		}
		return g, nil
	case err != nil:
		return gatewayPlan{}, p.gatewayError(err, "read the quota of S3 user %s", user.User.ID)
	}
	g.quotaSupported = true
	g.quotaGB = quota.Size
	return g, nil
}

// limitsNeverSet reports whether a failed limits read is the error the gateway returns for a user
// whose limits were never set, which is any client error other than a rejected signature.
func limitsNeverSet(err error) bool {
	var apiErr *ostor.APIError
	if err == nil || !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.Status >= 400 && apiErr.Status < 500 && apiErr.Status != 403
}

// planChanges lists the parts of plan that the gateway does not match yet.
func planChanges(plan Plan, g gatewayPlan) []string {
	var changes []string
	ops := []struct {
		want int64
		have float64
	}{
		{plan.OpsDefault, g.limits.OpsDefault},
		{plan.OpsGet, g.limits.OpsGet},
		{plan.OpsPut, g.limits.OpsPut},
		{plan.OpsList, g.limits.OpsList},
		{plan.OpsDelete, g.limits.OpsDelete},
	}
	for _, o := range ops {
		if float64(o.want) != o.have {
			changes = append(changes, "ops")
			break
		}
	}
	if float64(plan.BandwidthOut) != g.limits.BandwidthOut {
		changes = append(changes, "bandwidth")
	}
	if g.quotaSupported && plan.QuotaGB != g.quotaGB {
		changes = append(changes, "quota")
	}
	return changes
}

// writePlanPart writes one part of the plan. A part whose values are all 0 is deleted, which
// the gateway documents as resetting it to unlimited. Ops values are always sent together,
// because the reference limit syntax resets every ops value the request leaves out.
func (p *Provisioner) writePlanPart(ctx context.Context, user ostor.Target, part string, plan Plan) error {
	switch part {
	case "ops":
		if plan.OpsDefault == 0 && plan.OpsGet == 0 && plan.OpsPut == 0 && plan.OpsList == 0 && plan.OpsDelete == 0 {
			return p.opts.Gateway.DeleteLimits(ctx, user, ostor.LimitOps)
		}
		return p.opts.Gateway.SetLimits(ctx, user,
			ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourceDefault, Value: plan.OpsDefault},
			ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourceGet, Value: plan.OpsGet},
			ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourcePut, Value: plan.OpsPut},
			ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourceList, Value: plan.OpsList},
			ostor.LimitValue{Type: ostor.LimitOps, Resource: ostor.ResourceDelete, Value: plan.OpsDelete},
		)
	case "bandwidth":
		if plan.BandwidthOut == 0 {
			return p.opts.Gateway.DeleteLimits(ctx, user, ostor.LimitBandwidth)
		}
		return p.opts.Gateway.SetLimits(ctx, user, ostor.LimitValue{Type: ostor.LimitBandwidth, Resource: ostor.ResourceOut, Value: plan.BandwidthOut})
	case "quota":
		if plan.QuotaGB == 0 {
			return p.opts.Gateway.DeleteQuota(ctx, user)
		}
		return p.opts.Gateway.SetQuota(ctx, user, plan.QuotaGB)
	}
	return fmt.Errorf("unknown plan part %q", part)
}

func describeGatewayPlan(g gatewayPlan) string {
	l := g.limits
	text := fmt.Sprintf("ops default=%g get=%g put=%g list=%g delete=%g, bandwidth out=%g",
		l.OpsDefault, l.OpsGet, l.OpsPut, l.OpsList, l.OpsDelete, l.BandwidthOut)
	if g.quotaSupported {
		text += fmt.Sprintf(", quota %d GB", g.quotaGB)
	}
	return text
}
