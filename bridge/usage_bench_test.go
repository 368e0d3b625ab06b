package bridge

import (
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// usageBody generates the JSON of a usage object with items counter
// records spread over users S3 users, item by item as it is read, so the
// benchmark itself holds no whole body.
type usageBody struct {
	items, users, next int
	buf                []byte
	done               bool
}

func newUsageBody(items, users int) *usageBody {
	b := &usageBody{items: items, users: users}
	b.buf = fmt.Appendf(nil, `{"fmt_version":1,"service_id":8000000000000065,"start_ts":1485966714,"period":1800,"nr_items":%d,"items":[`, items)
	return b
}

func (b *usageBody) Read(p []byte) (int, error) {
	for len(b.buf) < len(p) && !b.done {
		if b.next == b.items {
			b.buf = append(b.buf, "]}"...)
			b.done = true
			break
		}
		if b.next > 0 {
			b.buf = append(b.buf, ',')
		}
		b.buf = append(b.buf, `{"key":{"bucket":"bucket-`...)
		b.buf = strconv.AppendInt(b.buf, int64(b.next%7), 10)
		b.buf = append(b.buf, `","epoch":98309,"user_id":"`...)
		b.buf = fmt.Appendf(b.buf, "%016x", b.next%b.users)
		b.buf = append(b.buf, `","tag":""},"counters":{"ops":{"put":1,"get":3,"list":0,"other":0},"net_io":{"uploaded":41258,"downloaded":`...)
		b.buf = strconv.AppendInt(b.buf, int64(45511311+b.next), 10)
		b.buf = append(b.buf, "}}}"...)
		b.next++
	}
	if len(b.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.buf)
	b.buf = b.buf[:copy(b.buf, b.buf[n:])]
	return n, nil
}

// heapSampler records the peak of live and not yet collected heap objects.
type heapSampler struct {
	sample []metrics.Sample
	peak   uint64
}

func newHeapSampler() *heapSampler {
	return &heapSampler{sample: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}}
}

func (h *heapSampler) measure() {
	metrics.Read(h.sample)
	h.peak = max(h.peak, h.sample[0].Value.Uint64())
}

// BenchmarkAggregateUsage decodes one usage object as a stream and sums it
// per S3 user, as the collector does before its database transaction. It
// reports items/s and the peak heap during the run; the peak stays flat
// as the item count grows because no object is held whole.
func BenchmarkAggregateUsage(b *testing.B) {
	const users = 1000
	for _, items := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("items=%d", items), func(b *testing.B) {
			runtime.GC()
			heap := newHeapSampler()
			var elapsed time.Duration
			for b.Loop() {
				start := time.Now()
				totals := objectTotals{users: map[string]*whmcs.UsageCounters{}}
				_, err := ostor.ReadUsageObject(newUsageBody(items, users), "s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800", func(it ostor.UsageItem) error {
					if totals.items%10_000 == 0 {
						heap.measure()
					}
					return totals.aggregateItem(it)
				})
				elapsed += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if totals.items != int64(items) || len(totals.users) != users {
					b.Fatalf("aggregated %d items of %d users, want %d of %d", totals.items, len(totals.users), items, users)
				}
			}
			b.ReportMetric(float64(items)*float64(b.N)/elapsed.Seconds(), "items/s")
			b.ReportMetric(float64(heap.peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
