package whmcs_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

func TestCheckSchemaPasses(t *testing.T) {
	_, store := newStore(t)

	if err := store.CheckSchema(t.Context()); err != nil {
		t.Errorf("CheckSchema on the test schema: %v", err)
	}
}

func TestCheckSchemaNamesMissing(t *testing.T) {
	db, store := newStore(t)
	for _, statement := range []string{
		`DROP TABLE tblnotes`,
		`ALTER TABLE tblproducts DROP COLUMN configoption24`,
		`ALTER TABLE tblhosting DROP COLUMN domainstatus`,
	} {
		if _, err := db.ExecContext(t.Context(), statement); err != nil {
			t.Fatalf("%s: %v", statement, err)
		}
	}

	err := store.CheckSchema(t.Context())

	var schemaErr *whmcs.SchemaError
	if !errors.As(err, &schemaErr) {
		t.Fatalf("CheckSchema error = %v, want *SchemaError", err)
	}
	want := []string{"tblhosting.domainstatus", "tblnotes", "tblproducts.configoption24"}
	if !slices.Equal(schemaErr.Missing, want) {
		t.Errorf("Missing = %v, want %v", schemaErr.Missing, want)
	}
	if !strings.Contains(err.Error(), db.Name) {
		t.Errorf("error %q does not name database %s", err, db.Name)
	}
}
