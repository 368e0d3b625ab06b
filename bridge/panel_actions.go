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
	// usageCounted is whether the usage collector stored the statistics
	// object of delete_usage_object: "yes", "no" or "unknown".
	usageCounted string
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
		confirm: confirmDeleteUsageObject},
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

// confirmLabels are the row labels of action parameters on the confirmation page. A parameter
// without a label, such as reconcile's fix flag, is already stated by the page's title.
var confirmLabels = map[string]string{
	"access_key_id": "Access key ID",
	"bucket":        "Bucket",
	"limit_type":    "Limits",
	"object":        "Statistics object",
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
		label, shown := confirmLabels[name]
		if !shown {
			continue
		}
		value := t.params[name]
		if name == "limit_type" && value == "" {
			value = "all"
		}
		data.Details = append(data.Details, confirmDetail{label, value})
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
