package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// KeyGateway is the part of the admin API that key management uses. *ostor.Client implements it.
type KeyGateway interface {
	GetUser(ctx context.Context, ref ostor.UserRef) (ostor.User, error)
	GenerateKey(ctx context.Context, ref ostor.UserRef) (ostor.User, error)
	RevokeKey(ctx context.Context, ref ostor.UserRef, accessKeyID string) error
}

// maxKeyPairs is the number of key pairs the gateway lets one user hold, on every documented
// release.
const maxKeyPairs = 2

// Journal kinds of key operations. A revocation's kind ends with the key id, so that a pending
// revocation of one key is never resumed as the revocation of another.
const (
	kindGenerateKey     = "generate_key"
	kindRevokeKeyPrefix = "revoke_key "
)

// KeyResult describes the access keys of a service after GenerateKey or RevokeKey. It never
// contains a secret key.
type KeyResult struct {
	ServiceID   int64  `json:"service_id"`
	UserID      string `json:"user_id"`
	AccessKeyID string `json:"access_key_id"` // the key generated or revoked by the call

	// AccessKeyIDs are the service's recorded keys after the call, oldest first; the access-key
	// note lists exactly these.
	AccessKeyIDs []string `json:"access_key_ids"`
	NoteID       int64    `json:"note_id"`

	// Changed is false when the call found its work already done: the key was revoked before,
	// or an interrupted earlier call had generated it.
	Changed bool `json:"changed"`
}

// generateKeyDetail is the journal detail of a generate_key operation. Before lists the user's
// key ids read before genKey was sent, so a resumed operation can tell the key it created.
type generateKeyDetail struct {
	AdminID int64    `json:"admin_id"`
	Before  []string `json:"before"`
}

// revokeKeyDetail is the journal detail of a revoke_key operation.
type revokeKeyDetail struct {
	AdminID     int64  `json:"admin_id"`
	AccessKeyID string `json:"access_key_id"`
}

// GenerateKey adds a key pair to the S3 user of a service, records it and rewrites the
// access-key note, in one transaction with the journal's done.
//
// The intent is journaled with the user's key ids before genKey is sent. A repeated call after
// an interruption, or after a reply the gateway never sent, first reads the user's keys and
// records a key the earlier attempt created instead of generating another.
func (p *Provisioner) GenerateKey(ctx context.Context, serviceID, adminID int64) (KeyResult, error) {
	svc, err := p.loadService(ctx, serviceID)
	if err != nil {
		return KeyResult{}, err
	}
	if serviceEnded(svc.Status) {
		return KeyResult{}, newError(CodeConflict, nil,
			"service %d is %s in WHMCS; access keys are generated only for Pending, Active or Suspended services", svc.ID, svc.Status)
	}

	release, err := p.opts.Store.LockService(ctx, svc.ID, p.opts.LockWait)
	if err != nil {
		return KeyResult{}, p.dbError(err, "lock service %d", svc.ID)
	}
	defer release()

	ident, err := p.requireIdentity(ctx, svc)
	if err != nil {
		return KeyResult{}, err
	}
	return p.generateKeyLocked(ctx, svc, ident, adminID)
}

// generateKeyLocked runs GenerateKey for a service whose lock the caller holds.
func (p *Provisioner) generateKeyLocked(ctx context.Context, svc whmcs.Service, ident whmcs.Identity, adminID int64) (KeyResult, error) {
	gw, err := p.keyGateway()
	if err != nil {
		return KeyResult{}, err
	}
	log := p.log.With(zap.Int64("service_id", svc.ID), zap.Int64("admin_id", adminID), zap.String("s3_user_id", ident.UserID))

	user, err := p.readUser(ctx, ident)
	if err != nil {
		return KeyResult{}, err
	}
	detail, _ := json.Marshal(generateKeyDetail{AdminID: adminID, Before: keyIDs(user.AccessKeys)})
	op, err := p.opts.Store.StartOperation(ctx, svc.ID, kindGenerateKey, string(detail))
	if err != nil {
		return KeyResult{}, p.dbError(err, "journal the generate_key operation of service %d", svc.ID)
	}
	log = log.With(zap.Int64("operation_id", op.ID))

	if op.Attempts > 1 {
		created, err := p.keysCreatedBy(ctx, svc, op, user)
		if err != nil {
			return KeyResult{}, err
		}
		if len(created) > 0 {
			log.Info("an earlier attempt generated the access key, recording it", zap.Strings("access_key_ids", keyIDs(created)))
			return p.finishGenerate(ctx, svc, ident, op.ID, created, user.AccessKeys, false)
		}
	}

	if len(user.AccessKeys) >= maxKeyPairs {
		err := p.tooManyKeys(ctx, svc, ident, user)
		p.failOperation(op.ID, err)
		return KeyResult{}, err
	}

	reply, genErr := gw.GenerateKey(ctx, ostor.ByEmail(ident.Email))
	created := ostor.NewKeyPairs(user.AccessKeys, reply.AccessKeys)
	if genErr != nil {
		created, err = p.resolveGenerate(ctx, ident, user, genErr)
		if err != nil {
			p.keepOrFail(op.ID, err)
			return KeyResult{}, err
		}
		log.Info("generate_key outcome resolved by reading the gateway", zap.NamedError("generate_error", genErr))
	}
	if len(created) == 0 {
		err := newError(CodeGatewayReject, nil,
			"the S3 gateway answered genKey for user %s without a new access key; check the user's keys on the gateway and retry", ident.UserID)
		p.failOperation(op.ID, err)
		return KeyResult{}, err
	}
	log.Info("generated access key", zap.Strings("access_key_ids", keyIDs(created)))
	return p.finishGenerate(ctx, svc, ident, op.ID, created, append(user.AccessKeys, reply.AccessKeys...), true)
}

// resolveGenerate decides what happened when genKey failed. A reply that never came may hide an
// applied write, so the user's keys are read and compared with the keys before the request.
func (p *Provisioner) resolveGenerate(ctx context.Context, ident whmcs.Identity, before ostor.User, genErr error) ([]ostor.KeyPair, error) {
	if errors.Is(genErr, ostor.ErrTooManyKeys) {
		return nil, newError(CodeConflict, genErr,
			"S3 user %s already holds %d access key pairs, the gateway's maximum; revoke one with Revoke access key first", ident.UserID, maxKeyPairs)
	}
	if !errors.Is(genErr, ostor.ErrOutcomeUnknown) {
		return nil, p.gatewayError(genErr, "generate an access key for S3 user %s", ident.UserID)
	}
	after, err := p.opts.Gateway.GetUser(ctx, ostor.ByID(ident.UserID))
	if err != nil {
		return nil, p.gatewayError(genErr, "generate an access key for S3 user %s (and the follow-up read failed: %v)", ident.UserID, err)
	}
	created := ostor.NewKeyPairs(before.AccessKeys, after.AccessKeys)
	if len(created) == 0 {
		return nil, p.gatewayError(genErr, "generate an access key for S3 user %s", ident.UserID)
	}
	return created, nil
}

// keysCreatedBy returns the keys of user that a pending generate_key operation created: keys
// missing from the list journaled before genKey was sent and not recorded for the service.
func (p *Provisioner) keysCreatedBy(ctx context.Context, svc whmcs.Service, op whmcs.Operation, user ostor.User) ([]ostor.KeyPair, error) {
	var d generateKeyDetail
	if err := json.Unmarshal([]byte(op.Detail), &d); err != nil {
		return nil, newError(CodeInternal, err, "operation %d of service %d has an unreadable journal detail", op.ID, svc.ID)
	}
	recorded, err := p.opts.Store.ActiveKeys(ctx, p.db(), svc.ID)
	if err != nil {
		return nil, p.dbError(err, "read the access keys of service %d", svc.ID)
	}
	known := make(map[string]bool)
	for _, id := range d.Before {
		known[id] = true
	}
	for _, k := range recorded {
		known[k.AccessKeyID] = true
	}
	var created []ostor.KeyPair
	for _, k := range user.AccessKeys {
		if !known[k.AccessKeyID] {
			created = append(created, k)
		}
	}
	return created, nil
}

// finishGenerate records the created keys, rewrites the note and marks the operation done, in
// one transaction. known holds every key pair read from the gateway, for secrets in the note.
func (p *Provisioner) finishGenerate(ctx context.Context, svc whmcs.Service, ident whmcs.Identity, opID int64, created, known []ostor.KeyPair, changed bool) (KeyResult, error) {
	result := KeyResult{ServiceID: svc.ID, UserID: ident.UserID, AccessKeyID: created[len(created)-1].AccessKeyID, Changed: changed}
	err := p.opts.Store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		for _, k := range created {
			if err := p.opts.Store.RecordKey(ctx, tx, svc.ID, k.AccessKeyID); err != nil {
				return err
			}
		}
		noteID, ids, err := p.rewriteKeyNote(ctx, tx, svc, ident, append(known, created...))
		if err != nil {
			return err
		}
		result.NoteID, result.AccessKeyIDs = noteID, ids
		if opID == 0 {
			return nil
		}
		return p.opts.Store.CompleteOperation(ctx, tx, opID)
	})
	if err != nil {
		// The keys exist on the gateway; the pending operation lets the next attempt or
		// reconciliation record them.
		err = p.dbError(err, "record the new access key of service %d", svc.ID)
		if opID != 0 {
			p.keepOrFail(opID, err)
		}
		return KeyResult{}, err
	}
	return result, nil
}

// RevokeKey revokes the named access key of a service on the gateway, marks it revoked and
// rewrites the access-key note. It rejects a key the service never recorded and the service's
// last working key. A key revoked before is a success that changes nothing.
func (p *Provisioner) RevokeKey(ctx context.Context, serviceID, adminID int64, accessKeyID string) (KeyResult, error) {
	if err := validateAccessKeyID(accessKeyID); err != nil {
		return KeyResult{}, err
	}
	svc, err := p.loadService(ctx, serviceID)
	if err != nil {
		return KeyResult{}, err
	}

	release, err := p.opts.Store.LockService(ctx, svc.ID, p.opts.LockWait)
	if err != nil {
		return KeyResult{}, p.dbError(err, "lock service %d", svc.ID)
	}
	defer release()

	ident, err := p.requireIdentity(ctx, svc)
	if err != nil {
		return KeyResult{}, err
	}
	return p.revokeKeyLocked(ctx, svc, ident, adminID, accessKeyID)
}

// revokeKeyLocked runs RevokeKey for a service whose lock the caller holds.
func (p *Provisioner) revokeKeyLocked(ctx context.Context, svc whmcs.Service, ident whmcs.Identity, adminID int64, accessKeyID string) (KeyResult, error) {
	gw, err := p.keyGateway()
	if err != nil {
		return KeyResult{}, err
	}
	log := p.log.With(zap.Int64("service_id", svc.ID), zap.Int64("admin_id", adminID), zap.String("access_key_id", accessKeyID))

	recorded, err := p.opts.Store.ActiveKeys(ctx, p.db(), svc.ID)
	if err != nil {
		return KeyResult{}, p.dbError(err, "read the access keys of service %d", svc.ID)
	}
	key, err := p.opts.Store.Key(ctx, p.db(), accessKeyID)
	switch {
	case errors.Is(err, whmcs.ErrNotFound) || err == nil && key.ServiceID != svc.ID:
		return KeyResult{}, newError(CodeNotFound, nil,
			"access key %q is not recorded for service %d; its recorded keys are %s", accessKeyID, svc.ID, describeKeys(recorded))
	case err != nil:
		return KeyResult{}, p.dbError(err, "read access key %q", accessKeyID)
	case !key.RevokedAt.IsZero():
		result := KeyResult{ServiceID: svc.ID, UserID: ident.UserID, AccessKeyID: accessKeyID, AccessKeyIDs: recordedIDs(recorded), NoteID: ident.NoteID}
		return result, nil
	}

	user, err := p.readUser(ctx, ident)
	if err != nil {
		return KeyResult{}, err
	}
	onGateway := hasKey(user.AccessKeys, accessKeyID)
	working := 0
	for _, k := range recorded {
		if k.AccessKeyID != accessKeyID && hasKey(user.AccessKeys, k.AccessKeyID) {
			working++
		}
	}
	if working == 0 && onGateway {
		return KeyResult{}, newError(CodeConflict, nil,
			"access key %q is the last working access key of service %d; generate a new key first, then revoke this one", accessKeyID, svc.ID)
	}

	detail, _ := json.Marshal(revokeKeyDetail{AdminID: adminID, AccessKeyID: accessKeyID})
	op, err := p.opts.Store.StartOperation(ctx, svc.ID, kindRevokeKeyPrefix+accessKeyID, string(detail))
	if err != nil {
		return KeyResult{}, p.dbError(err, "journal the revocation of access key %q", accessKeyID)
	}
	log = log.With(zap.Int64("operation_id", op.ID))

	if onGateway {
		if err := p.revokeOnGateway(ctx, gw, ident, accessKeyID); err != nil {
			p.keepOrFail(op.ID, err)
			return KeyResult{}, err
		}
		log.Info("revoked access key")
	} else {
		log.Info("access key is already gone from the gateway, marking it revoked")
	}

	result := KeyResult{ServiceID: svc.ID, UserID: ident.UserID, AccessKeyID: accessKeyID, Changed: true}
	err = p.opts.Store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		if err := p.opts.Store.MarkKeyRevoked(ctx, tx, accessKeyID); err != nil {
			return err
		}
		noteID, ids, err := p.rewriteKeyNote(ctx, tx, svc, ident, user.AccessKeys)
		if err != nil {
			return err
		}
		result.NoteID, result.AccessKeyIDs = noteID, ids
		return p.opts.Store.CompleteOperation(ctx, tx, op.ID)
	})
	if err != nil {
		err = p.dbError(err, "record the revocation of access key %q", accessKeyID)
		p.keepOrFail(op.ID, err)
		return KeyResult{}, err
	}
	return result, nil
}

// revokeOnGateway sends revokeKey and treats a key that is already gone as revoked. An
// unanswered request is resolved by reading the user's keys.
func (p *Provisioner) revokeOnGateway(ctx context.Context, gw KeyGateway, ident whmcs.Identity, accessKeyID string) error {
	err := gw.RevokeKey(ctx, ostor.ByEmail(ident.Email), accessKeyID)
	switch {
	case err == nil, errors.Is(err, ostor.ErrKeyNotFound):
		return nil
	case !errors.Is(err, ostor.ErrOutcomeUnknown):
		return p.gatewayError(err, "revoke access key %q of S3 user %s", accessKeyID, ident.UserID)
	}
	after, readErr := gw.GetUser(ctx, ostor.ByID(ident.UserID))
	if readErr != nil {
		return p.gatewayError(err, "revoke access key %q of S3 user %s (and the follow-up read failed: %v)", accessKeyID, ident.UserID, readErr)
	}
	if hasKey(after.AccessKeys, accessKeyID) {
		return p.gatewayError(err, "revoke access key %q of S3 user %s", accessKeyID, ident.UserID)
	}
	return nil
}

// KeyInfo is one recorded access key of a service.
type KeyInfo struct {
	AccessKeyID string    `json:"access_key_id"`
	CreatedAt   time.Time `json:"created_at"`
}

// KeysResult lists the recorded access keys of a service, oldest first.
type KeysResult struct {
	ServiceID int64     `json:"service_id"`
	UserID    string    `json:"user_id"` // empty while the service has no S3 user
	Keys      []KeyInfo `json:"keys"`
}

// Keys lists the access keys recorded for a service that are not revoked. It reads only the
// database, so it works while the gateway is down.
func (p *Provisioner) Keys(ctx context.Context, serviceID int64) (KeysResult, error) {
	svc, err := p.loadService(ctx, serviceID)
	if err != nil {
		return KeysResult{}, err
	}
	result := KeysResult{ServiceID: svc.ID, Keys: []KeyInfo{}}
	ident, err := p.opts.Store.Identity(ctx, p.db(), svc.ID)
	switch {
	case errors.Is(err, whmcs.ErrNotFound):
		return result, nil
	case err != nil:
		return KeysResult{}, p.dbError(err, "read the S3 identity of service %d", svc.ID)
	}
	result.UserID = ident.UserID

	keys, err := p.opts.Store.ActiveKeys(ctx, p.db(), svc.ID)
	if err != nil {
		return KeysResult{}, p.dbError(err, "read the access keys of service %d", svc.ID)
	}
	for _, k := range keys {
		result.Keys = append(result.Keys, KeyInfo{AccessKeyID: k.AccessKeyID, CreatedAt: k.CreatedAt})
	}
	return result, nil
}

// rewriteKeyNote writes the access-key note listing exactly the service's recorded keys, read
// inside tx, and returns the note id and the key ids. Secrets come from pairs, the key pairs
// read from the gateway, and appear only when the note includes secrets.
func (p *Provisioner) rewriteKeyNote(ctx context.Context, tx *sqlx.Tx, svc whmcs.Service, ident whmcs.Identity, pairs []ostor.KeyPair) (int64, []string, error) {
	recorded, err := p.opts.Store.ActiveKeys(ctx, tx, svc.ID)
	if err != nil {
		return 0, nil, err
	}
	secrets := make(map[string]ostor.Secret)
	for _, k := range pairs {
		if k.SecretAccessKey != "" {
			secrets[k.AccessKeyID] = k.SecretAccessKey
		}
	}
	noteKeys := make([]ostor.KeyPair, 0, len(recorded))
	for _, k := range recorded {
		noteKeys = append(noteKeys, ostor.KeyPair{AccessKeyID: k.AccessKeyID, SecretAccessKey: secrets[k.AccessKeyID]})
	}
	noteID, err := p.writeNote(ctx, tx, svc, ident, noteKeys, ident.NoteID)
	if err != nil {
		return 0, nil, err
	}
	return noteID, recordedIDs(recorded), nil
}
