// Package whmcs reads clients, services and products from a WHMCS MySQL or
// MariaDB database and keeps the bridge's own state beside them.
//
// WHMCS tables are read as they are: utf8mb3 text, '0000-00-00' dates and
// columns that upgraded installs may have left nullable. The only WHMCS
// table this package writes is tblnotes, and there it changes only notes
// that start with the bridge's marker line (see [Store.WriteKeyNote]).
// Everything else the bridge stores lives in mod_ostorbridge_* tables that
// [Migrate] creates.
package whmcs
