package ostor

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The usage object sample of the vendor's API reference.
const sampleUsageObject = `{"fmt_version":1,"service_id":8000000000000065,"start_ts":1485966714,"period":1390,"nr_items":1,
	"items":[{"key":{"bucket":"client","epoch":98309,"user_id":"b81d6c5f895a8c86","tag":""},
	"counters":{"ops":{"put":1,"get":3,"list":0,"other":0},"net_io":{"uploaded":41258,"downloaded":45511311}}}]}`

const sampleUsageName = "s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800"

func TestDecodeUsageObjectVariants(t *testing.T) {
	emptyBucketItem := `{"key":{"bucket":"","epoch":0,"user_id":"f82c23f7823589eb","tag":""},"counters":{"ops":{"put":0,"get":2,"list":0,"other":0},"net_io":{"uploaded":0,"downloaded":0}}}`
	tests := []struct {
		name          string
		objectName    string
		body          string
		wantServiceID string
		wantErr       string
	}{
		{"numeric service_id", sampleUsageName, sampleUsageObject, "8000000000000065", ""},
		{"string service_id", sampleUsageName, strings.Replace(sampleUsageObject, `8000000000000065,`, `"8000000000000065",`, 1), "8000000000000065", ""},
		{"hex letters as string", "s3-usage-800000000000006a-2017-02-01T16:27:24.000Z-1800",
			strings.Replace(sampleUsageObject, `8000000000000065,`, `"800000000000006A",`, 1), "800000000000006a", ""},
		{"missing service_id uses the name", sampleUsageName, strings.Replace(sampleUsageObject, `"service_id":8000000000000065,`, "", 1), "8000000000000065", ""},
		{"name without the layout keeps the body", "custom-object", sampleUsageObject, "8000000000000065", ""},
		{"mismatch with the name", "s3-usage-8000000000000067-2017-02-01T16:30:51.000Z-1800", sampleUsageObject, "", "does not match"},
		{"service_id too long", sampleUsageName, strings.Replace(sampleUsageObject, `8000000000000065,`, `80000000000000650,`, 1), "", "16 hex"},
		{"service_id float", sampleUsageName, strings.Replace(sampleUsageObject, `8000000000000065,`, `8.000000000000065e15,`, 1), "", "16 hex"},
		{"fewer items than nr_items", sampleUsageName, strings.Replace(sampleUsageObject, `"nr_items":1`, `"nr_items":2`, 1), "", "nr_items"},
		{"empty bucket item", sampleUsageName, strings.Replace(sampleUsageObject, `"nr_items":1,"items":[`, `"nr_items":2,"items":[`+emptyBucketItem+",", 1), "8000000000000065", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := decodeUsageObject(makeResponse(200, nil, tt.body), tt.objectName)
			if tt.wantErr != "" {
				var decodeErr *DecodeError
				if !errors.As(err, &decodeErr) || !strings.Contains(decodeErr.Reason, tt.wantErr) {
					t.Fatalf("error = %v, want a DecodeError mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeUsageObject: %v", err)
			}
			if obj.ServiceID != tt.wantServiceID {
				t.Errorf("ServiceID = %q, want %q", obj.ServiceID, tt.wantServiceID)
			}
		})
	}

	obj, err := decodeUsageObject(makeResponse(200, nil, sampleUsageObject), sampleUsageName)
	if err != nil {
		t.Fatal(err)
	}
	want := UsageItem{Bucket: "client", Epoch: 98309, UserID: "b81d6c5f895a8c86", Put: 1, Get: 3, Uploaded: 41258, Downloaded: 45511311}
	if len(obj.Items) != 1 || obj.Items[0] != want {
		t.Errorf("items = %+v, want [%+v]", obj.Items, want)
	}
	if !obj.Start.Equal(time.Date(2017, 2, 1, 16, 31, 54, 0, time.UTC)) || obj.Period != 1390 || obj.FmtVersion != 1 {
		t.Errorf("header = start %s period %d version %d", obj.Start, obj.Period, obj.FmtVersion)
	}
}

func TestParseUsageName(t *testing.T) {
	n, err := ParseUsageName(sampleUsageName)
	if err != nil {
		t.Fatalf("ParseUsageName: %v", err)
	}
	if n.ServiceID != "8000000000000065" || n.Period != 1800 || !n.Start.Equal(time.Date(2017, 2, 1, 16, 31, 54, 0, time.UTC)) {
		t.Errorf("ParseUsageName = %+v", n)
	}
	if got := FormatUsageName(n); got != sampleUsageName {
		t.Errorf("FormatUsageName = %q, want %q", got, sampleUsageName)
	}
	for _, bad := range []string{"", "s3-usage-", "s3-usage-8000000000000065", "s3-usage-80000000000000zz-2017-02-01T16:31:54.000Z-1800",
		"s3-usage-8000000000000065-yesterday-1800", "s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-0", "other-8000000000000065-2017-02-01T16:31:54.000Z-30"} {
		if _, err := ParseUsageName(bad); err == nil {
			t.Errorf("ParseUsageName(%q) accepted an invalid name", bad)
		}
	}
}

func TestDecodeUsageList(t *testing.T) {
	tests := []struct {
		body          string
		wantNames     int
		wantTruncated bool
	}{
		{`{"nr_items":3,"truncated":false,"items":["a","b","c"]}`, 3, false},
		{`{"nr_items":1,"truncated":true,"items":["a"]}`, 1, true},
		{`{"nr_items":"1","truncated":1,"items":["a"]}`, 1, true},
		{`{"nr_items":0,"truncated":false,"items":null}`, 0, false},
	}
	for _, tt := range tests {
		var w wireUsageList
		if err := decodeJSON(OpUsageList, makeResponse(200, nil, tt.body), &w); err != nil {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if len(w.Items) != tt.wantNames || bool(w.Truncated) != tt.wantTruncated {
			t.Errorf("%s: decoded %d names truncated=%t", tt.body, len(w.Items), w.Truncated)
		}
	}
}

func TestDecodeBucketShapes(t *testing.T) {
	sample := `{"Buckets":[{"size":{"current":12288,"h_integral":7360512,"hmax":12288,"last_ts":424241},
		"epoch":0,"owner_id":"ba7eba06129464c5","name":"bucket1","creation_date":"2018-05-25T17:12:00.000Z"},
		{"size":{"current":46700160,"h_integral":28160196480,"hmax":46700160,"last_ts":424237},
		"epoch":0,"owner_id":"ccbec013d9fd3918","name":"bucket2","creation_date":"2018-05-25T13:51:55.000Z"}]}`
	wire, err := decodeBuckets(OpBucketsList, makeResponse(200, nil, sample))
	if err != nil {
		t.Fatalf("sample: %v", err)
	}
	b := wire[1].toBucket()
	if b.Name != "bucket2" || b.OwnerID != "ccbec013d9fd3918" || b.Size.HIntegral != 28160196480 || b.Size.LastTS != 424237 {
		t.Errorf("bucket2 = %+v", b)
	}
	if !b.CreationDate.Equal(time.Date(2018, 5, 25, 13, 51, 55, 0, time.UTC)) {
		t.Errorf("creation date = %s", b.CreationDate)
	}

	for _, body := range []string{`[{"name":"one"}]`, `{"name":"one","size":{"current":"5"}}`, `{"Buckets":[{"name":"one"}]}`} {
		wire, err := decodeBuckets(OpBucketsGet, makeResponse(200, nil, body))
		if err != nil || len(wire) != 1 || wire[0].Name != "one" {
			t.Errorf("%s: decoded %+v, %v", body, wire, err)
		}
	}
	if _, err := decodeBuckets(OpBucketsGet, makeResponse(200, nil, `{"Items":[]}`)); err == nil {
		t.Error("decodeBuckets accepted an object without Buckets or name")
	}
}

func TestDecodeLimits(t *testing.T) {
	body := `{"ops:default":"0.50","ops:get":"3600.00","ops:put":"0.00","ops:list":"0.00","ops:delete":"0.00","bandwidth:out":"3.33","ops:future":"1"}`
	var w wireLimits
	if err := decodeJSON(OpLimitsGet, makeResponse(200, nil, body), &w); err != nil {
		t.Fatal(err)
	}
	l, err := w.toLimits(OpLimitsGet, makeResponse(200, nil, body))
	if err != nil {
		t.Fatal(err)
	}
	if l.OpsDefault != 0.5 || l.OpsGet != 3600 || l.BandwidthOut != 3.33 || l.Raw["ops:future"] != "1" {
		t.Errorf("limits = %+v", l)
	}

	numeric := `{"ops:get":3600}`
	var n wireLimits
	if err := decodeJSON(OpLimitsGet, makeResponse(200, nil, numeric), &n); err != nil {
		t.Fatalf("numeric limit: %v", err)
	}
	if l, err := n.toLimits(OpLimitsGet, makeResponse(200, nil, numeric)); err != nil || l.OpsGet != 3600 {
		t.Errorf("numeric limit = %+v, %v", l, err)
	}

	bad := `{"ops:get":"fast"}`
	var b wireLimits
	if err := decodeJSON(OpLimitsGet, makeResponse(200, nil, bad), &b); err != nil {
		t.Fatal(err)
	}
	if _, err := b.toLimits(OpLimitsGet, makeResponse(200, nil, bad)); err == nil {
		t.Error("toLimits accepted a non-numeric limit")
	}
}

func TestDeleteAcceptsAny2xx(t *testing.T) {
	for _, status := range []int{200, 202, 203, 204} {
		doer := &statusDoer{status: status}
		c, err := New(Config{Endpoint: "https://s3.example.com", AccessKeyID: "k", SecretAccessKey: "s", HTTPClient: doer})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteUser(t.Context(), ByID("0123456789abcdef")); err != nil {
			t.Errorf("DeleteUser with status %d: %v", status, err)
		}
		if doer.method != "DELETE" {
			t.Errorf("method = %q, want DELETE", doer.method)
		}
	}
}
