package whmcs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Identity links a WHMCS service to the ostor S3 user created for it. It is
// stored once, when the S3 user is created, so a later change of the
// client's email does not move the service to another S3 user.
type Identity struct {
	ServiceID int64     `db:"service_id"`
	ClientID  int64     `db:"client_id"`
	UserID    string    `db:"s3_user_id"` // ostor UserId
	Email     string    `db:"s3_email"`   // email the S3 user was created with, stored as given
	NoteID    int64     `db:"note_id"`    // tblnotes.id of the access-key note, 0 when none
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

const (
	identityColumns = `service_id, client_id, s3_user_id, s3_email, note_id, created_at, updated_at`

	selectIdentity = `SELECT ` + identityColumns + `
FROM mod_ostorbridge_identities
WHERE service_id = ?`

	// s3_email has a binary collation, so LOWER on both sides makes the
	// match case-insensitive while é and e stay different.
	// NOTE: LOWER prevents use of the s3_email index; the table has one
	// row per S3 service, which keeps the scan cheap.
	selectIdentitiesByEmail = `SELECT ` + identityColumns + `
FROM mod_ostorbridge_identities
WHERE LOWER(s3_email) = LOWER(?)
ORDER BY service_id`

	insertIdentity = `INSERT INTO mod_ostorbridge_identities
	(service_id, client_id, s3_user_id, s3_email, note_id, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, NOW(), NOW())`

	updateIdentityNote = `UPDATE mod_ostorbridge_identities
SET note_id = ?, updated_at = NOW()
WHERE service_id = ?`

	countIdentity = `SELECT COUNT(*) FROM mod_ostorbridge_identities WHERE service_id = ?`
)

// Identity reads the identity of a service through q, which may be the
// pool or a transaction. A service without one returns an error wrapping
// ErrNotFound.
func (s *Store) Identity(ctx context.Context, q sqlx.QueryerContext, serviceID int64) (Identity, error) {
	var id Identity
	if err := sqlx.GetContext(ctx, q, &id, selectIdentity, serviceID); err != nil {
		return Identity{}, wrapDBError(fmt.Sprintf("read S3 identity of service %d", serviceID), err)
	}
	return id, nil
}

// InsertIdentity stores a new identity; CreatedAt and UpdatedAt are set by
// the database. A service that already has one returns an error wrapping
// ErrDuplicate.
func (s *Store) InsertIdentity(ctx context.Context, tx *sqlx.Tx, id Identity) error {
	switch {
	case id.ServiceID <= 0:
		return fmt.Errorf("insert S3 identity: invalid service id %d", id.ServiceID)
	case id.ClientID <= 0:
		return fmt.Errorf("insert S3 identity of service %d: invalid client id %d", id.ServiceID, id.ClientID)
	case id.UserID == "":
		return fmt.Errorf("insert S3 identity of service %d: S3 user id is missing", id.ServiceID)
	case strings.TrimSpace(id.Email) == "":
		return fmt.Errorf("insert S3 identity of service %d: email is missing", id.ServiceID)
	}

	_, err := tx.ExecContext(ctx, insertIdentity, id.ServiceID, id.ClientID, id.UserID, id.Email, id.NoteID)
	if err != nil {
		return wrapDBError(fmt.Sprintf("insert S3 identity of service %d", id.ServiceID), err)
	}
	return nil
}

// UpdateIdentityNote sets the tblnotes id of the service's access-key note.
// A service without an identity returns an error wrapping ErrNotFound.
func (s *Store) UpdateIdentityNote(ctx context.Context, tx *sqlx.Tx, serviceID, noteID int64) error {
	return updateIdentityRow(ctx, tx, fmt.Sprintf("update note id of S3 identity of service %d", serviceID), serviceID,
		updateIdentityNote, noteID, serviceID)
}

// updateIdentityRow runs query, an UPDATE of the identity of serviceID, inside tx. When the
// identity does not exist, it returns an error wrapping ErrNotFound. action names the update in
// errors.
func updateIdentityRow(ctx context.Context, tx *sqlx.Tx, action string, serviceID int64, query string, args ...any) error {
	result, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return wrapDBError(action, err)
	}

	// Without CLIENT_FOUND_ROWS an UPDATE that changes nothing reports 0
	// rows, so 0 alone does not prove the row is missing.
	if n, err := result.RowsAffected(); err == nil && n > 0 {
		return nil
	}
	var count int
	if err := tx.GetContext(ctx, &count, countIdentity, serviceID); err != nil {
		return wrapDBError(action, err)
	}
	if count == 0 {
		return fmt.Errorf("%s: %w", action, ErrNotFound)
	}
	return nil
}

// IdentitiesByEmail returns the identities created with email, compared
// case-insensitively after trimming spaces, ordered by service id. It
// returns an empty slice when there are none.
func (s *Store) IdentitiesByEmail(ctx context.Context, email string) ([]Identity, error) {
	identities := []Identity{}
	if err := s.db.SelectContext(ctx, &identities, selectIdentitiesByEmail, strings.TrimSpace(email)); err != nil {
		return nil, wrapDBError(fmt.Sprintf("read S3 identities with email %q", email), err)
	}
	return identities, nil
}
