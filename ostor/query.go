package ostor

import "strings"

// query is an admin-API query string under construction. The service word
// always comes first, and the parameters keep the order in which they were
// added, so the same call always produces the same string.
type query struct {
	service string
	params  []queryParam
}

type queryParam struct {
	key   string
	value string
	flag  bool
}

// newQuery starts the query for a service word such as "users".
func newQuery(service string) *query {
	return &query{service: service}
}

// set appends key=value. Both are percent-encoded by encode.
func (q *query) set(key, value string) *query {
	q.params = append(q.params, queryParam{key: key, value: value})
	return q
}

// flag appends a bare key without "=", such as genKey or space.
func (q *query) flag(key string) *query {
	q.params = append(q.params, queryParam{key: key, flag: true})
	return q
}

// resource returns the part of the request that Signature V2 signs on this
// gateway: "/?ostor-<service>" without any parameter.
func (q *query) resource() string {
	return "/?ostor-" + q.service
}

// encode returns the raw query string without the leading "?", for example
// "ostor-users&emailAddress=a%2Bb%40example.com&genKey".
func (q *query) encode() string {
	var b strings.Builder
	b.WriteString("ostor-")
	b.WriteString(escapeQueryComponent(q.service))
	for _, p := range q.params {
		b.WriteByte('&')
		b.WriteString(escapeQueryComponent(p.key))
		if p.flag {
			continue
		}
		b.WriteByte('=')
		b.WriteString(escapeQueryComponent(p.value))
	}
	return b.String()
}

// escapeQueryComponent percent-encodes every byte except the RFC 3986
// unreserved characters (ALPHA, DIGIT, "-", ".", "_", "~"). Unlike
// url.QueryEscape it writes a space as %20, so no decoder can read a
// literal "+" either way, and "&", "=", "+", "@" and non-ASCII bytes can never
// change the structure of the query.
func escapeQueryComponent(s string) string {
	const hex = "0123456789ABCDEF"

	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0f])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '-', c == '.', c == '_', c == '~':
		return true
	}
	return false
}
