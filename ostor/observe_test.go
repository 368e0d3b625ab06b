package ostor_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

// observation is one call of Config.Observe.
type observation struct {
	op     string
	status int
	err    error
}

// recordObservations sets cfg.Observe to append to the returned slice.
func recordObservations(cfg *ostor.Config) func() []observation {
	var mu sync.Mutex
	var seen []observation
	cfg.Observe = func(op string, status int, err error, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, observation{op, status, err})
	}
	return func() []observation {
		mu.Lock()
		defer mu.Unlock()
		return append([]observation(nil), seen...)
	}
}

func TestObserveSeesEachAttempt(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	srv.AddUser("observed@example.com")
	cfg := srv.Config()
	cfg.ReadAttempts = 3
	cfg.RetryBackoff = time.Millisecond
	observed := recordObservations(&cfg)
	c := newClient(t, cfg)
	srv.SetFault(ostor.OpUsersGet, ostortest.Fault{Status: 503, Times: 1})

	if _, err := c.GetUser(context.Background(), ostor.ByEmail("observed@example.com")); err != nil {
		t.Fatalf("GetUser: %v", err)
	}

	got := observed()
	if len(got) != 2 {
		t.Fatalf("Observe was called %d times for a read retried once, want 2: %+v", len(got), got)
	}
	if got[0].op != ostor.OpUsersGet || got[0].status != 503 || got[0].err != nil {
		t.Errorf("first attempt observed as %+v, want %s with status 503 and no error", got[0], ostor.OpUsersGet)
	}
	if got[1].op != ostor.OpUsersGet || got[1].status != 200 || got[1].err != nil {
		t.Errorf("second attempt observed as %+v, want %s with status 200 and no error", got[1], ostor.OpUsersGet)
	}
}

func TestObserveMarksDroppedWriteUnknown(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	cfg := srv.Config()
	observed := recordObservations(&cfg)
	c := newClient(t, cfg)
	srv.SetFault(ostor.OpUsersCreate, ostortest.Fault{DropAfterApply: true, Times: 1})

	_, err := c.CreateUser(context.Background(), "dropped@example.com")
	if !errors.Is(err, ostor.ErrOutcomeUnknown) {
		t.Fatalf("CreateUser error = %v, want ErrOutcomeUnknown", err)
	}

	got := observed()
	if len(got) != 1 {
		t.Fatalf("Observe was called %d times for one write, want 1: %+v", len(got), got)
	}
	if got[0].op != ostor.OpUsersCreate {
		t.Errorf("observed operation %q, want %q", got[0].op, ostor.OpUsersCreate)
	}
	if got[0].status != 0 {
		t.Errorf("observed status %d for a dropped response, want 0", got[0].status)
	}
	if !errors.Is(got[0].err, ostor.ErrOutcomeUnknown) {
		t.Errorf("observed error %v, want it to match ErrOutcomeUnknown", got[0].err)
	}
}

func TestObserveSeesStreamedUsageRead(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	cfg := srv.Config()
	observed := recordObservations(&cfg)
	c := newClient(t, cfg)

	_, err := c.StreamUsage(context.Background(), "missing-object", func(ostor.UsageItem) error { return nil })
	if err == nil {
		t.Fatal("StreamUsage of a missing object succeeded")
	}

	got := observed()
	if len(got) != 1 {
		t.Fatalf("Observe was called %d times, want 1: %+v", len(got), got)
	}
	if got[0].op != ostor.OpUsageGet || got[0].status != 404 || got[0].err != nil {
		t.Errorf("observed %+v, want %s with status 404 and no error", got[0], ostor.OpUsageGet)
	}
}
