package bridge

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request signing between the PHP module and the daemon.
//
// Every RPC request carries two headers:
//
//	X-Ostor-Bridge-Timestamp: <Unix time in seconds>
//	X-Ostor-Bridge-Signature: v1=<hex HMAC-SHA256(secret, "v1\n" + timestamp + "\n" + body)>
//
// The daemon accepts a request only when the signature matches, the timestamp is within
// MaxClockSkew of its own clock, and the same signature was not seen before within that window.
// Because the body holds a random JSON-RPC id, two honest requests never share a signature.
const (
	HeaderTimestamp = "X-Ostor-Bridge-Timestamp"
	HeaderSignature = "X-Ostor-Bridge-Signature"
	signatureScheme = "v1"

	// MinSecretLength is the shortest RPC secret the daemon accepts, in bytes.
	MinSecretLength = 16
)

var (
	errMissingAuth    = errors.New("request is not signed: headers " + HeaderTimestamp + " and " + HeaderSignature + " are required")
	errBadTimestamp   = errors.New("invalid " + HeaderTimestamp + ": expected Unix seconds")
	errStaleTimestamp = errors.New("request timestamp is outside the allowed clock skew; synchronise the clocks of the WHMCS and daemon hosts (NTP)")
	errBadSignature   = errors.New("request signature does not match: the RPC secret in WHMCS (OSTOR_BRIDGE_RPC_SECRET in configuration.php, the addon's \"RPC secret\" or the server record's password) must equal the daemon's OSTOR_BRIDGE_RPC_SECRET or rpc.secret")
	errReplayed       = errors.New("request signature was already used; every request needs a fresh JSON-RPC id")
)

// SignRequest returns the header values for body signed with secret at time now.
func SignRequest(secret []byte, now time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(now.Unix(), 10)
	return timestamp, signatureScheme + "=" + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(signatureScheme + "\n" + timestamp + "\n"))
	h.Write(body)
	return h.Sum(nil)
}

// verifier checks request signatures and remembers recent ones to reject replays.
type verifier struct {
	secret  []byte
	maxSkew time.Duration
	now     func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time // signature → expiry; guarded by mu
}

func newVerifier(secret []byte, maxSkew time.Duration, now func() time.Time) *verifier {
	return &verifier{secret: secret, maxSkew: maxSkew, now: now, seen: make(map[string]time.Time)}
}

// verify returns nil when the request is authentic and fresh.
//
// NOTE: the replay memory is per daemon process. Two daemons behind one address each accept a
// captured request once within the skew window; keep the RPC listener on loopback or a unix socket.
func (v *verifier) verify(timestamp, signature string, body []byte) error {
	if timestamp == "" || signature == "" {
		return errMissingAuth
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errBadTimestamp
	}
	now := v.now()
	sent := time.Unix(secs, 0)
	if sent.Before(now.Add(-v.maxSkew)) || sent.After(now.Add(v.maxSkew)) {
		return fmt.Errorf("%w (request time %s, daemon time %s)", errStaleTimestamp,
			sent.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}

	got, ok := strings.CutPrefix(signature, signatureScheme+"=")
	if !ok {
		return errBadSignature
	}
	gotMAC, err := hex.DecodeString(got)
	if err != nil || !hmac.Equal(gotMAC, mac(v.secret, timestamp, body)) {
		return errBadSignature
	}

	v.mu.Lock()
	defer v.mu.Unlock()
	for sig, expiry := range v.seen {
		if now.After(expiry) {
			delete(v.seen, sig)
		}
	}
	if _, dup := v.seen[got]; dup {
		return errReplayed
	}
	// A signature stays remembered until its timestamp can no longer pass the skew check.
	v.seen[got] = sent.Add(v.maxSkew)
	return nil
}
