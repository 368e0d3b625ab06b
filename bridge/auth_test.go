package bridge

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerifierAcceptsFreshSignature(t *testing.T) {
	secret := []byte("0123456789abcdef0123")
	now := time.Unix(1_800_000_000, 0)
	v := newVerifier(secret, 2*time.Minute, func() time.Time { return now })
	body := []byte(`{"jsonrpc":"2.0","method":"System.Check","params":{},"id":1}`)

	ts, sig := SignRequest(secret, now.Add(-90*time.Second), body)

	if err := v.verify(ts, sig, body); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := v.verify(ts, sig, body); !errors.Is(err, errReplayed) {
		t.Errorf("second use of the signature: %v, want errReplayed", err)
	}
}

func TestVerifierRejections(t *testing.T) {
	secret := []byte("0123456789abcdef0123")
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":1}`)
	ts, sig := SignRequest(secret, now, body)
	_, otherSig := SignRequest([]byte("another-secret-of-length"), now, body)
	oldTS, oldSig := SignRequest(secret, now.Add(-3*time.Minute), body)
	futureTS, futureSig := SignRequest(secret, now.Add(3*time.Minute), body)

	cases := []struct {
		name           string
		timestamp, sig string
		body           []byte
		want           error
	}{
		{"no headers", "", "", body, errMissingAuth},
		{"no signature", ts, "", body, errMissingAuth},
		{"timestamp not a number", "yesterday", sig, body, errBadTimestamp},
		{"too old", oldTS, oldSig, body, errStaleTimestamp},
		{"from the future", futureTS, futureSig, body, errStaleTimestamp},
		{"other secret", ts, otherSig, body, errBadSignature},
		{"body changed", ts, sig, []byte(`{"id":2}`), errBadSignature},
		{"timestamp changed", "1800000001", sig, body, errBadSignature},
		{"unknown scheme", ts, "v2=" + strings.TrimPrefix(sig, "v1="), body, errBadSignature},
		{"not hex", ts, "v1=zz", body, errBadSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(secret, 2*time.Minute, func() time.Time { return now })

			err := v.verify(tc.timestamp, tc.sig, tc.body)

			if !errors.Is(err, tc.want) {
				t.Errorf("verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifierForgetsExpiredSignatures(t *testing.T) {
	secret := []byte("0123456789abcdef0123")
	now := time.Unix(1_800_000_000, 0)
	v := newVerifier(secret, time.Minute, func() time.Time { return now })
	for i := 0; i < 100; i++ {
		ts, sig := SignRequest(secret, now, []byte{byte(i)})
		if err := v.verify(ts, sig, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}

	now = now.Add(2 * time.Minute)
	ts, sig := SignRequest(secret, now, []byte("later"))
	if err := v.verify(ts, sig, []byte("later")); err != nil {
		t.Fatal(err)
	}

	if n := len(v.seen); n != 1 {
		t.Errorf("verifier remembers %d signatures, want only the one still inside the window", n)
	}
}
