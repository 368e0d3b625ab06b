package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/BurntSushi/toml"
	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

func cmdVersion(_ context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, _ func(string) string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "ostor-bridge", bridge.Version)
	return nil
}

func cmdConfig(_ context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, getenv func(string) string) error {
	cfg, err := loadConfigFlags(fs, args, getenv)
	if err != nil && !isValidationError(cfg, err) {
		return err
	}
	// An invalid configuration is printed too, then its problems, because config is the command
	// an operator runs to find out what the daemon reads.
	if encodeErr := toml.NewEncoder(stdout).Encode(cfg.Redacted()); encodeErr != nil {
		return encodeErr
	}
	return err
}

// isValidationError reports whether err from loadConfig lists problems of a loaded configuration,
// not a flag, file or parse error.
func isValidationError(cfg Config, err error) bool {
	problems := cfg.validate(false)
	return problems != nil && problems.Error() == err.Error()
}

func cmdMigrate(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, getenv func(string) string) error {
	cfg, err := loadConfigFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	backend, err := openBackend(ctx, cfg, false, false)
	if err != nil {
		return err
	}
	backend.close()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

func cmdCheck(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, getenv func(string) string) error {
	cfg, err := loadConfigFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	gw, err := ostor.New(cfg.Gateway.ostor())
	if err != nil {
		return fmt.Errorf("gateway settings: %w", err)
	}
	var reply bridge.CheckReply
	db, err := whmcs.Open(ctx, cfg.Database.whmcs())
	if err != nil {
		// The gateway is still checked, so one run reports every dependency that fails.
		checker := &bridge.DependencyChecker{Gateway: gw}
		reply.Database = bridge.CheckResult{Message: err.Error()}
		reply.Gateway = checker.CheckGateway(ctx)
	} else {
		defer db.Close()
		checker := &bridge.DependencyChecker{Store: whmcs.NewStore(zap.NewNop(), db), Gateway: gw}
		reply = checker.Check(ctx)
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "database\t%s\t%s\n", okWord(reply.Database.OK), reply.Database.Message)
	fmt.Fprintf(w, "gateway\t%s\t%s\n", okWord(reply.Gateway.OK), reply.Gateway.Message)
	w.Flush()
	if !reply.OK {
		return errors.New("one or more checks failed")
	}
	return nil
}

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAILED"
}

// whmcs converts the settings for the whmcs package. A socket, when set, wins over the address,
// because the address has a default and the socket does not.
func (d DatabaseConfig) whmcs() whmcs.DBConfig {
	c := whmcs.DBConfig{Address: d.Address, Socket: d.Socket, User: d.User, Password: d.Password, Name: d.Name}
	if c.Socket != "" {
		c.Address = ""
	}
	return c
}

func (g GatewayConfig) ostor() ostor.Config {
	return ostor.Config{
		Endpoint:          g.Endpoint,
		AccessKeyID:       g.AccessKeyID,
		SecretAccessKey:   g.SecretAccessKey,
		Profile:           g.Profile,
		AllowInsecureHTTP: g.AllowInsecureHTTP,
		CAFile:            g.CAFile,
		Timeout:           g.Timeout.Duration,
		Methods:           g.Methods,
	}
}
