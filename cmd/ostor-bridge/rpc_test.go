package main

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// TestRPCRejectsBadRequests sends malformed and unauthenticated requests for a real service and
// checks that each gets a clear JSON-RPC error and that nothing is provisioned. Requests rejected
// before a method runs get HTTP 400 or 401; a method's own error comes with HTTP 200.
func TestRPCRejectsBadRequests(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "erin@example.com", FirstName: "Erin", LastName: "Loe"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	sid := strconv.FormatInt(service, 10)
	valid := `{"jsonrpc":"2.0","method":"Service.Create","params":{"service_id":` + sid + `},"id":"`

	cases := []struct {
		name       string
		secret     string
		body       string
		wantStatus int
		wantCode   bridge.Code
		wantText   string
	}{
		{"unsigned", "", valid + `1"}`, http.StatusUnauthorized, bridge.CodeUnauthorized, "request is not signed"},
		{"wrong secret", "0123456789abcdef0123456789abcdef", valid + `2"}`, http.StatusUnauthorized, bridge.CodeUnauthorized, `signature does not match: the RPC secret in WHMCS (OSTOR_BRIDGE_RPC_SECRET in configuration.php, the addon's "RPC secret" or the server record's password) must equal the daemon's OSTOR_BRIDGE_RPC_SECRET or rpc.secret`},
		{"missing id", s.Secret, `{"jsonrpc":"2.0","method":"Service.Create","params":{"service_id":` + sid + `}}`, http.StatusBadRequest, bridge.CodeInvalidRequest, "request id is missing or null"},
		{"null id", s.Secret, valid[:len(valid)-1] + `null}`, http.StatusBadRequest, bridge.CodeInvalidRequest, "request id is missing or null"},
		{"malformed JSON", s.Secret, `{"jsonrpc":"2.0","method":"Service.Create","params":{"service_id":` + sid, http.StatusBadRequest, bridge.CodeParse, "not valid JSON"},
		{"batch", s.Secret, `[` + valid + `3"}]`, http.StatusBadRequest, bridge.CodeInvalidRequest, "batch requests are not supported"},
		{"wrong version", s.Secret, `{"jsonrpc":"1.0","method":"Service.Create","params":{"service_id":` + sid + `},"id":4}`, http.StatusBadRequest, bridge.CodeInvalidRequest, `jsonrpc must be "2.0"`},
		{"unknown method", s.Secret, `{"jsonrpc":"2.0","method":"Service.Drop","params":{},"id":5}`, http.StatusBadRequest, bridge.CodeNoMethod, `unknown method "Service.Drop"`},
		{"params array", s.Secret, `{"jsonrpc":"2.0","method":"Service.Create","params":[` + sid + `],"id":6}`, http.StatusBadRequest, bridge.CodeInvalidParams, "must be a JSON object"},
		{"unknown param", s.Secret, `{"jsonrpc":"2.0","method":"Service.Create","params":{"serviceid":` + sid + `},"id":7}`, http.StatusBadRequest, bridge.CodeInvalidParams, `unknown field "serviceid"`},
		{"string service id", s.Secret, `{"jsonrpc":"2.0","method":"Service.Create","params":{"service_id":"` + sid + `"},"id":8}`, http.StatusBadRequest, bridge.CodeInvalidParams, "invalid params for Service.Create"},
		{"unknown service", s.Secret, `{"jsonrpc":"2.0","method":"Service.Create","params":{"service_id":999999},"id":9}`, http.StatusOK, bridge.CodeNotFound, "WHMCS service 999999 does not exist"},
		{"negative service", s.Secret, `{"jsonrpc":"2.0","method":"Service.Create","params":{"service_id":-3},"id":10}`, http.StatusOK, bridge.CodeInvalidInput, "service_id must be a positive WHMCS service id, got -3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.postRPC(t, tc.secret, []byte(tc.body))

			if r.HTTPStatus != tc.wantStatus {
				t.Errorf("HTTP status = %d, want %d", r.HTTPStatus, tc.wantStatus)
			}
			if r.Error == nil {
				t.Fatalf("no error in reply, result %s", r.Result)
			}
			if r.Error.Code != int(tc.wantCode) {
				t.Errorf("code = %d, want %d", r.Error.Code, tc.wantCode)
			}
			if r.Error.Data.Kind != tc.wantCode.Kind() {
				t.Errorf("data.kind = %q, want %q", r.Error.Data.Kind, tc.wantCode.Kind())
			}
			if !strings.Contains(r.Error.Message, tc.wantText) {
				t.Errorf("message %q does not contain %q", r.Error.Message, tc.wantText)
			}
		})
	}
	assertNothingChanged(t, s, client)
}

func TestRPCRejectsReplayAndStaleTimestamp(t *testing.T) {
	s := startStack(t, stackOptions{})
	body := []byte(`{"jsonrpc":"2.0","method":"System.Check","params":{},"id":"replay-1"}`)

	send := func(ts, sig string) rpcReply {
		req, _ := http.NewRequest(http.MethodPost, "http://"+s.Addr+"/rpc", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(bridge.HeaderTimestamp, ts)
		req.Header.Set(bridge.HeaderSignature, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return rpcReply{HTTPStatus: resp.StatusCode}
	}

	ts, sig := bridge.SignRequest([]byte(s.Secret), time.Now(), body)
	if r := send(ts, sig); r.HTTPStatus != http.StatusOK {
		t.Fatalf("first request: HTTP %d, want 200", r.HTTPStatus)
	}
	if r := send(ts, sig); r.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("replayed request: HTTP %d, want 401", r.HTTPStatus)
	}
	oldTS, oldSig := bridge.SignRequest([]byte(s.Secret), time.Now().Add(-10*time.Minute), body)
	if r := send(oldTS, oldSig); r.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("request signed 10 minutes ago: HTTP %d, want 401", r.HTTPStatus)
	}
}

// TestDaemonLogsNoSecrets provisions a user and then scans everything the daemon wrote.
func TestDaemonLogsNoSecrets(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "frank@example.com", FirstName: "Frank", LastName: "Hoe"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})
	if got := callModule(t, "CreateAccount", s.moduleParams(service)); got != "success" {
		t.Fatalf("CreateAccount returned %v", got)
	}
	callModule(t, "CreateAccount", map[string]any{"serviceid": service, "serverhostname": "127.0.0.1", "serverport": strings.Split(s.Addr, ":")[1], "serverpassword": "wrong-secret-wrong-secret"})
	s.stopDaemon(t)

	logs := s.logs.String()
	if !strings.Contains(logs, `"method":"Service.Create"`) {
		t.Fatalf("daemon log has no line for Service.Create; the scan would prove nothing:\n%s", logs)
	}
	secrets := map[string]string{
		"RPC secret":         s.Secret,
		"gateway secret key": s.Gateway.Config().SecretAccessKey,
	}
	for _, u := range s.Gateway.Users() {
		for _, k := range u.AccessKeys {
			secrets["S3 secret key of "+k.AccessKeyID] = k.SecretAccessKey.Reveal()
		}
	}
	for name, secret := range secrets {
		if secret == "" {
			t.Fatalf("%s is empty; the scan would prove nothing", name)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("daemon log contains the %s", name)
		}
	}
}
