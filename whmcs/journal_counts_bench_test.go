package whmcs_test

import (
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// BenchmarkOperationCounts measures the journal query of one metrics
// scrape on journals of several sizes. Most rows are done, as in a journal
// that has run for a long time, and every hundredth is pending or failed.
func BenchmarkOperationCounts(b *testing.B) {
	for _, rows := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			db := whmcstest.NewDB(b)
			store := whmcs.NewStore(zap.NewNop(), db.DB)
			fillJournal(b, db, rows)
			b.ResetTimer()

			for b.Loop() {
				counts, err := store.OperationCounts(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				if len(counts) == 0 {
					b.Fatal("OperationCounts returned no groups")
				}
			}
		})
	}
}

// fillJournal inserts rows operations in batches of multi-row INSERTs.
func fillJournal(b *testing.B, db *whmcstest.DB, rows int) {
	b.Helper()
	kinds := []string{"create", "suspend", "unsuspend", "plan", "generate_key", "revoke_key AKID%d", "terminate"}
	const batch = 1000
	for first := 0; first < rows; first += batch {
		values := make([]string, 0, batch)
		args := make([]any, 0, 3*batch)
		for i := first; i < min(first+batch, rows); i++ {
			kind := kinds[i%len(kinds)]
			if strings.Contains(kind, "%d") {
				kind = fmt.Sprintf(kind, i)
			}
			state := "done"
			switch i % 200 {
			case 0:
				state = "pending"
			case 100:
				state = "failed"
			}
			values = append(values, "(?, ?, ?, 1, '', '', NOW(), NOW())")
			args = append(args, i/3+1, kind, state)
		}
		query := "INSERT INTO mod_ostorbridge_operations (service_id, kind, state, attempts, last_error, detail, created_at, updated_at) VALUES " + strings.Join(values, ", ")
		if _, err := db.DB.ExecContext(b.Context(), query, args...); err != nil {
			b.Fatal(err)
		}
	}
}
