package ostor

import (
	"fmt"
	"log/slog"
)

const redacted = "[redacted]"

// Secret is a secret access key. Every way of printing or encoding it
// (fmt verbs, JSON, text marshalling, slog, zap.Any and zap.Stringer) writes
// "[redacted]". Call Reveal to get the value.
type Secret string

// Reveal returns the secret value. Call it only where the value must leave
// the process, such as the reply that hands a new key to its owner.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]", so %#v does not print the value.
func (s Secret) GoString() string { return redacted }

// Format writes "[redacted]" for every verb, including %x and %q.
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON encodes the secret as the JSON string "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes log/slog print "[redacted]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
