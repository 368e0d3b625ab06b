package bridge

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

func TestValidateEmail(t *testing.T) {
	valid := []string{
		"alice@example.com",
		"o'brien+s3@example.com",
		"a&b=c@example.com",
		"josé.müller@exämple.com",
	}
	for _, email := range valid {
		if err := ValidateEmail(email); err != nil {
			t.Errorf("ValidateEmail(%q) = %v, want nil", email, err)
		}
	}

	invalid := []string{
		"",
		"not-an-address",
		"Bob <bob@example.com>",
		"<script>@example.com",
		"a b@example.com",
		"alice@example.com\n",
		strings.Repeat("a", 250) + "@example.com",
	}
	for _, email := range invalid {
		if err := ValidateEmail(email); err == nil {
			t.Errorf("ValidateEmail(%q) = nil, want an error", email)
		}
	}
}

func TestClassifyGatewayErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want Code
	}{
		{"outcome unknown", ostor.ErrOutcomeUnknown, CodeOutcomeUnknown},
		{"signature", ostor.ErrSignatureRejected, CodeGatewayReject},
		{"clock", ostor.ErrTimeSkew, CodeGatewayReject},
		{"server error", &ostor.APIError{Op: "users.get", Status: 503, Message: "maintenance"}, CodeGatewayDown},
		{"client error", &ostor.APIError{Op: "users.create", Status: 400, Message: "bad"}, CodeGatewayReject},
		{"unknown", errors.New("boom"), CodeInternal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := classify(tc.err).Code; got != tc.want {
				t.Errorf("classify(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

func TestClassifyWriteErrorStatus(t *testing.T) {
	failed := fmt.Errorf("%w: %w", ostor.ErrOutcomeUnknown, &ostor.APIError{Op: "users.disable", Status: 503, Message: "busy"})
	dropped := fmt.Errorf("%w: %w", ostor.ErrOutcomeUnknown, errors.New("connection reset by peer"))

	got := classify(failed)
	if got.Code != CodeOutcomeUnknown {
		t.Errorf("code of a write answered with 503 = %d, want %d", got.Code, CodeOutcomeUnknown)
	}
	if !strings.Contains(got.Message, "failed users.disable with HTTP 503") {
		t.Errorf("message of a write answered with 503 = %q, want it to name the operation and status", got.Message)
	}
	if got := classify(dropped).Message; !strings.Contains(got, "did not respond") {
		t.Errorf("message of an unanswered write = %q, want it to say the gateway did not respond", got)
	}
}

func TestInternalErrorTextIsNotSent(t *testing.T) {
	rpcErr := toRPCError(errors.New("Error 1146: Table 'whmcs.tblhosting' doesn't exist"))

	if strings.Contains(rpcErr.Message, "tblhosting") {
		t.Errorf("internal error text reached the caller: %q", rpcErr.Message)
	}
	if rpcErr.Code != -32099 {
		t.Errorf("code = %d, want -32099", rpcErr.Code)
	}
}
