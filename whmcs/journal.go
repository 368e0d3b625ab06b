package whmcs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// OperationState is the state of a journaled operation.
type OperationState string

// Operation states. An operation starts pending and ends done or failed.
const (
	OperationPending OperationState = "pending"
	OperationDone    OperationState = "done"
	OperationFailed  OperationState = "failed"
)

// Operation is one entry of the operation journal: the intent to change
// something outside the database (on the S3 gateway) for a service,
// recorded before the change is made so that an interrupted change can be
// found and resumed.
type Operation struct {
	ID        int64          `db:"id"`
	ServiceID int64          `db:"service_id"`
	Kind      string         `db:"kind"` // for example "create" or "generate_key", chosen by the caller
	State     OperationState `db:"state"`
	Attempts  int            `db:"attempts"` // number of StartOperation calls that returned this operation
	LastError string         `db:"last_error"`
	Detail    string         `db:"detail"` // caller's data, given to the first StartOperation call
	CreatedAt time.Time      `db:"created_at"`
	UpdatedAt time.Time      `db:"updated_at"`
}

const (
	// maxKindLen is the width of mod_ostorbridge_operations.kind.
	maxKindLen = 64

	// maxTextBytes keeps last_error and detail inside a TEXT column.
	maxTextBytes = 65535

	defaultRecentOperations = 20
	maxRecentOperations     = 1000
)

const (
	operationColumns = `id, service_id, kind, state, attempts, last_error, detail, created_at, updated_at`

	selectPendingOperationForUpdate = `SELECT id
FROM mod_ostorbridge_operations
WHERE service_id = ? AND kind = ? AND state = 'pending'
ORDER BY id
LIMIT 1
FOR UPDATE`

	incrementOperationAttempts = `UPDATE mod_ostorbridge_operations
SET attempts = attempts + 1, updated_at = NOW()
WHERE id = ?`

	insertOperation = `INSERT INTO mod_ostorbridge_operations
	(service_id, kind, state, attempts, last_error, detail, created_at, updated_at)
VALUES (?, ?, 'pending', 1, '', ?, NOW(), NOW())`

	selectOperation = `SELECT ` + operationColumns + `
FROM mod_ostorbridge_operations
WHERE id = ?`

	completeOperation = `UPDATE mod_ostorbridge_operations
SET state = 'done', updated_at = NOW()
WHERE id = ? AND state = 'pending'`

	failOperation = `UPDATE mod_ostorbridge_operations
SET state = 'failed', last_error = ?, updated_at = NOW()
WHERE id = ? AND state = 'pending'`

	recordOperationError = `UPDATE mod_ostorbridge_operations
SET last_error = ?, updated_at = NOW()
WHERE id = ? AND state = 'pending'`

	selectOperationState = `SELECT state FROM mod_ostorbridge_operations WHERE id = ?`

	selectPendingOperations = `SELECT ` + operationColumns + `
FROM mod_ostorbridge_operations
WHERE state = 'pending' AND (? = 0 OR service_id = ?)
ORDER BY id`

	selectRecentOperations = `SELECT ` + operationColumns + `
FROM mod_ostorbridge_operations
WHERE service_id = ?
ORDER BY id DESC
LIMIT ?`
)

// StartOperation journals the intent to run an operation of kind on a
// service and returns it. When a pending operation of the same service and
// kind exists, which means an earlier run was interrupted, its attempts
// count is incremented and that operation is returned with its original
// detail, so the caller resumes it. Callers should hold LockService for the
// service: two concurrent calls for the same service and kind can end in a
// deadlock error wrapping ErrLocked.
func (s *Store) StartOperation(ctx context.Context, serviceID int64, kind, detail string) (Operation, error) {
	action := fmt.Sprintf("start %q operation of service %d", kind, serviceID)
	switch {
	case serviceID <= 0:
		return Operation{}, fmt.Errorf("%s: invalid service id", action)
	case kind == "":
		return Operation{}, fmt.Errorf("start operation of service %d: kind is missing", serviceID)
	case utf8.RuneCountInString(kind) > maxKindLen:
		return Operation{}, fmt.Errorf("%s: kind is longer than %d characters", action, maxKindLen)
	}

	var op Operation
	err := s.WithinTx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		err := tx.GetContext(ctx, &id, selectPendingOperationForUpdate, serviceID, kind)
		switch {
		case err == nil:
			if _, err := tx.ExecContext(ctx, incrementOperationAttempts, id); err != nil {
				return err
			}
		case errors.Is(err, sql.ErrNoRows):
			result, err := tx.ExecContext(ctx, insertOperation, serviceID, kind, truncateText(detail))
			if err != nil {
				return err
			}
			if id, err = result.LastInsertId(); err != nil {
				return err
			}
		default:
			return err
		}
		return tx.GetContext(ctx, &op, selectOperation, id)
	})
	if err != nil {
		return Operation{}, wrapDBError(action, err)
	}
	return op, nil
}

// CompleteOperation marks a pending operation done inside tx, so that the
// result and the journal entry are committed together. Completing a done
// operation is a no-op. A failed operation returns an error, and an unknown
// one an error wrapping ErrNotFound.
func (s *Store) CompleteOperation(ctx context.Context, tx *sqlx.Tx, opID int64) error {
	return s.finishOperation(ctx, tx, opID, OperationDone, completeOperation, opID)
}

// FailOperation marks a pending operation failed and stores message as its
// last error. Failing a failed operation is a no-op that keeps the first
// message. A done operation returns an error, and an unknown one an error
// wrapping ErrNotFound.
func (s *Store) FailOperation(ctx context.Context, opID int64, message string) error {
	return s.WithinTx(ctx, func(tx *sqlx.Tx) error {
		return s.finishOperation(ctx, tx, opID, OperationFailed, failOperation, truncateText(message), opID)
	})
}

// RecordOperationError stores message as the last error of a pending
// operation and leaves it pending, for a failure whose outcome is open
// (the next attempt or reconciliation resumes the operation). An operation
// that is no longer pending returns an error naming its state, and an
// unknown one an error wrapping ErrNotFound.
func (s *Store) RecordOperationError(ctx context.Context, opID int64, message string) error {
	action := fmt.Sprintf("record the error of operation %d", opID)

	result, err := s.db.ExecContext(ctx, recordOperationError, truncateText(message), opID)
	if err != nil {
		return wrapDBError(action, err)
	}
	// Without CLIENT_FOUND_ROWS an UPDATE that changes nothing reports 0
	// rows, so the same message stored twice also lands here.
	if n, err := result.RowsAffected(); err == nil && n > 0 {
		return nil
	}

	var state OperationState
	err = s.db.GetContext(ctx, &state, selectOperationState, opID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: operation %w", action, ErrNotFound)
	}
	if err != nil {
		return wrapDBError(action, err)
	}
	if state != OperationPending {
		return fmt.Errorf("%s: the operation is already %s", action, state)
	}
	return nil
}

// finishOperation moves a pending operation to the state target with the
// UPDATE query, which must match only pending rows.
func (s *Store) finishOperation(ctx context.Context, tx *sqlx.Tx, opID int64, target OperationState, query string, args ...any) error {
	action := fmt.Sprintf("mark operation %d %s", opID, target)

	result, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return wrapDBError(action, err)
	}
	if n, err := result.RowsAffected(); err == nil && n > 0 {
		return nil
	}

	var state OperationState
	err = tx.GetContext(ctx, &state, selectOperationState, opID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: operation %w", action, ErrNotFound)
	}
	if err != nil {
		return wrapDBError(action, err)
	}
	if state != target {
		return fmt.Errorf("%s: the operation is already %s", action, state)
	}
	return nil
}

// PendingOperations returns the service's pending operations, oldest
// first. serviceID 0 returns the pending operations of every service,
// which a daemon uses at startup to find interrupted work.
func (s *Store) PendingOperations(ctx context.Context, serviceID int64) ([]Operation, error) {
	ops := []Operation{}
	if err := s.db.SelectContext(ctx, &ops, selectPendingOperations, serviceID, serviceID); err != nil {
		return nil, wrapDBError(fmt.Sprintf("read pending operations of service %d", serviceID), err)
	}
	return ops, nil
}

// RecentOperations returns up to limit of the service's operations, newest
// first. A limit of 0 or less means 20, and limits above 1000 are lowered
// to 1000.
func (s *Store) RecentOperations(ctx context.Context, serviceID int64, limit int) ([]Operation, error) {
	if limit <= 0 {
		limit = defaultRecentOperations
	}
	limit = min(limit, maxRecentOperations)

	ops := []Operation{}
	if err := s.db.SelectContext(ctx, &ops, selectRecentOperations, serviceID, limit); err != nil {
		return nil, wrapDBError(fmt.Sprintf("read recent operations of service %d", serviceID), err)
	}
	return ops, nil
}

// truncateText cuts text to maxTextBytes on a character boundary and
// replaces invalid UTF-8, which a strict session would reject.
func truncateText(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	if len(text) <= maxTextBytes {
		return text
	}
	cut := maxTextBytes
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut]
}
