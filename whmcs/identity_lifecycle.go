package whmcs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

const (
	deleteIdentity = `DELETE FROM mod_ostorbridge_identities WHERE service_id = ?`

	selectIdentitiesOfClient = `SELECT ` + identityColumns + `
FROM mod_ostorbridge_identities
WHERE client_id = ?
ORDER BY service_id`

	updateIdentityClient = `UPDATE mod_ostorbridge_identities
SET client_id = ?, updated_at = NOW()
WHERE service_id = ?`

	// A service whose row is gone keeps no owner, so the caller decides.
	selectServiceOwner = `SELECT COALESCE(userid, 0) FROM tblhosting WHERE id = ?`

	selectClientEmail = `SELECT COALESCE(email, '') FROM tblclients WHERE id = ?`
)

// DeleteIdentity removes the identity of a service inside tx. Deleting a
// missing identity is a no-op, so a repeated call succeeds.
func (s *Store) DeleteIdentity(ctx context.Context, tx *sqlx.Tx, serviceID int64) error {
	if _, err := tx.ExecContext(ctx, deleteIdentity, serviceID); err != nil {
		return wrapDBError(fmt.Sprintf("delete S3 identity of service %d", serviceID), err)
	}
	return nil
}

// IdentitiesOfClient returns the identities recorded for a client, ordered
// by service id. A client without any returns an empty slice.
func (s *Store) IdentitiesOfClient(ctx context.Context, q sqlx.QueryerContext, clientID int64) ([]Identity, error) {
	ids := []Identity{}
	if err := sqlx.SelectContext(ctx, q, &ids, selectIdentitiesOfClient, clientID); err != nil {
		return nil, wrapDBError(fmt.Sprintf("read S3 identities of client %d", clientID), err)
	}
	return ids, nil
}

// UpdateIdentityClient sets the client that owns a service's identity
// inside tx. A service without an identity returns an error wrapping
// ErrNotFound.
func (s *Store) UpdateIdentityClient(ctx context.Context, tx *sqlx.Tx, serviceID, clientID int64) error {
	action := fmt.Sprintf("move S3 identity of service %d to client %d", serviceID, clientID)
	if clientID <= 0 {
		return fmt.Errorf("%s: invalid client id", action)
	}

	return updateIdentityRow(ctx, tx, action, serviceID, updateIdentityClient, clientID, serviceID)
}

// ServiceOwner returns tblhosting.userid of a service. A missing service
// returns an error wrapping ErrNotFound.
func (s *Store) ServiceOwner(ctx context.Context, serviceID int64) (int64, error) {
	var owner int64
	err := s.db.GetContext(ctx, &owner, selectServiceOwner, serviceID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("service %d in tblhosting: %w", serviceID, ErrNotFound)
	}
	if err != nil {
		return 0, wrapDBError(fmt.Sprintf("read owner of service %d", serviceID), err)
	}
	return owner, nil
}

// ClientEmail returns tblclients.email of a client. A missing client
// returns an error wrapping ErrNotFound.
func (s *Store) ClientEmail(ctx context.Context, clientID int64) (string, error) {
	var email string
	err := s.db.GetContext(ctx, &email, selectClientEmail, clientID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("client %d in tblclients: %w", clientID, ErrNotFound)
	}
	if err != nil {
		return "", wrapDBError(fmt.Sprintf("read email of client %d", clientID), err)
	}
	return email, nil
}
