package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

func TestGenerateAndRevokeKeyEndToEnd(t *testing.T) {
	s := startStack(t, stackOptions{})
	secrets := &secretSet{}
	client, service := provisionService(t, s, "kate@example.com")
	secrets.collect(s.Gateway)
	first := assertKeysConsistent(t, s, client, service)
	if len(first) != 1 {
		t.Fatalf("after CreateAccount the service has keys %v, want 1", first)
	}

	generated := keyResult(t, s.callRPC(t, "Service.GenerateKey", map[string]any{"service_id": service, "admin_id": 1}))
	secrets.collect(s.Gateway)

	if !generated.Changed {
		t.Errorf("GenerateKey reported changed = false")
	}
	if generated.AccessKeyID == "" || generated.AccessKeyID == first[0] {
		t.Errorf("GenerateKey returned key %q, want a new key", generated.AccessKeyID)
	}
	keys := assertKeysConsistent(t, s, client, service)
	if !slices.Equal(keys, sorted(first[0], generated.AccessKeyID)) {
		t.Errorf("keys after GenerateKey = %v, want %v and %s", keys, first, generated.AccessKeyID)
	}
	if !slices.Equal(sorted(generated.AccessKeyIDs...), keys) {
		t.Errorf("GenerateKey reply lists %v, want %v", generated.AccessKeyIDs, keys)
	}

	third := s.callRPC(t, "Service.GenerateKey", map[string]any{"service_id": service, "admin_id": 1})
	assertRPCError(t, third, bridge.CodeConflict, "revoke one with Revoke access key first")
	if got := assertKeysConsistent(t, s, client, service); !slices.Equal(got, keys) {
		t.Errorf("a rejected GenerateKey changed the keys to %v", got)
	}

	listed := s.callRPC(t, "Service.Keys", map[string]any{"service_id": service, "admin_id": 0})
	var list bridge.KeysResult
	decodeResult(t, listed, &list)
	var listedIDs []string
	for _, k := range list.Keys {
		listedIDs = append(listedIDs, k.AccessKeyID)
		if k.CreatedAt.IsZero() {
			t.Errorf("Service.Keys lists %s without its creation time", k.AccessKeyID)
		}
	}
	if !slices.Equal(sorted(listedIDs...), keys) {
		t.Errorf("Service.Keys lists %v, want %v", listedIDs, keys)
	}

	revoked := keyResult(t, s.callRPC(t, "Service.RevokeKey", map[string]any{"service_id": service, "admin_id": 1, "access_key_id": first[0]}))
	if !revoked.Changed || revoked.AccessKeyID != first[0] {
		t.Errorf("RevokeKey = %+v, want %s revoked", revoked, first[0])
	}
	if got := assertKeysConsistent(t, s, client, service); !slices.Equal(got, []string{generated.AccessKeyID}) {
		t.Errorf("keys after RevokeKey = %v, want only %s", got, generated.AccessKeyID)
	}

	again := keyResult(t, s.callRPC(t, "Service.RevokeKey", map[string]any{"service_id": service, "admin_id": 1, "access_key_id": first[0]}))
	if again.Changed {
		t.Errorf("revoking a revoked key reported changed = true")
	}
	if n := countOps(s.Gateway, ostor.OpUsersRevokeKey); n != 1 {
		t.Errorf("gateway received %d revokeKey requests, want 1", n)
	}

	last := s.callRPC(t, "Service.RevokeKey", map[string]any{"service_id": service, "admin_id": 1, "access_key_id": generated.AccessKeyID})
	assertRPCError(t, last, bridge.CodeConflict, "last working access key")
	unknown := s.callRPC(t, "Service.RevokeKey", map[string]any{"service_id": service, "admin_id": 1, "access_key_id": "NOSUCHKEY0000000XXXX"})
	assertRPCError(t, unknown, bridge.CodeNotFound, `access key "NOSUCHKEY0000000XXXX" is not recorded for service`)
	empty := s.callRPC(t, "Service.RevokeKey", map[string]any{"service_id": service, "admin_id": 1, "access_key_id": ""})
	assertRPCError(t, empty, bridge.CodeInvalidInput, "access_key_id is missing")
	if got := assertKeysConsistent(t, s, client, service); !slices.Equal(got, []string{generated.AccessKeyID}) {
		t.Errorf("rejected revocations changed the keys to %v", got)
	}

	secrets.assertNotIn(t, "daemon log", s.logs.String())
}

func TestRevokeKeyRejectsKeyOfOtherService(t *testing.T) {
	s := startStack(t, stackOptions{})
	_, service := provisionService(t, s, "lena@example.com")
	otherClient, other := provisionService(t, s, "mona@example.com")
	otherKeys := assertKeysConsistent(t, s, otherClient, other)

	reply := s.callRPC(t, "Service.RevokeKey", map[string]any{"service_id": service, "admin_id": 1, "access_key_id": otherKeys[0]})

	assertRPCError(t, reply, bridge.CodeNotFound, "is not recorded for service")
	if got := assertKeysConsistent(t, s, otherClient, other); !slices.Equal(got, otherKeys) {
		t.Errorf("the other service's keys changed to %v", got)
	}
}

func TestGenerateKeyBeforeCreateIsRejected(t *testing.T) {
	s := startStack(t, stackOptions{})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "nina@example.com", FirstName: "Nina", LastName: "Roe"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Pending"})

	reply := s.callRPC(t, "Service.GenerateKey", map[string]any{"service_id": service, "admin_id": 1})

	assertRPCError(t, reply, bridge.CodeConflict, "has no S3 user yet")
	if n := len(s.Gateway.Users()); n != 0 {
		t.Errorf("gateway has %d users, want 0", n)
	}
}

func TestGenerateKeyResponseDroppedAfterApply(t *testing.T) {
	s := startStack(t, stackOptions{})
	secrets := &secretSet{}
	client, service := provisionService(t, s, "olga@example.com")
	before := assertKeysConsistent(t, s, client, service)
	s.Gateway.SetFault(ostor.OpUsersGenKey, ostortest.Fault{DropAfterApply: true, Times: 1})

	reply := s.callRPC(t, "Service.GenerateKey", map[string]any{"service_id": service, "admin_id": 1})
	secrets.collect(s.Gateway)

	result := keyResult(t, reply)
	if n := countOps(s.Gateway, ostor.OpUsersGenKey); n != 1 {
		t.Errorf("gateway received %d genKey requests, want exactly 1", n)
	}
	keys := assertKeysConsistent(t, s, client, service)
	if !slices.Equal(keys, sorted(before[0], result.AccessKeyID)) {
		t.Errorf("keys = %v, want %s and the generated %s", keys, before[0], result.AccessKeyID)
	}

	// A retry by the admin must not create a third key.
	retry := s.callRPC(t, "Service.GenerateKey", map[string]any{"service_id": service, "admin_id": 1})
	assertRPCError(t, retry, bridge.CodeConflict, "the gateway's maximum")
	if n := countOps(s.Gateway, ostor.OpUsersGenKey); n != 1 {
		t.Errorf("gateway received %d genKey requests after the retry, want 1", n)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_operations WHERE service_id = ? AND kind = 'generate_key' AND state = 'done'", service); n != 1 {
		t.Errorf("journal has %d done generate_key operations, want 1", n)
	}
	secrets.assertNotIn(t, "daemon log", s.logs.String())
}

func TestGenerateKeyGatewayDownStaysPending(t *testing.T) {
	s := startStack(t, stackOptions{})
	client, service := provisionService(t, s, "pia@example.com")
	s.Gateway.SetFault(ostor.OpUsersGenKey, ostortest.Fault{Status: 503, Code: "ServiceUnavailable", Message: "maintenance"})

	reply := s.callRPC(t, "Service.GenerateKey", map[string]any{"service_id": service, "admin_id": 1})

	if reply.Error == nil || !reply.Error.Data.Retryable {
		t.Fatalf("GenerateKey during an outage returned %+v, want a retryable error", reply.Error)
	}
	var lastError string
	if err := s.DB.Get(&lastError, "SELECT last_error FROM mod_ostorbridge_operations WHERE service_id = ? AND kind = 'generate_key' AND state = 'pending'", service); err != nil {
		t.Fatalf("no pending generate_key operation: %v", err)
	}
	if !strings.Contains(lastError, "genKey") && !strings.Contains(lastError, "generate an access key") {
		t.Errorf("pending operation's last_error = %q, want the gateway failure", lastError)
	}

	s.Gateway.ClearFaults()
	result := keyResult(t, s.callRPC(t, "Service.GenerateKey", map[string]any{"service_id": service, "admin_id": 1}))
	keys := assertKeysConsistent(t, s, client, service)
	if len(keys) != 2 || !slices.Contains(keys, result.AccessKeyID) {
		t.Errorf("keys after the outage = %v, want two including %s", keys, result.AccessKeyID)
	}
}

func TestGenerateKeyNoteWithSecrets(t *testing.T) {
	s := startStack(t, stackOptions{configure: func(c *Config) { c.Notes.IncludeSecret = true }})
	secrets := &secretSet{}
	client, service := provisionService(t, s, "rosa@example.com")
	first := recordedKeyIDs(t, s, service)[0]

	generated := keyResult(t, s.callRPC(t, "Service.GenerateKey", map[string]any{"service_id": service, "admin_id": 1}))
	secrets.collect(s.Gateway)

	note := bridgeNote(t, s, client, service).Text
	for _, u := range s.Gateway.Users() {
		for _, k := range u.AccessKeys {
			if !strings.Contains(note, "Access key ID: "+k.AccessKeyID+"\nSecret access key: "+k.SecretAccessKey.Reveal()) {
				t.Errorf("note lacks the secret of %s below its id:\n%s", k.AccessKeyID, note)
			}
		}
	}

	keyResult(t, s.callRPC(t, "Service.RevokeKey", map[string]any{"service_id": service, "admin_id": 1, "access_key_id": first}))

	note = bridgeNote(t, s, client, service).Text
	if strings.Contains(note, first) || strings.Count(note, "Secret access key: ") != 1 {
		t.Errorf("after revoking %s the note still lists it or has the wrong number of secrets:\n%s", first, note)
	}
	if !strings.Contains(note, "Access key ID: "+generated.AccessKeyID) {
		t.Errorf("note lacks the remaining key %s:\n%s", generated.AccessKeyID, note)
	}
	secrets.assertNotIn(t, "daemon log", s.logs.String())
}

// TestGenerateKeyDaemonKilledBeforeCommit kills the daemon after the gateway issued a key and
// before the database recorded it. The test's own transaction holds the row lock on the
// access-key note, so the daemon's commit waits on it until the kill.
func TestGenerateKeyDaemonKilledBeforeCommit(t *testing.T) {
	opts := stackOptions{configure: func(c *Config) { c.Reconcile.OnStart = "off" }}
	s := startStack(t, opts)
	secrets := &secretSet{}
	client, service := provisionService(t, s, "quinn@example.com")
	first := assertKeysConsistent(t, s, client, service)
	note := bridgeNote(t, s, client, service)

	ctx := context.Background()
	blocker, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback()
	var locked int64
	if err := blocker.Get(&locked, "SELECT id FROM tblnotes WHERE id = ? FOR UPDATE", note.ID); err != nil {
		t.Fatal(err)
	}

	go s.sendRPCIgnoringReply("Service.GenerateKey", map[string]any{"service_id": service, "admin_id": 1})
	waitFor(t, s, "the gateway to receive genKey", func() bool { return countOps(s.Gateway, ostor.OpUsersGenKey) == 1 })
	waitFor(t, s, "the daemon's commit to wait for the note's row lock", func() bool {
		return countRows(t, s, `SELECT COUNT(*) FROM information_schema.INNODB_TRX t
JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
WHERE t.trx_state = 'LOCK WAIT' AND p.DB = ?`, s.DB.Name) > 0
	})
	secrets.collect(s.Gateway)

	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done
	if err := blocker.Rollback(); err != nil {
		t.Fatal(err)
	}

	if n := len(gatewayKeyIDs(t, s, "quinn@example.com")); n != 2 {
		t.Fatalf("after the kill the gateway has %d keys, want 2 (the crash window was not hit)", n)
	}
	if got := recordedKeyIDs(t, s, service); !slices.Equal(got, first) {
		t.Fatalf("after the kill the recorded keys are %v, want only %v", got, first)
	}

	s.startDaemon(t, opts)
	report, out := runReconcile(t, s, "--fix", "--json", "--service", itoa(service))
	secrets.assertNotIn(t, "reconcile output", out)

	pending := findingsOf(report, bridge.FindingPendingOperation)
	if len(pending) != 1 || !pending[0].Fixed {
		t.Fatalf("reconcile report %+v, want one fixed pending_operation", report.Findings)
	}
	keys := assertKeysConsistent(t, s, client, service)
	if len(keys) != 2 || !slices.Contains(keys, first[0]) || !slices.Contains(keys, pending[0].AccessKeyID) {
		t.Errorf("keys after reconcile = %v, want %s and the one key the killed call generated (%s)", keys, first[0], pending[0].AccessKeyID)
	}
	if n := countOps(s.Gateway, ostor.OpUsersGenKey); n != 1 {
		t.Errorf("gateway received %d genKey requests, want 1", n)
	}
	if n := countRows(t, s, "SELECT COUNT(*) FROM mod_ostorbridge_operations WHERE state = 'pending'"); n != 0 {
		t.Errorf("%d operations are still pending", n)
	}

	// The recovered key works: revoking the old one leaves it as the service's only key.
	keyResult(t, s.callRPC(t, "Service.RevokeKey", map[string]any{"service_id": service, "admin_id": 1, "access_key_id": first[0]}))
	if got := assertKeysConsistent(t, s, client, service); !slices.Equal(got, []string{pending[0].AccessKeyID}) {
		t.Errorf("keys after revoking %s = %v, want only the recovered key %s", first[0], got, pending[0].AccessKeyID)
	}
	secrets.assertNotIn(t, "daemon log", s.logs.String())
}

// ---- helpers

// rpcID numbers requests, because the daemon rejects a repeated signature as a replay.
var rpcID atomic.Int64

// callRPC sends one signed JSON-RPC request to the daemon.
func (s *stack) callRPC(t *testing.T, method string, params any) rpcReply {
	t.Helper()
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params, "id": rpcID.Add(1)})
	if err != nil {
		t.Fatal(err)
	}
	return s.postRPC(t, s.Secret, body)
}

// sendRPCIgnoringReply sends a signed request and drops the reply or the error, for calls the
// test interrupts. It may run outside the test goroutine.
func (s *stack) sendRPCIgnoringReply(method string, params any) {
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params, "id": rpcID.Add(1)})
	req, err := http.NewRequest(http.MethodPost, "http://"+s.Addr+"/rpc", bytes.NewReader(body))
	if err != nil {
		return
	}
	ts, sig := bridge.SignRequest([]byte(s.Secret), time.Now(), body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(bridge.HeaderTimestamp, ts)
	req.Header.Set(bridge.HeaderSignature, sig)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

func decodeResult(t *testing.T, r rpcReply, into any) {
	t.Helper()
	if r.Error != nil {
		t.Fatalf("RPC failed with %d: %s", r.Error.Code, r.Error.Message)
	}
	if err := json.Unmarshal(r.Result, into); err != nil {
		t.Fatalf("decode result %s: %v", r.Result, err)
	}
}

func keyResult(t *testing.T, r rpcReply) bridge.KeyResult {
	t.Helper()
	var res bridge.KeyResult
	decodeResult(t, r, &res)
	return res
}

func assertRPCError(t *testing.T, r rpcReply, code bridge.Code, text string) {
	t.Helper()
	if r.Error == nil {
		t.Fatalf("RPC succeeded with %s, want error %d containing %q", r.Result, code, text)
	}
	if r.Error.Code != int(code) {
		t.Errorf("error code = %d (%s), want %d", r.Error.Code, r.Error.Message, code)
	}
	if !strings.Contains(r.Error.Message, text) {
		t.Errorf("error message %q does not contain %q", r.Error.Message, text)
	}
}

// provisionService creates a client and an Active service and provisions it with Service.Create,
// the RPC behind the module's CreateAccount.
func provisionService(t *testing.T, s *stack, email string) (clientID, serviceID int64) {
	t.Helper()
	clientID = s.DB.AddClient(t, whmcstest.Client{Email: email, FirstName: "Test", LastName: "Client"})
	serviceID = s.DB.AddService(t, whmcstest.Service{ClientID: clientID, ProductID: s.ProductID, ServerID: s.ServerID, Status: "Active"})
	var created bridge.CreateResult
	decodeResult(t, s.callRPC(t, "Service.Create", map[string]any{"service_id": serviceID, "admin_id": 0}), &created)
	return clientID, serviceID
}

func recordedKeyIDs(t *testing.T, s *stack, serviceID int64) []string {
	t.Helper()
	ids := []string{}
	if err := s.DB.Select(&ids, "SELECT access_key_id FROM mod_ostorbridge_keys WHERE service_id = ? AND revoked_at IS NULL ORDER BY access_key_id", serviceID); err != nil {
		t.Fatal(err)
	}
	return ids
}

func gatewayKeyIDs(t *testing.T, s *stack, email string) []string {
	t.Helper()
	for _, u := range s.Gateway.Users() {
		if u.Email == email {
			ids := []string{}
			for _, k := range u.AccessKeys {
				ids = append(ids, k.AccessKeyID)
			}
			return sorted(ids...)
		}
	}
	t.Fatalf("gateway has no user %s", email)
	return nil
}

func bridgeNote(t *testing.T, s *stack, clientID, serviceID int64) whmcstest.Note {
	t.Helper()
	marker := whmcs.KeyNoteMarker(serviceID)
	var found []whmcstest.Note
	for _, n := range s.DB.Notes(t, clientID) {
		if strings.HasPrefix(n.Text, marker) {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		t.Fatalf("client %d has %d access-key notes for service %d, want 1", clientID, len(found), serviceID)
	}
	return found[0]
}

// noteKeyIDs returns the access key ids the service's note lists.
func noteKeyIDs(t *testing.T, s *stack, clientID, serviceID int64) []string {
	t.Helper()
	ids := []string{}
	for _, line := range strings.Split(bridgeNote(t, s, clientID, serviceID).Text, "\n") {
		if id, ok := strings.CutPrefix(line, "Access key ID: "); ok && id != "none" {
			ids = append(ids, id)
		}
	}
	return sorted(ids...)
}

// assertKeysConsistent checks that the gateway, the key records and the note name the same
// keys, and returns them sorted.
func assertKeysConsistent(t *testing.T, s *stack, clientID, serviceID int64) []string {
	t.Helper()
	var email string
	if err := s.DB.Get(&email, "SELECT s3_email FROM mod_ostorbridge_identities WHERE service_id = ?", serviceID); err != nil {
		t.Fatalf("service %d has no identity: %v", serviceID, err)
	}
	recorded := recordedKeyIDs(t, s, serviceID)
	onGateway := gatewayKeyIDs(t, s, email)
	inNote := noteKeyIDs(t, s, clientID, serviceID)
	if !slices.Equal(recorded, onGateway) {
		t.Errorf("recorded keys %v differ from the gateway's %v", recorded, onGateway)
	}
	if !slices.Equal(recorded, inNote) {
		t.Errorf("recorded keys %v differ from the note's %v", recorded, inNote)
	}
	return recorded
}

// waitFor polls cond until it holds, failing the test after 30 seconds.
func waitFor(t *testing.T, s *stack, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\n%s", what, s.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// secretSet collects the secret keys the gateway issued, to check that no output contains one.
type secretSet struct{ values []string }

func (ss *secretSet) collect(g *ostortest.Server) {
	for _, u := range g.Users() {
		for _, k := range u.AccessKeys {
			if v := k.SecretAccessKey.Reveal(); v != "" && !slices.Contains(ss.values, v) {
				ss.values = append(ss.values, v)
			}
		}
	}
}

func (ss *secretSet) assertNotIn(t *testing.T, what, text string) {
	t.Helper()
	if len(ss.values) == 0 {
		t.Fatalf("no secret keys were collected, so the %s check would prove nothing", what)
	}
	for _, v := range ss.values {
		if strings.Contains(text, v) {
			t.Errorf("%s contains a secret access key", what)
		}
	}
}

func sorted(values ...string) []string {
	out := append([]string{}, values...)
	slices.Sort(out)
	return out
}
