package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/gorilla/rpc/v2/json2"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// Code is a JSON-RPC error code of the bridge. The values are frozen: the PHP module switches on
// them, so a code is never renumbered or reused. docs/rpc.md lists them for integrators.
type Code int

// The codes from -32700 to -32600 are defined by JSON-RPC 2.0; the bridge's own codes sit in the
// "server error" range that the specification leaves to implementations (-32000 to -32099).
const (
	CodeParse          Code = -32700 // body is not valid JSON
	CodeInvalidRequest Code = -32600 // not a JSON-RPC 2.0 request object, or id missing or null
	CodeNoMethod       Code = -32601 // unknown method
	CodeInvalidParams  Code = -32602 // params do not match the method
	CodeUnauthorized   Code = -32001 // missing, wrong, stale or replayed request signature
	CodeInvalidInput   Code = -32010 // a value is invalid; data.field names it
	CodeNotFound       Code = -32011 // the service, client or S3 user does not exist
	CodeBusy           Code = -32012 // another operation holds the service; retry later
	CodeConflict       Code = -32013 // the request contradicts the current state
	CodeGatewayDown    Code = -32020 // the S3 gateway could not be reached or failed
	CodeGatewayReject  Code = -32021 // the S3 gateway rejected the request
	CodeOutcomeUnknown Code = -32022 // a gateway write was sent and got no response; retrying is safe
	CodeDatabase       Code = -32030 // the WHMCS database could not be used
	CodeInternal       Code = -32099 // a bug in the bridge; the daemon log has the detail
)

// Kind is the stable, lower-case name of a Code, sent as data.kind so logs and the PHP side can
// show a word instead of a number.
var codeKinds = map[Code]string{
	CodeParse:          "parse_error",
	CodeInvalidRequest: "invalid_request",
	CodeNoMethod:       "method_not_found",
	CodeInvalidParams:  "invalid_params",
	CodeUnauthorized:   "unauthorized",
	CodeInvalidInput:   "invalid_input",
	CodeNotFound:       "not_found",
	CodeBusy:           "busy",
	CodeConflict:       "conflict",
	CodeGatewayDown:    "gateway_unavailable",
	CodeGatewayReject:  "gateway_rejected",
	CodeOutcomeUnknown: "outcome_unknown",
	CodeDatabase:       "database_unavailable",
	CodeInternal:       "internal_error",
}

// Kind returns the stable name of the code.
func (c Code) Kind() string {
	if k, ok := codeKinds[c]; ok {
		return k
	}
	return "unknown"
}

// Error is a failure the bridge reports to its caller. Message is shown to WHMCS admins as it is,
// so it names the value and the fix and never contains a secret.
type Error struct {
	Code    Code
	Message string
	Field   string // the parameter or setting at fault, for CodeInvalidInput
	Err     error  // the cause, logged by the daemon and never sent
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

func newError(code Code, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

func invalidInput(field string, format string, args ...any) *Error {
	e := newError(CodeInvalidInput, nil, format, args...)
	e.Field = field
	return e
}

// ErrorData is the data member of every error the bridge sends.
type ErrorData struct {
	Kind      string `json:"kind"`
	Field     string `json:"field,omitempty"`
	Retryable bool   `json:"retryable"`
}

// toRPCError maps any error returned by a workflow to the JSON-RPC error sent on the wire. Errors
// the workflows did not classify become CodeInternal with a fixed text, so no internal message
// (which may quote SQL or a gateway reply) reaches WHMCS.
func toRPCError(err error) *json2.Error {
	be := asError(err)
	return &json2.Error{
		Code:    json2.ErrorCode(be.Code),
		Message: be.Message,
		Data: ErrorData{
			Kind:      be.Code.Kind(),
			Field:     be.Field,
			Retryable: retryable(be.Code),
		},
	}
}

// asError returns err as a bridge Error, classifying it when no workflow did.
func asError(err error) *Error {
	var be *Error
	if errors.As(err, &be) {
		return be
	}
	return classify(err)
}

// classify turns an error from the layers below into a bridge Error with a readable message.
func classify(err error) *Error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return newError(CodeGatewayDown, err, "the operation did not finish within the daemon's call timeout; it is safe to retry")
	case errors.Is(err, ostor.ErrOutcomeUnknown):
		var apiErr *ostor.APIError
		if errors.As(err, &apiErr) {
			return newError(CodeOutcomeUnknown, err, "the S3 gateway failed %s with HTTP %d, so the change may have been applied; the daemon will check the gateway's state on retry, so retrying is safe",
				apiErr.Op, apiErr.Status)
		}
		return newError(CodeOutcomeUnknown, err, "the S3 gateway did not respond to a change request; the daemon will check the gateway's state on retry, so retrying is safe")
	case errors.Is(err, ostor.ErrProfileMismatch):
		return newError(CodeGatewayReject, err, "the S3 gateway rejected the request in a way that suggests gateway.profile does not match the gateway's release: set gateway.profile to as2, vhi or vhi63 to match it")
	case errors.Is(err, ostor.ErrSignatureRejected):
		return newError(CodeGatewayReject, err, "the S3 gateway rejected the daemon's credentials; check gateway.access_key_id and the secret key in the daemon's config")
	case errors.Is(err, ostor.ErrTimeSkew):
		return newError(CodeGatewayReject, err, "the S3 gateway rejected the request time; synchronise the clocks of the daemon host and the gateway (NTP)")
	case errors.Is(err, ostor.ErrBadRequest):
		return newError(CodeGatewayReject, err, "the S3 gateway rejected the request as malformed; check gateway.profile matches the gateway's release")
	case errors.Is(err, whmcs.ErrLocked):
		return newError(CodeBusy, err, "another operation on this service is in progress; retry in a few seconds")
	}

	var apiErr *ostor.APIError
	if errors.As(err, &apiErr) {
		if apiErr.Status >= 500 {
			return newError(CodeGatewayDown, err, "the S3 gateway failed %s with HTTP %d: %s; retry when it is back", apiErr.Op, apiErr.Status, apiErr.Message)
		}
		return newError(CodeGatewayReject, err, "the S3 gateway rejected %s with HTTP %d: %s", apiErr.Op, apiErr.Status, apiErr.Message)
	}
	return newError(CodeInternal, err, "internal error in the ostor-bridge daemon; see its log")
}

func retryable(c Code) bool {
	switch c {
	case CodeBusy, CodeGatewayDown, CodeOutcomeUnknown, CodeDatabase:
		return true
	}
	return false
}
