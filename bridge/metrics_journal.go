package bridge

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// JournalCounter reads the operation counts of the journal. *whmcs.Store
// implements it.
type JournalCounter interface {
	OperationCounts(ctx context.Context) ([]whmcs.OperationCount, error)
}

// DefaultJournalReadTimeout bounds the journal query of one scrape.
const DefaultJournalReadTimeout = 3 * time.Second

// WatchJournal adds the journal metrics, which read the journal on each
// scrape with the given timeout (0 means DefaultJournalReadTimeout). The
// counts come from the database that every daemon shares, so they are the
// same on each daemon and survive restarts.
func (m *Metrics) WatchJournal(journal JournalCounter, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultJournalReadTimeout
	}
	return m.registry.Register(&journalCollector{
		journal: journal,
		timeout: timeout,
		log:     m.log,
		operations: prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, "journal", "operations"),
			"Operations in the journal by kind and state (pending, done, failed).",
			[]string{"kind", "state"}, nil),
		oldestPending: prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, "journal", "oldest_pending_age_seconds"),
			"Age of the oldest pending operation in seconds; 0 when none is pending.",
			nil, nil),
		up: prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, "journal", "up"),
			"1 when this scrape read the journal, 0 when the database query failed or timed out.",
			nil, nil),
	})
}

// journalCollector reads the journal when Prometheus scrapes.
type journalCollector struct {
	journal JournalCounter
	timeout time.Duration
	log     *zap.Logger

	operations    *prometheus.Desc
	oldestPending *prometheus.Desc
	up            *prometheus.Desc

	// failing is true while the journal query fails, so that an outage
	// logs one line when it starts and one when it ends, not one per scrape.
	failing atomic.Bool
}

func (c *journalCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.operations
	ch <- c.oldestPending
	ch <- c.up
}

func (c *journalCollector) Collect(ch chan<- prometheus.Metric) {
	// promhttp gives a collector no context, so the query gets its own
	// deadline and a slow database delays a scrape by at most c.timeout.
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()

	counts, err := c.journal.OperationCounts(ctx)
	if err != nil {
		if !c.failing.Swap(true) {
			c.log.Warn("reading the journal for metrics failed; journal_up is 0 until a scrape reads it again", zap.Error(err))
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	if c.failing.Swap(false) {
		c.log.Info("reading the journal for metrics works again")
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)

	var oldest int64
	for _, count := range counts {
		ch <- prometheus.MustNewConstMetric(c.operations, prometheus.GaugeValue, float64(count.Count), count.Kind, string(count.State))
		if count.State == whmcs.OperationPending {
			oldest = max(oldest, count.OldestAge)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.oldestPending, prometheus.GaugeValue, float64(oldest))
}
