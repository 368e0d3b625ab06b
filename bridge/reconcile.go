package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// Reconcile compares the WHMCS services of the daemon's module with their S3 users, finishes or
// resolves interrupted operations, and reports, and with Fix repairs, every difference. Unless
// one service is selected, it also reports the gateway users that no existing service records,
// which it never changes.
//
// Each service is checked while holding its lock, so an operation in flight is never mistaken for
// drift. A service whose lock is busy is reported and skipped.
func (p *Provisioner) Reconcile(ctx context.Context, req ReconcileRequest) (ReconcileReport, error) {
	if req.ClientID < 0 {
		return ReconcileReport{}, invalidInput("client_id", "client_id must be a positive WHMCS client id or 0 for every client, got %d", req.ClientID)
	}
	if req.ServiceID < 0 {
		return ReconcileReport{}, invalidInput("service_id", "service_id must be a positive WHMCS service id or 0 for every service, got %d", req.ServiceID)
	}
	scope := whmcs.Scope{ClientID: req.ClientID, ServiceID: req.ServiceID}
	report := ReconcileReport{Scope: scope.String(), Fix: req.Fix, StartedAt: time.Now(), Findings: []Finding{}}

	if req.ServiceID != 0 {
		// loadService names a missing service or one of another module.
		svc, err := p.loadService(ctx, req.ServiceID)
		if err != nil {
			return ReconcileReport{}, err
		}
		if req.ClientID != 0 && svc.ClientID != req.ClientID {
			return ReconcileReport{}, invalidInput("client_id", "service %d belongs to client %d, not client %d; give only one of service_id and client_id", svc.ID, svc.ClientID, req.ClientID)
		}
	}
	services, err := p.opts.Store.ModuleServices(ctx, p.opts.Module, scope)
	if err != nil {
		return ReconcileReport{}, p.dbError(err, "read the services to reconcile")
	}

	for _, svc := range services {
		if err := ctx.Err(); err != nil {
			p.opts.Metrics.recordReconcileFailure(req)
			return report, newError(CodeBusy, err, "reconciliation stopped after %d of %d services: %v", report.ServicesChecked, len(services), err)
		}
		report.ServicesChecked++
		r := serviceReconciler{p: p, svc: svc, req: req}
		r.run(ctx)
		for _, f := range r.findings {
			report.Findings = append(report.Findings, *f)
		}
	}
	if req.ServiceID == 0 {
		report.Findings = append(report.Findings, p.findUnrecordedUsers(ctx, req.ClientID)...)
	}
	report.FinishedAt = time.Now()
	p.opts.Metrics.recordReconcile(req, report)
	p.log.Info("reconciled", zap.String("scope", report.Scope), zap.Bool("fix", req.Fix), zap.Int64("admin_id", req.AdminID),
		zap.Int("services", report.ServicesChecked), zap.Int("findings", len(report.Findings)), zap.Int("open", report.Open()))
	return report, nil
}

// serviceReconciler checks one service.
type serviceReconciler struct {
	p   *Provisioner
	svc whmcs.Service
	req ReconcileRequest
	// findings are pointers, because add hands out a finding that a later fix completes while
	// more findings are appended.
	findings []*Finding

	// resolved are keys that a pending generate_key operation created, which the pending
	// operation's finding already reports.
	resolved map[string]bool
}

func (r *serviceReconciler) add(f Finding) *Finding {
	f.ServiceID, f.ClientID = r.svc.ID, r.svc.ClientID
	r.findings = append(r.findings, &f)
	return &f
}

// fixed records the outcome of a fix on f.
func (r *serviceReconciler) fixed(f *Finding, err error) {
	if err != nil {
		f.Error = asError(err).Message
		r.p.log.Warn("reconcile fix failed", zap.Int64("service_id", r.svc.ID), zap.String("kind", string(f.Kind)), zap.Error(err))
		return
	}
	f.Fixed = true
	r.p.log.Info("reconcile fixed", zap.Int64("service_id", r.svc.ID), zap.String("kind", string(f.Kind)),
		zap.String("access_key_id", f.AccessKeyID), zap.Int64("operation_id", f.OperationID))
}

func (r *serviceReconciler) failed(err error, what string) {
	r.add(Finding{Kind: FindingCheckFailed, Message: fmt.Sprintf("could not %s: %s", what, asError(err).Message),
		Action: "rerun reconcile when the database and the gateway are reachable"})
}

func (r *serviceReconciler) run(ctx context.Context) {
	p, svc := r.p, r.svc
	release, err := p.opts.Store.LockService(ctx, svc.ID, p.opts.LockWait)
	if errors.Is(err, whmcs.ErrLocked) {
		r.add(Finding{Kind: FindingBusy, Message: "another operation held the service, so it was not checked", Action: "rerun reconcile for this service"})
		return
	}
	if err != nil {
		r.failed(p.dbError(err, "lock service %d", svc.ID), "lock the service")
		return
	}
	defer release()

	ops, err := p.opts.Store.PendingOperations(ctx, svc.ID)
	if err != nil {
		r.failed(p.dbError(err, "read pending operations"), "read pending operations")
		return
	}
	r.resolved = make(map[string]bool)
	for _, op := range ops {
		r.resolveOperation(ctx, op)
	}

	ident, err := p.opts.Store.Identity(ctx, p.db(), svc.ID)
	if errors.Is(err, whmcs.ErrNotFound) {
		if (svc.Status == "Active" || svc.Status == "Suspended") && !hasPendingKind(ops, "create") {
			r.add(Finding{Kind: FindingNotProvisioned,
				Message: fmt.Sprintf("service is %s in WHMCS but has no S3 user", svc.Status),
				Action:  "run Create (Module Commands > Create) for the service"})
		}
		return
	}
	if err != nil {
		r.failed(p.dbError(err, "read the S3 identity"), "read the S3 identity")
		return
	}

	user, err := p.opts.Gateway.GetUser(ctx, ostor.ByID(ident.UserID))
	if errors.Is(err, ostor.ErrUserNotFound) {
		if !serviceEnded(svc.Status) {
			r.add(Finding{Kind: FindingMissingUser, UserID: ident.UserID,
				Message: fmt.Sprintf("the service records S3 user %s (%s), which does not exist on the gateway", ident.UserID, ident.Email),
				Action:  "find out who deleted the user; terminate the service in WHMCS, or restore the user on the gateway"})
		}
		return
	}
	if err != nil {
		r.failed(p.gatewayError(err, "read S3 user %s", ident.UserID), "read the S3 user")
		return
	}

	if serviceEnded(svc.Status) {
		r.add(Finding{Kind: FindingEndedServiceUser, UserID: user.ID,
			Message: fmt.Sprintf("service is %s in WHMCS but its S3 user %s (%s) still exists with %d access key pairs", svc.Status, user.ID, ident.Email, len(user.AccessKeys)),
			Action:  "run Terminate for the service in WHMCS, or delete the user on the gateway after checking its buckets"})
		return
	}
	r.checkState(ctx, ident, user)
	r.checkKeys(ctx, ident, user)
}

// resolveOperation finishes or closes a pending operation by reading the gateway.
func (r *serviceReconciler) resolveOperation(ctx context.Context, op whmcs.Operation) {
	p, svc := r.p, r.svc
	f := r.add(Finding{Kind: FindingPendingOperation, OperationID: op.ID,
		Message: fmt.Sprintf("%s is still pending", describeOperation(op))})
	if op.LastError != "" {
		f.Message += "; last error: " + op.LastError
	}
	fix := r.req.Fix || r.req.ResumePending

	var ident whmcs.Identity
	var user ostor.User
	var err error
	if op.Kind != "create" {
		ident, err = p.requireIdentity(ctx, svc)
		if err == nil {
			user, err = p.readUser(ctx, ident)
		}
		if err != nil {
			f.Action = "the operation cannot be resolved: " + asError(err).Message
			if fix && asError(err).Code == CodeConflict {
				f.Action = "closed as failed: " + asError(err).Message
				r.fixed(f, p.opts.Store.FailOperation(ctx, op.ID, asError(err).Message))
			}
			return
		}
		f.UserID = user.ID
	}

	switch {
	case op.Kind == "create":
		r.resolveCreate(ctx, op, f, fix)

	case op.Kind == kindGenerateKey:
		created, err := p.keysCreatedBy(ctx, svc, op, user)
		if err != nil {
			f.Action = "the operation cannot be resolved: " + asError(err).Message
			return
		}
		if len(created) == 0 {
			f.Action = "genKey was not applied on the gateway; close the operation as failed, so the admin can press Generate access key again"
			if fix {
				r.fixed(f, p.opts.Store.FailOperation(ctx, op.ID, "genKey was not applied on the gateway; generate the key again"))
			}
			return
		}
		f.AccessKeyID = created[len(created)-1].AccessKeyID
		for _, k := range created {
			r.resolved[k.AccessKeyID] = true
		}
		f.Action = fmt.Sprintf("the gateway issued %s before the operation was interrupted; record the key and rewrite the note", strings.Join(keyIDs(created), ", "))
		if fix {
			_, err := p.finishGenerate(ctx, svc, ident, op.ID, created, user.AccessKeys, false)
			r.fixed(f, err)
		}

	case strings.HasPrefix(op.Kind, kindRevokeKeyPrefix):
		var d revokeKeyDetail
		_ = json.Unmarshal([]byte(op.Detail), &d)
		if d.AccessKeyID == "" {
			d.AccessKeyID = strings.TrimPrefix(op.Kind, kindRevokeKeyPrefix)
		}
		f.AccessKeyID = d.AccessKeyID
		f.Action = fmt.Sprintf("finish the revocation of access key %s: revoke it on the gateway if it is still there, then mark it revoked", d.AccessKeyID)
		if fix {
			_, err := p.revokeKeyLocked(ctx, svc, ident, d.AdminID, d.AccessKeyID)
			if err != nil && (asError(err).Code == CodeConflict || asError(err).Code == CodeNotFound) {
				// The revocation is no longer allowed or possible; close it instead of
				// leaving it pending forever.
				f.Action = "closed as failed: " + asError(err).Message
				err = p.opts.Store.FailOperation(ctx, op.ID, asError(err).Message)
			}
			r.fixed(f, err)
		}

	default:
		f.Action = fmt.Sprintf("reconcile does not resume %q operations; repeat the action in WHMCS, which resumes it", op.Kind)
	}
}

// resolveCreate resolves a pending create: a user that exists under the journaled email is
// adopted by resuming Create; otherwise the operation is closed as failed.
func (r *serviceReconciler) resolveCreate(ctx context.Context, op whmcs.Operation, f *Finding, fix bool) {
	p, svc := r.p, r.svc
	if _, err := p.opts.Store.Identity(ctx, p.db(), svc.ID); err == nil {
		f.Action = "the S3 user is recorded; mark the operation done"
		if fix {
			r.fixed(f, p.opts.Store.WithinTx(ctx, func(tx *sqlx.Tx) error {
				return p.opts.Store.CompleteOperation(ctx, tx, op.ID)
			}))
		}
		return
	}
	d, ok := createDetailOf(op)
	if !ok {
		f.Action = "the operation has no journaled email; run Create for the service"
		return
	}
	user, err := p.opts.Gateway.GetUser(ctx, ostor.ByEmail(d.Email))
	switch {
	case errors.Is(err, ostor.ErrUserNotFound):
		f.Action = "the S3 user was never created; close the operation as failed, so Create can be run again"
		if fix {
			r.fixed(f, p.opts.Store.FailOperation(ctx, op.ID, "the S3 user was never created on the gateway; run Create again"))
		}
	case err != nil:
		f.Action = "the operation cannot be resolved: " + p.gatewayError(err, "read S3 user %q", d.Email).Error()
	default:
		f.UserID = user.ID
		f.Action = fmt.Sprintf("the gateway created S3 user %s (%s) before the operation was interrupted; resume Create, which records it and applies the product's limits and quota", user.ID, d.Email)
		if fix {
			r.fixed(f, p.resumeCreate(ctx, svc, r.req.AdminID))
		}
	}
}

// checkState compares the user's state with the service's status.
func (r *serviceReconciler) checkState(ctx context.Context, ident whmcs.Identity, user ostor.User) {
	want := ""
	switch r.svc.Status {
	case "Active":
		want = ostor.StateEnabled
	case "Suspended":
		want = ostor.StateDisabled
	}
	if want == "" || user.State == "" || user.State == want {
		return
	}

	f := r.add(Finding{Kind: FindingStateMismatch, UserID: user.ID,
		Message: fmt.Sprintf("service is %s in WHMCS but S3 user %s is %s", r.svc.Status, user.ID, user.State)})
	if want == ostor.StateEnabled && r.p.disabledByTerminate(ctx, r.svc.ID) {
		f.Action = "nothing: Terminate disabled the user because it still owns buckets. Delete the buckets or set the product to purge, then " + repeatTerminate + "."
		return
	}
	verb := map[string]string{ostor.StateEnabled: "enable", ostor.StateDisabled: "disable"}[want]
	f.Action = fmt.Sprintf("%s the S3 user, as the service's status requires", verb)
	if !r.req.Fix {
		return
	}

	// The fix runs as a journaled suspend or unsuspend, so an unanswered write is resolved by
	// reading the user's state, and an earlier pending operation of the opposite kind is closed.
	kind, opposite := opSuspend, opUnsuspend
	if want == ostor.StateEnabled {
		kind, opposite = opUnsuspend, opSuspend
	}
	err := r.p.supersedePending(ctx, r.svc.ID, opposite, kind)
	if err == nil {
		err = r.p.changeUserStateLocked(ctx, ident, r.req.AdminID, want)
	}
	r.fixed(f, err)
}

// checkKeys compares the service's recorded keys with the user's keys on the gateway.
//
// A key the gateway issued but no service records is replaced. When the service has no recorded
// key that works, a new key is generated and recorded first, and only then is the unrecorded key
// revoked, so the service keeps a working key throughout. A user holds at most two
// key pairs, so a replacement is impossible while both are unrecorded; that is left to an admin.
func (r *serviceReconciler) checkKeys(ctx context.Context, ident whmcs.Identity, user ostor.User) {
	p, svc := r.p, r.svc
	before := len(r.findings)
	recorded, err := p.opts.Store.ActiveKeys(ctx, p.db(), svc.ID)
	if err != nil {
		r.failed(p.dbError(err, "read the access keys"), "read the access keys")
		return
	}

	var missing []string
	for _, k := range recorded {
		if !hasKey(user.AccessKeys, k.AccessKeyID) {
			missing = append(missing, k.AccessKeyID)
		}
	}
	for _, id := range missing {
		f := r.add(Finding{Kind: FindingMissingKey, UserID: user.ID, AccessKeyID: id,
			Message: fmt.Sprintf("access key %s is recorded for the service but S3 user %s no longer has it", id, user.ID),
			Action:  "mark the key revoked and rewrite the note"})
		if r.req.Fix {
			r.fixed(f, p.markGone(ctx, id))
		}
	}

	var unrecorded []ostor.KeyPair
	for _, k := range user.AccessKeys {
		if slices.Contains(recordedIDs(recorded), k.AccessKeyID) || r.resolved[k.AccessKeyID] {
			continue
		}
		key, err := p.opts.Store.Key(ctx, p.db(), k.AccessKeyID)
		switch {
		case err == nil && key.ServiceID == svc.ID && !key.RevokedAt.IsZero():
			f := r.add(Finding{Kind: FindingRevokedKeyActive, UserID: user.ID, AccessKeyID: k.AccessKeyID,
				Message: fmt.Sprintf("access key %s was revoked for the service on %s but still works on the gateway", k.AccessKeyID, key.RevokedAt.Format(time.DateTime)),
				Action:  "revoke the key on the gateway"})
			if r.req.Fix {
				r.fixed(f, p.revokeUnrecorded(ctx, ident, k.AccessKeyID))
			}
		case err == nil && key.ServiceID != svc.ID:
			r.add(Finding{Kind: FindingUnrecordedKey, UserID: user.ID, AccessKeyID: k.AccessKeyID,
				Message: fmt.Sprintf("S3 user %s has access key %s, which is recorded for service %d", user.ID, k.AccessKeyID, key.ServiceID),
				Action:  "check both services on the gateway; reconcile does not move keys between services"})
		case err != nil && !errors.Is(err, whmcs.ErrNotFound):
			r.failed(p.dbError(err, "read access key %q", k.AccessKeyID), "read an access key record")
		default:
			unrecorded = append(unrecorded, k)
		}
	}
	if len(unrecorded) > 0 {
		r.replaceUnrecorded(ctx, ident, user, recorded, missing, unrecorded)
	}

	if r.req.Fix && len(r.findings) > before {
		// Key fixes change what the note must list; a generated key rewrote it already, but a
		// revocation or a dropped record did not.
		if err := p.refreshNote(ctx, svc, ident); err != nil {
			r.failed(err, "rewrite the access-key note")
		}
	}
}

// replaceUnrecorded replaces keys the gateway issued that no service records.
func (r *serviceReconciler) replaceUnrecorded(ctx context.Context, ident whmcs.Identity, user ostor.User, recorded []whmcs.AccessKey, missing []string, unrecorded []ostor.KeyPair) {
	p, svc := r.p, r.svc
	working := len(recorded) - len(missing)
	canGenerate := len(user.AccessKeys) < maxKeyPairs

	findings := make([]*Finding, 0, len(unrecorded))
	for _, k := range unrecorded {
		f := r.add(Finding{Kind: FindingUnrecordedKey, UserID: user.ID, AccessKeyID: k.AccessKeyID,
			Message: fmt.Sprintf("S3 user %s has access key %s, which the database never recorded", user.ID, k.AccessKeyID)})
		switch {
		case working > 0:
			f.Action = "revoke the unrecorded key; the service keeps its recorded key"
		case canGenerate:
			f.Action = "generate a new key, record it and rewrite the note, then revoke the unrecorded key"
		default:
			f.Action = fmt.Sprintf("none: the user already holds %d unrecorded key pairs, so no replacement can be generated before one is revoked; revoke one on the gateway by hand, then rerun reconcile --fix", len(user.AccessKeys))
		}
		findings = append(findings, f)
	}
	if !r.req.Fix || (working == 0 && !canGenerate) {
		return
	}

	if working == 0 {
		if _, err := p.generateKeyLocked(ctx, svc, ident, r.req.AdminID); err != nil {
			for _, f := range findings {
				r.fixed(f, err)
			}
			return
		}
	}
	for i, k := range unrecorded {
		r.fixed(findings[i], p.revokeUnrecorded(ctx, ident, k.AccessKeyID))
	}
}

// revokeUnrecorded revokes a key that the service does not record as active. Nothing in the
// database changes, so nothing is journaled: a repeated reconcile finds the key again.
func (p *Provisioner) revokeUnrecorded(ctx context.Context, ident whmcs.Identity, accessKeyID string) error {
	gw, err := p.keyGateway()
	if err != nil {
		return err
	}
	if err := p.revokeOnGateway(ctx, gw, ident, accessKeyID); err != nil {
		return err
	}
	p.log.Info("revoked unrecorded access key", zap.Int64("service_id", ident.ServiceID), zap.String("access_key_id", accessKeyID))
	return nil
}

// markGone marks a recorded key that the gateway no longer has as revoked.
func (p *Provisioner) markGone(ctx context.Context, accessKeyID string) error {
	err := p.opts.Store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		return p.opts.Store.MarkKeyRevoked(ctx, tx, accessKeyID)
	})
	if err != nil {
		return p.dbError(err, "mark access key %q revoked", accessKeyID)
	}
	return nil
}

// refreshNote rewrites the service's access-key note from the recorded keys, with secrets read
// from the gateway.
func (p *Provisioner) refreshNote(ctx context.Context, svc whmcs.Service, ident whmcs.Identity) error {
	user, err := p.readUser(ctx, ident)
	if err != nil {
		return err
	}
	err = p.opts.Store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		_, _, err := p.rewriteKeyNote(ctx, tx, svc, ident, user.AccessKeys)
		return err
	})
	if err != nil {
		return p.dbError(err, "rewrite the access-key note of service %d", svc.ID)
	}
	return nil
}

// serviceEnded reports whether a WHMCS service status ends the service, so that it must have no
// working S3 user.
func serviceEnded(status string) bool {
	switch status {
	case "Terminated", "Cancelled", "Fraud":
		return true
	}
	return false
}

func hasPendingKind(ops []whmcs.Operation, kind string) bool {
	for _, op := range ops {
		if op.Kind == kind {
			return true
		}
	}
	return false
}

// describeOperation names a journaled operation for a finding.
func describeOperation(op whmcs.Operation) string {
	return fmt.Sprintf("%s operation %d (started %s, %d attempts)", op.Kind, op.ID, op.CreatedAt.Format(time.DateTime), op.Attempts)
}
