// Command ostor-bridge is the daemon between WHMCS and an Acronis / Virtuozzo object storage
// gateway. It serves the JSON-RPC API the PHP module calls, and offers operator subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `Usage: ostor-bridge <command> [flags]

Commands:
  serve     run the daemon: apply database migrations, then serve JSON-RPC for the WHMCS module
  migrate   apply the bridge's database migrations and exit
  check     test the WHMCS database and the S3 gateway with the daemon's config
  config    print the effective configuration with secrets redacted
  user      show an S3 user on the gateway (--email or --id), without secrets
  reconcile compare WHMCS services with the gateway and report differences; --fix repairs
            them, --service N or --client N narrows the check, --json prints JSON
  ostor     inspect the gateway: users, keys, limits, quotas, buckets, usage;
            "ostor-bridge ostor help" lists the actions, and user is "ostor users get"
  usage     collect usage statistics, write usage into WHMCS, show daily usage
  version   print the version

Every command takes --config FILE (default /etc/ostor-bridge/ostor-bridge.toml).
Secrets come from OSTOR_BRIDGE_RPC_SECRET, OSTOR_BRIDGE_DB_PASSWORD and
OSTOR_BRIDGE_GATEWAY_SECRET_KEY when set.
`

const defaultConfigPath = "/etc/ostor-bridge/ostor-bridge.toml"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// run executes one subcommand and returns the process exit code: 0 on success, 1 on failure,
// 2 on a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, rest := args[0], args[1:]

	commands := map[string]func(context.Context, *flag.FlagSet, []string, io.Writer, func(string) string) error{
		"serve":   cmdServe,
		"migrate": cmdMigrate,
		"check":   cmdCheck,
		"config":  cmdConfig,
		"user":    cmdUser,
		"ostor":   cmdOstor,
		"usage":   cmdUsage,
		"version": cmdVersion,

		"reconcile": cmdReconcile,
	}
	f, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(stderr, "ostor-bridge: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	fs := flag.NewFlagSet("ostor-bridge "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	err := f(ctx, fs, rest, stdout, getenv)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "ostor-bridge %s: %s\n", cmd, strings.TrimSpace(err.Error()))
		return 1
	}
}

// errUsage marks a flag error that flag.FlagSet has already printed.
var errUsage = errors.New("usage error")

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	return nil
}

// loadConfigFlags registers --config, parses args and loads the configuration. Subcommands
// register their own flags on fs before calling it. Only serve needs the rpc settings.
func loadConfigFlags(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	path := fs.String("config", defaultConfigPath, "path of the TOML config file")
	if err := parseFlags(fs, args); err != nil {
		return Config{}, err
	}
	return loadConfig(*path, getenv, fs.Name() == "ostor-bridge serve")
}
