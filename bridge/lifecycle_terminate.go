package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// Purger empties and deletes buckets through the S3 data API, signed with the owner's own key
// pair. A bucket that no longer exists counts as purged.
type Purger interface {
	Purge(ctx context.Context, owner ostor.KeyPair, buckets []string) (PurgeReport, error)
}

// PurgeReport counts what a purge deleted.
type PurgeReport struct {
	Buckets int   `json:"buckets"`
	Objects int64 `json:"objects"`
}

// TerminateResult describes what Terminate did to the service's S3 user.
type TerminateResult struct {
	UserID string `json:"user_id,omitempty"`
	Email  string `json:"email,omitempty"`

	// Deleted is true when the user no longer exists on the gateway, whether this call or an
	// earlier, interrupted one deleted it.
	Deleted bool `json:"deleted"`

	// NothingRecorded is true when the service had no S3 user recorded: it was never created,
	// or an earlier Terminate finished.
	NothingRecorded bool `json:"nothing_recorded"`

	PurgedBuckets []string     `json:"purged_buckets"`
	Purge         *PurgeReport `json:"purge,omitempty"`
	NoteID        int64        `json:"note_id,omitempty"`
}

// terminateDetail is the journal detail of a terminate operation.
type terminateDetail struct {
	UserID  string   `json:"user_id"`
	Action  string   `json:"action"` // "disable", "purge" or "delete"
	Buckets []string `json:"buckets,omitempty"`
	AdminID int64    `json:"admin_id"`
}

// Terminate is WHMCS TerminateAccount. A user that owns no buckets is deleted. For a user that
// owns buckets, the product's "When terminated with buckets" setting selects one of two actions.
// The default disables the user and returns an error naming the buckets. The other purges the
// buckets with the user's own key and then deletes the user. Once the user is gone, one
// transaction records the removal in the access-key note, marks the service's keys revoked and
// removes its identity. No other note is touched.
func (p *Provisioner) Terminate(ctx context.Context, serviceID, adminID int64) (TerminateResult, error) {
	svc, err := p.loadService(ctx, serviceID)
	if err != nil {
		return TerminateResult{}, err
	}
	settings, err := SettingsOf(svc)
	if err != nil {
		return TerminateResult{}, err
	}

	release, err := p.opts.Store.LockService(ctx, svc.ID, p.opts.LockWait)
	if err != nil {
		return TerminateResult{}, p.dbError(err, "lock service %d", svc.ID)
	}
	defer release()

	ident, err := p.opts.Store.Identity(ctx, p.db(), svc.ID)
	if errors.Is(err, whmcs.ErrNotFound) {
		return TerminateResult{NothingRecorded: true, Deleted: true, PurgedBuckets: []string{}}, p.completePending(ctx, svc.ID, opTerminate)
	}
	if err != nil {
		return TerminateResult{}, p.dbError(err, "read the S3 identity of service %d", svc.ID)
	}
	result := TerminateResult{UserID: ident.UserID, Email: ident.Email, PurgedBuckets: []string{}}
	log := p.log.With(zap.Int64("service_id", svc.ID), zap.String("s3_user_id", ident.UserID), zap.Int64("admin_id", adminID))

	user, err := p.opts.Gateway.GetUser(ctx, ostor.ByID(ident.UserID))
	if errors.Is(err, ostor.ErrUserNotFound) {
		// An earlier call deleted the user and stopped before its commit, or someone deleted it
		// on the gateway. In both cases only the WHMCS side is left to finish.
		log.Info("S3 user already gone, finishing terminate")
		op, err := p.startTerminate(ctx, svc.ID, terminateDetail{UserID: ident.UserID, Action: "delete", AdminID: adminID})
		if err != nil {
			return TerminateResult{}, err
		}
		return p.finishTerminate(ctx, svc, ident, op.ID, result)
	}
	if err != nil {
		return TerminateResult{}, p.gatewayError(err, "read S3 user %s", ident.UserID)
	}

	buckets, err := p.opts.Gateway.ListUserBuckets(ctx, ostor.ByID(ident.UserID))
	if err != nil {
		return TerminateResult{}, p.gatewayError(err, "list the buckets of S3 user %s", ident.UserID)
	}
	names := bucketNames(buckets)

	var op whmcs.Operation
	switch {
	case len(names) > 0 && settings.TerminateAction == TerminatePurge:
		op, err = p.startTerminate(ctx, svc.ID, terminateDetail{UserID: ident.UserID, Action: "purge", Buckets: names, AdminID: adminID})
		if err != nil {
			return TerminateResult{}, err
		}
		report, err := p.purgeAsOwner(ctx, user, names)
		if err != nil {
			// A retryable failure leaves the operation pending: the next call lists the buckets
			// again and goes on.
			p.keepOrFail(op.ID, err)
			return TerminateResult{}, err
		}
		log.Info("purged the buckets of the S3 user", zap.Strings("buckets", names), zap.Int64("objects", report.Objects))
		result.PurgedBuckets, result.Purge = names, &report
	case len(names) > 0:
		return TerminateResult{}, p.disableAndReport(ctx, svc.ID, adminID, ident, user, names)
	default:
		op, err = p.startTerminate(ctx, svc.ID, terminateDetail{UserID: ident.UserID, Action: "delete", AdminID: adminID})
		if err != nil {
			return TerminateResult{}, err
		}
	}

	if err := p.deleteUser(ctx, ident.UserID); err != nil {
		p.keepOrFail(op.ID, err)
		return TerminateResult{}, err
	}
	log.Info("deleted S3 user")
	return p.finishTerminate(ctx, svc, ident, op.ID, result)
}

// repeatTerminate ends the messages of a Terminate that stopped early. It names both ways to
// repeat it, because the WHMCS module command and the admin panel's button both run Terminate.
const repeatTerminate = `run Terminate in WHMCS or "Delete user" in the client's S3 panel again`

// disableAndReport disables a user that still owns buckets and returns the error that names them.
// No bucket or object is deleted.
func (p *Provisioner) disableAndReport(ctx context.Context, serviceID, adminID int64, ident whmcs.Identity, user ostor.User, buckets []string) error {
	report := newError(CodeConflict, nil,
		"S3 user %s (%s) still owns %d bucket(s): %s. The user is disabled and its data is kept. Delete the buckets through the S3 API, or set the product's \"When terminated with buckets\" to purge. Then "+repeatTerminate+".",
		ident.UserID, ident.Email, len(buckets), strings.Join(buckets, ", "))
	if user.State == ostor.StateDisabled {
		return report
	}

	op, err := p.startTerminate(ctx, serviceID, terminateDetail{UserID: ident.UserID, Action: "disable", Buckets: buckets, AdminID: adminID})
	if err != nil {
		return err
	}
	if err := p.writeUserState(ctx, ident.UserID, ostor.StateDisabled); err != nil {
		p.keepOrFail(op.ID, err)
		return err
	}
	p.log.Info("disabled S3 user that owns buckets instead of deleting it", zap.Int64("service_id", serviceID),
		zap.String("s3_user_id", ident.UserID), zap.Strings("buckets", buckets))
	p.failOperation(op.ID, report)
	return report
}

// purgeAsOwner purges the buckets of a user. The S3 data API rejects a disabled user's key, so a
// suspended user is enabled for the purge. When the purge fails, the user is disabled again, so
// that a terminated client does not keep its access.
//
// NOTE: while the purge runs, a suspended client's key works again and can write new objects.
// The purge empties each bucket up to three times before it gives up on it.
func (p *Provisioner) purgeAsOwner(ctx context.Context, user ostor.User, buckets []string) (PurgeReport, error) {
	if user.State != ostor.StateDisabled {
		return p.purge(ctx, user, buckets)
	}
	if p.opts.Purger == nil {
		return p.purge(ctx, user, buckets)
	}
	if err := p.writeUserState(ctx, user.ID, ostor.StateEnabled); err != nil {
		return PurgeReport{}, err
	}
	report, err := p.purge(ctx, user, buckets)
	if err != nil {
		if disableErr := p.writeUserState(ctx, user.ID, ostor.StateDisabled); disableErr != nil {
			p.log.Error("could not disable the S3 user again after a failed purge", zap.String("s3_user_id", user.ID), zap.Error(disableErr))
		}
	}
	return report, err
}

// purge empties and deletes the buckets with the user's own key pair.
func (p *Provisioner) purge(ctx context.Context, user ostor.User, buckets []string) (PurgeReport, error) {
	if p.opts.Purger == nil {
		return PurgeReport{}, newError(CodeConflict, nil,
			"the product is set to purge S3 user %s on terminate, but this daemon has no S3 data access configured; set the product's \"When terminated with buckets\" to disable, or configure the daemon for purging",
			user.ID)
	}
	var key ostor.KeyPair
	for _, k := range user.AccessKeys {
		if k.SecretAccessKey != "" {
			key = k
			break
		}
	}
	if key.AccessKeyID == "" {
		return PurgeReport{}, newError(CodeConflict, nil,
			"S3 user %s has no access key pair to purge its buckets with. Generate an access key for it, then "+repeatTerminate+".", user.ID)
	}
	report, err := p.opts.Purger.Purge(ctx, key, buckets)
	if err != nil {
		var be *Error
		if errors.As(err, &be) {
			return PurgeReport{}, be
		}
		return PurgeReport{}, newError(CodeGatewayDown, err,
			"purging the buckets of S3 user %s failed, and the user is kept. To continue the purge, "+repeatTerminate+". Cause: %v", user.ID, err)
	}
	return report, nil
}

// deleteUser deletes a user. An unanswered delete is resolved by reading the gateway, and a user
// that is already gone is a success.
func (p *Provisioner) deleteUser(ctx context.Context, userID string) error {
	err := p.opts.Gateway.DeleteUser(ctx, ostor.ByID(userID))
	switch {
	case err == nil, errors.Is(err, ostor.ErrUserNotFound):
		return nil
	case errors.Is(err, ostor.ErrUserOwnsBuckets):
		return newError(CodeConflict, err,
			"S3 user %s owns buckets again because one was created while Terminate ran. Delete it, then "+repeatTerminate+".", userID)
	case !errors.Is(err, ostor.ErrOutcomeUnknown):
		return p.gatewayError(err, "delete S3 user %s", userID)
	}

	_, readErr := p.opts.Gateway.GetUser(ctx, ostor.ByID(userID))
	switch {
	case errors.Is(readErr, ostor.ErrUserNotFound):
		p.log.Info("delete outcome resolved by reading the gateway", zap.String("s3_user_id", userID))
		return nil
	case readErr != nil:
		return p.gatewayError(err, "delete S3 user %s (and the follow-up read failed: %v)", userID, readErr)
	}
	return p.gatewayError(err, "delete S3 user %s", userID)
}

// finishTerminate records in one transaction that the user is gone. The note records the removal,
// the keys are marked revoked, the identity is removed and the operation is marked done.
func (p *Provisioner) finishTerminate(ctx context.Context, svc whmcs.Service, ident whmcs.Identity, opID int64, result TerminateResult) (TerminateResult, error) {
	body := fmt.Sprintf("S3 user: %s\nS3 user ID: %s\nStatus: removed by Terminate on %s; its access keys no longer work.",
		ident.Email, ident.UserID, time.Now().UTC().Format("2006-01-02 15:04 UTC"))

	err := p.opts.Store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		noteID, err := p.opts.Store.WriteKeyNote(ctx, tx, whmcs.KeyNote{
			ClientID: svc.ClientID, ServiceID: svc.ID, NoteID: ident.NoteID, Body: body, Sticky: p.opts.NoteSticky,
		})
		if err != nil {
			return err
		}
		result.NoteID = noteID

		keys, err := p.opts.Store.ActiveKeys(ctx, tx, svc.ID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := p.opts.Store.MarkKeyRevoked(ctx, tx, k.AccessKeyID); err != nil {
				return err
			}
		}
		if err := p.opts.Store.DeleteIdentity(ctx, tx, svc.ID); err != nil {
			return err
		}
		return p.opts.Store.CompleteOperation(ctx, tx, opID)
	})
	if err != nil {
		return TerminateResult{}, p.dbError(err, "record the removal of the S3 user of service %d", svc.ID)
	}
	result.Deleted = true
	return result, nil
}

func (p *Provisioner) startTerminate(ctx context.Context, serviceID int64, d terminateDetail) (whmcs.Operation, error) {
	detail, _ := json.Marshal(d)
	op, err := p.opts.Store.StartOperation(ctx, serviceID, opTerminate, string(detail))
	if err != nil {
		return whmcs.Operation{}, p.dbError(err, "journal the terminate operation of service %d", serviceID)
	}
	return op, nil
}

// disabledByTerminate reports whether the service's latest state change was a Terminate that
// disabled the user because it owns buckets, so that reconcile does not enable it again. A
// journal read that fails counts as true, which leaves the user disabled.
func (p *Provisioner) disabledByTerminate(ctx context.Context, serviceID int64) bool {
	recent, err := p.opts.Store.RecentOperations(ctx, serviceID, 0)
	if err != nil {
		p.log.Warn("could not read the journal; the S3 user is left disabled", zap.Int64("service_id", serviceID), zap.Error(err))
		return true
	}
	for _, op := range recent {
		switch op.Kind {
		case opSuspend, opUnsuspend:
			return false
		case opTerminate:
			var d terminateDetail
			return json.Unmarshal([]byte(op.Detail), &d) == nil && d.Action == "disable" && op.State == whmcs.OperationFailed
		}
	}
	return false
}

func bucketNames(buckets []ostor.Bucket) []string {
	names := make([]string, 0, len(buckets))
	for _, b := range buckets {
		names = append(names, b.Name)
	}
	return names
}
