package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// The ostor command inspects and adjusts the S3 gateway through its admin API, with the daemon's
// config file. It is split by service: ostorcmd_users.go (users, keys), ostorcmd_limits.go
// (limits, quotas) and ostorcmd_buckets.go (buckets, usage).

const ostorUsage = `Usage: ostor-bridge ostor <service> <action> [flags]

Inspect the S3 gateway through its admin API, with the gateway settings of the daemon's config.

Services and actions:
  users    list [--search TEXT] [--offset N] [--limit N]   list users, sorted by email
           get (--email EMAIL | --id USERID)                show one user without secrets
           space [--search TEXT] [--offset N] [--limit N]  list users with space used (vhi63)
  keys     list (--email EMAIL | --id USERID)               list a user's access key IDs
  limits   get|set|delete (--email | --id | --bucket)       ops and bandwidth limits
  quotas   get|set|delete (--email | --id | --bucket | --default user|bucket)
  buckets  list [--email EMAIL | --id USERID]               all buckets, or one user's
           get --bucket NAME                                one bucket
  usage    list [--after NAME] [--limit N]                  usage-statistics object names
           get --object NAME                                one object's counters
           delete --object NAME --yes                       delete one object

Every action takes --config FILE (default /etc/ostor-bridge/ostor-bridge.toml) and --json
(print JSON instead of a table). Actions that change the gateway (limits set|delete,
quotas set|delete, usage delete) print what they would change and exit with status 2 unless
--yes is given. "ostor-bridge ostor <service> <action> -h" describes the flags of an action.
No output contains a secret key.
`

// ostorAction is one leaf of the ostor command tree.
type ostorAction struct {
	summary string // one line for the help text
	write   bool   // changes the gateway, so it needs --yes
	run     func(ctx context.Context, c *ostorCall) error
}

// ostorServices maps service and action names to their implementations.
func ostorServices() map[string]map[string]ostorAction {
	return map[string]map[string]ostorAction{
		"users": {
			"list":  {summary: "list users, sorted by email", run: runUsersList},
			"get":   {summary: "show one user, its access key IDs and accounts, without secrets", run: runUsersGet},
			"space": {summary: "list users with the space they use (profile vhi63 only)", run: runUsersSpace},
		},
		"keys": {
			"list": {summary: "list the access key IDs of a user and its accounts", run: runKeysList},
		},
		"limits": {
			"get":    {summary: "show the ops and bandwidth limits of a user or bucket", run: runLimitsGet},
			"set":    {summary: "set ops and bandwidth limits of a user or bucket", write: true, run: runLimitsSet},
			"delete": {summary: "reset limits of a user or bucket to 0 (unlimited)", write: true, run: runLimitsDelete},
		},
		"quotas": {
			"get":    {summary: "show the storage quota of a user, a bucket or a default", run: runQuotasGet},
			"set":    {summary: "set the storage quota of a user, a bucket or a default", write: true, run: runQuotasSet},
			"delete": {summary: "reset the storage quota of a user, a bucket or a default to 0 (unlimited)", write: true, run: runQuotasDelete},
		},
		"buckets": {
			"list": {summary: "list all buckets, or the buckets of one user", run: runBucketsList},
			"get":  {summary: "show one bucket", run: runBucketsGet},
		},
		"usage": {
			"list":   {summary: "list usage-statistics object names, one page at a time", run: runUsageList},
			"get":    {summary: "show the counters of one usage-statistics object", run: runUsageGet},
			"delete": {summary: "delete one usage-statistics object", write: true, run: runUsageDelete},
		},
	}
}

// keysHelp explains the missing key commands in "keys list -h".
const keysHelp = `There is no command to generate or revoke access keys here. A new key pair is only useful
with its secret key, which this command never prints, and WHMCS would not record the pair.
Generate and revoke keys through the WHMCS module, which writes them into the client's notes.
`

// cmdOstor runs "ostor-bridge ostor <service> <action> [flags]".
func cmdOstor(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, getenv func(string) string) error {
	stderr := fs.Output()
	if len(args) == 0 {
		fmt.Fprint(stderr, ostorUsage)
		return errUsage
	}
	if isHelpArg(args[0]) {
		fmt.Fprint(stderr, ostorUsage)
		return flag.ErrHelp
	}

	services := ostorServices()
	args = moveLeadingFlags(args, services)
	service, ok := services[args[0]]
	if !ok && strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(stderr, "missing service: write ostor-bridge ostor <service> <action> [flags] with a service of %s\n", strings.Join(sortedKeys(services), ", "))
		return errUsage
	}
	if !ok {
		fmt.Fprintf(stderr, "unknown service %q: use one of %s\n", args[0], strings.Join(sortedKeys(services), ", "))
		return errUsage
	}
	actions := sortedKeys(service)
	// A flag in place of the action, as in "ostor usage --json", means the action is missing.
	if len(args) < 2 || strings.HasPrefix(args[1], "-") || args[1] == "help" {
		fmt.Fprintf(stderr, "Usage: ostor-bridge ostor %s <action> [flags]\n\nActions:\n", args[0])
		for _, name := range actions {
			fmt.Fprintf(stderr, "  %-7s %s\n", name, service[name].summary)
		}
		if len(args) >= 2 && isHelpArg(args[1]) {
			return flag.ErrHelp
		}
		return errUsage
	}
	action, ok := service[args[1]]
	if !ok {
		fmt.Fprintf(stderr, "unknown action %q of ostor %s: use one of %s\n", args[1], args[0], strings.Join(actions, ", "))
		return errUsage
	}

	name := "ostor " + args[0] + " " + args[1]
	c := newOstorCall(name, action, args[2:], stdout, stderr, getenv)
	if args[0] == "keys" {
		c.extraHelp = keysHelp
	}
	return action.run(ctx, c)
}

// cmdUser keeps the older "ostor-bridge user" command as an alias of "ostor users get".
func cmdUser(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, getenv func(string) string) error {
	return cmdOstor(ctx, fs, append([]string{"users", "get"}, args...), stdout, getenv)
}

// moveLeadingFlags moves flags written before the service, as in "ostor --config FILE users
// list", behind the action, where the action's flag set parses them. Arguments without a known
// service name are returned unchanged.
func moveLeadingFlags(args []string, services map[string]map[string]ostorAction) []string {
	if !strings.HasPrefix(args[0], "-") {
		return args
	}
	for i, arg := range args {
		if _, ok := services[arg]; !ok {
			continue
		}
		end := min(i+2, len(args)) // the service and, when given, the action
		moved := make([]string, 0, len(args))
		moved = append(moved, args[i:end]...)
		moved = append(moved, args[:i]...)
		return append(moved, args[end:]...)
	}
	return args
}

func isHelpArg(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ostorCall is one run of an ostor action: its flags, output and, once loaded, its gateway client.
type ostorCall struct {
	name      string // e.g. "ostor users get"
	args      []string
	fs        *flag.FlagSet
	stdout    io.Writer
	stderr    io.Writer
	getenv    func(string) string
	extraHelp string // printed after the flags by -h

	configPath *string
	asJSON     *bool
	yes        *bool
	cfg        Config
}

func newOstorCall(name string, action ostorAction, args []string, stdout, stderr io.Writer, getenv func(string) string) *ostorCall {
	fs := flag.NewFlagSet("ostor-bridge "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &ostorCall{name: name, args: args, fs: fs, stdout: stdout, stderr: stderr, getenv: getenv}
	c.configPath = fs.String("config", defaultConfigPath, "path of the TOML config file")
	c.asJSON = fs.Bool("json", false, "print JSON instead of a table")
	if action.write {
		c.yes = fs.Bool("yes", false, "apply the change; without it the command only prints what it would change")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ostor-bridge %s [flags]\n\n%s.\n\nFlags:\n", name, capitalize(action.summary))
		fs.PrintDefaults()
		if c.extraHelp != "" {
			fmt.Fprintf(stderr, "\n%s", c.extraHelp)
		}
	}
	return c
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parse parses the flags. Actions register their own flags on c.fs first.
func (c *ostorCall) parse() error {
	return parseFlags(c.fs, c.args)
}

// usageError prints a message about bad input and returns errUsage, so the process exits with
// status 2 before any request is sent.
func (c *ostorCall) usageError(format string, args ...any) error {
	fmt.Fprintf(c.stderr, format+"\n", args...)
	return errUsage
}

// client loads the config file and returns a client for the configured gateway.
func (c *ostorCall) client() (*ostor.Client, error) {
	cfg, err := loadConfig(*c.configPath, c.getenv, false)
	if err != nil {
		return nil, err
	}
	c.cfg = cfg
	gw, err := ostor.New(cfg.Gateway.ostor())
	if err != nil {
		var cfgErr *ostor.ConfigError
		if errors.As(err, &cfgErr) {
			return nil, errors.New(cfgErr.Explain(gatewaySettingName))
		}
		return nil, err
	}
	return gw, nil
}

// confirmed reports whether a write may proceed. Without --yes it prints the planned changes
// and returns errUsage, so nothing changes and the process exits with status 2.
func (c *ostorCall) confirmed(target string, changes []string) error {
	if *c.yes {
		return nil
	}
	if *c.asJSON {
		if err := writeJSON(c.stdout, writeReport{Target: target, Changes: changes, Applied: false}); err != nil {
			return err
		}
	} else {
		for _, change := range changes {
			fmt.Fprintf(c.stdout, "would %s\n", forTarget(change, target))
		}
	}
	fmt.Fprintln(c.stderr, "nothing changed: add --yes to apply")
	return errUsage
}

// applyChanges runs a write of the gateway: after confirmation it sends write through the
// configured client and prints the changes it made. target names what the changes apply to, or
// is empty when each change names its object.
func (c *ostorCall) applyChanges(target string, changes []string, write func(gw *ostor.Client) error) error {
	if err := c.confirmed(target, changes); err != nil {
		return err
	}
	gw, err := c.client()
	if err != nil {
		return err
	}
	if err := write(gw); err != nil {
		return c.gatewayError(err)
	}
	return c.reportApplied(target, changes)
}

// forTarget appends "for <target>" to a change, unless the change names its object itself.
func forTarget(change, target string) string {
	if target == "" {
		return change
	}
	return change + " for " + target
}

// writeReport is the JSON output of an action that changes the gateway.
type writeReport struct {
	Target  string   `json:"target,omitempty"`
	Changes []string `json:"changes"`
	Applied bool     `json:"applied"`
}

// reportApplied prints the changes a write made.
func (c *ostorCall) reportApplied(target string, changes []string) error {
	if *c.asJSON {
		return writeJSON(c.stdout, writeReport{Target: target, Changes: changes, Applied: true})
	}
	for _, change := range changes {
		fmt.Fprintf(c.stdout, "done: %s\n", forTarget(change, target))
	}
	return nil
}

// output prints value as JSON with --json, and otherwise calls table with a tab writer.
func (c *ostorCall) output(value any, table func(w io.Writer)) error {
	if *c.asJSON {
		return writeJSON(c.stdout, value)
	}
	w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	table(w)
	return w.Flush()
}

func writeJSON(w io.Writer, value any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(value)
}

// gatewayError rewords a gateway failure for an operator: it names the config setting to check
// and keeps the gateway's reply, which never contains a secret.
func (c *ostorCall) gatewayError(err error) error {
	gw := c.cfg.Gateway
	switch {
	case errors.Is(err, ostor.ErrProfileMismatch):
		return fmt.Errorf("the gateway rejected the request in a way that suggests gateway.profile = %q does not match its release: set gateway.profile to one of %s\n  (%s)",
			gw.Profile, strings.Join(ostor.ProfileNames(), ", "), gatewayReply(err))
	case errors.Is(err, ostor.ErrTimeSkew):
		return fmt.Errorf("the gateway rejected the request time: synchronise the clocks of this host and the gateway (NTP)\n  (%s)", gatewayReply(err))
	case errors.Is(err, ostor.ErrSignatureRejected):
		return fmt.Errorf("the gateway rejected the credentials: check gateway.access_key_id (%q) and the secret key (OSTOR_BRIDGE_GATEWAY_SECRET_KEY or gateway.secret_access_key)\n  (%s)",
			gw.AccessKeyID, gatewayReply(err))
	case errors.Is(err, ostor.ErrNotSupported):
		return fmt.Errorf("%v: if the gateway runs a later release, set gateway.profile to match it", err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("the gateway did not respond within gateway.timeout (%s)\n  (%v)", gw.Timeout.Duration, err)
	case errors.Is(err, ostor.ErrNotFound), errors.Is(err, ostor.ErrUserNotFound):
		return fmt.Errorf("%s\n  (%s)", notFoundAdvice(err), gatewayReply(err))
	}
	return err
}

// notFoundAdvice names what the gateway did not find, by the operation and error code of its
// reply, and the command that lists the existing names.
func notFoundAdvice(err error) string {
	var apiErr *ostor.APIError
	code, op := "", ""
	if errors.As(err, &apiErr) {
		code, op = apiErr.Code, apiErr.Op
	}
	switch {
	case errors.Is(err, ostor.ErrUserNotFound), code == "NoSuchUser":
		return `the S3 user does not exist on the gateway: "ostor-bridge ostor users list --search TEXT" finds users`
	case code == "NoSuchBucket":
		return `the bucket does not exist on the gateway: "ostor-bridge ostor buckets list" shows every bucket`
	case strings.HasPrefix(op, "usage."):
		return `the usage object does not exist on the gateway: "ostor-bridge ostor usage list" shows them`
	}
	return "not found on the gateway"
}

// gatewayReply describes the gateway's error response, or returns the error text when there was
// no response.
func gatewayReply(err error) string {
	var apiErr *ostor.APIError
	if !errors.As(err, &apiErr) {
		return err.Error()
	}
	reply := fmt.Sprintf("%s: HTTP %d", apiErr.Op, apiErr.Status)
	if apiErr.Code != "" {
		reply += " " + apiErr.Code
	}
	if apiErr.Message != "" {
		reply += ": " + apiErr.Message
	}
	return "gateway reply to " + reply
}
