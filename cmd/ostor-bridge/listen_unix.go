package main

import (
	"net"
	"time"
)

// socketInUse reports whether a process accepts connections on the unix socket at path. A socket
// file whose daemon died refuses connections.
func socketInUse(path string) bool {
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
