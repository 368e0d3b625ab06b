package whmcstest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

func TestSchemaStatementsSplit(t *testing.T) {
	input := "-- comment; with semicolon\nSET a = 1;\n\nCREATE TABLE t (\n  x int -- trailing\n);\nSELECT 1"

	got := schemaStatements(input)

	want := []string{"SET a = 1", "CREATE TABLE t (\n  x int -- trailing\n)", "SELECT 1"}
	if !slices.Equal(got, want) {
		t.Errorf("schemaStatements = %q, want %q", got, want)
	}
}

func TestNewDBLoadsSchemaAndDrops(t *testing.T) {
	var name string
	t.Run("create", func(t *testing.T) {
		db := NewDB(t)
		name = db.Name

		var tables []string
		if err := db.SelectContext(t.Context(), &tables, `SHOW TABLES`); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"tblclients", "tblhosting", "tblnotes", "tblproducts", "mod_ostorbridge_identities"} {
			if !slices.Contains(tables, table) {
				t.Errorf("table %s missing from %v", table, tables)
			}
		}
	})

	server := openServer(t)
	var count int
	const query = `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`
	if err := server.GetContext(t.Context(), &count, query, name); err != nil {
		t.Fatal(err)
	}
	if count != 0 {
		t.Errorf("database %s still exists after the test ended", name)
	}
}

func TestFixturesSupplyNotNullColumns(t *testing.T) {
	db := NewDB(t)

	clientID := db.AddClient(t, Client{Email: "o'brien+s3@example.com", FirstName: "Seán", LastName: "O'Brien"})
	productID := db.AddProduct(t, Product{Name: "S3", Module: "ostorbridge"})
	serverID := db.AddServer(t, Server{Name: "gw", Module: "ostorbridge", Hostname: "s3.example.com"})
	serviceID := db.AddService(t, Service{ClientID: clientID, ProductID: productID, ServerID: serverID})
	noteID := db.AddNote(t, clientID, "admin note")

	for name, id := range map[string]int64{"client": clientID, "product": productID, "server": serverID, "service": serviceID, "note": noteID} {
		if id <= 0 {
			t.Errorf("%s id = %d, want > 0", name, id)
		}
	}

	notes := db.Notes(t, clientID)
	if len(notes) != 1 {
		t.Fatalf("Notes = %+v, want one", notes)
	}
	if notes[0].Text != "admin note" || notes[0].AdminID == 0 {
		t.Errorf("note = %+v, want text %q by an admin", notes[0], "admin note")
	}

	var email string
	if err := db.GetContext(t.Context(), &email, `SELECT email FROM tblclients WHERE id = ?`, clientID); err != nil {
		t.Fatal(err)
	}
	if email != "o'brien+s3@example.com" {
		t.Errorf("stored email = %q", email)
	}
}

func TestSchemaLoadsWithMariaDBClient(t *testing.T) {
	client, err := exec.LookPath("mariadb")
	if err != nil {
		t.Skip("the mariadb command-line client is not installed")
	}
	server := openServer(t)
	config := serverConfig(t)
	name := "ostorbridge_test_cli_" + randomHex(t, 6)
	if _, err := server.ExecContext(t.Context(), "CREATE DATABASE `"+name+"`"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := server.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})

	schema, err := os.Open("schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	defer schema.Close()
	// TRADITIONAL contains NO_ZERO_DATE, as some servers' default does, so
	// this also checks that schema.sql sets a mode that accepts its zero
	// date defaults.
	args := clientArgs(config)
	args = append(args, "--init-command=SET SESSION sql_mode = 'TRADITIONAL'", name)
	cmd := exec.CommandContext(t.Context(), client, args...)
	cmd.Stdin = schema
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+config.Passwd)
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mariadb %s < schema.sql: %v\n%s", strings.Join(args, " "), err, output)
	}

	var tables int
	const query = `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`
	if err := server.GetContext(t.Context(), &tables, query, name); err != nil {
		t.Fatal(err)
	}
	if want := strings.Count(Schema, "CREATE TABLE "); tables != want {
		t.Errorf("mariadb client created %d tables, want %d", tables, want)
	}
}

// TestNewDBFailsLoudly checks that an unreachable server fails the test
// with the DSN, without its password, and the command that starts MariaDB.
func TestNewDBFailsLoudly(t *testing.T) {
	t.Setenv(EnvDSN, "root:pw-not-shown@tcp(127.0.0.1:1)/")
	recorder := &fatalRecorder{TB: t}

	done := make(chan struct{})
	go func() {
		defer close(done)
		NewDB(recorder)
	}()
	<-done

	if recorder.message == "" {
		t.Fatal("NewDB on an unreachable server did not fail the test")
	}
	for _, want := range []string{"127.0.0.1:1", "deploy/ensure-deps.sh", EnvDSN} {
		if !strings.Contains(recorder.message, want) {
			t.Errorf("failure message %q does not contain %q", recorder.message, want)
		}
	}
	if strings.Contains(recorder.message, "pw-not-shown") {
		t.Errorf("failure message contains the password: %q", recorder.message)
	}
}

// fatalRecorder records the first Fatalf message and stops the goroutine,
// as testing.T does, without failing the real test.
type fatalRecorder struct {
	testing.TB
	message string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.message = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *fatalRecorder) Helper() {}

func openServer(t *testing.T) *sqlx.DB {
	t.Helper()
	server, err := sqlx.Open("mysql", serverConfig(t).FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return server
}

// clientArgs converts the server DSN into mariadb client options. The
// password goes through MYSQL_PWD instead.
func clientArgs(config *mysql.Config) []string {
	args := []string{"--user=" + config.User}
	if config.Net == "unix" {
		return append(args, "--socket="+config.Addr)
	}
	host, port, found := strings.Cut(config.Addr, ":")
	args = append(args, "--protocol=TCP", "--host="+host)
	if found {
		args = append(args, "--port="+port)
	}
	return args
}
