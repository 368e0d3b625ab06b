package whmcs

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry is one admin action recorded in mod_ostorbridge_audit.
type AuditEntry struct {
	ID        int64     `db:"id"`
	CreatedAt time.Time `db:"created_at"`
	AdminID   int64     `db:"admin_id"`  // tbladmins.id
	ClientID  int64     `db:"client_id"` // tblclients.id
	ServiceID int64     `db:"service_id"`
	Action    string    `db:"action"`
	Params    string    `db:"params"`  // validated parameters as JSON; never holds a secret
	Outcome   string    `db:"outcome"` // AuditOK or AuditFailed
	Message   string    `db:"message"`
}

// Outcomes of an audited action.
const (
	AuditOK     = "ok"
	AuditFailed = "failed"
)

const (
	// maxAuditActionLen is the width of mod_ostorbridge_audit.action.
	maxAuditActionLen = 64

	insertAudit = `INSERT INTO mod_ostorbridge_audit
	(created_at, admin_id, client_id, service_id, action, params, outcome, message)
VALUES (NOW(), ?, ?, ?, ?, ?, ?, ?)`

	selectRecentAudit = `SELECT id, created_at, admin_id, client_id, service_id, action, params, outcome, message
FROM mod_ostorbridge_audit
WHERE client_id = ?
ORDER BY id DESC
LIMIT ?`
)

// RecordAudit stores e and returns its id. CreatedAt and ID are set by the
// database. Params and Message are cut to fit a TEXT column.
func (s *Store) RecordAudit(ctx context.Context, e AuditEntry) (int64, error) {
	if e.Action == "" || len(e.Action) > maxAuditActionLen {
		return 0, fmt.Errorf("record audit entry: action %q must have 1 to %d bytes", e.Action, maxAuditActionLen)
	}
	if e.Outcome != AuditOK && e.Outcome != AuditFailed {
		return 0, fmt.Errorf("record audit entry: outcome %q is invalid, use %q or %q", e.Outcome, AuditOK, AuditFailed)
	}
	if e.Params == "" {
		e.Params = "{}"
	}

	res, err := s.db.ExecContext(ctx, insertAudit, e.AdminID, e.ClientID, e.ServiceID, e.Action,
		truncateText(e.Params), e.Outcome, truncateText(e.Message))
	if err != nil {
		return 0, wrapDBError(fmt.Sprintf("record audit entry %s of client %d", e.Action, e.ClientID), err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, wrapDBError("read id of the audit entry", err)
	}
	return id, nil
}

// RecentAudit returns up to limit audit entries of a client, newest first.
// A limit of 0 or less means 20, and limits above 1000 are lowered to 1000.
func (s *Store) RecentAudit(ctx context.Context, clientID int64, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = defaultRecentOperations
	}
	limit = min(limit, maxRecentOperations)

	entries := []AuditEntry{}
	if err := s.db.SelectContext(ctx, &entries, selectRecentAudit, clientID, limit); err != nil {
		return nil, wrapDBError(fmt.Sprintf("read audit entries of client %d", clientID), err)
	}
	return entries, nil
}
