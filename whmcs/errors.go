package whmcs

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// Errors that callers test with errors.Is. The returned errors wrap them
// together with the driver error, if there was one.
var (
	// ErrNotFound means that the requested row does not exist.
	ErrNotFound = errors.New("not found")

	// ErrDuplicate means that a row with the same key already exists.
	ErrDuplicate = errors.New("already exists")

	// ErrLocked means that a lock was not acquired in time: a GET_LOCK
	// wait ran out, or InnoDB gave up on a row lock (lock wait timeout or
	// deadlock). Retrying later is safe.
	ErrLocked = errors.New("locked by another operation")
)

// MySQL and MariaDB server error numbers mapped to the errors above.
const (
	errnoDuplicateEntry  = 1062 // ER_DUP_ENTRY
	errnoLockWaitTimeout = 1205 // ER_LOCK_WAIT_TIMEOUT
	errnoDeadlock        = 1213 // ER_LOCK_DEADLOCK
)

// wrapDBError prefixes err with action and, when the server error number
// or sql.ErrNoRows has a package error, wraps that package error as well.
func wrapDBError(action string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", action, ErrNotFound)
	}

	var mysqlErr *mysql.MySQLError
	if errors.As(err, &mysqlErr) {
		switch mysqlErr.Number {
		case errnoDuplicateEntry:
			return fmt.Errorf("%s: %w: %w", action, ErrDuplicate, err)
		case errnoLockWaitTimeout, errnoDeadlock:
			return fmt.Errorf("%s: %w: %w", action, ErrLocked, err)
		}
	}

	return fmt.Errorf("%s: %w", action, err)
}
