package whmcs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// AccessKey is an S3 access key id issued for a service. The secret key is
// never stored.
type AccessKey struct {
	AccessKeyID string    `db:"access_key_id"`
	ServiceID   int64     `db:"service_id"`
	CreatedAt   time.Time `db:"created_at"`
	RevokedAt   time.Time `db:"revoked_at"` // zero while the key is active
}

const (
	insertKey = `INSERT INTO mod_ostorbridge_keys (access_key_id, service_id, created_at)
VALUES (?, ?, NOW())`

	selectKeyService = `SELECT service_id FROM mod_ostorbridge_keys WHERE access_key_id = ?`

	// revoked_at is NULL for every selected row, so it is not read and
	// AccessKey.RevokedAt stays zero.
	selectActiveKeys = `SELECT access_key_id, service_id, created_at
FROM mod_ostorbridge_keys
WHERE service_id = ? AND revoked_at IS NULL
ORDER BY created_at, access_key_id`

	selectKey = `SELECT access_key_id, service_id, created_at, revoked_at
FROM mod_ostorbridge_keys
WHERE access_key_id = ?`

	revokeKey = `UPDATE mod_ostorbridge_keys
SET revoked_at = NOW()
WHERE access_key_id = ? AND revoked_at IS NULL`
)

// RecordKey stores an access key id issued for a service. Recording the
// same key for the same service again is a no-op, also after it was
// revoked. A key already recorded for another service returns an error
// wrapping ErrDuplicate.
func (s *Store) RecordKey(ctx context.Context, tx *sqlx.Tx, serviceID int64, accessKeyID string) error {
	action := fmt.Sprintf("record access key %q of service %d", accessKeyID, serviceID)
	if accessKeyID == "" {
		return fmt.Errorf("record access key of service %d: access key id is missing", serviceID)
	}

	_, err := tx.ExecContext(ctx, insertKey, accessKeyID, serviceID)
	if err == nil {
		return nil
	}
	err = wrapDBError(action, err)
	if !errors.Is(err, ErrDuplicate) {
		return err
	}

	// A failed INSERT rolls back only itself, so the transaction can go on.
	var owner int64
	if err := tx.GetContext(ctx, &owner, selectKeyService, accessKeyID); err != nil {
		return wrapDBError(action, err)
	}
	if owner != serviceID {
		return fmt.Errorf("%s: recorded for service %d: %w", action, owner, ErrDuplicate)
	}
	return nil
}

// ActiveKeys returns the service's keys that are not revoked, oldest first.
func (s *Store) ActiveKeys(ctx context.Context, q sqlx.QueryerContext, serviceID int64) ([]AccessKey, error) {
	keys := []AccessKey{}
	if err := sqlx.SelectContext(ctx, q, &keys, selectActiveKeys, serviceID); err != nil {
		return nil, wrapDBError(fmt.Sprintf("read active access keys of service %d", serviceID), err)
	}
	return keys, nil
}

// MarkKeyRevoked records that a key was revoked. Revoking a revoked key is
// a no-op that keeps the first revocation time. An unknown key returns an
// error wrapping ErrNotFound.
func (s *Store) MarkKeyRevoked(ctx context.Context, tx *sqlx.Tx, accessKeyID string) error {
	action := fmt.Sprintf("mark access key %q revoked", accessKeyID)

	result, err := tx.ExecContext(ctx, revokeKey, accessKeyID)
	if err != nil {
		return wrapDBError(action, err)
	}
	if n, err := result.RowsAffected(); err == nil && n > 0 {
		return nil
	}

	var owner int64
	err = tx.GetContext(ctx, &owner, selectKeyService, accessKeyID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: access key is not recorded: %w", action, ErrNotFound)
	}
	if err != nil {
		return wrapDBError(action, err)
	}
	return nil
}

// Key reads the record of one access key through q, revoked or not. An
// unknown key returns an error wrapping ErrNotFound.
func (s *Store) Key(ctx context.Context, q sqlx.QueryerContext, accessKeyID string) (AccessKey, error) {
	var row struct {
		AccessKeyID string       `db:"access_key_id"`
		ServiceID   int64        `db:"service_id"`
		CreatedAt   time.Time    `db:"created_at"`
		RevokedAt   sql.NullTime `db:"revoked_at"`
	}
	if err := sqlx.GetContext(ctx, q, &row, selectKey, accessKeyID); err != nil {
		return AccessKey{}, wrapDBError(fmt.Sprintf("read access key %q", accessKeyID), err)
	}
	key := AccessKey{AccessKeyID: row.AccessKeyID, ServiceID: row.ServiceID, CreatedAt: row.CreatedAt}
	if row.RevokedAt.Valid {
		key.RevokedAt = row.RevokedAt.Time
	}
	return key, nil
}
