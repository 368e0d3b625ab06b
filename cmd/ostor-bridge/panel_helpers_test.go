package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// panelFixture is a client with one storage service and an S3 user that owns buckets, and a
// usage-statistics object on the gateway.
type panelFixture struct {
	ClientID  int64
	ServiceID int64
	User      ostor.User
	Buckets   []string
	Object    string // name of a usage-statistics object

	UsageStart time.Time // start of the period that Object covers
}

// addPanelClient creates a client whose service's S3 user was provisioned, with the given
// email and bucket names. The identity row is written directly, as Create would, so that emails
// a real client could not have (markup, quotes) can be rendered.
func addPanelClient(t *testing.T, s *stack, email string, buckets ...string) panelFixture {
	t.Helper()
	f := panelFixture{Buckets: buckets}
	f.ClientID = s.DB.AddClient(t, whmcstest.Client{Email: "client@example.com", FirstName: "Panel", LastName: "Client"})
	f.ServiceID = s.DB.AddService(t, whmcstest.Service{ClientID: f.ClientID, ProductID: s.ProductID, ServerID: s.ServerID})
	f.User = s.Gateway.AddUser(email)
	execSQL(t, s, "INSERT INTO mod_ostorbridge_identities (service_id, client_id, s3_user_id, s3_email, note_id, created_at, updated_at) VALUES (?, ?, ?, ?, 0, NOW(), NOW())",
		f.ServiceID, f.ClientID, f.User.ID, email)
	for _, k := range f.User.AccessKeys {
		execSQL(t, s, "INSERT INTO mod_ostorbridge_keys (access_key_id, service_id, created_at) VALUES (?, ?, NOW())", k.AccessKeyID, f.ServiceID)
	}
	for i, b := range buckets {
		s.Gateway.AddBucket(f.User.ID, b, int64(i+1)*1536*1024)
	}
	items := []ostor.UsageItem{{UserID: f.User.ID, Put: 3, Get: 5, Uploaded: 4096, Downloaded: 8192}}
	if len(buckets) > 0 {
		items[0].Bucket = buckets[0]
	}
	// Each fixture gets its own recent period, so two fixtures never share an object name and
	// the usage lies within the days the panel shows.
	f.UsageStart = time.Now().UTC().Truncate(time.Hour).Add(-time.Duration(f.ServiceID) * time.Hour)
	f.Object = s.Gateway.AddUsage(f.UsageStart, 30*time.Minute, items)
	return f
}

// adminCall sends one Admin RPC signed with the stack's secret.
func (s *stack) adminCall(t *testing.T, method string, params map[string]any) rpcReply {
	t.Helper()
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params, "id": randomHex(t, 8)})
	if err != nil {
		t.Fatal(err)
	}
	return s.postRPC(t, s.Secret, body)
}

// adminHTML calls an Admin method that returns HTML and fails the test on an RPC error.
func (s *stack) adminHTML(t *testing.T, method string, params map[string]any) string {
	t.Helper()
	r := s.adminCall(t, method, params)
	if r.Error != nil {
		t.Fatalf("%s: error %d %s", method, r.Error.Code, r.Error.Message)
	}
	var reply struct {
		HTML string `json:"html"`
	}
	if err := json.Unmarshal(r.Result, &reply); err != nil {
		t.Fatal(err)
	}
	return reply.HTML
}

// adminAction runs Admin.Action and returns its reply and RPC error.
func (s *stack) adminAction(t *testing.T, params map[string]any) (actionReply, *rpcErrorBody) {
	t.Helper()
	r := s.adminCall(t, "Admin.Action", params)
	if r.Error != nil {
		return actionReply{}, &rpcErrorBody{Code: r.Error.Code, Message: r.Error.Message, Field: r.Error.Data.Field}
	}
	var reply actionReply
	if err := json.Unmarshal(r.Result, &reply); err != nil {
		t.Fatal(err)
	}
	return reply, nil
}

type actionReply struct {
	OK          bool   `json:"ok"`
	Message     string `json:"message"`
	ConfirmHTML string `json:"confirm_html"`
}

type rpcErrorBody struct {
	Code    int
	Message string
	Field   string
}

// startStackWithGateway is startStack with a fake gateway built from gatewayOpts.
func startStackWithGateway(t *testing.T, gatewayOpts ostortest.Options) *stack {
	t.Helper()
	gateway := ostortest.NewServer(gatewayOpts)
	t.Cleanup(gateway.Close)
	s := &stack{DB: whmcstest.NewDB(t), Gateway: gateway, Secret: randomHex(t, 32), logs: &syncBuffer{}}
	s.ServerID = s.DB.AddServer(t, whmcstest.Server{Name: "ostor-bridge", Hostname: "127.0.0.1", Module: "ostorbridge"})
	s.ProductID = s.DB.AddProduct(t, whmcstest.Product{Name: "S3 Storage 100 GB", Module: "ostorbridge"})
	s.startDaemon(t, stackOptions{})
	return s
}
