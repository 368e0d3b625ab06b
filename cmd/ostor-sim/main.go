// Command ostor-sim serves the in-memory ostor admin API of package
// ostor/ostortest on a TCP port, for demos and manual work without a
// storage cluster.
//
//	OSTOR_SIM_SECRET_KEY=<secret> ostor-sim -listen 127.0.0.1:9000 -profile vhi63 -access-key <key ID>
//
// -fault injects the faults of the in-process fake, for example
// "-fault users.genKey=drop" applies every genKey and then drops the connection.
//
// It prints "listening on http://<address>" to standard output once the port
// is open, logs one JSON line per request to standard error, and shuts down
// gracefully on SIGINT or SIGTERM. All state is lost on exit.
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

type options struct {
	listen               string
	profile              string
	accessKey            string
	secretKey            string
	maxSkew              time.Duration
	allowDuplicateEmails bool
	faults               faultFlag
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
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s=<secret> ostor-sim -access-key <key ID> [flags]\n\nServes an in-memory ostor admin API.\n\n", secretEnv)
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
	return opts, nil
}

// newLogger returns a JSON logger with ISO 8601 times that writes to w.
func newLogger(w io.Writer) *zap.Logger {
	encoderConfig := zap.NewProductionEncoderConfig()
	encoderConfig.TimeKey = "time"
	encoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
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
	logger.Info("started", zap.String("url", url), zap.String("profile", opts.profile), zap.String("access_key_id", opts.accessKey))

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

// logRequest returns an observer that logs one line per request: method,
// operation, status and parameter names. Parameter values, headers and
// bodies are not logged, because they can contain secrets.
func logRequest(logger *zap.Logger) func(ostortest.RecordedRequest) {
	return func(r ostortest.RecordedRequest) {
		keys := make([]string, 0, len(r.Params))
		for _, p := range r.Params {
			keys = append(keys, p.Key)
		}
		fields := []zap.Field{
			zap.String("method", r.Method),
			zap.String("service", r.Service),
			zap.String("op", r.Op),
			zap.Strings("params", keys),
			zap.Int("status", r.Status),
			zap.Bool("applied", r.Applied),
		}
		if r.Dropped {
			fields = append(fields, zap.Bool("dropped", true))
		}
		logger.Info("request", fields...)
	}
}
