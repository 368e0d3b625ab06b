package whmcs_test

import (
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap/zaptest"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

var bridgeTables = []string{
	"mod_ostorbridge_audit",
	"mod_ostorbridge_identities",
	"mod_ostorbridge_keys",
	"mod_ostorbridge_migrations",
	"mod_ostorbridge_operations",
	"mod_ostorbridge_usage_daily",
	"mod_ostorbridge_usage_objects",
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	db := whmcstest.NewDB(t) // NewDB has migrated once
	before := migrationRows(t, db)

	if err := whmcs.Migrate(t.Context(), db.DB, zaptest.NewLogger(t)); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}

	after := migrationRows(t, db)
	if len(before) == 0 {
		t.Fatal("no migrations recorded after the first run")
	}
	if !equalIDs(after, before) {
		t.Errorf("migration versions after second run = %v, want %v", after, before)
	}
}

func TestMigrateConcurrentPools(t *testing.T) {
	db := whmcstest.NewDB(t)
	want := migrationRows(t, db)
	for _, table := range bridgeTables {
		if _, err := db.ExecContext(t.Context(), "DROP TABLE "+table); err != nil {
			t.Fatal(err)
		}
	}

	const daemons = 4
	pools := make([]*sqlx.DB, daemons)
	for i := range pools {
		pool, err := whmcs.Open(t.Context(), db.Config)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		pools[i] = pool
	}

	var wg sync.WaitGroup
	errs := make([]error, daemons)
	for i, pool := range pools {
		wg.Go(func() {
			errs[i] = whmcs.Migrate(t.Context(), pool, zaptest.NewLogger(t))
		})
	}
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate in pool %d: %v", i, err)
		}
	}
	if got := migrationRows(t, db); !equalIDs(got, want) {
		t.Errorf("migration versions = %v, want %v", got, want)
	}
	for _, table := range bridgeTables {
		assertTableOptions(t, db, table)
	}
}

func migrationRows(t *testing.T, db *whmcstest.DB) []int64 {
	t.Helper()
	versions := []int64{}
	if err := db.SelectContext(t.Context(), &versions, `SELECT version FROM mod_ostorbridge_migrations ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	return versions
}

// assertTableOptions checks that a bridge table is InnoDB with utf8mb4.
func assertTableOptions(t *testing.T, db *whmcstest.DB, table string) {
	t.Helper()
	var options struct {
		Engine    string `db:"ENGINE"`
		Collation string `db:"TABLE_COLLATION"`
	}
	const query = `SELECT ENGINE, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`
	if err := db.GetContext(t.Context(), &options, query, table); err != nil {
		t.Fatalf("table %s: %v", table, err)
	}
	if options.Engine != "InnoDB" {
		t.Errorf("table %s engine = %s, want InnoDB", table, options.Engine)
	}
	if options.Collation != "utf8mb4_unicode_ci" {
		t.Errorf("table %s collation = %s, want utf8mb4_unicode_ci", table, options.Collation)
	}
}
