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

// Gateway is the part of the ostor admin API the provisioning workflows use. *ostor.Client
// implements it.
type Gateway interface {
	CreateUser(ctx context.Context, email string) (ostor.User, error)
	GetUser(ctx context.Context, ref ostor.UserRef) (ostor.User, error)
	lifecycleGateway
}

// ProvisionerOptions configures the provisioning workflows.
type ProvisionerOptions struct {
	Log     *zap.Logger
	DB      *sqlx.DB // the WHMCS database Store works on
	Store   *whmcs.Store
	Gateway Gateway

	// Module is the WHMCS server module name (tblproducts.servertype) of the products the daemon
	// manages. Services of other modules are refused.
	Module string

	// AdoptExistingUsers lets Create take over an S3 user that already has the service's email
	// but is recorded for no service, as the vendor's WHMCS scripts left them. When false, such a
	// user makes Create fail with a conflict naming the user.
	AdoptExistingUsers bool

	// LockWait is how long an operation waits for another operation on the same service.
	LockWait time.Duration

	// PublicEndpoint is the S3 address clients use, written into access-key notes.
	PublicEndpoint string

	// NoteIncludesSecret writes the secret access key into the access-key note, as the vendor's
	// integration guide does. Off by default: any admin who can read client notes sees it.
	NoteIncludesSecret bool

	// NoteSticky shows the access-key note on every admin page of the client.
	NoteSticky bool

	// AdditionalUserEmail is the email template of the S3 user of a client's second and further
	// storage services; see ExpandUserEmail. Empty means DefaultAdditionalUserEmail.
	AdditionalUserEmail string

	// Purger deletes the buckets of a user whose product is set to purge on terminate. Nil makes
	// such a Terminate fail with a conflict and delete nothing.
	Purger Purger

	// Metrics records the findings of reconciliations; nil records nothing.
	Metrics *Metrics
}

// Provisioner runs the WHMCS lifecycle workflows against the database and the gateway.
type Provisioner struct {
	log  *zap.Logger
	opts ProvisionerOptions
}

// NewProvisioner validates opts and returns a Provisioner.
func NewProvisioner(opts ProvisionerOptions) (*Provisioner, error) {
	if opts.DB == nil || opts.Store == nil || opts.Gateway == nil {
		return nil, errors.New("bridge: ProvisionerOptions needs DB, Store and Gateway")
	}
	if opts.Module == "" {
		opts.Module = "ostorbridge"
	}
	if opts.LockWait <= 0 {
		opts.LockWait = 10 * time.Second
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.AdditionalUserEmail == "" {
		opts.AdditionalUserEmail = DefaultAdditionalUserEmail
	}
	if err := ValidateEmailTemplate(opts.AdditionalUserEmail); err != nil {
		return nil, err
	}
	return &Provisioner{log: opts.Log.With(zap.String("component", "provisioner")), opts: opts}, nil
}

// CreateResult describes the S3 user of a service after Create.
type CreateResult struct {
	UserID       string   `json:"user_id"`
	Email        string   `json:"email"`
	AccessKeyIDs []string `json:"access_key_ids"`
	NoteID       int64    `json:"note_id"`

	// Plan is the product's limits and quota as applied to the user and read back.
	Plan PlanResult `json:"plan"`

	// Created is true when this call created the S3 user, false when it found the service's user
	// already provisioned or adopted an existing one.
	Created bool `json:"created"`
}

// createDetail is the journal detail of a create operation. The email is fixed when the intent is
// first recorded, so a resumed operation looks for the same user even if the client's email
// changed in between.
type createDetail struct {
	Email string `json:"email"`
}

// createDetailOf reads the detail of a create operation. It returns false for another kind of
// operation and for a detail without an email.
func createDetailOf(op whmcs.Operation) (createDetail, bool) {
	var d createDetail
	if op.Kind != "create" || json.Unmarshal([]byte(op.Detail), &d) != nil || d.Email == "" {
		return createDetail{}, false
	}
	return d, true
}

// Create provisions the S3 user of a WHMCS service, or confirms the one it already has.
//
// The steps are safe to repeat at any point: the intent is journaled before the gateway is asked
// to create anything, a retry first looks the user up by the journaled email, and the identity,
// key record, note and journal completion are committed in one transaction.
func (p *Provisioner) Create(ctx context.Context, serviceID int64) (CreateResult, error) {
	svc, err := p.loadService(ctx, serviceID)
	if err != nil {
		return CreateResult{}, err
	}
	// The product configuration is checked before anything is created, so a bad value changes
	// nothing.
	plan, err := PlanOf(svc)
	if err != nil {
		return CreateResult{}, err
	}
	if err := p.checkPlanSupported(plan); err != nil {
		return CreateResult{}, err
	}
	if _, err := SettingsOf(svc); err != nil {
		return CreateResult{}, err
	}
	if serviceEnded(svc.Status) {
		return CreateResult{}, newError(CodeConflict, nil,
			"service %d is %s in WHMCS; set it to Pending or Active before creating its S3 user", svc.ID, svc.Status)
	}

	release, err := p.opts.Store.LockService(ctx, svc.ID, p.opts.LockWait)
	if err != nil {
		return CreateResult{}, p.dbError(err, "lock service %d", svc.ID)
	}
	defer release()

	var result CreateResult
	ident, err := p.opts.Store.Identity(ctx, p.db(), svc.ID)
	switch {
	case err == nil:
		result, err = p.confirmIdentity(ctx, svc, ident)
	case errors.Is(err, whmcs.ErrNotFound):
		result, err = p.createIdentity(ctx, svc)
	default:
		return CreateResult{}, p.dbError(err, "read the S3 identity of service %d", svc.ID)
	}
	if err != nil {
		return CreateResult{}, err
	}

	// The plan is applied after the identity is committed: when it fails, a repeated Create
	// finds the user and applies the plan again.
	ident = whmcs.Identity{ServiceID: svc.ID, UserID: result.UserID, Email: result.Email}
	result.Plan, err = p.applyPlan(ctx, svc.ID, 0, ident, plan)
	if err != nil {
		return CreateResult{}, err
	}
	return result, nil
}

// resumeCreate finishes an interrupted Create for reconciliation, which already holds the
// service's lock: it records the S3 user, then applies the product's limits and quota, as Create
// does.
func (p *Provisioner) resumeCreate(ctx context.Context, svc whmcs.Service, adminID int64) error {
	plan, err := PlanOf(svc)
	if err != nil {
		return err
	}
	result, err := p.createIdentity(ctx, svc)
	if err != nil {
		return err
	}
	ident := whmcs.Identity{ServiceID: svc.ID, UserID: result.UserID, Email: result.Email}
	_, err = p.applyPlan(ctx, svc.ID, adminID, ident, plan)
	return err
}

// createIdentity creates or adopts the S3 user of a service that has no stored identity yet.
func (p *Provisioner) createIdentity(ctx context.Context, svc whmcs.Service) (CreateResult, error) {
	email, err := p.chooseEmail(ctx, svc)
	if err != nil {
		return CreateResult{}, err
	}
	detail, _ := json.Marshal(createDetail{Email: email})
	op, err := p.opts.Store.StartOperation(ctx, svc.ID, "create", string(detail))
	if err != nil {
		return CreateResult{}, p.dbError(err, "journal the create operation of service %d", svc.ID)
	}
	resumed := op.Attempts > 1
	if resumed {
		if d, ok := createDetailOf(op); ok {
			email = d.Email
		}
	}

	result, err := p.createUser(ctx, svc, email, resumed, op.ID)
	if err != nil {
		// An operation whose outcome is open stays pending, so the next attempt resumes it and
		// adopts a user this attempt may have created.
		p.keepOrFail(op.ID, err)
		return CreateResult{}, err
	}
	return result, nil
}

func (p *Provisioner) createUser(ctx context.Context, svc whmcs.Service, email string, resumed bool, opID int64) (CreateResult, error) {
	log := p.log.With(zap.Int64("service_id", svc.ID), zap.Int64("operation_id", opID))

	user, err := p.opts.Gateway.GetUser(ctx, ostor.ByEmail(email))
	created := false
	switch {
	case err == nil:
		// Another service's Create may have taken the email after this operation journaled it,
		// and two services must never share one S3 user.
		if err := p.checkUserUnrecorded(ctx, svc.ID, email, user.ID); err != nil {
			return CreateResult{}, err
		}
		// The user exists although no identity records it: either an earlier attempt of this
		// operation created it and stopped before the commit, or it predates the bridge.
		if !resumed && !p.opts.AdoptExistingUsers {
			return CreateResult{}, newError(CodeConflict, nil,
				"an S3 user with email %q already exists (UserId %s) and no service records it; set provisioning.adopt_existing_users = true to adopt it, or delete it on the gateway",
				email, user.ID)
		}
		log.Info("adopting existing S3 user", zap.String("s3_user_id", user.ID), zap.Bool("resumed", resumed))
	case errors.Is(err, ostor.ErrUserNotFound):
		user, err = p.opts.Gateway.CreateUser(ctx, email)
		if err != nil {
			user, err = p.resolveCreate(ctx, email, err)
			if err != nil {
				return CreateResult{}, err
			}
			if err := p.checkUserUnrecorded(ctx, svc.ID, email, user.ID); err != nil {
				return CreateResult{}, err
			}
		}
		created = true
		log.Info("created S3 user", zap.String("s3_user_id", user.ID))
	default:
		return CreateResult{}, p.gatewayError(err, "look up S3 user %q", email)
	}

	if len(user.AccessKeys) == 0 {
		// NOTE: a user with no key pair (all revoked by hand on the gateway) gets none here; the
		// admin's Generate access key action issues one.
		log.Warn("S3 user has no access key pair", zap.String("s3_user_id", user.ID))
	}

	result := CreateResult{UserID: user.ID, Email: user.Email, Created: created}
	if result.Email == "" {
		result.Email = email
	}
	for _, k := range user.AccessKeys {
		result.AccessKeyIDs = append(result.AccessKeyIDs, k.AccessKeyID)
	}

	err = p.opts.Store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		ident := whmcs.Identity{ServiceID: svc.ID, ClientID: svc.ClientID, UserID: user.ID, Email: result.Email}
		if err := p.opts.Store.InsertIdentity(ctx, tx, ident); err != nil {
			return err
		}
		for _, k := range user.AccessKeys {
			if err := p.opts.Store.RecordKey(ctx, tx, svc.ID, k.AccessKeyID); err != nil {
				return err
			}
		}
		noteID, err := p.writeNote(ctx, tx, svc, ident, user.AccessKeys, 0)
		if err != nil {
			return err
		}
		result.NoteID = noteID
		return p.opts.Store.CompleteOperation(ctx, tx, opID)
	})
	if err != nil {
		return CreateResult{}, p.dbError(err, "record the S3 user of service %d", svc.ID)
	}
	return result, nil
}

// checkUserUnrecorded returns a conflict when another service records the S3 user found under
// email. The conflict closes the create operation, so the next Create chooses the email again.
func (p *Provisioner) checkUserUnrecorded(ctx context.Context, serviceID int64, email, userID string) error {
	idents, err := p.opts.Store.IdentitiesByEmail(ctx, email)
	if err != nil {
		return p.dbError(err, "look up S3 identities with email %q", email)
	}
	for _, other := range idents {
		if other.ServiceID != serviceID && other.UserID == userID {
			return newError(CodeConflict, nil,
				"S3 user %s with email %q is recorded for service %d, so service %d cannot use it; run Create again, which chooses another email for service %d",
				userID, email, other.ServiceID, serviceID, serviceID)
		}
	}
	return nil
}

// resolveCreate decides what happened when CreateUser failed. An unanswered write may have been
// applied, so the gateway is read before anything else is tried. An "already exists" error means
// a concurrent or earlier request won.
func (p *Provisioner) resolveCreate(ctx context.Context, email string, createErr error) (ostor.User, error) {
	if !errors.Is(createErr, ostor.ErrOutcomeUnknown) && !errors.Is(createErr, ostor.ErrUserExists) {
		return ostor.User{}, p.gatewayError(createErr, "create S3 user %q", email)
	}
	user, err := p.opts.Gateway.GetUser(ctx, ostor.ByEmail(email))
	switch {
	case err == nil:
		p.log.Info("create outcome resolved by reading the gateway", zap.String("s3_user_id", user.ID), zap.NamedError("create_error", createErr))
		return user, nil
	case errors.Is(err, ostor.ErrUserNotFound):
		// The write was not applied; the journaled intent stays pending for the next attempt.
		return ostor.User{}, p.gatewayError(createErr, "create S3 user %q", email)
	default:
		return ostor.User{}, p.gatewayError(createErr, "create S3 user %q (and the follow-up read failed: %v)", email, err)
	}
}

// confirmIdentity handles Create on a service whose identity is already stored: the user is
// checked on the gateway and the note is refreshed, and nothing new is created.
func (p *Provisioner) confirmIdentity(ctx context.Context, svc whmcs.Service, ident whmcs.Identity) (CreateResult, error) {
	user, err := p.opts.Gateway.GetUser(ctx, ostor.ByID(ident.UserID))
	if errors.Is(err, ostor.ErrUserNotFound) {
		return CreateResult{}, newError(CodeConflict, err,
			"service %d records S3 user %s (%s), which no longer exists on the gateway; it was deleted outside WHMCS, so check the gateway before provisioning the service again",
			svc.ID, ident.UserID, ident.Email)
	}
	if err != nil {
		return CreateResult{}, p.gatewayError(err, "read S3 user %s", ident.UserID)
	}

	result := CreateResult{UserID: user.ID, Email: ident.Email}
	for _, k := range user.AccessKeys {
		result.AccessKeyIDs = append(result.AccessKeyIDs, k.AccessKeyID)
	}
	err = p.opts.Store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		noteID, err := p.writeNote(ctx, tx, svc, ident, user.AccessKeys, ident.NoteID)
		result.NoteID = noteID
		return err
	})
	if err != nil {
		return CreateResult{}, p.dbError(err, "refresh the access-key note of service %d", svc.ID)
	}
	return result, nil
}

// writeNote writes the service's access-key note and records its id on the identity.
func (p *Provisioner) writeNote(ctx context.Context, tx *sqlx.Tx, svc whmcs.Service, ident whmcs.Identity, keys []ostor.KeyPair, noteID int64) (int64, error) {
	id, err := p.opts.Store.WriteKeyNote(ctx, tx, whmcs.KeyNote{
		ClientID:  svc.ClientID,
		ServiceID: svc.ID,
		NoteID:    noteID,
		Body:      p.noteBody(ident, keys, p.noteIncludesSecret(svc)),
		Sticky:    p.opts.NoteSticky,
	})
	if err != nil {
		return 0, err
	}
	if id != ident.NoteID {
		if err := p.opts.Store.UpdateIdentityNote(ctx, tx, svc.ID, id); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// noteIncludesSecret applies the product's "Access-key note" setting over the daemon's default.
// The setting was validated when the operation started, so an invalid value falls back to the
// default here.
func (p *Provisioner) noteIncludesSecret(svc whmcs.Service) bool {
	settings, err := SettingsOf(svc)
	if err != nil {
		return p.opts.NoteIncludesSecret
	}
	return settings.noteIncludesSecret(p.opts.NoteIncludesSecret)
}

// noteBody renders the access-key note below the marker line the store adds.
func (p *Provisioner) noteBody(ident whmcs.Identity, keys []ostor.KeyPair, includeSecret bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "S3 user: %s\n", ident.Email)
	fmt.Fprintf(&b, "S3 user ID: %s\n", ident.UserID)
	if p.opts.PublicEndpoint != "" {
		fmt.Fprintf(&b, "S3 endpoint: %s\n", p.opts.PublicEndpoint)
	}
	if len(keys) == 0 {
		b.WriteString("Access key ID: none\n")
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "Access key ID: %s\n", k.AccessKeyID)
		if includeSecret && k.SecretAccessKey != "" {
			fmt.Fprintf(&b, "Secret access key: %s\n", k.SecretAccessKey.Reveal())
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}
