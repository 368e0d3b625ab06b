package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/bridge"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// UsageConfig is the [usage] section of the config file.
type UsageConfig struct {
	Interval        Duration `toml:"interval"` // time between scheduled runs; 0 = none
	DeleteProcessed bool     `toml:"delete_processed"`
	PageSize        int      `toml:"page_size"` // object names per list request
	Bandwidth       string   `toml:"bandwidth"` // "downloaded" or "total"
	// MaxConsecutiveFailures stops a run after this many statistics
	// objects in a row failed to be read or stored.
	MaxConsecutiveFailures int `toml:"max_consecutive_failures"`
}

// maxUsagePageSize keeps list replies below the size at which a
// third-party client saw the gateway return broken JSON (about 710 names).
const maxUsagePageSize = 700

func defaultUsageConfig() UsageConfig {
	return UsageConfig{
		DeleteProcessed: true,
		PageSize:        bridge.DefaultUsagePageSize,
		Bandwidth:       bridge.BandwidthDownloaded,

		MaxConsecutiveFailures: bridge.DefaultMaxConsecutiveFailures,
	}
}

func (c UsageConfig) problems() []string {
	var problems []string
	if c.Interval.Duration < 0 {
		problems = append(problems, fmt.Sprintf("usage.interval is %s; use a positive duration such as \"1h\", or \"0s\" for no scheduled runs", c.Interval))
	}
	if c.PageSize < 1 || c.PageSize > maxUsagePageSize {
		problems = append(problems, fmt.Sprintf("usage.page_size is %d; use 1 to %d", c.PageSize, maxUsagePageSize))
	}
	if c.MaxConsecutiveFailures < 1 {
		problems = append(problems, fmt.Sprintf("usage.max_consecutive_failures is %d; use 1 or more (default %d)", c.MaxConsecutiveFailures, bridge.DefaultMaxConsecutiveFailures))
	}
	if c.Bandwidth != bridge.BandwidthDownloaded && c.Bandwidth != bridge.BandwidthTotal {
		problems = append(problems, fmt.Sprintf("usage.bandwidth is %q; use %q or %q", c.Bandwidth, bridge.BandwidthDownloaded, bridge.BandwidthTotal))
	}
	return problems
}

func newUsage(cfg UsageConfig, log *zap.Logger, store *whmcs.Store, gw bridge.UsageGateway, progress func(bridge.CollectSummary), metrics *bridge.Metrics) (*bridge.Usage, error) {
	return bridge.NewUsage(bridge.UsageOptions{
		Log:             log,
		Store:           store,
		Gateway:         gw,
		DeleteProcessed: cfg.DeleteProcessed,
		PageSize:        cfg.PageSize,
		Bandwidth:       cfg.Bandwidth,
		Progress:        progress,

		MaxConsecutiveFailures: cfg.MaxConsecutiveFailures,
		Metrics:                metrics,
	})
}

// runUsageSchedule runs Usage.Update every interval until ctx ends. A run
// that fails is logged, and the next one starts on schedule.
func runUsageSchedule(ctx context.Context, log *zap.Logger, usageBilling *bridge.Usage, interval time.Duration) {
	log = log.With(zap.String("component", "usage-schedule"))
	log.Info("scheduled usage updates started", zap.Duration("interval", interval))
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			log.Info("scheduled usage updates stopped")
			return
		case <-ticker.C:
		}
		// A run may use one interval at most, so runs never pile up.
		runCtx, cancel := context.WithTimeout(ctx, interval)
		if _, err := usageBilling.Update(runCtx); err != nil && ctx.Err() == nil {
			log.Error("scheduled usage update failed; retrying at the next interval", zap.Error(err))
		}
		cancel()
	}
}

const usageCommandHelp = `Usage: ostor-bridge usage <collect|update|show> [flags]

  collect   read new usage-statistics objects from the gateway and store their counters
  update    collect, measure storage and write disk and bandwidth usage into WHMCS
  show      print the stored daily usage: --service N (0, the default, for every service)
            or --unassigned (only S3 users no service owns), --days N, --format table|csv|json
`

// cmdUsage runs the usage subcommands.
func cmdUsage(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(fs.Output(), usageCommandHelp)
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	sub, rest := args[0], args[1:]
	// A flag set of the subcommand's own, so that -h and flag errors name it.
	subFlags := flag.NewFlagSet(fs.Name()+" "+sub, flag.ContinueOnError)
	subFlags.SetOutput(fs.Output())
	switch sub {
	case "collect", "update":
		return cmdUsageRun(ctx, subFlags, sub, rest, stdout, getenv)
	case "show":
		return cmdUsageShow(ctx, subFlags, rest, stdout, getenv)
	default:
		fmt.Fprintf(fs.Output(), "unknown usage subcommand %q\n\n%s", sub, usageCommandHelp)
		return errUsage
	}
}

// cmdUsageRun runs collect or update once. Progress goes to stderr, the
// summary to stdout.
func cmdUsageRun(ctx context.Context, fs *flag.FlagSet, sub string, args []string, stdout io.Writer, getenv func(string) string) error {
	every := fs.Int("progress-every", 1000, "print progress after this many objects")
	interval := fs.Duration("progress-interval", 10*time.Second, "print progress at least this often during long runs")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	cfg, err := loadConfigFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	if *every < 1 || *interval <= 0 {
		fmt.Fprintln(fs.Output(), "--progress-every must be at least 1 and --progress-interval positive")
		return errUsage
	}
	backend, err := openBackend(ctx, cfg, true, false)
	if err != nil {
		return err
	}
	defer backend.close()

	progress := newProgressPrinter(fs.Output(), *every, *interval)
	usageBilling, err := newUsage(cfg.Usage, backend.log, backend.store, backend.gateway, progress.report, nil)
	if err != nil {
		return err
	}

	var result any
	var collect bridge.CollectSummary
	if sub == "collect" {
		collect, err = usageBilling.Collect(ctx)
		result = collect
	} else {
		var update bridge.UpdateSummary
		update, err = usageBilling.Update(ctx)
		collect, result = update.Collect, update
	}
	progress.finish(collect)
	if err != nil {
		// A run stopped by failures has an accurate summary, because the
		// objects stored before the stop stay stored.
		var stopped *bridge.CollectStoppedError
		if errors.As(err, &stopped) {
			if printErr := printRunResult(stdout, *asJSON, collect, result); printErr != nil {
				return printErr
			}
		}
		return err
	}
	if err := printRunResult(stdout, *asJSON, collect, result); err != nil {
		return err
	}
	if update, ok := result.(bridge.UpdateSummary); ok && update.CollectError != "" {
		return fmt.Errorf("usage columns were written from the stored counters, but %s", update.CollectError)
	}
	if collect.Failed > 0 {
		return fmt.Errorf("%d usage objects failed and stay on the gateway for the next run; the log names them", collect.Failed)
	}
	return nil
}

// printRunResult prints the summary of collect or update.
func printRunResult(stdout io.Writer, asJSON bool, collect bridge.CollectSummary, result any) error {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(result)
	}
	printCollectSummary(stdout, collect)
	if update, ok := result.(bridge.UpdateSummary); ok {
		printUpdateSummary(stdout, update)
	}
	return nil
}

// progressPrinter writes a progress line every n objects or every interval,
// whichever comes first.
type progressPrinter struct {
	out      io.Writer
	every    int
	interval time.Duration
	last     time.Time
	lastSeen int
}

func newProgressPrinter(out io.Writer, every int, interval time.Duration) *progressPrinter {
	return &progressPrinter{out: out, every: every, interval: interval, last: time.Now()}
}

func (p *progressPrinter) report(s bridge.CollectSummary) {
	seen := s.Processed + s.Skipped + s.Failed
	if seen-p.lastSeen < p.every && time.Since(p.last) < p.interval {
		return
	}
	p.lastSeen, p.last = seen, time.Now()
	fmt.Fprintf(p.out, "usage: %d objects listed, %d stored, %d skipped, %d failed, %d deleted, %d items\n",
		s.Listed, s.Processed, s.Skipped, s.Failed, s.Deleted, s.Items)
}

func (p *progressPrinter) finish(s bridge.CollectSummary) {
	if s.Processed+s.Skipped+s.Failed > p.lastSeen {
		p.lastSeen = -p.every // forces the final line
		p.report(s)
	}
}

func printCollectSummary(w io.Writer, s bridge.CollectSummary) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "objects listed\t%d\n", s.Listed)
	fmt.Fprintf(tw, "objects stored\t%d\n", s.Processed)
	fmt.Fprintf(tw, "objects skipped (stored before)\t%d\n", s.Skipped)
	fmt.Fprintf(tw, "objects vanished (in skipped)\t%d\n", s.Vanished)
	fmt.Fprintf(tw, "objects failed\t%d\n", s.Failed)
	fmt.Fprintf(tw, "objects left for the next run\t%d\n", s.Left)
	fmt.Fprintf(tw, "objects deleted from the gateway\t%d\n", s.Deleted)
	fmt.Fprintf(tw, "counter records\t%d\n", s.Items)
	fmt.Fprintf(tw, "bytes uploaded\t%d\n", s.Totals.Uploaded)
	fmt.Fprintf(tw, "bytes downloaded\t%d\n", s.Totals.Downloaded)
	fmt.Fprintf(tw, "requests put/get/list/other\t%d/%d/%d/%d\n", s.Totals.Put, s.Totals.Get, s.Totals.List, s.Totals.Other)
	tw.Flush()

	if len(s.Unassigned) == 0 {
		return
	}
	users := make([]string, 0, len(s.Unassigned))
	for id := range s.Unassigned {
		users = append(users, id)
	}
	sort.Strings(users)
	fmt.Fprintf(w, "\nS3 users without a managed service (stored as service 0):\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "user id\tbytes uploaded\tbytes downloaded\trequests")
	for _, id := range users {
		c := s.Unassigned[id]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", displayUserID(id), c.Uploaded, c.Downloaded, c.Put+c.Get+c.List+c.Other)
	}
	tw.Flush()
}

func printUpdateSummary(w io.Writer, s bridge.UpdateSummary) {
	fmt.Fprintf(w, "\nWHMCS services updated (storage from the gateway's %s listing):\n", s.StorageSource)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "service\tdisk MB\tbandwidth MB\tstorage bytes\tbandwidth bytes\tbilling period")
	for _, su := range s.Services {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%s to %s\n", su.ServiceID, su.DiskMB, su.BandwidthMB, su.StorageBytes, su.BandwidthBytes, su.PeriodStart, su.PeriodEnd)
	}
	tw.Flush()
	if s.CollectError != "" {
		fmt.Fprintf(w, "collection stopped early: %s\n", s.CollectError)
	}
}

func displayUserID(id string) string {
	if id == "" {
		return "(empty)"
	}
	return id
}

// cmdUsageShow prints the daily usage history.
func cmdUsageShow(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, getenv func(string) string) error {
	service := fs.Int64("service", 0, "WHMCS service id (tblhosting.id) to show; 0 shows every service, the unassigned rows included")
	unassigned := fs.Bool("unassigned", false, "show only the rows of S3 users that no managed service owns (stored as service 0)")
	days := fs.Int("days", 30, "number of UTC days up to and including today")
	format := fs.String("format", "table", "output format: table, csv or json")
	cfg, err := loadConfigFlags(fs, args, getenv)
	if err != nil {
		return err
	}
	switch {
	case *service < 0:
		fmt.Fprintf(fs.Output(), "--service %d is negative; give a tblhosting.id, or 0 for all services\n", *service)
		return errUsage
	case *unassigned && *service != 0:
		fmt.Fprintf(fs.Output(), "--unassigned and --service %d exclude each other; give one of them\n", *service)
		return errUsage
	case *days < 1:
		fmt.Fprintf(fs.Output(), "--days %d is invalid; give the number of days to show, 1 or more\n", *days)
		return errUsage
	case *format != "table" && *format != "csv" && *format != "json":
		fmt.Fprintf(fs.Output(), "--format %q is unknown; use table, csv or json\n", *format)
		return errUsage
	}

	db, err := whmcs.Open(ctx, cfg.Database.whmcs())
	if err != nil {
		return err
	}
	defer db.Close()
	store := whmcs.NewStore(zap.NewNop(), db)
	rows, err := store.UsageHistory(ctx, whmcs.UsageFilter{ServiceID: *service, Unassigned: *unassigned, Days: *days, Today: time.Now()})
	if err != nil {
		return fmt.Errorf("%w (run ostor-bridge migrate if the usage tables are missing)", err)
	}
	return writeUsageHistory(stdout, *format, rows)
}

var usageHistoryHeader = []string{"day", "service_id", "s3_user_id", "ops_put", "ops_get", "ops_list", "ops_other",
	"bytes_uploaded", "bytes_downloaded", "objects", "storage_bytes"}

func usageHistoryRecord(d whmcs.UsageDay) []string {
	storage := ""
	if d.StorageBytes != nil {
		storage = strconv.FormatUint(*d.StorageBytes, 10)
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	return []string{d.Day, strconv.FormatInt(d.ServiceID, 10), d.UserID, u(d.Put), u(d.Get), u(d.List), u(d.Other),
		u(d.Uploaded), u(d.Downloaded), u(d.Objects), storage}
}

// writeUsageHistory prints rows. Counters are exact integers in every
// format; JSON numbers above 2^53 need a reader that keeps integers exact.
func writeUsageHistory(w io.Writer, format string, rows []whmcs.UsageDay) error {
	switch format {
	case "json":
		type jsonDay struct {
			Day             string  `json:"day"`
			ServiceID       int64   `json:"service_id"`
			UserID          string  `json:"s3_user_id"`
			Put             uint64  `json:"ops_put"`
			Get             uint64  `json:"ops_get"`
			List            uint64  `json:"ops_list"`
			Other           uint64  `json:"ops_other"`
			BytesUploaded   uint64  `json:"bytes_uploaded"`
			BytesDownloaded uint64  `json:"bytes_downloaded"`
			Objects         uint64  `json:"objects"`
			StorageBytes    *uint64 `json:"storage_bytes"`
		}
		out := make([]jsonDay, 0, len(rows))
		for _, d := range rows {
			out = append(out, jsonDay{d.Day, d.ServiceID, d.UserID, d.Put, d.Get, d.List, d.Other, d.Uploaded, d.Downloaded, d.Objects, d.StorageBytes})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(usageHistoryHeader)
		for _, d := range rows {
			cw.Write(usageHistoryRecord(d))
		}
		cw.Flush()
		return cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		for i, h := range usageHistoryHeader {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, h)
		}
		fmt.Fprintln(tw, "\t")
		for _, d := range rows {
			record := usageHistoryRecord(d)
			if record[2] == "" {
				record[2] = "(empty)"
			}
			if record[10] == "" {
				record[10] = "-"
			}
			for i, v := range record {
				if i > 0 {
					fmt.Fprint(tw, "\t")
				}
				fmt.Fprint(tw, v)
			}
			fmt.Fprintln(tw, "\t")
		}
		if len(rows) == 0 {
			fmt.Fprintln(w, "no usage recorded in the selected days")
		}
		return tw.Flush()
	}
}
