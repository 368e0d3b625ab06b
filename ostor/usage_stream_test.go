package ostor_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

func TestStreamUsageMatchesGetUsage(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI63)
	ctx := context.Background()
	start0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	u := srv.AddUser("stream@example.com")
	names := srv.GenerateUsage(start0, 30*time.Minute, []ostortest.Traffic{
		{At: start0, UserID: u.ID, Bucket: "a", Put: 1, Uploaded: 1<<53 + 1},
		{At: start0, UserID: u.ID, Bucket: "b", Get: 1<<32 + 7, Downloaded: 1<<62 + 3},
		{At: start0, UserID: "0123456789abcdef", Bucket: "", List: 4},
	})

	want, err := c.GetUsage(ctx, names[0])
	if err != nil {
		t.Fatalf("GetUsage: %v", err)
	}
	var items []ostor.UsageItem
	got, err := c.StreamUsage(ctx, names[0], func(it ostor.UsageItem) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		t.Fatalf("StreamUsage: %v", err)
	}
	if got.ServiceID != want.ServiceID || !got.Start.Equal(want.Start) || got.Period != want.Period || got.Items != nil {
		t.Errorf("StreamUsage header = %+v, want %+v without items", got, want)
	}
	if len(items) != len(want.Items) {
		t.Fatalf("StreamUsage passed %d items, want %d", len(items), len(want.Items))
	}
	for i := range items {
		if items[i] != want.Items[i] {
			t.Errorf("item %d = %+v, want %+v", i, items[i], want.Items[i])
		}
	}
	if items[1].Uploaded != 1<<53+1 {
		t.Errorf("uploaded = %d, want 2^53+1 exactly", items[1].Uploaded)
	}
}

func TestStreamUsageStopsOnCallbackError(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI)
	start0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	names := srv.GenerateUsage(start0, 30*time.Minute, []ostortest.Traffic{
		{At: start0, UserID: "0123456789abcdef", Bucket: "a", Put: 1},
		{At: start0, UserID: "0123456789abcdef", Bucket: "b", Put: 1},
	})
	stop := errors.New("stop")
	calls := 0
	_, err := c.StreamUsage(context.Background(), names[0], func(ostor.UsageItem) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) {
		t.Errorf("StreamUsage error = %v, want the callback's error", err)
	}
	if calls != 1 {
		t.Errorf("callback ran %d times, want 1", calls)
	}
}

func TestStreamUsageNotFound(t *testing.T) {
	_, c := start(t, ostor.ProfileVHI)
	_, err := c.StreamUsage(context.Background(), "s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800", func(ostor.UsageItem) error { return nil })
	if !errors.Is(err, ostor.ErrNotFound) {
		t.Errorf("StreamUsage of a missing object: error = %v, want ErrNotFound", err)
	}
}

func TestStreamUsageRetriesServerErrors(t *testing.T) {
	srv, c := start(t, ostor.ProfileVHI)
	start0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	names := srv.GenerateUsage(start0, 30*time.Minute, []ostortest.Traffic{{At: start0, UserID: "0123456789abcdef", Put: 2}})
	srv.SetFault(ostor.OpUsageGet, ostortest.Fault{Status: http.StatusServiceUnavailable, Times: 1})

	var puts int64
	if _, err := c.StreamUsage(context.Background(), names[0], func(it ostor.UsageItem) error {
		puts += it.Put
		return nil
	}); err != nil {
		t.Fatalf("StreamUsage after one 503: %v", err)
	}
	if puts != 2 {
		t.Errorf("puts = %d, want 2", puts)
	}
}

func TestReadUsageObjectBadBodies(t *testing.T) {
	name := "s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800"
	item := `{"key":{"bucket":"b","epoch":1,"user_id":"b81d6c5f895a8c86","tag":""},"counters":{"ops":{"put":1,"get":3,"list":0,"other":0},"net_io":{"uploaded":1,"downloaded":2}}}`
	cases := []struct {
		name, body, reason string
	}{
		{"empty", "  ", "empty"},
		{"html", "<html>proxy</html>", "HTML"},
		{"truncated", `{"fmt_version":1,"items":[` + item, "truncated"},
		{"items not array", `{"items":{}}`, "expected JSON"},
		{"service id mismatch", `{"service_id":8000000000000066,"items":[]}`, "does not match"},
		{"short of nr_items", `{"nr_items":2,"items":[` + item + `]}`, "nr_items is 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ostor.ReadUsageObject(strings.NewReader(tc.body), name, func(ostor.UsageItem) error { return nil })
			var decodeErr *ostor.DecodeError
			if !errors.As(err, &decodeErr) {
				t.Fatalf("error = %v, want a DecodeError", err)
			}
			if !strings.Contains(decodeErr.Reason, tc.reason) {
				t.Errorf("reason = %q, want it to contain %q", decodeErr.Reason, tc.reason)
			}
		})
	}
}

func TestReadUsageObjectServiceIDForms(t *testing.T) {
	name := "s3-usage-800000000000006a-2017-02-01T16:31:54.000Z-1800"
	for _, body := range []string{
		`{"service_id":"800000000000006a","start_ts":1485966714,"period":1390,"nr_items":0,"items":[]}`,
		`{"items":null,"service_id":"800000000000006A","start_ts":"1485966714","unknown":{"x":[1,2]}}`,
	} {
		obj, err := ostor.ReadUsageObject(strings.NewReader(body), name, func(ostor.UsageItem) error { return nil })
		if err != nil {
			t.Fatalf("ReadUsageObject(%s): %v", body, err)
		}
		if obj.ServiceID != "800000000000006a" || obj.Start.Unix() != 1485966714 {
			t.Errorf("ReadUsageObject(%s) = %+v", body, obj)
		}
	}
}
