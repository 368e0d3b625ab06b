package whmcs_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap/zaptest"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// newStore returns a fresh test database and a Store on it.
func newStore(t *testing.T) (*whmcstest.DB, *whmcs.Store) {
	t.Helper()
	db := whmcstest.NewDB(t)
	return db, whmcs.NewStore(zaptest.NewLogger(t), db.DB)
}

func TestOpenSessionSettings(t *testing.T) {
	db := whmcstest.NewDB(t)

	var settings struct {
		SQLMode   string `db:"sql_mode"`
		Charset   string `db:"charset"`
		Collation string `db:"collation"`
	}
	const query = `SELECT @@SESSION.sql_mode AS sql_mode,
	@@SESSION.character_set_connection AS charset,
	@@SESSION.collation_connection AS collation`
	if err := db.GetContext(t.Context(), &settings, query); err != nil {
		t.Fatal(err)
	}

	if settings.SQLMode != whmcs.SessionSQLMode {
		t.Errorf("sql_mode = %q, want %q", settings.SQLMode, whmcs.SessionSQLMode)
	}
	if settings.Charset != "utf8mb4" {
		t.Errorf("character_set_connection = %q, want utf8mb4", settings.Charset)
	}
	if settings.Collation != "utf8mb4_unicode_ci" {
		t.Errorf("collation_connection = %q, want utf8mb4_unicode_ci", settings.Collation)
	}
}

func TestOpenParsesTimeInLocalZone(t *testing.T) {
	db := whmcstest.NewDB(t)

	var got time.Time
	if err := db.GetContext(t.Context(), &got, `SELECT CAST('2024-03-05 06:07:08' AS DATETIME)`); err != nil {
		t.Fatal(err)
	}

	want := time.Date(2024, 3, 5, 6, 7, 8, 0, time.Local)
	if !got.Equal(want) {
		t.Errorf("DATETIME scanned as %v, want %v", got, want)
	}
	if got.Location() != time.Local {
		t.Errorf("DATETIME location = %v, want Local", got.Location())
	}
}

func TestStrictModeRejectsMissingColumn(t *testing.T) {
	db := whmcstest.NewDB(t)

	// tblnotes.sticky is NOT NULL without a default, as in WHMCS.
	_, err := db.ExecContext(t.Context(),
		`INSERT INTO tblnotes (userid, adminid, created, modified, note) VALUES (1, 0, NOW(), NOW(), 'x')`)
	if err == nil {
		t.Fatal("insert without sticky succeeded, want a strict-mode error")
	}
	if !strings.Contains(err.Error(), "sticky") {
		t.Errorf("error %q does not name the column sticky", err)
	}
}

func TestStrictModeRejectsFourByteInUTF8MB3(t *testing.T) {
	db := whmcstest.NewDB(t)

	_, err := db.ExecContext(t.Context(),
		`INSERT INTO tblnotes (userid, adminid, created, modified, note, sticky) VALUES (1, 0, NOW(), NOW(), ?, 0)`,
		"smile \U0001F600")
	if err == nil {
		t.Fatal("insert of a 4-byte character into utf8mb3 tblnotes succeeded, want an error")
	}
}

func TestZeroDatesAndNullsReadable(t *testing.T) {
	db := whmcstest.NewDB(t)
	ctx := t.Context()
	clientID := db.AddClient(t, whmcstest.Client{Email: "zero@example.com"})
	productID := db.AddProduct(t, whmcstest.Product{Name: "S3", Module: "ostorbridge"})
	serviceID := db.AddService(t, whmcstest.Service{ClientID: clientID, ProductID: productID})

	// lastupdate, termination_date and overidesuspenduntil keep their
	// zero defaults. nextduedate is nullable in WHMCS.
	if _, err := db.ExecContext(ctx, `UPDATE tblhosting SET nextduedate = NULL, regdate = '0000-00-00' WHERE id = ?`, serviceID); err != nil {
		t.Fatal(err)
	}

	var row struct {
		RegDate         time.Time  `db:"regdate"`
		NextDueDate     *time.Time `db:"nextduedate"`
		TerminationDate time.Time  `db:"termination_date"`
		LastUpdate      time.Time  `db:"lastupdate"`
		SuspendUntil    time.Time  `db:"overidesuspenduntil"`
	}
	const query = `SELECT regdate, nextduedate, termination_date, lastupdate, overidesuspenduntil FROM tblhosting WHERE id = ?`
	if err := db.GetContext(ctx, &row, query, serviceID); err != nil {
		t.Fatalf("read zero dates: %v", err)
	}

	if !row.RegDate.IsZero() {
		t.Errorf("regdate = %v, want zero time", row.RegDate)
	}
	if row.NextDueDate != nil {
		t.Errorf("nextduedate = %v, want nil for NULL", row.NextDueDate)
	}
	if !row.TerminationDate.IsZero() {
		t.Errorf("termination_date = %v, want zero time", row.TerminationDate)
	}
	if !row.LastUpdate.IsZero() {
		t.Errorf("lastupdate = %v, want zero time", row.LastUpdate)
	}
	if !row.SuspendUntil.IsZero() {
		t.Errorf("overidesuspenduntil = %v, want zero time", row.SuspendUntil)
	}
}

func TestOpenWrongPasswordHidesPassword(t *testing.T) {
	db := whmcstest.NewDB(t)
	const password = "Wr0ng-s3cret-PW"
	cfg := db.Config
	cfg.Password = password

	_, err := whmcs.Open(t.Context(), cfg)
	if err == nil {
		t.Fatal("Open with a wrong password succeeded")
	}

	if strings.Contains(err.Error(), password) {
		t.Errorf("error contains the password: %v", err)
	}
	if !strings.Contains(err.Error(), db.Name) {
		t.Errorf("error %q does not name database %s", err, db.Name)
	}
}

func TestOpenWrongPasswordExplainsFix(t *testing.T) {
	db := whmcstest.NewDB(t)
	cfg := db.Config
	cfg.Password = "Wr0ng-s3cret-PW"

	_, err := whmcs.Open(t.Context(), cfg)
	if err == nil {
		t.Fatal("Open with a wrong password succeeded")
	}

	if !strings.Contains(err.Error(), "check the password, and that the account exists for the host") {
		t.Errorf("error %q does not say what to check", err)
	}
}

func TestOpenUnknownDatabaseExplainsFix(t *testing.T) {
	db := whmcstest.NewDB(t)
	cfg := db.Config
	cfg.Name = db.Name + "_missing"

	_, err := whmcs.Open(t.Context(), cfg)
	if err == nil {
		t.Fatal("Open of a missing database succeeded")
	}

	if !strings.Contains(err.Error(), cfg.Name) {
		t.Errorf("error %q does not name database %s", err, cfg.Name)
	}
	if !strings.Contains(err.Error(), "check the database name") {
		t.Errorf("error %q does not say what to check", err)
	}
}

func TestOpenUnreachableNamesAddress(t *testing.T) {
	cfg := whmcs.DBConfig{Address: "127.0.0.1:1", User: "whmcs", Password: "pw-not-shown", Name: "whmcs"}

	_, err := whmcs.Open(t.Context(), cfg)
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}

	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("error %q does not name the address", err)
	}
	if strings.Contains(err.Error(), "pw-not-shown") {
		t.Errorf("error contains the password: %v", err)
	}
}

func TestOpenRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  whmcs.DBConfig
		want string
	}{
		{"no address or socket", whmcs.DBConfig{User: "u", Name: "d"}, "set the TCP address"},
		{"address and socket", whmcs.DBConfig{Address: "h:3306", Socket: "/s", User: "u", Name: "d"}, "both set"},
		{"no user", whmcs.DBConfig{Address: "h:3306", Name: "d"}, "user is missing"},
		{"no database", whmcs.DBConfig{Address: "h:3306", User: "u"}, "database name is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := whmcs.Open(t.Context(), tt.cfg)
			if err == nil {
				t.Fatal("Open succeeded, want a config error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestOpenOverUnixSocket(t *testing.T) {
	db := whmcstest.NewDB(t)
	if db.Config.Socket != "" {
		t.Skip("the test server is already reached over a socket")
	}
	var socket string
	if err := db.GetContext(t.Context(), &socket, `SELECT @@socket`); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(socket); err != nil {
		t.Skipf("server socket %s is not on this host: %v", socket, err)
	}

	cfg := db.Config
	cfg.Address = ""
	cfg.Socket = socket
	socketDB, err := whmcs.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open over socket %s: %v", socket, err)
	}
	defer socketDB.Close()

	var name string
	if err := sqlx.GetContext(t.Context(), socketDB, &name, `SELECT DATABASE()`); err != nil {
		t.Fatal(err)
	}
	if name != db.Name {
		t.Errorf("DATABASE() = %q, want %q", name, db.Name)
	}
}
