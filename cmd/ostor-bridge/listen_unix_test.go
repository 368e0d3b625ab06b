package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// shortSocketPath returns a socket path under /tmp, because t.TempDir can exceed the 108 bytes
// a unix socket path may have.
func shortSocketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ob-sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "rpc.sock")
}

func TestListenKeepsSocketOfRunningDaemon(t *testing.T) {
	path := shortSocketPath(t)
	running, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()

	ln, err := listen("unix:" + path)
	if err == nil {
		ln.Close()
		t.Fatal("listen took over the socket of a running listener")
	}

	if !strings.Contains(err.Error(), "another process accepts connections") {
		t.Errorf("error %q does not say that the socket is in use", err)
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("the running listener is unreachable after the failed listen: %v", err)
	}
	conn.Close()
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := shortSocketPath(t)
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false) // leave the file behind, as a killed daemon does
	stale.Close()

	ln, err := listen("unix:" + path)
	if err != nil {
		t.Fatalf("listen over a stale socket file: %v", err)
	}
	ln.Close()
}
