package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// ClientServices lists the S3 users of a client's services after a client hook.
type ClientServices struct {
	ClientID int64           `json:"client_id"`
	Services []ServiceS3User `json:"services"`
}

// ServiceS3User is the stored S3 identity of one service.
type ServiceS3User struct {
	ServiceID int64  `json:"service_id"`
	UserID    string `json:"user_id"`
	Email     string `json:"email"`
}

// emailChange is the journal detail of a client email change.
type emailChange struct {
	OldEmail string `json:"old_email"`
	NewEmail string `json:"new_email"`
}

// EmailChanged handles the WHMCS ClientEdit hook when a client's email changed. Each S3 user
// keeps the email it was created with, because the service's identity is stored and every call
// finds the user by its id, so storage keeps working and nothing changes on the gateway. The
// change is logged and journaled once per service; a repeated call journals nothing new.
func (p *Provisioner) EmailChanged(ctx context.Context, clientID int64, oldEmail, newEmail string) (ClientServices, error) {
	if clientID <= 0 {
		return ClientServices{}, invalidInput("client_id", "client_id must be a positive WHMCS client id, got %d", clientID)
	}
	newEmail = strings.TrimSpace(newEmail)
	if err := ValidateEmail(newEmail); err != nil {
		return ClientServices{}, invalidInput("new_email", "new_email %q is invalid: %v", newEmail, err)
	}
	current, err := p.opts.Store.ClientEmail(ctx, clientID)
	if errors.Is(err, whmcs.ErrNotFound) {
		return ClientServices{}, newError(CodeNotFound, err, "WHMCS client %d does not exist (no row in tblclients)", clientID)
	}
	if err != nil {
		return ClientServices{}, p.dbError(err, "read the email of client %d", clientID)
	}
	if !strings.EqualFold(strings.TrimSpace(current), newEmail) {
		p.log.Warn("client email in WHMCS differs from the email the hook reported", zap.Int64("client_id", clientID),
			zap.String("hook_email", newEmail), zap.String("database_email", current))
	}

	idents, err := p.opts.Store.IdentitiesOfClient(ctx, p.db(), clientID)
	if err != nil {
		return ClientServices{}, p.dbError(err, "read the S3 identities of client %d", clientID)
	}
	result := ClientServices{ClientID: clientID, Services: []ServiceS3User{}}
	detail, _ := json.Marshal(emailChange{OldEmail: strings.TrimSpace(oldEmail), NewEmail: newEmail})
	for _, ident := range idents {
		result.Services = append(result.Services, ServiceS3User{ServiceID: ident.ServiceID, UserID: ident.UserID, Email: ident.Email})
		recorded, err := p.journalRecord(ctx, ident.ServiceID, opEmailChanged, string(detail))
		if err != nil {
			return ClientServices{}, err
		}
		if recorded {
			p.log.Info("client email changed; the S3 user keeps its stored identity", zap.Int64("client_id", clientID),
				zap.Int64("service_id", ident.ServiceID), zap.String("s3_user_id", ident.UserID), zap.String("s3_email", ident.Email),
				zap.String("old_email", oldEmail), zap.String("new_email", newEmail))
		}
	}
	return result, nil
}

// Merged handles the WHMCS AfterClientMerge hook. WHMCS moves the services of the merged client
// to the surviving one, and each identity follows its service: its client becomes the service's
// current owner in tblhosting, or the surviving client when the service row is gone. A repeated
// call finds nothing left under the merged client and changes nothing.
func (p *Provisioner) Merged(ctx context.Context, fromClientID, toClientID int64) (ClientServices, error) {
	switch {
	case fromClientID <= 0:
		return ClientServices{}, invalidInput("from_client_id", "from_client_id must be a positive WHMCS client id, got %d", fromClientID)
	case toClientID <= 0:
		return ClientServices{}, invalidInput("to_client_id", "to_client_id must be a positive WHMCS client id, got %d", toClientID)
	case fromClientID == toClientID:
		return ClientServices{}, invalidInput("to_client_id", "from_client_id and to_client_id are both %d; a client cannot be merged into itself", fromClientID)
	}

	idents, err := p.opts.Store.IdentitiesOfClient(ctx, p.db(), fromClientID)
	if err != nil {
		return ClientServices{}, p.dbError(err, "read the S3 identities of client %d", fromClientID)
	}
	result := ClientServices{ClientID: toClientID, Services: []ServiceS3User{}}
	for _, ident := range idents {
		owner, err := p.opts.Store.ServiceOwner(ctx, ident.ServiceID)
		switch {
		case errors.Is(err, whmcs.ErrNotFound) || owner <= 0:
			owner = toClientID
		case err != nil:
			return ClientServices{}, p.dbError(err, "read the owner of service %d", ident.ServiceID)
		}
		if owner == fromClientID {
			p.log.Warn("service still belongs to the merged client; its identity stays", zap.Int64("service_id", ident.ServiceID),
				zap.Int64("from_client_id", fromClientID), zap.Int64("to_client_id", toClientID))
			continue
		}
		if err := p.moveIdentity(ctx, ident, fromClientID, owner); err != nil {
			return ClientServices{}, err
		}
		result.Services = append(result.Services, ServiceS3User{ServiceID: ident.ServiceID, UserID: ident.UserID, Email: ident.Email})
	}
	return result, nil
}

// moveIdentity sets a service's identity to a new client, moves the service's access-key notes
// along and journals it, in one transaction and under the service lock. Whether WHMCS moves the
// merged client's notes itself is not documented. When it does, no note is left to move.
func (p *Provisioner) moveIdentity(ctx context.Context, ident whmcs.Identity, fromClientID, toClientID int64) error {
	release, err := p.opts.Store.LockService(ctx, ident.ServiceID, p.opts.LockWait)
	if err != nil {
		return p.dbError(err, "lock service %d", ident.ServiceID)
	}
	defer release()

	detail, _ := json.Marshal(struct {
		FromClientID int64 `json:"from_client_id"`
		ToClientID   int64 `json:"to_client_id"`
	}{fromClientID, toClientID})
	op, err := p.opts.Store.StartOperation(ctx, ident.ServiceID, opClientMerged, string(detail))
	if err != nil {
		return p.dbError(err, "journal the client merge of service %d", ident.ServiceID)
	}
	var movedNotes int64
	err = p.opts.Store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		if err := p.opts.Store.UpdateIdentityClient(ctx, tx, ident.ServiceID, toClientID); err != nil {
			return err
		}
		var err error
		if movedNotes, err = p.opts.Store.MoveKeyNotes(ctx, tx, ident.ServiceID, fromClientID, toClientID); err != nil {
			return err
		}
		return p.opts.Store.CompleteOperation(ctx, tx, op.ID)
	})
	if err != nil {
		return p.dbError(err, "move the S3 identity of service %d to client %d", ident.ServiceID, toClientID)
	}
	p.log.Info("S3 identity follows its service to the surviving client", zap.Int64("service_id", ident.ServiceID),
		zap.String("s3_user_id", ident.UserID), zap.Int64("from_client_id", fromClientID), zap.Int64("to_client_id", toClientID),
		zap.Int64("moved_notes", movedNotes))
	return nil
}

// ServiceDeletedResult describes what Deleted did to the S3 user of a deleted service.
type ServiceDeletedResult struct {
	ServiceID int64    `json:"service_id"`
	UserID    string   `json:"user_id,omitempty"`
	Email     string   `json:"email,omitempty"`
	Disabled  bool     `json:"disabled"` // the user is disabled now, by this call or an earlier one
	Buckets   []string `json:"buckets"`  // buckets the user still owns; their data is kept
}

// Deleted handles the WHMCS ServiceDelete hook, which removes a service record without calling
// Terminate. The S3 user is disabled and not deleted, so deleting a record loses no data. The
// identity stays, so the user can still be found, and the access-key note records the deletion.
// The service row may already be gone, so nothing is read from tblhosting.
func (p *Provisioner) Deleted(ctx context.Context, serviceID int64) (ServiceDeletedResult, error) {
	noteService(ctx, serviceID)
	if serviceID <= 0 {
		return ServiceDeletedResult{}, invalidInput("service_id", "service_id must be a positive WHMCS service id, got %d", serviceID)
	}
	result := ServiceDeletedResult{ServiceID: serviceID, Buckets: []string{}}

	release, err := p.opts.Store.LockService(ctx, serviceID, p.opts.LockWait)
	if err != nil {
		return ServiceDeletedResult{}, p.dbError(err, "lock service %d", serviceID)
	}
	defer release()

	ident, err := p.opts.Store.Identity(ctx, p.db(), serviceID)
	if errors.Is(err, whmcs.ErrNotFound) {
		return result, nil
	}
	if err != nil {
		return ServiceDeletedResult{}, p.dbError(err, "read the S3 identity of service %d", serviceID)
	}
	result.UserID, result.Email = ident.UserID, ident.Email

	user, err := p.opts.Gateway.GetUser(ctx, ostor.ByID(ident.UserID))
	if errors.Is(err, ostor.ErrUserNotFound) {
		p.log.Warn("deleted service records an S3 user that no longer exists", zap.Int64("service_id", serviceID), zap.String("s3_user_id", ident.UserID))
		return result, nil
	}
	if err != nil {
		return ServiceDeletedResult{}, p.gatewayError(err, "read S3 user %s", ident.UserID)
	}
	buckets, err := p.opts.Gateway.ListUserBuckets(ctx, ostor.ByID(ident.UserID))
	if err != nil {
		return ServiceDeletedResult{}, p.gatewayError(err, "list the buckets of S3 user %s", ident.UserID)
	}
	result.Buckets = bucketNames(buckets)
	result.Disabled = true

	// A user disabled by an earlier Suspend still gets the journal entry and the note once.
	handled, err := p.hasDone(ctx, serviceID, opServiceDeleted)
	if err != nil {
		return ServiceDeletedResult{}, err
	}
	if user.State == ostor.StateDisabled && handled {
		return result, nil
	}

	detail, _ := json.Marshal(stateChange{UserID: ident.UserID})
	op, err := p.opts.Store.StartOperation(ctx, serviceID, opServiceDeleted, string(detail))
	if err != nil {
		return ServiceDeletedResult{}, p.dbError(err, "journal the deletion of service %d", serviceID)
	}
	if user.State != ostor.StateDisabled {
		if err := p.writeUserState(ctx, ident.UserID, ostor.StateDisabled); err != nil {
			p.keepOrFail(op.ID, err)
			return ServiceDeletedResult{}, err
		}
	}

	body := "S3 user: " + ident.Email + "\nS3 user ID: " + ident.UserID +
		"\nStatus: disabled because the WHMCS service was deleted without Terminate; its data is kept. Delete the user on the gateway when the data is no longer needed."
	err = p.opts.Store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := p.opts.Store.WriteKeyNote(ctx, tx, whmcs.KeyNote{
			ClientID: ident.ClientID, ServiceID: serviceID, NoteID: ident.NoteID, Body: body, Sticky: p.opts.NoteSticky,
		}); err != nil {
			return err
		}
		return p.opts.Store.CompleteOperation(ctx, tx, op.ID)
	})
	if err != nil {
		return ServiceDeletedResult{}, p.dbError(err, "record the deletion of service %d", serviceID)
	}
	p.log.Warn("WHMCS service deleted without Terminate; S3 user disabled and its data kept", zap.Int64("service_id", serviceID),
		zap.String("s3_user_id", ident.UserID), zap.Strings("buckets", result.Buckets))
	return result, nil
}

// journalRecord journals an event that needs no gateway write as a done operation, unless the
// service's recent journal already has a done operation of that kind with the same detail.
func (p *Provisioner) journalRecord(ctx context.Context, serviceID int64, kind, detail string) (bool, error) {
	release, err := p.opts.Store.LockService(ctx, serviceID, p.opts.LockWait)
	if err != nil {
		return false, p.dbError(err, "lock service %d", serviceID)
	}
	defer release()

	recent, err := p.opts.Store.RecentOperations(ctx, serviceID, 0)
	if err != nil {
		return false, p.dbError(err, "read the journal of service %d", serviceID)
	}
	for _, op := range recent {
		if op.Kind == kind && op.Detail == detail && op.State == whmcs.OperationDone {
			return false, nil
		}
	}
	op, err := p.opts.Store.StartOperation(ctx, serviceID, kind, detail)
	if err != nil {
		return false, p.dbError(err, "journal the %s event of service %d", kind, serviceID)
	}
	if err := p.completeOperation(ctx, op.ID); err != nil {
		return false, p.dbError(err, "journal the %s event of service %d as done", kind, serviceID)
	}
	return true, nil
}

// hasDone reports whether the service's recent journal has a done operation of kind.
func (p *Provisioner) hasDone(ctx context.Context, serviceID int64, kind string) (bool, error) {
	ops, err := p.opts.Store.RecentOperations(ctx, serviceID, 0)
	if err != nil {
		return false, p.dbError(err, "read the journal of service %d", serviceID)
	}
	for _, op := range ops {
		if op.Kind == kind && op.State == whmcs.OperationDone {
			return true, nil
		}
	}
	return false, nil
}
