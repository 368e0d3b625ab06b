package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// ActionRequest is one admin action from the panel.
type ActionRequest struct {
	ClientID  int64
	ServiceID int64 // 0 for actions on the gateway as a whole, such as deleting a statistics object
	AdminID   int64
	Action    string
	Params    map[string]string
	Confirmed bool   // the admin confirmed a destructive action on the confirmation page
	Token     string // CSRF token, put into the confirmation form
}

// ActionResult is the outcome of an action. ConfirmHTML is set, and nothing was changed, when
// the action needs the admin's confirmation first.
type ActionResult struct {
	OK          bool
	Message     string
	ConfirmHTML string
}

// actionTarget is the validated subject of an action.
type actionTarget struct {
	req      ActionRequest
	service  whmcs.Service
	identity *whmcs.Identity
	params   map[string]string // validated and normalised parameters, recorded in the audit
}

// panelAction describes one action of the panel.
type panelAction struct {
	params      []string // accepted parameter names
	needService bool
	needUser    bool // the service must have an S3 user
	// confirm returns the title and question of the confirmation page, or an empty title when
	// this request runs without one.
	confirm func(t *actionTarget) (title, question string)
	// prepare validates the parameters into t.params. It may read the gateway.
	prepare func(ctx context.Context, p *Panel, t *actionTarget) error
	run     func(ctx context.Context, p *Panel, t *actionTarget) (string, error)
}

var limitParamNames = []string{"ops_default", "ops_get", "ops_put", "ops_list", "ops_delete", "bandwidth_out"}

var panelActions = map[string]panelAction{
	"create_user": {needService: true, run: runCreateUser},
	"set_user_limits": {params: limitParamNames, needService: true, needUser: true,
		prepare: prepareLimits, run: runSetLimits},
	"set_bucket_limits": {params: append([]string{"bucket"}, limitParamNames...), needService: true, needUser: true,
		prepare: prepareLimits, run: runSetLimits},
	"delete_user_limits": {params: []string{"limit_type"}, needService: true, needUser: true,
		prepare: prepareDeleteLimits, run: runDeleteLimits, confirm: confirmDeleteLimits},
	"delete_bucket_limits": {params: []string{"bucket", "limit_type"}, needService: true, needUser: true,
		prepare: prepareDeleteLimits, run: runDeleteLimits, confirm: confirmDeleteLimits},
	"disable_user": {needService: true, needUser: true, run: runDisableUser,
		confirm: func(t *actionTarget) (string, string) {
			return "disable S3 user", fmt.Sprintf("Disable S3 user %s? The client loses read and write access until the user is enabled again; the data stays.", t.identity.Email)
		}},
	"enable_user": {needService: true, needUser: true, run: runEnableUser},
	"delete_user": {needService: true, needUser: true, run: runDeleteUser,
		confirm: func(t *actionTarget) (string, string) {
			return "delete S3 user", fmt.Sprintf("Delete S3 user %s of service %d? This runs the service's terminate workflow: a user that owns buckets is disabled or purged as the product's termination setting says, and its access keys stop working.", t.identity.Email, t.service.ID)
		}},
	"generate_key": {needService: true, needUser: true, run: runGenerateKey},
	"revoke_key": {params: []string{"access_key_id"}, needService: true, needUser: true,
		prepare: prepareRevokeKey, run: runRevokeKey,
		confirm: func(t *actionTarget) (string, string) {
			return "revoke access key", fmt.Sprintf("Revoke access key %s of S3 user %s? Every program that uses it loses access at once.", t.params["access_key_id"], t.identity.Email)
		}},
	"reconcile": {params: []string{"fix"}, prepare: prepareReconcile, run: runReconcile,
		confirm: func(t *actionTarget) (string, string) {
			if t.params["fix"] != "1" {
				return "", ""
			}
			return "reconcile and fix", "Repair every difference between WHMCS and the gateway for this client? This replaces unrecorded keys, drops records of vanished keys and sets each S3 user's state to its service's."
		}},
	"delete_usage_object": {params: []string{"object"},
		prepare: prepareUsageObject, run: runDeleteUsageObject,
		confirm: func(t *actionTarget) (string, string) {
			return "delete statistics object", "Delete this statistics object from the gateway? Usage that the bridge has not counted yet is lost from billing."
		}},
}

// Act validates and runs one admin action, and records it in the audit table. Invalid input is
// reported before anything is changed; a destructive action that is not confirmed yet returns
// its confirmation page instead of running.
func (p *Panel) Act(ctx context.Context, req ActionRequest) (ActionResult, error) {
	noteService(ctx, req.ServiceID)
	if err := checkAdminRequest(req.ClientID, req.AdminID, req.Token); err != nil {
		return ActionResult{}, err
	}
	spec, ok := panelActions[req.Action]
	if !ok {
		return ActionResult{}, invalidInput("action", "unknown action %q; use one of %s", req.Action, strings.Join(actionNames(), ", "))
	}

	t := &actionTarget{req: req, params: map[string]string{}}
	err := p.prepareAction(ctx, spec, t)
	if err == nil && spec.confirm != nil && !req.Confirmed {
		if title, question := spec.confirm(t); title != "" {
			return p.confirmPage(t, title, question)
		}
	}
	var message string
	if err == nil {
		message, err = spec.run(ctx, p, t)
	}
	p.audit(req, t.params, message, err)
	if err != nil {
		return ActionResult{}, err
	}
	return ActionResult{OK: true, Message: message}, nil
}

func (p *Panel) prepareAction(ctx context.Context, spec panelAction, t *actionTarget) error {
	for name := range t.req.Params {
		if !slices.Contains(spec.params, name) {
			return invalidInput(name, "action %s takes no parameter %q; accepted: %s", t.req.Action, name, strings.Join(spec.params, ", "))
		}
	}
	if spec.needService {
		svc, err := p.opts.Provisioner.loadService(ctx, t.req.ServiceID)
		if err != nil {
			return err
		}
		if svc.ClientID != t.req.ClientID {
			return newError(CodeNotFound, nil, "service %d does not belong to client %d; open the summary page of the service's client", svc.ID, t.req.ClientID)
		}
		t.service = svc
		ident, err := p.opts.Store.Identity(ctx, p.opts.Provisioner.db(), svc.ID)
		switch {
		case err == nil:
			t.identity = &ident
		case !errors.Is(err, whmcs.ErrNotFound):
			return p.opts.Provisioner.dbError(err, "read the S3 identity of service %d", svc.ID)
		case spec.needUser:
			return newError(CodeConflict, nil, "service %d has no S3 user yet; press Create user first", svc.ID)
		}
	} else if t.req.ServiceID != 0 {
		return invalidInput("service_id", "action %s does not act on a service; send service_id 0", t.req.Action)
	}
	if spec.prepare != nil {
		return spec.prepare(ctx, p, t)
	}
	return nil
}

func (p *Panel) confirmPage(t *actionTarget, title, question string) (ActionResult, error) {
	data := confirmData{
		pageBase:  pageBase{ClientID: t.req.ClientID, Token: t.req.Token, Action: addonURL},
		ServiceID: t.req.ServiceID,
		Action:    t.req.Action,
		Title:     title,
		Question:  question,
		Params:    t.params,
	}
	if t.identity != nil {
		data.Details = append(data.Details, confirmDetail{"S3 user", t.identity.Email}, confirmDetail{"Service", fmt.Sprintf("#%d", t.service.ID)})
	}
	names := make([]string, 0, len(t.params))
	for name := range t.params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		data.Details = append(data.Details, confirmDetail{name, t.params[name]})
	}
	html, err := render("confirm", data)
	if err != nil {
		return ActionResult{}, err
	}
	return ActionResult{ConfirmHTML: html}, nil
}

// audit records an action. A failure to record is logged and does not fail the action, which
// has already happened.
func (p *Panel) audit(req ActionRequest, params map[string]string, message string, actionErr error) {
	entry := whmcs.AuditEntry{AdminID: req.AdminID, ClientID: req.ClientID, ServiceID: req.ServiceID,
		Action: req.Action, Outcome: whmcs.AuditOK, Message: message}
	if actionErr != nil {
		entry.Outcome = whmcs.AuditFailed
		entry.Message = toRPCError(actionErr).Message
	}
	raw, _ := json.Marshal(params)
	entry.Params = string(raw)

	// The call's context may be the reason the action failed, so the record gets its own.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := p.opts.Store.RecordAudit(ctx, entry); err != nil {
		p.log.Error("record admin action in the audit table", zap.Int64("admin_id", req.AdminID), zap.Int64("client_id", req.ClientID),
			zap.String("action", req.Action), zap.Error(err))
	}
}

func actionNames() []string {
	names := make([]string, 0, len(panelActions))
	for name := range panelActions {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// checkAdminRequest validates the ids and token every Admin RPC carries.
func checkAdminRequest(clientID, adminID int64, token string) error {
	if clientID <= 0 {
		return invalidInput("client_id", "client_id must be a positive WHMCS client id, got %d", clientID)
	}
	if adminID <= 0 {
		return invalidInput("admin_id", "admin_id must be the positive tbladmins.id of the acting admin, got %d", adminID)
	}
	if len(token) > 256 {
		return invalidInput("token", "token is %d bytes long; a WHMCS CSRF token is much shorter", len(token))
	}
	return nil
}

// userRef selects the S3 user of the target's service by its stored UserId.
func (t *actionTarget) userRef() ostor.UserRef { return ostor.ByID(t.identity.UserID) }

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
	target, what := p.limitTarget(t)
	if err := p.opts.Gateway.SetLimits(ctx, target, values...); err != nil {
		return "", p.opts.Provisioner.gatewayError(err, "set the limits of %s", what)
	}
	return fmt.Sprintf("Limits of %s set: %s.", what, describeLimits(t.params)), nil
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
	which := "all limits"
	if lt := t.params["limit_type"]; lt != "" {
		which = "the " + lt + " limits"
	}
	if b := t.params["bucket"]; b != "" {
		return "delete bucket limits", fmt.Sprintf("Delete %s of bucket %s? The bucket becomes unlimited for them.", which, b)
	}
	return "delete user limits", fmt.Sprintf("Delete %s of S3 user %s? The user becomes unlimited for them.", which, t.identity.Email)
}

func runDeleteLimits(ctx context.Context, p *Panel, t *actionTarget) (string, error) {
	target, what := p.limitTarget(t)
	if err := p.opts.Gateway.DeleteLimits(ctx, target, t.params["limit_type"]); err != nil {
		return "", p.opts.Provisioner.gatewayError(err, "delete the limits of %s", what)
	}
	return fmt.Sprintf("Limits of %s deleted.", what), nil
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

func prepareUsageObject(_ context.Context, _ *Panel, t *actionTarget) error {
	name := t.req.Params["object"]
	if err := validateUsageObjectName(name); err != nil {
		return err
	}
	t.params["object"] = name
	return nil
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
		fmt.Fprintf(&b, " Service %d: %s", f.ServiceID, f.Message)
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
