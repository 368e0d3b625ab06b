package whmcs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

// DBConfig locates the WHMCS database. Set exactly one of Address and Socket.
type DBConfig struct {
	Address  string // TCP address "host:port"; empty when Socket is set
	Socket   string // unix socket path; empty when Address is set
	User     string
	Password string
	Name     string // database name

	// Params are extra go-sql-driver/mysql DSN parameters, for example
	// "tls": "true". A key the driver does not know becomes a session
	// variable, so Params can also override defaults of Open such as
	// "sql_mode". Session variable values are SQL, so quote strings.
	Params map[string]string

	// MaxOpenConns caps the connection pool, and 0 means DefaultMaxOpenConns.
	// Every lock from Store.LockService holds one connection until it is
	// released, so the cap must exceed the number of services locked at once.
	MaxOpenConns int
}

// Connection settings applied by Open.
const (
	// SessionSQLMode is the sql_mode of every connection. It is strict, so
	// an insert that misses a NOT NULL column or a value that does not fit
	// its column fails instead of being silently truncated. NO_ZERO_DATE
	// is left out because WHMCS stores '0000-00-00' in many date columns
	// and its own inserts rely on those defaults.
	SessionSQLMode = "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

	DefaultMaxOpenConns = 32

	dialTimeout     = 5 * time.Second
	ioTimeout       = 30 * time.Second // read and write timeout of one packet exchange
	maxIdleConns    = 4
	connMaxLifetime = 5 * time.Minute
	connMaxIdleTime = time.Minute
)

// Open connects to the WHMCS database and pings it with ctx.
//
// Connections use utf8mb4 (reading WHMCS's utf8mb3 tables through it is
// lossless), strict SessionSQLMode, dial and I/O timeouts, and parseTime
// with the Local time zone. Local is used because WHMCS stores local
// server time, written by SQL NOW() or PHP date(), in DATETIME columns
// that carry no zone.
//
// NOTE: times are right only when the daemon's TZ matches the MariaDB
// session time_zone, which is the case for a daemon on the database host
// with the default time_zone=SYSTEM.
//
// Zero dates ('0000-00-00 00:00:00') scan into the zero time.Time; treat
// IsZero as "unset". Errors name the user, address and database but never
// contain the password.
func Open(ctx context.Context, cfg DBConfig) (*sqlx.DB, error) {
	driverConfig, err := cfg.driverConfig()
	if err != nil {
		return nil, err
	}

	// sqlx.Open parses the DSN again, so driver options in cfg.Params
	// (tls, timeout, ...) take effect instead of becoming session variables.
	db, err := sqlx.Open("mysql", driverConfig.FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("open WHMCS database %s: invalid driver settings in DB params: %w", cfg.describe(), hidePassword(err, cfg.Password))
	}

	maxOpen := cfg.MaxOpenConns
	if maxOpen <= 0 {
		maxOpen = DefaultMaxOpenConns
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(min(maxIdleConns, maxOpen))
	db.SetConnMaxLifetime(connMaxLifetime)
	db.SetConnMaxIdleTime(connMaxIdleTime)

	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to WHMCS database %s: %w%s", cfg.describe(), hidePassword(err, cfg.Password), connectHint(err))
	}

	return db, nil
}

// connectHint returns what to check after a MariaDB error that a wrong account or database name
// causes, and "" after other errors.
func connectHint(err error) string {
	var serverErr *mysql.MySQLError
	if !errors.As(err, &serverErr) {
		return ""
	}
	switch serverErr.Number {
	case 1045: // ER_ACCESS_DENIED_ERROR
		return "; check the password, and that the account exists for the host in this message:" +
			" 'user'@'localhost' matches unix socket connections, and TCP connections from 127.0.0.1" +
			" only while the server resolves host names (skip_name_resolve off)"
	case 1044: // ER_DBACCESS_DENIED_ERROR
		return "; check the database name, and grant the user SELECT on the WHMCS database"
	case 1049: // ER_BAD_DB_ERROR
		return "; check the database name: the server has no database of that name"
	}
	return ""
}

// driverConfig checks cfg and converts it into a go-sql-driver/mysql config.
func (cfg DBConfig) driverConfig() (*mysql.Config, error) {
	switch {
	case cfg.Address == "" && cfg.Socket == "":
		return nil, errors.New("invalid WHMCS database config: set the TCP address (host:port) or the unix socket path")
	case cfg.Address != "" && cfg.Socket != "":
		return nil, fmt.Errorf("invalid WHMCS database config: address %q and socket %q are both set, keep one", cfg.Address, cfg.Socket)
	case cfg.User == "":
		return nil, errors.New("invalid WHMCS database config: user is missing")
	case cfg.Name == "":
		return nil, errors.New("invalid WHMCS database config: database name is missing")
	}

	c := mysql.NewConfig()
	c.User = cfg.User
	c.Passwd = cfg.Password
	c.DBName = cfg.Name
	if cfg.Socket != "" {
		c.Net = "unix"
		c.Addr = cfg.Socket
	} else {
		c.Net = "tcp"
		c.Addr = cfg.Address
	}

	c.ParseTime = true
	c.Loc = time.Local
	c.Timeout = dialTimeout
	c.ReadTimeout = ioTimeout
	c.WriteTimeout = ioTimeout
	if err := c.Apply(mysql.Charset("utf8mb4", "utf8mb4_unicode_ci")); err != nil {
		return nil, fmt.Errorf("invalid WHMCS database config: %w", err)
	}

	c.Params = map[string]string{"sql_mode": "'" + SessionSQLMode + "'"}
	for key, value := range cfg.Params {
		c.Params[key] = value
	}

	return c, nil
}

// describe names the connection for error messages, without the password.
func (cfg DBConfig) describe() string {
	where := cfg.Address
	if cfg.Socket != "" {
		where = "unix(" + cfg.Socket + ")"
	}
	return fmt.Sprintf("%q as user %q at %s", cfg.Name, cfg.User, where)
}

// passwordHiddenError replaces every occurrence of the password in the
// text of a wrapped error, in case a driver message ever quotes it.
type passwordHiddenError struct {
	err  error
	text string
}

func (e *passwordHiddenError) Error() string { return e.text }
func (e *passwordHiddenError) Unwrap() error { return e.err }

func hidePassword(err error, password string) error {
	if password == "" {
		return err
	}
	text := err.Error()
	hidden := strings.ReplaceAll(text, password, "xxxxx")
	if hidden == text {
		return err
	}
	return &passwordHiddenError{err: err, text: hidden}
}
