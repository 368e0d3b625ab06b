package whmcs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"
)

// Store reads the WHMCS tables and reads and writes the bridge's own
// tables. It is safe for concurrent use.
type Store struct {
	log *zap.Logger
	db  *sqlx.DB

	mu           sync.Mutex
	databaseName string // DATABASE() of db, loaded on first use by lockName
}

// NewStore returns a Store on db, which should come from Open so that the
// session settings match what the queries expect.
func NewStore(log *zap.Logger, db *sqlx.DB) *Store {
	if log == nil {
		log = zap.NewNop()
	}
	return &Store{log: log, db: db}
}

// WithinTx runs fn in a transaction started with ctx. It commits when fn
// returns nil and rolls back when fn returns an error or panics.
func (s *Store) WithinTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return wrapDBError("begin transaction", err)
	}

	// The deferred rollback is a no-op after a successful Commit, and it
	// also runs when fn panics.
	defer func() {
		if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
			s.log.Warn("transaction rollback failed", zap.Error(err))
		}
	}()

	if err := fn(tx); err != nil {
		return err
	}

	if err := tx.Commit(); err != nil {
		return wrapDBError("commit transaction", err)
	}
	return nil
}

// currentDatabase returns the name of the database the pool is using,
// querying it once.
func (s *Store) currentDatabase(ctx context.Context, q sqlx.QueryerContext) (string, error) {
	s.mu.Lock()
	name := s.databaseName
	s.mu.Unlock()
	if name != "" {
		return name, nil
	}

	const query = `SELECT COALESCE(DATABASE(), '')`
	if err := sqlx.GetContext(ctx, q, &name, query); err != nil {
		return "", wrapDBError("read current database name", err)
	}
	if name == "" {
		return "", fmt.Errorf("read current database name: the connection has no default database, set DBConfig.Name")
	}

	s.mu.Lock()
	s.databaseName = name
	s.mu.Unlock()
	return name, nil
}
