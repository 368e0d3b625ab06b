// Command ostor-sim serves the in-memory gateway of package ostor/ostortest
// on a TCP port, for demos and manual work without a storage cluster. It
// serves the ostor admin API on "/" and the S3 data API in path style on
// "/<bucket>", and records usage-statistics objects from the S3 traffic.
//
//	OSTOR_SIM_SECRET_KEY=<secret> ostor-sim -listen 127.0.0.1:9000 -profile vhi63 -access-key <key ID>
//
// -fault injects the faults of the in-process fake, for example
// "-fault users.genKey=drop" applies every genKey and then drops the connection.
//
// It prints "listening on http://<address>" to standard output once the port
// is open, logs one JSON line per request and per usage object written to
// standard error, and shuts down gracefully on SIGINT or SIGTERM. All state
// is lost on exit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/ostor/ostortest"
)

// secretEnv names the environment variable with the system user's secret
// key. A flag would expose the secret in the process list.
const secretEnv = "OSTOR_SIM_SECRET_KEY"

// shutdownTimeout bounds the wait for in-flight requests on SIGINT/SIGTERM.
const shutdownTimeout = 10 * time.Second

// maxRecordedRequests bounds the request history the gateway keeps in memory.
const maxRecordedRequests = 1000

// defaultUsagePeriod is the length of the simulated usage-statistics
// periods. It is short, so that S3 traffic can be collected within a minute.
const defaultUsagePeriod = 30 * time.Second

type options struct {
	listen               string
	profile              string
	accessKey            string
	secretKey            string
	maxSkew              time.Duration
	allowDuplicateEmails bool
	faults               faultFlag
	usagePeriod          time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses the flags and serves until ctx is cancelled. It returns the
// process exit code: 0 on a clean shutdown, 1 on a runtime error and 2 on
// invalid flags or environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "ostor-sim: %v\n", err)
		return 2
	}

	logger := newLogger(stderr)
	defer func() { _ = logger.Sync() }()

	if err := serve(ctx, opts, logger, stdout); err != nil {
		logger.Error("ostor-sim failed", zap.Error(err))
		return 1
	}
	return 0
}

func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	opts := options{faults: faultFlag{}}
	fs := flag.NewFlagSet("ostor-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.listen, "listen", "127.0.0.1:9000", "TCP address to listen on; port 0 picks a free port")
	fs.StringVar(&opts.profile, "profile", ostor.DefaultProfile, "release profile to play: "+strings.Join(ostor.ProfileNames(), ", "))
	fs.StringVar(&opts.accessKey, "access-key", "", "access key ID of the system user that signs requests (required); the secret is read from $"+secretEnv)
	fs.DurationVar(&opts.maxSkew, "max-clock-skew", ostortest.DefaultMaxClockSkew, "maximum accepted difference between a request's Date header and the simulator's clock")
	fs.BoolVar(&opts.allowDuplicateEmails, "allow-duplicate-emails", false, "let several users share one email address, as some gateway releases do")
	fs.Var(opts.faults, "fault", faultUsage)
	fs.DurationVar(&opts.usagePeriod, "usage-period", defaultUsagePeriod, "length of each usage-statistics period recorded from S3 traffic, in whole seconds; 0 records no usage")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s=<secret> ostor-sim -access-key <key ID> [flags]\n\n", secretEnv)
		fmt.Fprint(fs.Output(), "Serves an in-memory ostor gateway: the admin API on \"/\" and the S3 data API\n"+
			"(path style, Signature Version 4 with the users' key pairs) on \"/<bucket>\".\n"+
			"S3 requests are counted into usage-statistics objects, one per -usage-period.\n"+
			"Objects store sizes, not contents: GetObject returns zero bytes.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("unexpected argument %q: all options are flags", fs.Arg(0))
	}

	if opts.accessKey == "" {
		return opts, errors.New("missing -access-key: set the system user's access key ID")
	}
	opts.secretKey = getenv(secretEnv)
	if opts.secretKey == "" {
		return opts, fmt.Errorf("missing environment variable %s: set it to the system user's secret key", secretEnv)
	}
	if _, err := ostor.LookupProfile(opts.profile); err != nil {
		return opts, fmt.Errorf("invalid -profile: %w", err)
	}
	if opts.maxSkew <= 0 {
		return opts, fmt.Errorf("invalid -max-clock-skew %s: use a positive duration such as 15m", opts.maxSkew)
	}
	if opts.usagePeriod < 0 || opts.usagePeriod%time.Second != 0 {
		return opts, fmt.Errorf("invalid -usage-period %s: use whole seconds such as 30s, or 0 to record no usage", opts.usagePeriod)
	}
	return opts, nil
}

// newLogger returns a JSON logger with ISO 8601 times and durations as
// strings such as "1.5s" that writes to w.
func newLogger(w io.Writer) *zap.Logger {
	encoderConfig := zap.NewProductionEncoderConfig()
	encoderConfig.TimeKey = "time"
	encoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	encoderConfig.EncodeDuration = zapcore.StringDurationEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(encoderConfig), zapcore.Lock(zapcore.AddSync(w)), zap.InfoLevel)
	return zap.New(core).With(zap.String("service", "ostor-sim"))
}

// serve runs the simulator until ctx is cancelled, then shuts the HTTP
// server down gracefully.
func serve(ctx context.Context, opts options, logger *zap.Logger, stdout io.Writer) error {
	gateway := ostortest.NewGateway(ostortest.Options{
		Profile:              opts.profile,
		AccessKeyID:          opts.accessKey,
		SecretAccessKey:      opts.secretKey,
		MaxClockSkew:         opts.maxSkew,
		AllowDuplicateEmails: opts.allowDuplicateEmails,
		MaxRecordedRequests:  maxRecordedRequests,
		UsagePeriod:          opts.usagePeriod,
		UsageObserver:        logUsageObject(logger),
		Observer:             logRequest(logger),
	})
	for op, fault := range opts.faults {
		gateway.SetFault(op, fault)
		logger.Info("fault injected", zap.String("op", op), zap.String("fault", fmt.Sprintf("%+v", fault)))
	}

	listener, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return fmt.Errorf("listening on %s failed: %w", opts.listen, err)
	}
	server := &http.Server{
		Handler:           gateway,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          zap.NewStdLog(logger.Named("http")),
	}

	url := "http://" + listener.Addr().String()
	fmt.Fprintf(stdout, "listening on %s\n", url)
	logger.Info("started", zap.String("url", url), zap.String("profile", opts.profile), zap.String("access_key_id", opts.accessKey),
		zap.Duration("usage_period", opts.usagePeriod))

	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	select {
	case err := <-served:
		return fmt.Errorf("serving failed: %w", err)
	case <-ctx.Done():
	}

	logger.Info("shutting down", zap.Duration("timeout", shutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		logger.Warn("graceful shutdown timed out, closing connections", zap.Error(err))
		_ = server.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving failed: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// logUsageObject returns a usage observer that logs one line per usage
// object written from S3 traffic: its name and totals over its records.
func logUsageObject(logger *zap.Logger) func(string, []ostor.UsageItem) {
	return func(name string, items []ostor.UsageItem) {
		var total ostor.UsageItem
		for _, it := range items {
			total.Put += it.Put
			total.Get += it.Get
			total.List += it.List
			total.Other += it.Other
			total.Uploaded += it.Uploaded
			total.Downloaded += it.Downloaded
		}
		logger.Info("usage object written", zap.String("name", name), zap.Int("records", len(items)),
			zap.Int64("requests", total.Put+total.Get+total.List+total.Other),
			zap.Int64("bytes_uploaded", total.Uploaded), zap.Int64("bytes_downloaded", total.Downloaded))
	}
}

// logRequest returns an observer that logs one line per request: method,
// API ("users" for ?ostor-users and so on, "s3" for S3 data), the path of
// an S3 request, operation, status and parameter names. Parameter values,
// headers and bodies are not logged, because they can contain secrets.
// The API goes in "api", because "service" names the program on every line.
func logRequest(logger *zap.Logger) func(ostortest.RecordedRequest) {
	return func(r ostortest.RecordedRequest) {
		keys := make([]string, 0, len(r.Params))
		for _, p := range r.Params {
			keys = append(keys, p.Key)
		}
		fields := []zap.Field{
			zap.String("method", r.Method),
			zap.String("api", r.Service),
		}
		if r.Path != "" {
			fields = append(fields, zap.String("path", r.Path))
		}
		fields = append(fields,
			zap.String("op", r.Op),
			zap.Strings("params", keys),
			zap.Int("status", r.Status),
			zap.Bool("applied", r.Applied),
		)
		if r.Dropped {
			fields = append(fields, zap.Bool("dropped", true))
		}
		logger.Info("request", fields...)
	}
}
