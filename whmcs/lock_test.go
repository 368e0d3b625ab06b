package whmcs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// secondStore opens another pool on the database of db, as a second
// daemon would.
func secondStore(t *testing.T, db *whmcstest.DB) *whmcs.Store {
	t.Helper()
	pool, err := whmcs.Open(t.Context(), db.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return whmcs.NewStore(zaptest.NewLogger(t), pool)
}

func TestLockServiceContention(t *testing.T) {
	db, daemonA := newStore(t)
	daemonB := secondStore(t, db)
	ctx := t.Context()

	releaseA, err := daemonA.LockService(ctx, 42, 0)
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	_, err = daemonB.LockService(ctx, 42, 300*time.Millisecond)
	waited := time.Since(start)
	if !errors.Is(err, whmcs.ErrLocked) {
		t.Fatalf("second daemon locking a locked service: error = %v, want ErrLocked", err)
	}
	if waited < 250*time.Millisecond {
		t.Errorf("second daemon gave up after %v, want about the 300ms wait", waited)
	}

	releaseOther, err := daemonB.LockService(ctx, 43, 0)
	if err != nil {
		t.Fatalf("locking another service: %v", err)
	}
	releaseOther()

	releaseA()
	releaseA() // a second release is a no-op

	releaseB, err := daemonB.LockService(ctx, 42, time.Second)
	if err != nil {
		t.Fatalf("locking after release: %v", err)
	}
	releaseB()
}

func TestLockServiceWaitsForRelease(t *testing.T) {
	db, daemonA := newStore(t)
	daemonB := secondStore(t, db)
	ctx := t.Context()

	releaseA, err := daemonA.LockService(ctx, 42, 0)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(200*time.Millisecond, releaseA)

	start := time.Now()
	releaseB, err := daemonB.LockService(ctx, 42, 10*time.Second)
	if err != nil {
		t.Fatalf("waiting for the lock: %v", err)
	}
	defer releaseB()
	if waited := time.Since(start); waited < 150*time.Millisecond || waited > 5*time.Second {
		t.Errorf("lock acquired after %v, want shortly after the 200ms release", waited)
	}
}

func TestLockServiceSameProcessExcludes(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()

	release, err := store.LockService(ctx, 42, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer release()

	_, err = store.LockService(ctx, 42, 0)
	if !errors.Is(err, whmcs.ErrLocked) {
		t.Errorf("second lock from the same pool: error = %v, want ErrLocked", err)
	}
}

func TestLockServiceHonorsContext(t *testing.T) {
	db, daemonA := newStore(t)
	daemonB := secondStore(t, db)

	release, err := daemonA.LockService(t.Context(), 42, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer release()

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = daemonB.LockService(ctx, 42, time.Minute)
	if err == nil {
		t.Fatal("LockService succeeded on a locked service")
	}
	// The bound is far above the 200ms deadline, so load alone does not break it, and far below
	// the one-minute lock wait that a LockService ignoring ctx would take.
	if waited := time.Since(start); waited > 30*time.Second {
		t.Errorf("LockService returned after %v, want soon after the 200ms context deadline instead of the 1m lock wait", waited)
	}
}

func TestLockServiceSeparatesDatabases(t *testing.T) {
	_, storeA := newStore(t)
	_, storeB := newStore(t)
	ctx := t.Context()

	releaseA, err := storeA.LockService(ctx, 42, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseA()

	releaseB, err := storeB.LockService(ctx, 42, 0)
	if err != nil {
		t.Fatalf("service 42 of another database is locked too: %v", err)
	}
	releaseB()
}

func TestLockServiceRejectsInvalid(t *testing.T) {
	_, store := newStore(t)

	if _, err := store.LockService(t.Context(), 0, 0); err == nil {
		t.Error("LockService of service 0 succeeded")
	}
	if _, err := store.LockService(t.Context(), 1, -time.Second); err == nil {
		t.Error("LockService with a negative wait succeeded")
	}
}
