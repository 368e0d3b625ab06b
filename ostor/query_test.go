package ostor

import (
	"net/url"
	"strings"
	"testing"
)

func TestQueryEncode(t *testing.T) {
	tests := []struct {
		name  string
		build func() *query
		want  string
	}{
		{"service only", func() *query { return newQuery("users") }, "ostor-users"},
		{"email with at sign", func() *query { return newQuery("users").set("emailAddress", "user@example.com") },
			"ostor-users&emailAddress=user%40example.com"},
		{"plus is encoded", func() *query { return newQuery("users").set("emailAddress", "a+b@example.com") },
			"ostor-users&emailAddress=a%2Bb%40example.com"},
		{"ampersand and equals cannot inject", func() *query { return newQuery("users").set("emailAddress", "x&id=1=2") },
			"ostor-users&emailAddress=x%26id%3D1%3D2"},
		{"quotes", func() *query { return newQuery("users").set("emailAddress", `o'neil"x@example.com`) },
			"ostor-users&emailAddress=o%27neil%22x%40example.com"},
		{"script tag", func() *query { return newQuery("usage").set("obj", "<script>alert(1)</script>") },
			"ostor-usage&obj=%3Cscript%3Ealert%281%29%3C%2Fscript%3E"},
		{"non-ASCII", func() *query { return newQuery("users").set("emailAddress", "jürgen@bücher.de") },
			"ostor-users&emailAddress=j%C3%BCrgen%40b%C3%BCcher.de"},
		{"space is %20", func() *query { return newQuery("buckets").set("bucket", "a b") },
			"ostor-buckets&bucket=a%20b"},
		{"empty value keeps equals", func() *query { return newQuery("users").set("emailAddress", "") },
			"ostor-users&emailAddress="},
		{"flag has no equals", func() *query { return newQuery("users").set("emailAddress", "u@x").flag("genKey") },
			"ostor-users&emailAddress=u%40x&genKey"},
		{"order is insertion order", func() *query {
			return newQuery("limits").set("emailAddress", "u@x").flag("ops").set("default", "0").set("get", "5")
		}, "ostor-limits&emailAddress=u%40x&ops&default=0&get=5"},
		{"unreserved characters stay", func() *query { return newQuery("users").set("id", "AZaz09-._~") },
			"ostor-users&id=AZaz09-._~"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.build().encode(); got != tt.want {
				t.Errorf("encode() = %q, want %q", got, tt.want)
			}
		})
	}
}

// Every encoded value must decode back to itself with a standard query
// parser, and must not add a parameter.
func TestQueryEncodeRoundTrip(t *testing.T) {
	values := []string{"", "+", "&", "=", "a+b&c=d", "%", "%2B", `"'`, "<script>", "ä€𝄞", " ", "\t", "a;b", "#frag", "?q"}
	for _, v := range values {
		raw := newQuery("users").set("emailAddress", v).encode()
		parts := strings.Split(raw, "&")
		if len(parts) != 2 {
			t.Errorf("value %q: encoded query %q has %d parts, want 2", v, raw, len(parts))
			continue
		}
		parsed, err := url.ParseQuery(raw)
		if err != nil {
			t.Errorf("value %q: url.ParseQuery(%q): %v", v, raw, err)
			continue
		}
		if got := parsed.Get("emailAddress"); got != v {
			t.Errorf("value %q: decoded as %q from %q", v, got, raw)
		}
	}
}
