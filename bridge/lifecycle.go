package bridge

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// lifecycleGateway is the part of the ostor admin API that suspend, unsuspend, terminate and
// plan changes use. *ostor.Client implements it.
type lifecycleGateway interface {
	DisableUser(ctx context.Context, ref ostor.UserRef) error
	EnableUser(ctx context.Context, ref ostor.UserRef) error
	DeleteUser(ctx context.Context, ref ostor.UserRef) error
	ListUserBuckets(ctx context.Context, owner ostor.UserRef) ([]ostor.Bucket, error)
	GetLimits(ctx context.Context, target ostor.Target) (ostor.Limits, error)
	SetLimits(ctx context.Context, target ostor.Target, values ...ostor.LimitValue) error
	DeleteLimits(ctx context.Context, target ostor.Target, limitType string) error
	GetQuota(ctx context.Context, target ostor.Target) (ostor.Quota, error)
	SetQuota(ctx context.Context, target ostor.Target, sizeGB int64) error
	DeleteQuota(ctx context.Context, target ostor.Target) error
}

// Journal kinds of the lifecycle operations.
const (
	opSuspend        = "suspend"
	opUnsuspend      = "unsuspend"
	opTerminate      = "terminate"
	opPlan           = "plan"
	opServiceDeleted = "service_deleted"
	opEmailChanged   = "client_email_changed"
	opClientMerged   = "client_merged"
)

// stateChange is the journal detail of suspend and unsuspend.
type stateChange struct {
	UserID  string `json:"user_id"`
	AdminID int64  `json:"admin_id"`
}

// Suspend is WHMCS SuspendAccount: it disables the service's S3 user, which cuts its read and
// write access and keeps its data. A user that is already disabled is a success with no write.
func (p *Provisioner) Suspend(ctx context.Context, serviceID, adminID int64) error {
	return p.setUserState(ctx, serviceID, adminID, ostor.StateDisabled)
}

// Unsuspend is WHMCS UnsuspendAccount: it enables the service's S3 user again. A user that is
// already enabled is a success with no write.
func (p *Provisioner) Unsuspend(ctx context.Context, serviceID, adminID int64) error {
	return p.setUserState(ctx, serviceID, adminID, ostor.StateEnabled)
}

func (p *Provisioner) setUserState(ctx context.Context, serviceID, adminID int64, want string) error {
	kind, opposite := opSuspend, opUnsuspend
	if want == ostor.StateEnabled {
		kind, opposite = opUnsuspend, opSuspend
	}

	svc, err := p.loadService(ctx, serviceID)
	if err != nil {
		return err
	}
	release, err := p.opts.Store.LockService(ctx, svc.ID, p.opts.LockWait)
	if err != nil {
		return p.dbError(err, "lock service %d", svc.ID)
	}
	defer release()

	ident, err := p.requireServiceIdentity(ctx, svc.ID)
	if err != nil {
		return err
	}
	// An interrupted call of the opposite kind is overtaken by this one.
	if err := p.supersedePending(ctx, svc.ID, opposite, kind); err != nil {
		return err
	}
	user, err := p.readUser(ctx, ident)
	if err != nil {
		return err
	}
	// NOTE: a release that omits State in its user reply gets the write on every call; the
	// gateway applies it as a no-op.
	if user.State == want {
		return p.completePending(ctx, svc.ID, kind)
	}

	return p.changeUserStateLocked(ctx, ident, adminID, want)
}

// changeUserStateLocked journals a suspend or unsuspend operation, sets the user's state on the
// gateway and marks the operation done. The caller holds the service lock and has read the user
// in a state other than want.
func (p *Provisioner) changeUserStateLocked(ctx context.Context, ident whmcs.Identity, adminID int64, want string) error {
	kind := opSuspend
	if want == ostor.StateEnabled {
		kind = opUnsuspend
	}
	detail, _ := json.Marshal(stateChange{UserID: ident.UserID, AdminID: adminID})
	op, err := p.opts.Store.StartOperation(ctx, ident.ServiceID, kind, string(detail))
	if err != nil {
		return p.dbError(err, "journal the %s operation of service %d", kind, ident.ServiceID)
	}
	if err := p.writeUserState(ctx, ident.UserID, want); err != nil {
		p.keepOrFail(op.ID, err)
		return err
	}
	if err := p.completeOperation(ctx, op.ID); err != nil {
		return p.dbError(err, "journal the %s operation of service %d as done", kind, ident.ServiceID)
	}
	p.log.Info("changed S3 user state", zap.Int64("service_id", ident.ServiceID), zap.String("s3_user_id", ident.UserID),
		zap.String("state", want), zap.Int64("admin_id", adminID), zap.Int64("operation_id", op.ID))
	return nil
}

// writeUserState disables or enables a user. When the write goes unanswered, the gateway is read
// to learn whether it was applied, and the write is not sent again.
func (p *Provisioner) writeUserState(ctx context.Context, userID, want string) error {
	write, verb := p.opts.Gateway.DisableUser, "disable"
	if want == ostor.StateEnabled {
		write, verb = p.opts.Gateway.EnableUser, "enable"
	}
	err := write(ctx, ostor.ByID(userID))
	if err == nil {
		return nil
	}
	if !errors.Is(err, ostor.ErrOutcomeUnknown) {
		return p.gatewayError(err, "%s S3 user %s", verb, userID)
	}

	user, readErr := p.opts.Gateway.GetUser(ctx, ostor.ByID(userID))
	if readErr != nil {
		return p.gatewayError(err, "%s S3 user %s (and the follow-up read failed: %v)", verb, userID, readErr)
	}
	if user.State != want {
		return p.gatewayError(err, "%s S3 user %s", verb, userID)
	}
	p.log.Info("state change outcome resolved by reading the gateway", zap.String("s3_user_id", userID), zap.String("state", want))
	return nil
}

// requireServiceIdentity reads the stored identity of a service that must have an S3 user.
func (p *Provisioner) requireServiceIdentity(ctx context.Context, serviceID int64) (whmcs.Identity, error) {
	ident, err := p.opts.Store.Identity(ctx, p.db(), serviceID)
	if errors.Is(err, whmcs.ErrNotFound) {
		return whmcs.Identity{}, newError(CodeNotFound, err,
			"WHMCS service %d has no S3 user recorded; run Create (CreateAccount) for it first", serviceID)
	}
	if err != nil {
		return whmcs.Identity{}, p.dbError(err, "read the S3 identity of service %d", serviceID)
	}
	return ident, nil
}

// completePending marks the service's pending operations of kind done. It finishes an operation
// whose gateway write was applied by an earlier, interrupted call, which the caller has just
// confirmed by reading the gateway.
func (p *Provisioner) completePending(ctx context.Context, serviceID int64, kind string) error {
	ops, err := p.opts.Store.PendingOperations(ctx, serviceID)
	if err != nil {
		return p.dbError(err, "read the pending operations of service %d", serviceID)
	}
	for _, op := range ops {
		if op.Kind != kind {
			continue
		}
		if err := p.completeOperation(ctx, op.ID); err != nil {
			return p.dbError(err, "journal operation %d of service %d as done", op.ID, serviceID)
		}
		p.log.Info("completed interrupted operation", zap.Int64("service_id", serviceID), zap.String("kind", kind), zap.Int64("operation_id", op.ID))
	}
	return nil
}

// supersedePending marks the service's pending operations of kind failed, because an operation
// of kind by is about to decide the state they were after.
func (p *Provisioner) supersedePending(ctx context.Context, serviceID int64, kind, by string) error {
	ops, err := p.opts.Store.PendingOperations(ctx, serviceID)
	if err != nil {
		return p.dbError(err, "read the pending operations of service %d", serviceID)
	}
	for _, op := range ops {
		if op.Kind != kind {
			continue
		}
		if err := p.opts.Store.FailOperation(ctx, op.ID, "superseded by a later "+by+" operation"); err != nil {
			return p.dbError(err, "journal operation %d of service %d as superseded", op.ID, serviceID)
		}
	}
	return nil
}

func (p *Provisioner) completeOperation(ctx context.Context, opID int64) error {
	return p.opts.Store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		return p.opts.Store.CompleteOperation(ctx, tx, opID)
	})
}
