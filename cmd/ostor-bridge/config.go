package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// Config is the daemon's whole configuration, read once from a TOML file and then overridden by
// environment variables. deploy/ostor-bridge.example.toml documents every setting.
type Config struct {
	RPC          RPCConfig          `toml:"rpc"`
	Database     DatabaseConfig     `toml:"database"`
	Gateway      GatewayConfig      `toml:"gateway"`
	Provisioning ProvisioningConfig `toml:"provisioning"`
	Notes        NotesConfig        `toml:"notes"`
	Panel        PanelConfig        `toml:"panel"`
	Reconcile    ReconcileConfig    `toml:"reconcile"`
	Usage        UsageConfig        `toml:"usage"`
	Metrics      MetricsConfig      `toml:"metrics"`
	Log          LogConfig          `toml:"log"`
}

type RPCConfig struct {
	Listen       string   `toml:"listen"` // "host:port" or "unix:/path/to.sock"
	Secret       string   `toml:"secret"`
	CallTimeout  Duration `toml:"call_timeout"`
	MaxClockSkew Duration `toml:"max_clock_skew"`
}

type DatabaseConfig struct {
	Address  string `toml:"address"`
	Socket   string `toml:"socket"`
	User     string `toml:"user"`
	Password string `toml:"password"`
	Name     string `toml:"name"`
}

type GatewayConfig struct {
	Endpoint          string            `toml:"endpoint"`
	AccessKeyID       string            `toml:"access_key_id"`
	SecretAccessKey   string            `toml:"secret_access_key"`
	Profile           string            `toml:"profile"`
	AllowInsecureHTTP bool              `toml:"allow_insecure_http"`
	CAFile            string            `toml:"ca_file"`
	Timeout           Duration          `toml:"timeout"`
	PublicEndpoint    string            `toml:"public_endpoint"`
	Methods           map[string]string `toml:"methods"`
}

type ProvisioningConfig struct {
	Module             string   `toml:"module"`
	AdoptExistingUsers bool     `toml:"adopt_existing_users"`
	LockWait           Duration `toml:"lock_wait"`

	// AdditionalUserEmail is the email template of the S3 users of a client's second and further
	// storage services, with the placeholders {local}, {domain} and {service_id}.
	AdditionalUserEmail string `toml:"additional_user_email"`
}

type NotesConfig struct {
	IncludeSecret bool `toml:"include_secret"`
	Sticky        bool `toml:"sticky"`
}

// PanelConfig configures the S3 panel on the WHMCS client summary page.
type PanelConfig struct {
	// Deadline bounds the gateway reads of one panel view. Sections whose reads did not return by
	// then show a notice. It must be shorter than rpc.call_timeout.
	Deadline Duration `toml:"deadline"`
}

type ReconcileConfig struct {
	OnStart string   `toml:"on_start"` // off, report, resume or fix
	Timeout Duration `toml:"timeout"`  // maximum duration of the start-up run
}

type LogConfig struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // json or console
}

// Duration is a time.Duration written in TOML as a Go duration string such as "30s".
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: write a number with a unit, e.g. \"30s\" or \"2m\"", b)
	}
	d.Duration = v
	return nil
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// defaultConfig holds the values used for settings the file leaves out.
func defaultConfig() Config {
	return Config{
		RPC: RPCConfig{
			Listen:       "127.0.0.1:7380",
			CallTimeout:  Duration{60 * time.Second},
			MaxClockSkew: Duration{2 * time.Minute},
		},
		Database: DatabaseConfig{Address: "127.0.0.1:3306", User: "whmcs", Name: "whmcs"},
		Gateway:  GatewayConfig{Profile: "vhi63", Timeout: Duration{30 * time.Second}},
		Provisioning: ProvisioningConfig{
			Module:              "ostorbridge",
			AdoptExistingUsers:  true,
			LockWait:            Duration{10 * time.Second},
			AdditionalUserEmail: bridge.DefaultAdditionalUserEmail,
		},
		Panel:     PanelConfig{Deadline: Duration{4 * time.Second}},
		Log:       LogConfig{Level: "info", Format: "json"},
		Reconcile: ReconcileConfig{OnStart: "resume", Timeout: Duration{5 * time.Minute}},
		Usage:     defaultUsageConfig(),
	}
}

// envOverrides maps environment variables to the settings they replace. Secrets are meant to come
// from here (for example a systemd EnvironmentFile readable only by the daemon's user) rather than
// from the config file.
var envOverrides = []struct {
	name string
	set  func(*Config, string)
}{
	{"OSTOR_BRIDGE_RPC_SECRET", func(c *Config, v string) { c.RPC.Secret = v }},
	{"OSTOR_BRIDGE_RPC_LISTEN", func(c *Config, v string) { c.RPC.Listen = v }},
	{"OSTOR_BRIDGE_DB_PASSWORD", func(c *Config, v string) { c.Database.Password = v }},
	{"OSTOR_BRIDGE_GATEWAY_SECRET_KEY", func(c *Config, v string) { c.Gateway.SecretAccessKey = v }},
}

// LoadConfig reads path (when not empty), applies the environment and validates the result for
// serve, which needs every setting.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	return loadConfig(path, getenv, true)
}

// loadConfig is LoadConfig; withRPC false skips the rpc settings, which only serve uses.
func loadConfig(path string, getenv func(string) string, withRPC bool) (Config, error) {
	cfg := defaultConfig()
	if path != "" {
		md, err := toml.DecodeFile(path, &cfg)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return cfg, fmt.Errorf("config file %s does not exist; copy deploy/ostor-bridge.example.toml there and edit it", path)
			}
			return cfg, fmt.Errorf("config file %s: %w", path, err)
		}
		if undecoded := md.Undecoded(); len(undecoded) > 0 {
			keys := make([]string, len(undecoded))
			for i, k := range undecoded {
				keys[i] = k.String()
			}
			sort.Strings(keys)
			return cfg, fmt.Errorf("config file %s: unknown setting(s) %s; check the spelling against deploy/ostor-bridge.example.toml",
				path, strings.Join(keys, ", "))
		}
	}
	for _, o := range envOverrides {
		if v := getenv(o.name); v != "" {
			o.set(&cfg, v)
		}
	}
	return cfg, cfg.validate(withRPC)
}

// Validate reports every invalid or missing setting at once, so an operator fixes them in one go.
func (c Config) Validate() error { return c.validate(true) }

func (c Config) validate(withRPC bool) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if withRPC && c.RPC.Listen == "" {
		add("rpc.listen is empty; set \"127.0.0.1:7380\" or \"unix:/run/ostor-bridge/rpc.sock\"")
	}
	if withRPC && len(c.RPC.Secret) < 16 {
		add("rpc.secret is missing or shorter than 16 characters; set OSTOR_BRIDGE_RPC_SECRET, e.g. to the output of `openssl rand -hex 32`")
	}
	if c.Database.Address == "" && c.Database.Socket == "" {
		add("database.address and database.socket are both empty; set one of them")
	}
	if c.Database.User == "" {
		add("database.user is empty")
	}
	if c.Database.Name == "" {
		add("database.name is empty; set the name of the WHMCS database")
	}
	if c.Gateway.Endpoint == "" {
		add("gateway.endpoint is empty; set the S3 gateway address, e.g. \"https://s3.example.com\"")
	}
	if c.Gateway.AccessKeyID == "" {
		add("gateway.access_key_id is empty; set the access key of the gateway's system user")
	}
	if c.Gateway.SecretAccessKey == "" {
		add("the gateway secret key is missing; set OSTOR_BRIDGE_GATEWAY_SECRET_KEY (or gateway.secret_access_key)")
	}
	if c.Gateway.Endpoint != "" && c.Gateway.AccessKeyID != "" && c.Gateway.SecretAccessKey != "" {
		// ostor.New checks the gateway settings in depth and sends nothing.
		var cfgErr *ostor.ConfigError
		if _, err := ostor.New(c.Gateway.ostor()); errors.As(err, &cfgErr) {
			add("%s", cfgErr.Explain(gatewaySettingName))
		} else if err != nil {
			add("gateway settings: %v", err)
		}
	}
	if c.RPC.CallTimeout.Duration <= 0 || c.RPC.MaxClockSkew.Duration <= 0 || c.Gateway.Timeout.Duration <= 0 || c.Provisioning.LockWait.Duration <= 0 {
		add("rpc.call_timeout, rpc.max_clock_skew, gateway.timeout and provisioning.lock_wait must be positive durations")
	}
	if err := bridge.ValidateEmailTemplate(c.Provisioning.AdditionalUserEmail); err != nil {
		add("%v", err)
	}
	if c.Panel.Deadline.Duration <= 0 || c.Panel.Deadline.Duration >= c.RPC.CallTimeout.Duration {
		add("panel.deadline is %s; set a positive duration shorter than rpc.call_timeout (%s), e.g. \"4s\"", c.Panel.Deadline.Duration, c.RPC.CallTimeout.Duration)
	}
	switch c.Reconcile.OnStart {
	case "off", "report", "resume", "fix":
	default:
		add("reconcile.on_start is %q; use off, report, resume or fix", c.Reconcile.OnStart)
	}
	if c.Reconcile.Timeout.Duration <= 0 {
		add("reconcile.timeout must be a positive duration, e.g. \"5m\"")
	}
	problems = append(problems, c.Usage.problems()...)
	if withRPC {
		problems = append(problems, c.Metrics.problems(c.RPC.Listen)...)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level is %q; use debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "console":
	default:
		add("log.format is %q; use json or console", c.Log.Format)
	}
	if len(problems) > 0 {
		return errors.New("invalid configuration:\n  - " + strings.Join(problems, "\n  - "))
	}
	return nil
}

// gatewaySettingName returns the TOML key of an ostor.Config field, so that
// errors from ostor.New name the setting an operator edits.
func gatewaySettingName(field string) string {
	names := map[string]string{
		"Endpoint":          "gateway.endpoint",
		"AccessKeyID":       "gateway.access_key_id",
		"SecretAccessKey":   "gateway.secret_access_key",
		"Profile":           "gateway.profile",
		"AllowInsecureHTTP": "gateway.allow_insecure_http",
		"CAFile":            "gateway.ca_file",
		"Timeout":           "gateway.timeout",
		"Methods":           "gateway.methods",
	}
	if name, ok := names[field]; ok {
		return name
	}
	return "gateway setting " + field
}

// Redacted returns a copy with every secret replaced, for printing.
func (c Config) Redacted() Config {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "[redacted]"
	}
	c.RPC.Secret = mask(c.RPC.Secret)
	c.Database.Password = mask(c.Database.Password)
	c.Gateway.SecretAccessKey = mask(c.Gateway.SecretAccessKey)
	return c
}
