package whmcs

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"
)

// migration is one schema change of the bridge's own tables. MySQL commits
// DDL implicitly, so a crash can happen after the change and before its
// version is recorded: every statement must be safe to run again.
type migration struct {
	version int
	name    string
	query   string
	more    []string // further statements, run in order after query
}

// migrations are applied in order. Never edit or renumber an applied
// migration; append a new one.
var migrations = []migration{
	{
		version: 1,
		name:    "create mod_ostorbridge_identities",
		query: `CREATE TABLE IF NOT EXISTS mod_ostorbridge_identities (
	service_id int(10) NOT NULL COMMENT 'tblhosting.id',
	client_id int(10) NOT NULL COMMENT 'tblclients.id when the identity was created',
	s3_user_id varchar(64) NOT NULL COMMENT 'ostor UserId',
	s3_email varchar(255) COLLATE utf8mb4_bin NOT NULL COMMENT 'email the S3 user was created with',
	note_id int(10) NOT NULL DEFAULT 0 COMMENT 'tblnotes.id of the access-key note, 0 = none',
	created_at datetime NOT NULL,
	updated_at datetime NOT NULL,
	PRIMARY KEY (service_id),
	KEY client_id (client_id),
	KEY s3_email (s3_email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
	},
	{
		version: 2,
		name:    "create mod_ostorbridge_keys",
		query: `CREATE TABLE IF NOT EXISTS mod_ostorbridge_keys (
	access_key_id varchar(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
	service_id int(10) NOT NULL COMMENT 'tblhosting.id',
	created_at datetime NOT NULL,
	revoked_at datetime NULL DEFAULT NULL,
	PRIMARY KEY (access_key_id),
	KEY service_id (service_id, revoked_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
	},
	{
		version: 3,
		name:    "create mod_ostorbridge_operations",
		query: `CREATE TABLE IF NOT EXISTS mod_ostorbridge_operations (
	id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
	service_id int(10) NOT NULL COMMENT 'tblhosting.id',
	kind varchar(64) NOT NULL,
	state enum('pending','done','failed') NOT NULL DEFAULT 'pending',
	attempts int(10) unsigned NOT NULL DEFAULT 1,
	last_error text NOT NULL,
	detail text NOT NULL,
	created_at datetime NOT NULL,
	updated_at datetime NOT NULL,
	PRIMARY KEY (id),
	KEY service_kind_state (service_id, kind, state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
	},
	{
		version: 6,
		name:    "create mod_ostorbridge_audit",
		query: `CREATE TABLE IF NOT EXISTS mod_ostorbridge_audit (
	id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
	created_at datetime NOT NULL,
	admin_id int(10) NOT NULL COMMENT 'tbladmins.id of the admin who acted',
	client_id int(10) NOT NULL COMMENT 'tblclients.id',
	service_id int(10) NOT NULL DEFAULT 0 COMMENT 'tblhosting.id, 0 when the action concerns no service',
	action varchar(64) NOT NULL,
	params text NOT NULL COMMENT 'validated parameters as JSON, never a secret',
	outcome enum('ok','failed') NOT NULL,
	message text NOT NULL,
	PRIMARY KEY (id),
	KEY client_created (client_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
	},
	usageMigration,
}

const (
	createMigrationsTable = `CREATE TABLE IF NOT EXISTS mod_ostorbridge_migrations (
	version int(10) unsigned NOT NULL,
	name varchar(255) NOT NULL,
	applied_at datetime NOT NULL,
	PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`

	selectAppliedMigrations = `SELECT version FROM mod_ostorbridge_migrations`

	insertMigration = `INSERT INTO mod_ostorbridge_migrations (version, name, applied_at) VALUES (?, ?, NOW())`

	// migrateLockWait is how long Migrate waits for another daemon that
	// is migrating the same database.
	migrateLockWait = 60 * time.Second
)

// Migrate creates or upgrades the bridge's mod_ostorbridge_* tables. It
// applies each migration once and records it in mod_ostorbridge_migrations.
// A GET_LOCK held for the whole run serializes daemons that start at the
// same time, so running Migrate again or concurrently is safe.
func Migrate(ctx context.Context, db *sqlx.DB, log *zap.Logger) error {
	if log == nil {
		log = zap.NewNop()
	}

	conn, err := db.Connx(ctx)
	if err != nil {
		return wrapDBError("migrate: get connection", err)
	}

	var database string
	if err := conn.GetContext(ctx, &database, `SELECT COALESCE(DATABASE(), '')`); err != nil {
		conn.Close()
		return wrapDBError("migrate: read current database name", err)
	}
	if database == "" {
		conn.Close()
		return fmt.Errorf("migrate: the connection has no default database, set DBConfig.Name")
	}

	name := lockName(database, "migrate")
	if err := acquireLock(ctx, conn.Conn, name, migrateLockWait); err != nil {
		conn.Close()
		return fmt.Errorf("migrate database %q: %w", database, err)
	}
	defer releaseLock(log, conn.Conn, name)

	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return wrapDBError("migrate: create mod_ostorbridge_migrations", err)
	}

	var versions []int
	if err := conn.SelectContext(ctx, &versions, selectAppliedMigrations); err != nil {
		return wrapDBError("migrate: read applied migrations", err)
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		applied[v] = true
	}

	for _, m := range migrations {
		if applied[m.version] {
			continue
		}

		for _, query := range append([]string{m.query}, m.more...) {
			if _, err := conn.ExecContext(ctx, query); err != nil {
				return wrapDBError(fmt.Sprintf("migrate: apply migration %d (%s)", m.version, m.name), err)
			}
		}
		if _, err := conn.ExecContext(ctx, insertMigration, m.version, m.name); err != nil {
			return wrapDBError(fmt.Sprintf("migrate: record migration %d (%s)", m.version, m.name), err)
		}
		log.Info("applied database migration", zap.String("database", database), zap.Int("version", m.version), zap.String("name", m.name))
	}

	latest := migrations[len(migrations)-1].version
	for _, v := range versions {
		if v > latest {
			log.Warn("database has migrations this daemon does not know, a newer version ran on it",
				zap.String("database", database), zap.Int("database_version", v), zap.Int("known_version", latest))
			break
		}
	}
	return nil
}
