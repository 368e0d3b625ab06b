package ostor_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

const plainSecret = "VtzYY4ZHWYzbWLUrRMSzVhB07UvD6Z5nGsAPtESV"

func TestSecretRedactedByFmt(t *testing.T) {
	s := ostor.Secret(plainSecret)
	pair := ostor.KeyPair{AccessKeyID: "a721fc1a64f13a05OQF4", SecretAccessKey: s}
	user := ostor.User{Email: "u@example.com", AccessKeys: []ostor.KeyPair{pair}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10s"} {
		for _, value := range []any{s, pair, user, &user} {
			if out := fmt.Sprintf(verb, value); strings.Contains(out, plainSecret) || strings.Contains(out, fmt.Sprintf("%x", plainSecret)) {
				t.Errorf("fmt %s of %T printed the secret: %s", verb, value, out)
			}
		}
	}
	if got := s.Reveal(); got != plainSecret {
		t.Errorf("Reveal() = %q, want the secret", got)
	}
}

func TestSecretRedactedByJSON(t *testing.T) {
	pair := ostor.KeyPair{AccessKeyID: "id", SecretAccessKey: ostor.Secret(plainSecret)}
	data, err := json.Marshal(pair)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), plainSecret) || !strings.Contains(string(data), "[redacted]") {
		t.Errorf("JSON = %s, want the secret redacted", data)
	}
}

func TestSecretRedactedByLoggers(t *testing.T) {
	s := ostor.Secret(plainSecret)
	pair := ostor.KeyPair{AccessKeyID: "id", SecretAccessKey: s}

	var zapOut bytes.Buffer
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&zapOut), zap.InfoLevel)
	logger := zap.New(core)
	logger.Info("key", zap.Any("any", s), zap.Stringer("stringer", s), zap.Any("pair", pair), zap.Reflect("reflect", pair))
	if strings.Contains(zapOut.String(), plainSecret) {
		t.Errorf("zap printed the secret: %s", zapOut.String())
	}
	if strings.Count(zapOut.String(), "[redacted]") != 4 {
		t.Errorf("zap output has %d redactions, want 4: %s", strings.Count(zapOut.String(), "[redacted]"), zapOut.String())
	}

	var slogOut bytes.Buffer
	slog.New(slog.NewJSONHandler(&slogOut, nil)).Info("key", "secret", s, "pair", pair)
	if strings.Contains(slogOut.String(), plainSecret) {
		t.Errorf("slog printed the secret: %s", slogOut.String())
	}
}
