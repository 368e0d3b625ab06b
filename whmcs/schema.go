package whmcs

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// requiredColumns are the WHMCS tables and columns the bridge reads or
// writes. A missing one usually means that DBConfig.Name points at a
// database other than the WHMCS one.
var requiredColumns = map[string][]string{
	"tblclients": {"id", "email", "status"},
	"tblhosting": {"id", "userid", "packageid", "server", "domainstatus", "domain", "username"},
	"tblproducts": {
		"id", "name", "servertype",
		"configoption1", "configoption2", "configoption3", "configoption4", "configoption5", "configoption6",
		"configoption7", "configoption8", "configoption9", "configoption10", "configoption11", "configoption12",
		"configoption13", "configoption14", "configoption15", "configoption16", "configoption17", "configoption18",
		"configoption19", "configoption20", "configoption21", "configoption22", "configoption23", "configoption24",
	},
	"tblnotes": {"id", "userid", "adminid", "created", "modified", "note", "sticky"},
}

const selectSchemaColumns = `SELECT TABLE_NAME, COLUMN_NAME
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('tblclients', 'tblhosting', 'tblproducts', 'tblnotes')`

// SchemaError lists what CheckSchema did not find.
type SchemaError struct {
	Database string
	Missing  []string // "table" for a missing table, "table.column" for a missing column; sorted
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("WHMCS database %q lacks tables or columns the bridge needs: %s; check that the database name points at the WHMCS database",
		e.Database, strings.Join(e.Missing, ", "))
}

// CheckSchema verifies that the WHMCS tables and columns the bridge uses
// exist. When some are missing it returns a *SchemaError naming each one.
func (s *Store) CheckSchema(ctx context.Context) error {
	database, err := s.currentDatabase(ctx, s.db)
	if err != nil {
		return fmt.Errorf("check WHMCS schema: %w", err)
	}

	rows, err := s.db.QueryContext(ctx, selectSchemaColumns)
	if err != nil {
		return wrapDBError("check WHMCS schema", err)
	}
	defer rows.Close()

	found := make(map[string]map[string]bool)
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return wrapDBError("check WHMCS schema", err)
		}
		if found[table] == nil {
			found[table] = make(map[string]bool)
		}
		found[table][strings.ToLower(column)] = true
	}
	if err := rows.Err(); err != nil {
		return wrapDBError("check WHMCS schema", err)
	}

	var missing []string
	for table, columns := range requiredColumns {
		if found[table] == nil {
			missing = append(missing, table)
			continue
		}
		for _, column := range columns {
			if !found[table][column] {
				missing = append(missing, table+"."+column)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}

	sort.Strings(missing)
	return &SchemaError{Database: database, Missing: missing}
}
