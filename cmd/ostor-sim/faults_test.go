package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

func TestFaultFlagParses(t *testing.T) {
	env := envWith(map[string]string{secretEnv: "s"})
	opts, err := parseOptions([]string{"-access-key", "KEY",
		"-fault", "users.create=drop",
		"-fault", "users.genKey=status:503,times=2",
		"-fault", "*=latency:1500ms,after=3",
	}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}

	want := map[string]ostortest.Fault{
		"users.create": {DropAfterApply: true},
		"users.genKey": {Status: 503, Times: 2},
		"*":            {Latency: 1500 * time.Millisecond, After: 3},
	}
	if len(opts.faults) != len(want) {
		t.Errorf("parsed %d faults, want %d: %v", len(opts.faults), len(want), opts.faults)
	}
	for op, fault := range want {
		if got, ok := opts.faults[op]; !ok || got != fault {
			t.Errorf("fault of %s = %+v, want %+v", op, got, fault)
		}
	}
}

func TestFaultFlagRejectsBadValues(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		wantErr string
	}{
		{"no action", "users.create", "lacks an operation or an action"},
		{"unknown operation", "users.frob=drop", `unknown operation "users.frob"`},
		{"unknown action", "users.create=explode", `unknown action "explode"`},
		{"success status", "users.create=status:200", `invalid status "200"`},
		{"text status", "users.create=status:bad", `invalid status "bad"`},
		{"bad latency", "users.create=latency:soon", `invalid latency "soon"`},
		{"zero times", "users.create=drop,times=0", `invalid option "times=0"`},
		{"unknown option", "users.create=drop,every=2", `unknown option "every=2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr lockedBuffer
			_, err := parseOptions([]string{"-access-key", "KEY", "-fault", tt.value}, envWith(map[string]string{secretEnv: "s"}), &stderr)
			if err == nil {
				t.Fatalf("-fault %q was accepted", tt.value)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantErr)
			}
		})
	}
}

func TestFaultFlagRejectsSecondFaultOfOperation(t *testing.T) {
	var stderr lockedBuffer
	_, err := parseOptions([]string{"-access-key", "KEY", "-fault", "users.create=drop", "-fault", "users.create=status:503"},
		envWith(map[string]string{secretEnv: "s"}), &stderr)
	if err == nil {
		t.Fatal("two faults of users.create were accepted")
	}
	if !strings.Contains(stderr.String(), "has two faults") {
		t.Errorf("stderr = %q, want it to name the second fault", stderr.String())
	}
}

func TestRunInjectsFault(t *testing.T) {
	const (
		accessKey = "0123456789abcdefTEST"
		secretKey = "sim-secret-0123456789abcdefghijklmnopqrs"
	)
	ctx, cancel := context.WithCancel(context.Background())
	stdoutReader, stdoutWriter := io.Pipe()
	var stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-profile", "vhi63", "-access-key", accessKey, "-fault", "users.create=status:503,times=1"},
			envWith(map[string]string{secretEnv: secretKey}), stdoutWriter, &stderr)
		_ = stdoutWriter.Close()
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	line, err := bufio.NewReader(stdoutReader).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first stdout line: %v (stderr: %s)", err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdoutReader) }()
	client, err := ostor.New(ostor.Config{
		Endpoint: strings.TrimPrefix(strings.TrimSpace(line), "listening on "), AccessKeyID: accessKey, SecretAccessKey: secretKey,
		Profile: ostor.ProfileVHI63, AllowInsecureHTTP: true,
	})
	if err != nil {
		t.Fatalf("ostor.New: %v", err)
	}

	_, err = client.CreateUser(ctx, "fault@example.com")
	var apiErr *ostor.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 503 {
		t.Errorf("first CreateUser error = %v, want the injected HTTP 503", err)
	}
	if _, err := client.CreateUser(ctx, "fault@example.com"); err != nil {
		t.Errorf("second CreateUser failed after the one-time fault: %v", err)
	}
	if !strings.Contains(stderr.String(), `"msg":"fault injected"`) {
		t.Errorf("logs lack the fault injected line:\n%s", stderr.String())
	}
}
