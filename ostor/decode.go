package ostor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// decodeJSON decodes a 2xx body into v. Unknown fields are ignored. The
// error never contains the body, which may hold secret keys.
func decodeJSON(op string, resp *response, v any) error {
	body := bytes.TrimSpace(resp.body)
	if err := checkJSONBody(op, resp, body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return newDecodeError(op, resp, err)
	}
	return nil
}

// checkJSONBody rejects bodies that cannot be JSON with a reason a human can
// act on: empty, HTML or XML.
func checkJSONBody(op string, resp *response, body []byte) error {
	if len(body) == 0 {
		return &DecodeError{Op: op, Status: resp.status, ContentType: resp.contentType, Reason: "body is empty, expected JSON"}
	}
	if body[0] == '<' {
		return &DecodeError{Op: op, Status: resp.status, ContentType: resp.contentType,
			Reason: "body is HTML or XML, not JSON: check that Endpoint is the S3 gateway and not a proxy or web page"}
	}
	return nil
}

func newDecodeError(op string, resp *response, err error) *DecodeError {
	reason := "body is not the expected JSON"
	if strings.Contains(err.Error(), "unexpected end of JSON input") {
		reason = "body is truncated JSON"
	}
	return &DecodeError{Op: op, Status: resp.status, ContentType: resp.contentType, Reason: reason, Err: err}
}

// flexInt decodes a JSON number, a string of digits, "" or null into an
// int64. The gateway renders some counters as strings, e.g. "AccountCount": "3".
type flexInt int64

func (n *flexInt) UnmarshalJSON(data []byte) error {
	s := string(bytes.TrimSpace(data))
	if s == "null" {
		return nil
	}
	if unquoted, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(unquoted)
		if s == "" {
			*n = 0
			return nil
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("expected an integer or a string of digits, got %.32q", s)
	}
	*n = flexInt(v)
	return nil
}
