package ostor_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

func TestSignatureRejections(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{Profile: ostor.ProfileVHI63})

	tests := []struct {
		name     string
		mutate   func(*ostor.Config)
		wantCode string
		wantSkew bool
	}{
		{"wrong secret", func(c *ostor.Config) { c.SecretAccessKey = strings.Repeat("x", 40) }, "SignatureDoesNotMatch", false},
		{"unknown key", func(c *ostor.Config) { c.AccessKeyID = "ffffffffffffffffZZZZ" }, "InvalidAccessKeyId", false},
		{"clock 16 minutes ahead", func(c *ostor.Config) {
			c.Now = func() time.Time { return time.Now().Add(16 * time.Minute) }
		}, "RequestTimeTooSkewed", true},
		{"clock 16 minutes behind", func(c *ostor.Config) {
			c.Now = func() time.Time { return time.Now().Add(-16 * time.Minute) }
		}, "RequestTimeTooSkewed", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := srv.Config()
			tt.mutate(&cfg)
			c, err := ostor.New(cfg)
			if err != nil {
				t.Fatalf("ostor.New: %v", err)
			}
			_, err = c.ListUsers(context.Background())
			if !errors.Is(err, ostor.ErrSignatureRejected) {
				t.Fatalf("ListUsers error = %v, want ErrSignatureRejected", err)
			}
			if got := errors.Is(err, ostor.ErrTimeSkew); got != tt.wantSkew {
				t.Errorf("errors.Is(err, ErrTimeSkew) = %t, want %t", got, tt.wantSkew)
			}
			var apiErr *ostor.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if apiErr.Code != tt.wantCode || apiErr.Message == "" || apiErr.RequestID == "" {
				t.Errorf("APIError = %+v, want code %s with a message and request id", apiErr, tt.wantCode)
			}
		})
	}
}

func TestClockWithinSkewIsAccepted(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	cfg := srv.Config()
	cfg.Now = func() time.Time { return time.Now().Add(14 * time.Minute) }
	c := newClient(t, cfg)
	if _, err := c.ListUsers(context.Background()); err != nil {
		t.Errorf("ListUsers with a 14-minute skew: %v", err)
	}
}

// rawRequest sends a hand-made request to the fake and returns status,
// X-Amz-Err-Message and body.
func rawRequest(t *testing.T, req *http.Request) (int, string, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amz-Err-Message"), string(body)
}

func TestGatewayRejectsBadDateHeaders(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	tests := []struct {
		name string
		date string
	}{
		{"missing", ""},
		{"unparseable", "yesterday"},
		{"ISO 8601", "2016-04-07T14:08:55Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/?ostor-users", nil)
			if tt.date != "" {
				req.Header.Set("Date", tt.date)
			}
			req.Header.Set("Authorization", "AWS "+srv.AccessKeyID+":c2lnbmF0dXJl")
			status, message, body := rawRequest(t, req)
			if status != http.StatusForbidden {
				t.Errorf("status = %d, want 403", status)
			}
			if !strings.Contains(message, "Date") {
				t.Errorf("X-Amz-Err-Message = %q, want it to name the Date header", message)
			}
			if !strings.Contains(body, "<Error><Code>AccessDenied</Code>") {
				t.Errorf("body = %q, want an S3 XML error", body)
			}
		})
	}
}

func TestGatewayRejectsMissingAuthorization(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/?ostor-users", nil)
	req.Header.Set("Date", time.Now().UTC().Format(time.RFC1123Z))
	status, _, _ := rawRequest(t, req)
	if status != http.StatusForbidden {
		t.Errorf("status = %d, want 403", status)
	}
}

func TestGatewayRejectsUnknownRoutes(t *testing.T) {
	srv := ostortest.Start(t, ostortest.Options{})
	tests := []struct {
		name       string
		method     string
		target     string
		wantStatus int
	}{
		{"unknown service", http.MethodGet, "/?ostor-nothing", http.StatusBadRequest},
		{"unknown parameter", http.MethodGet, "/?ostor-users&bogus=1", http.StatusBadRequest},
		{"duplicate parameter", http.MethodGet, "/?ostor-users&id=1&id=2", http.StatusBadRequest},
		{"POST without flag", http.MethodPost, "/?ostor-users&emailAddress=a", http.StatusBadRequest},
		{"flag with value", http.MethodPost, "/?ostor-users&emailAddress=a&genKey=1", http.StatusBadRequest},
		{"S3 data path signed with V2", http.MethodGet, "/bucket1", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := srv.Config()
			req := signedRequest(t, cfg, tt.method, srv.URL+tt.target)
			status, message, _ := rawRequest(t, req)
			if status != tt.wantStatus {
				t.Errorf("status = %d (%s), want %d", status, message, tt.wantStatus)
			}
			if message == "" {
				t.Errorf("no X-Amz-Err-Message on status %d", status)
			}
		})
	}
}

// signedRequest signs a request the way the gateway expects, using an
// ostor.Client with a recording Doer to produce the headers.
func signedRequest(t *testing.T, cfg ostor.Config, method, target string) *http.Request {
	t.Helper()
	rec := &recordingDoer{}
	cfg.HTTPClient = rec
	cfg.ReadAttempts = 1
	c := newClient(t, cfg)
	_, _ = c.ListUsers(context.Background())
	if rec.last == nil {
		t.Fatal("client sent no request")
	}

	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = rec.last.Header.Clone()
	// Re-sign for the method and service of this request.
	service := strings.SplitN(req.URL.RawQuery, "&", 2)[0]
	req.Header.Set("Authorization", "AWS "+cfg.AccessKeyID+":"+signForTest(cfg.SecretAccessKey, method, req.Header.Get("Date"), "/?"+service))
	return req
}

type recordingDoer struct{ last *http.Request }

func (d *recordingDoer) Do(req *http.Request) (*http.Response, error) {
	d.last = req
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("[]"))}, nil
}

// signForTest computes a Signature V2 without x-amz-* lines.
func signForTest(secret, method, date, resource string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(method + "\n\n\n" + date + "\n" + resource))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
