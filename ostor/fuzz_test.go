package ostor

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// statusDoer answers every request with a fixed status and an empty body.
type statusDoer struct {
	status int
	method string
}

func (d *statusDoer) Do(req *http.Request) (*http.Response, error) {
	d.method = req.Method
	return &http.Response{StatusCode: d.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(""))}, nil
}

// FuzzQueryEncode checks that no key or value can add, remove or change a
// parameter: the encoded query always splits into the service word and the
// given parameters, and decodes back to the input.
func FuzzQueryEncode(f *testing.F) {
	for _, seed := range [][2]string{
		{"emailAddress", "user@example.com"}, {"emailAddress", "a+b@x"}, {"obj", "a&b=c"},
		{"k=v", "&genKey"}, {"x", "%2B%26"}, {"bucket", "<script>"}, {"ä", "€"}, {"", ""}, {"a b", "c\td"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		raw := newQuery("users").set(key, value).flag("genKey").encode()
		parts := strings.Split(raw, "&")
		if len(parts) != 3 || parts[0] != "ostor-users" || parts[2] != "genKey" {
			t.Fatalf("key %q value %q encoded as %q", key, value, raw)
		}
		gotKey, rawValue, ok := strings.Cut(parts[1], "=")
		if !ok || strings.ContainsAny(rawValue, "=+&# ") {
			t.Fatalf("parameter %q is not one escaped key=value pair", parts[1])
		}
		decodedKey, err := url.QueryUnescape(gotKey)
		if err != nil || decodedKey != key {
			t.Errorf("key %q decodes to %q (%v)", key, decodedKey, err)
		}
		decodedValue, err := url.QueryUnescape(rawValue)
		if err != nil || decodedValue != value {
			t.Errorf("value %q decodes to %q (%v)", value, decodedValue, err)
		}
	})
}

// FuzzDecoders feeds arbitrary bodies to every decoder. They may return an
// error but must never panic, and an error must never contain the body.
func FuzzDecoders(f *testing.F) {
	for _, seed := range []string{
		sampleUserAS2, sampleUserVHI, `[]`, `{"Users":[]}`, `null`, ``, `<html>`, `{"Users":`,
		sampleUsageObject, `{"service_id":"zz"}`, `{"nr_items":1,"truncated":"x","items":[1]}`,
		`{"Buckets":[{"size":{"current":"1"}}]}`, `{"ops:get":"1.5"}`, `{"version":1,"type":0,"size":"x"}`,
		`{"AccountCount":"9223372036854775808"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := makeResponse(200, nil, string(body))
		checkErr := func(err error) {
			if err != nil && len(body) >= 16 && strings.Contains(err.Error(), string(body)) {
				t.Errorf("error %q contains the body", err)
			}
		}

		_, err := decodeUserList(OpUsersList, resp)
		checkErr(err)
		var u wireUser
		checkErr(decodeJSON(OpUsersGet, resp, &u))
		_, err = decodeBuckets(OpBucketsList, resp)
		checkErr(err)
		var l wireLimits
		if err := decodeJSON(OpLimitsGet, resp, &l); err == nil {
			_, err = l.toLimits(OpLimitsGet, resp)
			checkErr(err)
		}
		var q wireQuota
		checkErr(decodeJSON(OpQuotasGet, resp, &q))
		var list wireUsageList
		checkErr(decodeJSON(OpUsageList, resp, &list))
		_, err = decodeUsageObject(resp, sampleUsageName)
		checkErr(err)
		_ = newAPIError(OpUsersGet, http.MethodGet, makeResponse(500, nil, string(body)))
	})
}
