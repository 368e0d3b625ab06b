package bridge

import (
	"context"
	"fmt"
	"strings"
)

// Panel actions that run a Provisioner workflow, so they are journaled and locked per service.

func runCreateUser(ctx context.Context, p *Panel, t *actionTarget) (string, error) {
	res, err := p.opts.Provisioner.Create(ctx, t.service.ID)
	if err != nil {
		return "", err
	}
	if res.Created {
		return fmt.Sprintf("S3 user %s created for service %d.", res.Email, t.service.ID), nil
	}
	return fmt.Sprintf("Service %d already has S3 user %s; its access-key note was refreshed.", t.service.ID, res.Email), nil
}

func runGenerateKey(ctx context.Context, p *Panel, t *actionTarget) (string, error) {
	res, err := p.opts.Provisioner.GenerateKey(ctx, t.service.ID, t.req.AdminID)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Access key %s generated for S3 user %s; the client's access-key note lists it.", res.AccessKeyID, t.identity.Email), nil
}

func prepareRevokeKey(_ context.Context, _ *Panel, t *actionTarget) error {
	id := strings.TrimSpace(t.req.Params["access_key_id"])
	if err := validateAccessKeyID(id); err != nil {
		return err
	}
	t.params["access_key_id"] = id
	return nil
}

func runRevokeKey(ctx context.Context, p *Panel, t *actionTarget) (string, error) {
	res, err := p.opts.Provisioner.RevokeKey(ctx, t.service.ID, t.req.AdminID, t.params["access_key_id"])
	if err != nil {
		return "", err
	}
	if !res.Changed {
		return fmt.Sprintf("Access key %s was already revoked.", res.AccessKeyID), nil
	}
	return fmt.Sprintf("Access key %s of S3 user %s revoked.", res.AccessKeyID, t.identity.Email), nil
}

func prepareReconcile(_ context.Context, _ *Panel, t *actionTarget) error {
	switch fix := t.req.Params["fix"]; fix {
	case "", "0":
		t.params["fix"] = "0"
	case "1":
		t.params["fix"] = "1"
	default:
		return invalidInput("fix", "fix %q is invalid; use 1 to repair the findings or 0 to only report them", fix)
	}
	return nil
}

// maxFindingsInMessage bounds the findings listed in the action's message; the daemon log and
// `ostor-bridge reconcile` show all of them.
const maxFindingsInMessage = 5

func runReconcile(ctx context.Context, p *Panel, t *actionTarget) (string, error) {
	report, err := p.opts.Provisioner.Reconcile(ctx, ReconcileRequest{ClientID: t.req.ClientID, Fix: t.params["fix"] == "1", AdminID: t.req.AdminID})
	if err != nil {
		return "", err
	}
	if len(report.Findings) == 0 {
		return fmt.Sprintf("Reconciliation checked %d service(s) and found no differences.", report.ServicesChecked), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Reconciliation checked %d service(s): %d finding(s), %d fixed, %d open.", report.ServicesChecked, len(report.Findings), len(report.Findings)-report.Open(), report.Open())
	for i, f := range report.Findings {
		if i == maxFindingsInMessage {
			fmt.Fprintf(&b, " And %d more.", len(report.Findings)-i)
			break
		}
		if f.ServiceID != 0 {
			fmt.Fprintf(&b, " Service %d: %s", f.ServiceID, f.Message)
		} else {
			// Findings about gateway users that no service records name no service.
			fmt.Fprintf(&b, " Gateway: %s", f.Message)
		}
		if f.Fixed {
			b.WriteString(" (fixed)")
		}
		b.WriteString(".")
	}
	return b.String(), nil
}

func runDisableUser(ctx context.Context, p *Panel, t *actionTarget) (string, error) {
	if err := p.opts.Provisioner.Suspend(ctx, t.service.ID, t.req.AdminID); err != nil {
		return "", err
	}
	return fmt.Sprintf("S3 user %s disabled.", t.identity.Email), nil
}

func runEnableUser(ctx context.Context, p *Panel, t *actionTarget) (string, error) {
	if err := p.opts.Provisioner.Unsuspend(ctx, t.service.ID, t.req.AdminID); err != nil {
		return "", err
	}
	return fmt.Sprintf("S3 user %s enabled.", t.identity.Email), nil
}

func runDeleteUser(ctx context.Context, p *Panel, t *actionTarget) (string, error) {
	res, err := p.opts.Provisioner.Terminate(ctx, t.service.ID, t.req.AdminID)
	if err != nil {
		return "", err
	}
	if len(res.PurgedBuckets) > 0 {
		return fmt.Sprintf("S3 user %s deleted after purging bucket(s) %s.", t.identity.Email, strings.Join(res.PurgedBuckets, ", ")), nil
	}
	return fmt.Sprintf("S3 user %s deleted.", t.identity.Email), nil
}
