package whmcs

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

const (
	// lockPollInterval bounds one GET_LOCK call. It must stay well below
	// the connection's read timeout, because the server sends nothing
	// while GET_LOCK waits.
	lockPollInterval = 5 * time.Second

	// maxLockNameLen is the longest lock name MySQL 5.7 and later accept
	// (longer names fail with error 3057). MariaDB 10.11 accepts longer
	// names, but the limit is kept so the daemon also runs on MySQL.
	maxLockNameLen = 64

	releaseTimeout = 5 * time.Second
)

// LockService takes the database-wide lock of one service, so that daemons
// sharing the WHMCS database do not work on one service at the same time.
// It waits up to wait (0 tries once) and returns an error wrapping
// ErrLocked when another session still holds the lock.
//
// The lock is a MariaDB user lock (GET_LOCK) held by a dedicated pool
// connection until release is called, or until that connection dies. Lock
// names include the database, so WHMCS installs that share one server do
// not block each other. release is safe to call more than once.
func (s *Store) LockService(ctx context.Context, serviceID int64, wait time.Duration) (release func(), err error) {
	if serviceID <= 0 {
		return nil, fmt.Errorf("lock service %d: invalid service id", serviceID)
	}
	if wait < 0 {
		return nil, fmt.Errorf("lock service %d: invalid negative wait %v", serviceID, wait)
	}

	conn, err := s.db.Connx(ctx)
	if err != nil {
		return nil, wrapDBError(fmt.Sprintf("lock service %d: get connection", serviceID), err)
	}

	database, err := s.currentDatabase(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock service %d: %w", serviceID, err)
	}
	name := lockName(database, fmt.Sprintf("service.%d", serviceID))

	if err := acquireLock(ctx, conn.Conn, name, wait); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock service %d: %w", serviceID, err)
	}

	var once sync.Once
	release = func() {
		once.Do(func() {
			releaseLock(s.log, conn.Conn, name)
		})
	}
	return release, nil
}

// lockName builds a user-lock name unique to the database and purpose. A
// database name too long for maxLockNameLen is replaced by a hash of it.
func lockName(database, purpose string) string {
	name := fmt.Sprintf("ostorbridge.%s.%s", database, purpose)
	if len(name) <= maxLockNameLen {
		return name
	}
	sum := sha256.Sum256([]byte(database))
	return fmt.Sprintf("ostorbridge.%x.%s", sum[:8], purpose)
}

// acquireLock calls GET_LOCK on conn until it succeeds, wait has passed or
// ctx is done. Each call waits at most lockPollInterval.
//
// NOTE: MariaDB 10.11 honors fractional timeouts, but older MariaDB
// releases rounded them to whole seconds, so a sub-second wait can end
// early there.
func acquireLock(ctx context.Context, conn *sql.Conn, name string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		remaining := max(time.Until(deadline), 0)
		step := min(remaining, lockPollInterval)

		var acquired sql.NullInt64
		err := conn.QueryRowContext(ctx, `SELECT GET_LOCK(?, ?)`, name, step.Seconds()).Scan(&acquired)
		if err != nil {
			return wrapDBError(fmt.Sprintf("GET_LOCK %q", name), err)
		}
		if !acquired.Valid {
			// NULL means the server failed, for example the thread was killed.
			return fmt.Errorf("GET_LOCK %q returned NULL", name)
		}
		if acquired.Int64 == 1 {
			return nil
		}
		if remaining <= step {
			return fmt.Errorf("GET_LOCK %q: still held by another session after %v: %w", name, wait, ErrLocked)
		}
	}
}

// releaseLock releases the lock and returns conn to the pool. When the
// release fails, the connection is discarded instead: closing the session
// frees every lock it holds.
func releaseLock(log *zap.Logger, conn *sql.Conn, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()

	var released sql.NullInt64
	err := conn.QueryRowContext(ctx, `SELECT RELEASE_LOCK(?)`, name).Scan(&released)
	if err == nil && released.Int64 != 1 {
		err = fmt.Errorf("RELEASE_LOCK returned %v, the session did not hold the lock", released)
	}
	if err != nil {
		log.Warn("release lock failed, closing its connection", zap.String("lock", name), zap.Error(err))
		// Returning driver.ErrBadConn from Raw makes database/sql close
		// the connection instead of reusing it.
		rawErr := conn.Raw(func(any) error { return driver.ErrBadConn })
		if rawErr != nil && !errors.Is(rawErr, driver.ErrBadConn) {
			log.Warn("discard lock connection failed", zap.String("lock", name), zap.Error(rawErr))
		}
	}

	if err := conn.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
		log.Warn("close lock connection failed", zap.String("lock", name), zap.Error(err))
	}
}
