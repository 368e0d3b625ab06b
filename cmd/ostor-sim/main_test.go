package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func envWith(values map[string]string) func(string) string {
	return func(key string) string { return values[key] }
}

func TestRunRejectsMissingSettings(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"missing access key", []string{"-listen", "127.0.0.1:0"}, map[string]string{secretEnv: "s"}, "-access-key"},
		{"missing secret", []string{"-access-key", "KEY"}, nil, secretEnv},
		{"unknown profile", []string{"-access-key", "KEY", "-profile", "as9"}, map[string]string{secretEnv: "s"}, "-profile"},
		{"stray argument", []string{"-access-key", "KEY", "extra"}, map[string]string{secretEnv: "s"}, "extra"},
		{"fractional usage period", []string{"-access-key", "KEY", "-usage-period", "1500ms"}, map[string]string{secretEnv: "s"}, "-usage-period 1.5s"},
		{"negative usage period", []string{"-access-key", "KEY", "-usage-period", "-1s"}, map[string]string{secretEnv: "s"}, "-usage-period -1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr lockedBuffer
			code := run(context.Background(), tt.args, envWith(tt.env), &stdout, &stderr)
			if code != 2 {
				t.Errorf("exit code = %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to name %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

func TestRunServesAndStops(t *testing.T) {
	const (
		accessKey = "0123456789abcdefTEST"
		secretKey = "sim-secret-0123456789abcdefghijklmnopqrs"
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdoutReader, stdoutWriter := io.Pipe()
	var stderr lockedBuffer

	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-profile", "vhi63", "-access-key", accessKey},
			envWith(map[string]string{secretEnv: secretKey}), stdoutWriter, &stderr)
		_ = stdoutWriter.Close()
	}()

	line, err := bufio.NewReader(stdoutReader).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first stdout line: %v (stderr: %s)", err, stderr.String())
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first stdout line = %q, want \"listening on http://127.0.0.1:<port>\"", line)
	}
	go func() { _, _ = io.Copy(io.Discard, stdoutReader) }()

	client, err := ostor.New(ostor.Config{
		Endpoint: url, AccessKeyID: accessKey, SecretAccessKey: secretKey,
		Profile: ostor.ProfileVHI63, AllowInsecureHTTP: true,
	})
	if err != nil {
		t.Fatalf("ostor.New: %v", err)
	}
	created, err := client.CreateUser(ctx, "sim@example.com")
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if _, err := client.GetUser(ctx, ostor.ByID(created.ID)); err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	s3Client, err := minio.New(strings.TrimPrefix(url, "http://"), &minio.Options{
		Creds:        credentials.NewStaticV4(created.AccessKeys[0].AccessKeyID, created.AccessKeys[0].SecretAccessKey.Reveal(), ""),
		Region:       ostortest.S3Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatalf("minio.New: %v", err)
	}
	if err := s3Client.MakeBucket(ctx, "logs", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	if _, err := s3Client.PutObject(ctx, "logs", "day/1.txt", strings.NewReader("hello"), 5, minio.PutObjectOptions{}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code = %d, want 0 (stderr: %s)", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after cancellation")
	}

	logs := stderr.String()
	if !strings.Contains(logs, `"op":"users.create"`) || !strings.Contains(logs, `"status":200`) {
		t.Errorf("logs lack a users.create line with status 200:\n%s", logs)
	}
	if !strings.Contains(logs, `"msg":"stopped"`) {
		t.Errorf("logs lack the stopped line:\n%s", logs)
	}
	if !strings.Contains(logs, `"api":"s3","path":"/logs/day/1.txt","op":"s3.putObject"`) {
		t.Errorf("logs lack the PutObject line with its path:\n%s", logs)
	}
	if !strings.Contains(logs, `"timeout":"10s"`) {
		t.Errorf("logs lack the shutdown timeout as a duration string:\n%s", logs)
	}
	if !strings.Contains(logs, `"usage_period":"30s"`) {
		t.Errorf("logs lack the default usage period:\n%s", logs)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if n := strings.Count(line, `"service":`); n != 1 {
			t.Errorf("log line has %d service keys, want 1: %s", n, line)
		}
	}
	for _, leaked := range []string{secretKey, created.AccessKeys[0].SecretAccessKey.Reveal(), "Authorization", "AWS " + accessKey} {
		if strings.Contains(logs, leaked) {
			t.Errorf("logs contain %q", leaked)
		}
	}
}

func TestHelpDescribesS3AndUsage(t *testing.T) {
	var stdout, stderr lockedBuffer
	if code := run(context.Background(), []string{"-h"}, envWith(nil), &stdout, &stderr); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
	help := stderr.String()
	for _, want := range []string{"S3 data API", "-usage-period", "usage-statistics"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "Serves an in-memory ostor admin API.") {
		t.Errorf("help still says the simulator serves only the admin API:\n%s", help)
	}
}

func TestUsageObjectLogSumsRecords(t *testing.T) {
	var logs lockedBuffer
	logUsageObject(newLogger(&logs))("s3-usage-8000000000000065-2026-12-04T10:00:00.000Z-30", []ostor.UsageItem{
		{UserID: "a1", Bucket: "", Other: 1},
		{UserID: "a1", Bucket: "photos", Put: 2, Get: 1, List: 1, Uploaded: 6000, Downloaded: 1500},
	})

	line := logs.String()
	for _, want := range []string{
		`"msg":"usage object written"`,
		`"name":"s3-usage-8000000000000065-2026-12-04T10:00:00.000Z-30"`,
		`"records":2`,
		`"requests":5`,
		`"bytes_uploaded":6000`,
		`"bytes_downloaded":1500`,
	} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %s: %s", want, line)
		}
	}
}
