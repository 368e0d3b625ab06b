package ostor

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func makeResponse(status int, header map[string]string, body string) *response {
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	return &response{status: status, header: h, contentType: h.Get("Content-Type"), body: []byte(body)}
}

func TestNewAPIErrorSources(t *testing.T) {
	const xmlBody = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUser</Code><Message>no such user</Message><RequestId>r-xml</RequestId></Error>`
	tests := []struct {
		name        string
		op          string
		resp        *response
		wantCode    string
		wantMessage string
		wantID      string
	}{
		{"header message wins", OpUsersGet,
			makeResponse(404, map[string]string{"X-Amz-Err-Message": "user not found", "x-amz-request-id": "r-hdr"}, xmlBody),
			"NoSuchUser", "user not found", "r-hdr"},
		{"XML only", OpUsersGet, makeResponse(404, nil, xmlBody), "NoSuchUser", "no such user", "r-xml"},
		{"raw body of users is never copied", OpUsersGet,
			makeResponse(500, nil, `{"AWSSecretAccessKey":"VtzYY4ZHWYzbWLUrRMSzVhB07UvD6Z5nGsAPtESV"}`), "", "", ""},
		{"raw body of other services is truncated", "usage.get",
			makeResponse(500, nil, "backend exploded\n"+strings.Repeat("x", 1000)), "", "backend exploded " + strings.Repeat("x", maxMessageBytes-len("backend exploded ")) + "…", ""},
		{"control characters are cleaned", "usage.get",
			makeResponse(400, map[string]string{"X-Amz-Err-Message": "bad\x01\tvalue"}, ""), "", "bad value", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIError(tt.op, http.MethodGet, tt.resp)
			if e.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q", e.Code, tt.wantCode)
			}
			if e.Message != tt.wantMessage {
				t.Errorf("Message = %q, want %q", e.Message, tt.wantMessage)
			}
			if e.RequestID != tt.wantID {
				t.Errorf("RequestID = %q, want %q", e.RequestID, tt.wantID)
			}
			if strings.Contains(e.Error(), "VtzYY4ZH") {
				t.Errorf("Error() contains a secret: %s", e.Error())
			}
		})
	}
}

func TestAPIErrorIsMapping(t *testing.T) {
	tests := []struct {
		name  string
		err   *APIError
		is    []error
		isNot []error
	}{
		{"404 on users", &APIError{Op: OpUsersGet, Status: 404},
			[]error{ErrUserNotFound, ErrNotFound}, []error{ErrKeyNotFound, ErrBadRequest}},
		{"404 naming an access key", &APIError{Op: OpUsersRevokeKey, Status: 404, Code: "NoSuchAccessKey"},
			[]error{ErrKeyNotFound, ErrNotFound}, []error{ErrUserNotFound}},
		{"404 on another service", &APIError{Op: "usage.get", Status: 404},
			[]error{ErrNotFound}, []error{ErrUserNotFound}},
		{"403 signature", &APIError{Op: OpUsersList, Status: 403, Code: "SignatureDoesNotMatch"},
			[]error{ErrSignatureRejected}, []error{ErrTimeSkew}},
		{"403 skew by code", &APIError{Op: OpUsersList, Status: 403, Code: "RequestTimeTooSkewed"},
			[]error{ErrSignatureRejected, ErrTimeSkew}, nil},
		{"403 skew by message", &APIError{Op: OpUsersList, Status: 403, Message: "Clock skew too large"},
			[]error{ErrTimeSkew}, nil},
		{"409 on create", &APIError{Op: OpUsersCreate, Status: 409},
			[]error{ErrUserExists}, []error{ErrTooManyKeys, ErrUserOwnsBuckets}},
		{"409 on genKey", &APIError{Op: OpUsersGenKey, Status: 409},
			[]error{ErrTooManyKeys}, []error{ErrUserExists}},
		{"400 on genKey", &APIError{Op: OpUsersGenKey, Status: 400},
			[]error{ErrTooManyKeys, ErrBadRequest}, nil},
		{"409 on delete", &APIError{Op: OpUsersDelete, Status: 409},
			[]error{ErrUserOwnsBuckets}, []error{ErrUserExists}},
		{"400 on delete naming buckets", &APIError{Op: OpUsersDelete, Status: 400, Message: "user has buckets"},
			[]error{ErrUserOwnsBuckets, ErrBadRequest}, nil},
		{"405 is a profile mismatch", &APIError{Op: OpUsersGenKey, Status: 405, Code: "MethodNotAllowed"},
			[]error{ErrProfileMismatch}, []error{ErrSignatureRejected, ErrBadRequest}},
		{"403 about the signed SHA-256 header", &APIError{Op: OpUsersGet, Status: 403, Code: "AccessDenied", Message: "missing x-amz-content-sha256 header"},
			[]error{ErrProfileMismatch}, []error{ErrSignatureRejected}},
		{"403 signature is no profile mismatch", &APIError{Op: OpUsersGet, Status: 403, Code: "SignatureDoesNotMatch"},
			[]error{ErrSignatureRejected}, []error{ErrProfileMismatch}},
		{"500", &APIError{Op: OpUsersList, Status: 500},
			nil, []error{ErrNotFound, ErrBadRequest, ErrOutcomeUnknown, ErrSignatureRejected}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, target := range tt.is {
				if !errors.Is(tt.err, target) {
					t.Errorf("errors.Is(%v, %v) = false, want true", tt.err, target)
				}
			}
			for _, target := range tt.isNot {
				if errors.Is(tt.err, target) {
					t.Errorf("errors.Is(%v, %v) = true, want false", tt.err, target)
				}
			}
		})
	}
}
