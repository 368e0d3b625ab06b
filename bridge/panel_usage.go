package bridge

import (
	"context"
	"fmt"
	"time"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// StoreUsageHistory is the UsageHistory of the daily usage table the usage collector fills.
type StoreUsageHistory struct {
	Store *whmcs.Store
}

// RecentUsage reads the service's daily usage with its S3 users summed.
func (h StoreUsageHistory) RecentUsage(ctx context.Context, serviceID int64, days int) ([]UsageDay, error) {
	rows, err := h.Store.RecentUsage(ctx, serviceID, days)
	if err != nil {
		return nil, err
	}
	out := make([]UsageDay, 0, len(rows))
	for _, r := range rows {
		day, err := time.Parse(time.DateOnly, r.Day)
		if err != nil {
			return nil, fmt.Errorf("usage day %q of service %d is not a YYYY-MM-DD date: %w", r.Day, serviceID, err)
		}
		out = append(out, UsageDay{
			Day:         day,
			StoredBytes: r.StorageBytes,
			Uploaded:    r.Uploaded,
			Downloaded:  r.Downloaded,
			Put:         r.Put,
			Get:         r.Get,
			List:        r.List,
			Other:       r.Other,
		})
	}
	return out, nil
}
