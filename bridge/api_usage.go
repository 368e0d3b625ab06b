package bridge

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// UsageAPI is the RPC service "Usage": usage collection for WHMCS's
// UsageUpdate and figures for its usage-billing metrics.
type UsageAPI struct {
	u *Usage // nil when ServerOptions.Usage was not set
}

// ServiceIDParam is a WHMCS service id sent as a JSON number or as a string
// of digits, because values in WHMCS's PHP arrays can be either.
type ServiceIDParam int64

func (p *ServiceIDParam) UnmarshalJSON(data []byte) error {
	text := string(bytes.TrimSpace(data))
	if text == "null" {
		*p = 0
		return nil
	}
	if unquoted, err := strconv.Unquote(text); err == nil {
		text = unquoted
	}
	id, err := strconv.ParseInt(text, 10, 64)
	if err != nil || id < 0 {
		return fmt.Errorf("service_id %.32q is not a non-negative integer", text)
	}
	*p = ServiceIDParam(id)
	return nil
}

// UsageUpdateArgs are the parameters of Usage.Update. WHMCS calls
// UsageUpdate once per server record, and ServerID (tblservers.id) only
// goes into the log: the daemon updates every managed service in one run.
type UsageUpdateArgs struct {
	ServerID ServiceIDParam `json:"server_id"`
}

// UsageUpdateReply is Usage.Update's result.
type UsageUpdateReply struct {
	Processed    int    `json:"processed"`  // statistics objects stored by this run
	Failed       int    `json:"failed"`     // objects left for the next run
	Unassigned   int    `json:"unassigned"` // S3 users seen that no managed service owns
	Services     int    `json:"services"`   // services whose usage columns were written
	CollectError string `json:"collect_error,omitempty"`
}

// Update is WHMCS UsageUpdate: it collects new usage statistics and writes
// the usage columns of every managed service.
func (a *UsageAPI) Update(r *http.Request, args *UsageUpdateArgs, reply *UsageUpdateReply) error {
	if a.u == nil {
		return usageDisabled()
	}
	summary, err := a.u.Update(r.Context())
	if err != nil {
		a.u.log.Error("usage update failed", zap.Int64("server_id", int64(args.ServerID)), zap.Error(err))
		return err
	}
	*reply = UsageUpdateReply{
		Processed:    summary.Collect.Processed,
		Failed:       summary.Collect.Failed + summary.Failed,
		Unassigned:   len(summary.Collect.Unassigned),
		Services:     len(summary.Services),
		CollectError: summary.CollectError,
	}
	return nil
}

// UsageMetricsArgs selects the services of Usage.Metrics: one service, or
// every managed service when ServiceID is 0 or missing.
type UsageMetricsArgs struct {
	ServiceID ServiceIDParam `json:"service_id"`
}

// UsageMetric is the usage-billing figures of one service. Domain and
// Username are sent so that the module can key the figures the way WHMCS
// identifies the service. GB are 2^30 bytes.
type UsageMetric struct {
	ServiceID       int64   `json:"service_id"`
	Domain          string  `json:"domain"`
	Username        string  `json:"username"`
	StorageBytes    uint64  `json:"storage_bytes"`    // latest measurement
	DownloadedBytes uint64  `json:"downloaded_bytes"` // in the current UTC calendar month
	StorageGB       float64 `json:"storage_gb"`
	DownloadedGB    float64 `json:"downloaded_gb"`
}

// UsageMetricsReply is Usage.Metrics's result.
type UsageMetricsReply struct {
	MonthStart string        `json:"month_start"` // first UTC day of the month DownloadedBytes covers
	Services   []UsageMetric `json:"services"`
}

// Metrics returns the figures of WHMCS usage billing: stored GB (a
// snapshot) and downloaded GB in the current calendar month (UTC). It
// reads only the bridge's tables, so it is cheap; Update fills them.
func (a *UsageAPI) Metrics(r *http.Request, args *UsageMetricsArgs, reply *UsageMetricsReply) error {
	if a.u == nil {
		return usageDisabled()
	}
	serviceID := int64(args.ServiceID)
	noteService(r.Context(), serviceID)

	now := a.u.opts.Now().UTC()
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	rows, err := a.u.opts.Store.ServiceMetrics(r.Context(), serviceID, monthStart, monthStart.AddDate(0, 1, 0))
	if err != nil {
		return newError(CodeDatabase, err, "reading usage figures from the WHMCS database failed; retry later")
	}
	if serviceID != 0 && len(rows) == 0 {
		return newError(CodeNotFound, nil, "service %d has no S3 user managed by ostor-bridge", serviceID)
	}

	*reply = UsageMetricsReply{MonthStart: monthStart.Format(time.DateOnly), Services: make([]UsageMetric, 0, len(rows))}
	for _, m := range rows {
		reply.Services = append(reply.Services, toUsageMetric(m))
	}
	return nil
}

const bytesPerGB = 1 << 30

func toUsageMetric(m whmcs.ServiceMetrics) UsageMetric {
	return UsageMetric{
		ServiceID:       m.ServiceID,
		Domain:          m.Domain,
		Username:        m.Username,
		StorageBytes:    m.StorageBytes,
		DownloadedBytes: m.DownloadedBytes,
		StorageGB:       float64(m.StorageBytes) / bytesPerGB,
		DownloadedGB:    float64(m.DownloadedBytes) / bytesPerGB,
	}
}

func usageDisabled() error {
	return newError(CodeConflict, nil, "this ostor-bridge daemon was started without usage billing; run ostor-bridge serve, which always provides it")
}
