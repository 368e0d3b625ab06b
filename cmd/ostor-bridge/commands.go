package main

import (
	"context"
	"encoding/json"
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
	if err != nil {
		return err
	}
	return toml.NewEncoder(stdout).Encode(cfg.Redacted())
}

func cmdMigrate(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, getenv func(string) string) error {
	cfg, err := loadConfigFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.Log)
	if err != nil {
		return err
	}
	defer log.Sync()

	db, err := whmcs.Open(ctx, cfg.Database.whmcs())
	if err != nil {
		return err
	}
	defer db.Close()
	if err := whmcs.Migrate(ctx, db, log); err != nil {
		return err
	}
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
	db, err := whmcs.Open(ctx, cfg.Database.whmcs())
	if err != nil {
		return err
	}
	defer db.Close()

	checker := &bridge.DependencyChecker{Store: whmcs.NewStore(zap.NewNop(), db), Gateway: gw}
	reply := checker.Check(ctx)
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

// cmdUser prints one S3 user as the gateway reports it. Secret keys are never printed.
func cmdUser(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, getenv func(string) string) error {
	email := fs.String("email", "", "email of the S3 user")
	id := fs.String("id", "", "UserId of the S3 user (16 hex digits)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	cfg, err := loadConfigFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	if (*email == "") == (*id == "") {
		fmt.Fprintln(fs.Output(), "give exactly one of --email or --id")
		return errUsage
	}
	gw, err := ostor.New(cfg.Gateway.ostor())
	if err != nil {
		return fmt.Errorf("gateway settings: %w", err)
	}
	ref := ostor.ByID(*id)
	if *email != "" {
		ref = ostor.ByEmail(*email)
	}
	user, err := gw.GetUser(ctx, ref)
	if err != nil {
		return err
	}

	keyIDs := make([]string, 0, len(user.AccessKeys))
	for _, k := range user.AccessKeys {
		keyIDs = append(keyIDs, k.AccessKeyID)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{
			"email": user.Email, "user_id": user.ID, "state": user.State, "access_key_ids": keyIDs,
		})
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "Email\t%s\n", user.Email)
	fmt.Fprintf(w, "UserId\t%s\n", user.ID)
	fmt.Fprintf(w, "State\t%s\n", user.State)
	for _, k := range keyIDs {
		fmt.Fprintf(w, "Access key ID\t%s\n", k)
	}
	return w.Flush()
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
