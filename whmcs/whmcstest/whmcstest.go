// Package whmcstest creates throwaway WHMCS-shaped databases on a real
// MariaDB or MySQL server for tests, and fills them with fixture rows.
package whmcstest

import (
	"context"
	"crypto/rand"
	"database/sql/driver"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"go.uber.org/zap/zaptest"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// Schema is the SQL of WHMCS-shaped tables: schema.sql in this directory.
//
//go:embed schema.sql
var Schema string

// EnvDSN names the environment variable with the go-sql-driver/mysql DSN,
// without a database name, of the server that tests create databases on.
const EnvDSN = "OSTOR_BRIDGE_TEST_MYSQL"

// DefaultDSN is used when EnvDSN is unset or empty.
const DefaultDSN = "root@tcp(127.0.0.1:3306)/"

const setupTimeout = 60 * time.Second

// DB is a database created for one test. It has the tables of Schema and
// the bridge's migrated tables, and is dropped when the test ends.
type DB struct {
	*sqlx.DB // opened with whmcs.Open

	Name   string         // database name, ostorbridge_test_<random hex>
	Config whmcs.DBConfig // connection settings of this database, for example for a daemon subprocess

	adminOnce sync.Once
	adminID   int64
}

// NewDB creates a uniquely named database on the server from EnvDSN, loads
// Schema, runs whmcs.Migrate and registers a cleanup that drops the
// database. It fails the test when the server cannot be reached.
func NewDB(t testing.TB) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()

	serverConfig := serverConfig(t)
	server, err := sqlx.Open("mysql", serverConfig.FormatDSN())
	if err != nil {
		t.Fatalf("whmcstest: invalid DSN %s in %s: %v", dsnWithoutPassword(serverConfig), EnvDSN, err)
	}
	if err := server.PingContext(ctx); err != nil {
		server.Close()
		t.Fatalf("whmcstest: cannot reach the test MariaDB at %s (DSN from %s, default %s): %v\n"+
			"Start MariaDB with deploy/ensure-deps.sh, or point %s at a server where this user may create databases.",
			dsnWithoutPassword(serverConfig), EnvDSN, DefaultDSN, err, EnvDSN)
	}

	name := "ostorbridge_test_" + randomHex(t, 6)
	if _, err := server.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci"); err != nil {
		server.Close()
		t.Fatalf("whmcstest: create database %s on %s: %v", name, dsnWithoutPassword(serverConfig), err)
	}

	db := &DB{Name: name, Config: dbConfig(serverConfig, name)}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if db.DB != nil {
			db.DB.Close()
		}
		if _, err := server.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("whmcstest: drop database %s: %v", name, err)
		}
		server.Close()
	})

	db.DB, err = whmcs.Open(ctx, db.Config)
	if err != nil {
		t.Fatalf("whmcstest: %v", err)
	}
	if err := LoadSchema(ctx, db.DB); err != nil {
		t.Fatalf("whmcstest: load schema into %s: %v", name, err)
	}
	if err := whmcs.Migrate(ctx, db.DB, zaptest.NewLogger(t)); err != nil {
		t.Fatalf("whmcstest: migrate %s: %v", name, err)
	}
	return db
}

// LoadSchema runs the statements of Schema on one connection of db, which
// must have a default database. The connection is closed afterwards,
// because Schema changes session settings.
func LoadSchema(ctx context.Context, db *sqlx.DB) error {
	conn, err := db.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Returning driver.ErrBadConn makes database/sql discard the
	// connection instead of reusing it.
	defer conn.Raw(func(any) error { return driver.ErrBadConn })

	for i, statement := range schemaStatements(Schema) {
		if _, err := conn.ExecContext(ctx, statement); err != nil {
			return fmt.Errorf("statement %d (%.60s...): %w", i+1, statement, err)
		}
	}
	return nil
}

// schemaStatements splits SQL into statements that end with ";" at the
// end of a line, dropping "--" comment lines.
func schemaStatements(sqlText string) []string {
	var (
		statements []string
		current    strings.Builder
	)
	for line := range strings.Lines(sqlText) {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		current.WriteString(line)
		if strings.HasSuffix(trimmed, ";") {
			statement := strings.TrimSuffix(strings.TrimSpace(current.String()), ";")
			statements = append(statements, statement)
			current.Reset()
		}
	}
	if rest := strings.TrimSpace(current.String()); rest != "" {
		statements = append(statements, rest)
	}
	return statements
}

// serverConfig parses the DSN from EnvDSN or DefaultDSN.
func serverConfig(t testing.TB) *mysql.Config {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		dsn = DefaultDSN
	}
	config, err := mysql.ParseDSN(dsn)
	if err != nil {
		// The parse error never repeats the DSN, so the password stays hidden.
		t.Fatalf("whmcstest: invalid DSN in %s: %v; expected a go-sql-driver/mysql DSN such as %s", EnvDSN, err, DefaultDSN)
	}
	if config.DBName != "" {
		t.Fatalf("whmcstest: the DSN in %s names database %q; leave it out, each test creates its own", EnvDSN, config.DBName)
	}
	config.Timeout = 5 * time.Second
	return config
}

// dbConfig converts the server DSN into the whmcs.DBConfig of database name.
func dbConfig(server *mysql.Config, name string) whmcs.DBConfig {
	config := whmcs.DBConfig{
		User:     server.User,
		Password: server.Passwd,
		Name:     name,
		Params:   server.Params,
	}
	if server.Net == "unix" {
		config.Socket = server.Addr
	} else {
		config.Address = server.Addr
	}
	return config
}

func dsnWithoutPassword(config *mysql.Config) string {
	c := config.Clone()
	c.Passwd = ""
	return c.FormatDSN()
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("whmcstest: random database name: %v", err)
	}
	return hex.EncodeToString(b)
}
