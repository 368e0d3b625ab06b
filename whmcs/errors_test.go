package whmcs_test

import (
	"errors"
	"testing"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap/zaptest"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// TestRowLockTimeoutIsErrLocked also checks that DBConfig.Params reach
// the session as variables.
func TestRowLockTimeoutIsErrLocked(t *testing.T) {
	db, holder := newStore(t)
	ctx := t.Context()
	clientID := db.AddClient(t, whmcstest.Client{Email: "locked@example.com"})
	note := whmcs.KeyNote{ClientID: clientID, ServiceID: 42, Body: "first"}
	note.NoteID = writeKeyNote(t, holder, note)

	cfg := db.Config
	cfg.Params = map[string]string{"innodb_lock_wait_timeout": "1"}
	pool, err := whmcs.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	waiter := whmcs.NewStore(zaptest.NewLogger(t), pool)

	var waiterErr error
	err = holder.WithinTx(ctx, func(tx *sqlx.Tx) error {
		// WriteKeyNote locks the note row until this transaction ends.
		if _, err := holder.WriteKeyNote(ctx, tx, note); err != nil {
			return err
		}
		waiterErr = waiter.WithinTx(ctx, func(tx *sqlx.Tx) error {
			_, err := waiter.WriteKeyNote(ctx, tx, note)
			return err
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if !errors.Is(waiterErr, whmcs.ErrLocked) {
		t.Errorf("WriteKeyNote on a row locked by another transaction: error = %v, want ErrLocked", waiterErr)
	}
}
