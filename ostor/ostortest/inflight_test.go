package ostortest_test

import (
	"context"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

// TestInFlightCountsAbandonedRequest checks that a request whose client gave up stays in flight
// until the gateway has applied it, which is what tests rely on when they wait for InFlight to
// reach 0.
func TestInFlightCountsAbandonedRequest(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	cfg := srv.Config()
	cfg.Timeout = 200 * time.Millisecond
	c, err := ostor.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFault(ostor.OpUsersCreate, ostortest.Fault{Latency: time.Second})
	// The gateway reads its clock when it starts handling a request, before the fault's latency.
	started := make(chan struct{}, 1)
	srv.SetNow(func() time.Time {
		select {
		case started <- struct{}{}:
		default:
		}
		return time.Now()
	})

	if _, err := c.CreateUser(context.Background(), "held@example.com"); err == nil {
		t.Fatal("CreateUser succeeded, want a timeout while the gateway delays the request")
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway did not start handling the create request within 30s")
	}

	waitUntil(t, "InFlight() to reach 0", func() bool { return srv.InFlight() == 0 })
	if n := len(srv.Users()); n != 1 {
		t.Errorf("gateway has %d users once idle, want the held create applied", n)
	}
}

// waitUntil polls cond until it returns true, failing the test after 30 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 30s waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
