package bridge

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// requireIdentity reads the stored S3 identity of a service, which key operations need.
func (p *Provisioner) requireIdentity(ctx context.Context, svc whmcs.Service) (whmcs.Identity, error) {
	ident, err := p.opts.Store.Identity(ctx, p.db(), svc.ID)
	if errors.Is(err, whmcs.ErrNotFound) {
		return whmcs.Identity{}, newError(CodeConflict, err,
			"service %d has no S3 user yet; run Create (CreateAccount) for it first", svc.ID)
	}
	if err != nil {
		return whmcs.Identity{}, p.dbError(err, "read the S3 identity of service %d", svc.ID)
	}
	return ident, nil
}

// readUser reads the service's S3 user by its stored UserId. A user deleted outside WHMCS is a
// conflict, because acting on it would hide that the storage is gone.
func (p *Provisioner) readUser(ctx context.Context, ident whmcs.Identity) (ostor.User, error) {
	user, err := p.opts.Gateway.GetUser(ctx, ostor.ByID(ident.UserID))
	if errors.Is(err, ostor.ErrUserNotFound) {
		return ostor.User{}, newError(CodeConflict, err,
			"service %d records S3 user %s (%s), which no longer exists on the gateway; it was deleted outside WHMCS, so run ostor-bridge reconcile --service %d to see what changed before acting on the service",
			ident.ServiceID, ident.UserID, ident.Email, ident.ServiceID)
	}
	if err != nil {
		return ostor.User{}, p.gatewayError(err, "read S3 user %s", ident.UserID)
	}
	return user, nil
}

// tooManyKeys builds the error for a user that already has the maximum number of key pairs. It
// names the keys the gateway has but the service does not record, because those need reconcile.
func (p *Provisioner) tooManyKeys(ctx context.Context, svc whmcs.Service, ident whmcs.Identity, user ostor.User) error {
	recorded, err := p.opts.Store.ActiveKeys(ctx, p.db(), svc.ID)
	if err != nil {
		return p.dbError(err, "read the access keys of service %d", svc.ID)
	}
	var unrecorded []string
	for _, k := range user.AccessKeys {
		if !slices.Contains(recordedIDs(recorded), k.AccessKeyID) {
			unrecorded = append(unrecorded, k.AccessKeyID)
		}
	}
	if len(unrecorded) > 0 {
		return newError(CodeConflict, nil,
			"S3 user %s already holds %d access key pairs, the gateway's maximum, and %s not recorded for service %d; run ostor-bridge reconcile --fix --service %d",
			ident.UserID, len(user.AccessKeys), strings.Join(unrecorded, ", ")+pluralIs(len(unrecorded)), svc.ID, svc.ID)
	}
	return newError(CodeConflict, nil,
		"S3 user %s already holds %d access key pairs (%s), the gateway's maximum; revoke one with Revoke access key first",
		ident.UserID, len(user.AccessKeys), strings.Join(keyIDs(user.AccessKeys), ", "))
}

// keepOrFail journals the failure of an operation. A retryable failure (the gateway or database
// was unavailable, or a reply never came) leaves the operation pending with its error, so the
// next attempt or reconciliation resumes it. Any other failure marks it failed.
func (p *Provisioner) keepOrFail(opID int64, cause error) {
	if !retryable(asError(cause).Code) {
		p.failOperation(opID, cause)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.opts.Store.RecordOperationError(ctx, opID, toRPCError(cause).Message); err != nil {
		p.log.Error("journal the error of a pending operation", zap.Int64("operation_id", opID), zap.Error(err))
	}
}

func (p *Provisioner) keyGateway() (KeyGateway, error) {
	gw, ok := p.opts.Gateway.(KeyGateway)
	if !ok {
		return nil, newError(CodeInternal, nil, "the daemon's gateway client cannot manage access keys")
	}
	return gw, nil
}

// maxAccessKeyIDLen keeps the journal kind of a revocation, its prefix plus the key id, within
// the 64 characters of mod_ostorbridge_operations.kind.
const maxAccessKeyIDLen = 64 - len(kindRevokeKeyPrefix)

// validateAccessKeyID rejects values that cannot be an access key id. Gateway key ids are 20
// letters and digits; other printable ASCII is passed on so that ids of other releases work.
func validateAccessKeyID(id string) error {
	if id == "" {
		return invalidInput("access_key_id", "access_key_id is missing; choose the key to revoke from the service's recorded keys")
	}
	if len(id) > maxAccessKeyIDLen {
		return invalidInput("access_key_id", "access_key_id %q is %d characters long, the maximum is %d", id, len(id), maxAccessKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return invalidInput("access_key_id", "access_key_id %q contains a space, control or non-ASCII character; give the key id as the note shows it", id)
		}
	}
	return nil
}

func keyIDs(keys []ostor.KeyPair) []string {
	ids := make([]string, 0, len(keys))
	for _, k := range keys {
		ids = append(ids, k.AccessKeyID)
	}
	return ids
}

func recordedIDs(keys []whmcs.AccessKey) []string {
	ids := make([]string, 0, len(keys))
	for _, k := range keys {
		ids = append(ids, k.AccessKeyID)
	}
	return ids
}

func hasKey(keys []ostor.KeyPair, id string) bool {
	return slices.Contains(keyIDs(keys), id)
}

func describeKeys(keys []whmcs.AccessKey) string {
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(recordedIDs(keys), ", ")
}

func pluralIs(n int) string {
	if n == 1 {
		return " is"
	}
	return " are"
}
