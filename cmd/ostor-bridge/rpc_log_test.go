package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/bridge"
)

// postUnixRPC sends body signed with secret to the daemon's RPC unix socket at path.
func postUnixRPC(t *testing.T, path, secret string, body []byte) rpcReply {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://localhost/rpc", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	ts, sig := bridge.SignRequest([]byte(secret), time.Now(), body)
	req.Header.Set(bridge.HeaderTimestamp, ts)
	req.Header.Set(bridge.HeaderSignature, sig)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r rpcReply
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("reply is not JSON: %q", raw)
	}
	r.HTTPStatus = resp.StatusCode
	return r
}

// logLines returns the daemon's JSON log lines whose msg is message.
func logLines(t *testing.T, logs, message string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, line := range strings.Split(logs, "\n") {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) != nil || entry["msg"] != message {
			continue
		}
		lines = append(lines, entry)
	}
	return lines
}

func TestRPCLogNamesUnixSocketCaller(t *testing.T) {
	path := shortSocketPath(t)
	s := startStack(t, stackOptions{configure: func(c *Config) { c.RPC.Listen = "unix:" + path }})

	r := postUnixRPC(t, path, s.Secret, []byte(`{"jsonrpc":"2.0","method":"Service.Drop","params":{},"id":1}`))
	if r.Error == nil || r.Error.Code != int(bridge.CodeNoMethod) {
		t.Fatalf("reply = %+v, want an unknown method error", r)
	}
	s.stopDaemon(t)

	failed := logLines(t, s.logs.String(), "rpc call failed")
	if len(failed) != 1 {
		t.Fatalf("daemon logged %d failed calls, want 1:\n%s", len(failed), s.logs.String())
	}
	if failed[0]["remote"] != "unix" {
		t.Errorf("remote = %v, want unix", failed[0]["remote"])
	}
	if failed[0]["method"] != "Service.Drop" {
		t.Errorf("method = %v, want Service.Drop, which has the Service.Method shape", failed[0]["method"])
	}
}

func TestRPCHidesMalformedMethodName(t *testing.T) {
	s := startStack(t, stackOptions{})
	method := "Service.Create\n{\"msg\":\"forged\"}\x1b[31m" + strings.Repeat("x", 40)
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": map[string]any{}, "id": 1})
	if err != nil {
		t.Fatal(err)
	}

	r := s.postRPC(t, s.Secret, body)
	s.stopDaemon(t)

	if r.Error == nil || r.Error.Code != int(bridge.CodeNoMethod) {
		t.Fatalf("reply = %+v, want an unknown method error", r)
	}
	if !strings.Contains(r.Error.Message, "unknown method") {
		t.Errorf("message %q does not say that the method is unknown", r.Error.Message)
	}
	if strings.Contains(r.Error.Message, "forged") || strings.Contains(r.Error.Message, "xxxx") {
		t.Errorf("message %q echoes the malformed method name", r.Error.Message)
	}
	logs := s.logs.String()
	if strings.Contains(logs, "forged") || strings.Contains(logs, "xxxx") {
		t.Errorf("daemon log echoes the malformed method name:\n%s", logs)
	}
	failed := logLines(t, logs, "rpc call failed")
	if len(failed) != 1 {
		t.Fatalf("daemon logged %d failed calls, want 1:\n%s", len(failed), logs)
	}
	if failed[0]["method"] != "(invalid method name)" {
		t.Errorf("method = %v, want the placeholder", failed[0]["method"])
	}
	if failed[0]["method_bytes"] != float64(len(method)) {
		t.Errorf("method_bytes = %v, want %d", failed[0]["method_bytes"], len(method))
	}
}
