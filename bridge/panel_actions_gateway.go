package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// Panel actions that call the gateway directly: user and bucket limits and statistics objects.

// prepareLimits validates the limit values and, for bucket limits, that the service's user owns
// the bucket.
func prepareLimits(ctx context.Context, p *Panel, t *actionTarget) error {
	if t.req.Action == "set_bucket_limits" {
		if err := p.checkBucketOwner(ctx, t); err != nil {
			return err
		}
	}
	_, clean, err := parseLimitValues(t.req.Params)
	if err != nil {
		return err
	}
	for k, v := range clean {
		t.params[k] = v
	}
	return nil
}

func runSetLimits(ctx context.Context, p *Panel, t *actionTarget) (string, error) {
	values, _, err := parseLimitValues(t.params)
	if err != nil {
		return "", err
	}
	release, err := p.lockService(ctx, t)
	if err != nil {
		return "", err
	}
	defer release()

	target, what := p.limitTarget(t)
	if err := p.setLimits(ctx, target, values); err != nil {
		return "", p.opts.Provisioner.gatewayError(err, "set the limits of %s", what)
	}
	return fmt.Sprintf("Limits of %s set: %s.", what, describeLimits(t.params)), nil
}

// lockService takes the service lock for a panel action that writes to the gateway, so that it
// does not interleave with a plan change or reconciliation of the same service. The audit row,
// not the journal, records these writes: each one sets or deletes absolute values, and no
// database state depends on it.
func (p *Panel) lockService(ctx context.Context, t *actionTarget) (func(), error) {
	prov := p.opts.Provisioner
	release, err := p.opts.Store.LockService(ctx, t.service.ID, prov.opts.LockWait)
	if err != nil {
		return nil, prov.dbError(err, "lock service %d", t.service.ID)
	}
	return release, nil
}

// setLimits sets limit values on the gateway, which the client sends as several requests (one per
// value, or one per limit type in the reference syntax) and stops at the first failure. When a
// request goes unanswered, the limits are read back: values the gateway already holds are not
// sent again, and the rest, which were never applied, are sent once more.
func (p *Panel) setLimits(ctx context.Context, target ostor.Target, values []ostor.LimitValue) error {
	err := p.opts.Gateway.SetLimits(ctx, target, values...)
	if err == nil || !errors.Is(err, ostor.ErrOutcomeUnknown) {
		return err
	}
	limits, readErr := p.opts.Gateway.GetLimits(ctx, target)
	if readErr != nil {
		return err
	}
	missing := missingLimits(limits, values)
	p.log.Info("limits outcome resolved by reading the gateway", zap.Int("values_left", len(missing)), zap.Error(err))
	if len(missing) == 0 {
		return nil
	}
	return p.opts.Gateway.SetLimits(ctx, target, missing...)
}

// missingLimits returns the values that limits does not hold yet.
func missingLimits(limits ostor.Limits, values []ostor.LimitValue) []ostor.LimitValue {
	have := map[string]float64{
		ostor.LimitOps + ":" + ostor.ResourceDefault:   limits.OpsDefault,
		ostor.LimitOps + ":" + ostor.ResourceGet:       limits.OpsGet,
		ostor.LimitOps + ":" + ostor.ResourcePut:       limits.OpsPut,
		ostor.LimitOps + ":" + ostor.ResourceList:      limits.OpsList,
		ostor.LimitOps + ":" + ostor.ResourceDelete:    limits.OpsDelete,
		ostor.LimitBandwidth + ":" + ostor.ResourceOut: limits.BandwidthOut,
	}
	var missing []ostor.LimitValue
	for _, v := range values {
		if got, ok := have[v.Type+":"+v.Resource]; !ok || got != float64(v.Value) {
			missing = append(missing, v)
		}
	}
	return missing
}

func prepareDeleteLimits(ctx context.Context, p *Panel, t *actionTarget) error {
	if t.req.Action == "delete_bucket_limits" {
		if err := p.checkBucketOwner(ctx, t); err != nil {
			return err
		}
	}
	limitType, err := validateLimitType(strings.TrimSpace(t.req.Params["limit_type"]))
	if err != nil {
		return err
	}
	t.params["limit_type"] = limitType
	return nil
}

func confirmDeleteLimits(t *actionTarget) (string, string) {
	which, effect := describeLimitType(t.params["limit_type"])
	if b := t.params["bucket"]; b != "" {
		return "delete bucket limits", fmt.Sprintf("Delete %s of bucket %s? %s", which, b, effect)
	}
	return "delete user limits", fmt.Sprintf("Delete %s of S3 user %s? %s", which, t.identity.Email, effect)
}

func runDeleteLimits(ctx context.Context, p *Panel, t *actionTarget) (string, error) {
	release, err := p.lockService(ctx, t)
	if err != nil {
		return "", err
	}
	defer release()

	target, what := p.limitTarget(t)
	if err := p.opts.Gateway.DeleteLimits(ctx, target, t.params["limit_type"]); err != nil {
		return "", p.opts.Provisioner.gatewayError(err, "delete the limits of %s", what)
	}
	which, _ := describeLimitType(t.params["limit_type"])
	return fmt.Sprintf("Deleted %s of %s.", which, what), nil
}

// describeLimitType returns the name of the limits that a validated limit_type selects ("" selects
// all of them) and a sentence on what becomes unlimited once they are deleted.
func describeLimitType(limitType string) (which, effect string) {
	switch limitType {
	case ostor.LimitOps:
		return "the ops limits", "Its operations per second become unlimited; the bandwidth limit stays."
	case ostor.LimitBandwidth:
		return "the bandwidth limit", "Its outgoing bandwidth becomes unlimited; the ops limits stay."
	}
	return "all limits", "Its operations per second and outgoing bandwidth become unlimited."
}

func (p *Panel) limitTarget(t *actionTarget) (ostor.Target, string) {
	if b := t.params["bucket"]; b != "" {
		return ostor.BucketTarget(b), "bucket " + b
	}
	return ostor.UserTarget(t.userRef()), "S3 user " + t.identity.Email
}

// checkBucketOwner validates the bucket parameter and checks that the service's S3 user owns the
// bucket, so an admin on one client's page cannot change another client's bucket.
func (p *Panel) checkBucketOwner(ctx context.Context, t *actionTarget) error {
	name := t.req.Params["bucket"]
	if err := validateBucketName(name); err != nil {
		return err
	}
	buckets, err := p.opts.Gateway.ListUserBuckets(ctx, t.userRef())
	if err != nil {
		return p.opts.Provisioner.gatewayError(err, "list the buckets of S3 user %s", t.identity.Email)
	}
	for _, b := range buckets {
		if b.Name == name {
			t.params["bucket"] = name
			return nil
		}
	}
	return invalidInput("bucket", "bucket %q is not owned by S3 user %s of service %d; pick one of the service's buckets", name, t.identity.Email, t.service.ID)
}

func prepareUsageObject(ctx context.Context, p *Panel, t *actionTarget) error {
	name := t.req.Params["object"]
	if err := validateUsageObjectName(name); err != nil {
		return err
	}
	t.params["object"] = name
	rows, _ := p.countedUsageObjects(ctx, []string{name})
	t.usageCounted = rows[0].Counted
	return nil
}

// confirmDeleteUsageObject returns the confirmation of a statistics object
// deletion, which states whether the object's traffic is billed.
func confirmDeleteUsageObject(t *actionTarget) (string, string) {
	const title = "delete statistics object"
	switch t.usageCounted {
	case "yes":
		return title, "Delete this statistics object from the gateway? The bridge has already counted its usage, so deleting it is safe and loses no billing."
	case "no":
		return title, "Delete this statistics object from the gateway? The bridge has not counted it yet, so its traffic will never be billed."
	default:
		return title, "Delete this statistics object from the gateway? Whether the bridge has counted it could not be read; if it has not, its traffic will never be billed."
	}
}

func runDeleteUsageObject(ctx context.Context, p *Panel, t *actionTarget) (string, error) {
	name := t.params["object"]
	err := p.opts.Gateway.DeleteUsage(ctx, name)
	switch {
	case errors.Is(err, ostor.ErrNotFound):
		return fmt.Sprintf("Statistics object %s was already deleted.", name), nil
	case err != nil:
		return "", p.opts.Provisioner.gatewayError(err, "delete statistics object %s", name)
	}
	return fmt.Sprintf("Statistics object %s deleted.", name), nil
}

func describeLimits(params map[string]string) string {
	var parts []string
	for _, f := range limitFields {
		if v, ok := params[f.field]; ok {
			parts = append(parts, f.limit+" "+f.resource+" = "+v)
		}
	}
	return strings.Join(parts, ", ")
}
