package ostortest_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

func TestRecordedRequestsAreBounded(t *testing.T) {
	var mu sync.Mutex
	var observed []ostortest.RecordedRequest
	srv := ostortest.Start(t, ostortest.Options{
		MaxRecordedRequests: 2,
		Observer: func(r ostortest.RecordedRequest) {
			mu.Lock()
			defer mu.Unlock()
			observed = append(observed, r)
		},
	})
	c, err := ostor.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"a@x", "b@x", "c@x"} {
		if _, err := c.CreateUser(context.Background(), email); err != nil {
			t.Fatalf("CreateUser(%s): %v", email, err)
		}
	}

	recorded := srv.Requests()
	if len(recorded) != 2 {
		t.Fatalf("Requests() has %d entries, want 2", len(recorded))
	}
	if v, _ := recorded[0].Value("emailAddress"); v != "b@x" {
		t.Errorf("oldest kept request is for %q, want b@x", v)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(observed) != 3 {
		t.Errorf("observer saw %d requests, want 3", len(observed))
	}
	for _, r := range observed {
		if r.Op != ostor.OpUsersCreate || r.Status != http.StatusOK || !r.Applied {
			t.Errorf("observed %+v, want an applied users.create with status 200", r)
		}
	}
}

func TestFaultTimesAndAfter(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	cfg := srv.Config()
	cfg.ReadAttempts = 1
	c, err := ostor.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFault(ostor.OpUsersList, ostortest.Fault{Status: http.StatusTeapot, Code: "Teapot", After: 1, Times: 2})

	var statuses []int
	for i := 0; i < 4; i++ {
		_, err := c.ListUsers(context.Background())
		var apiErr *ostor.APIError
		switch {
		case err == nil:
			statuses = append(statuses, http.StatusOK)
		case errors.As(err, &apiErr):
			statuses = append(statuses, apiErr.Status)
			if apiErr.Code != "Teapot" {
				t.Errorf("fault code = %q, want Teapot", apiErr.Code)
			}
		default:
			t.Fatalf("ListUsers: %v", err)
		}
	}
	want := []int{200, 418, 418, 200}
	for i := range want {
		if statuses[i] != want[i] {
			t.Errorf("statuses = %v, want %v", statuses, want)
			break
		}
	}
}

func TestNewGatewayPanicsOnUnknownProfile(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewGateway accepted an unknown profile")
		}
	}()
	ostortest.NewGateway(ostortest.Options{Profile: "vhi9"})
}
