package bridge

import (
	"fmt"
	"strings"
	"time"
)

// ReconcileRequest selects the services Reconcile checks: one service, the services of one
// client, or every service of the daemon's module when both ids are 0.
type ReconcileRequest struct {
	ClientID  int64
	ServiceID int64

	// Fix repairs what can be repaired: it resolves pending operations, replaces unrecorded
	// keys, drops records of keys the gateway no longer has and sets the user's state to the
	// service's. Without it Reconcile only reads and reports.
	Fix bool

	// ResumePending resolves pending operations even without Fix, so that the daemon finishes
	// its own interrupted work at start-up while reporting drift only.
	ResumePending bool

	AdminID int64 // the admin who asked, 0 for the daemon and the command line
}

// FindingKind names one kind of difference between WHMCS and the gateway.
type FindingKind string

// Finding kinds. docs/rpc.md describes each with its fix. findingKinds in metrics.go lists every
// one, so that the metrics report 0 for a kind the last run did not find.
const (
	FindingPendingOperation FindingKind = "pending_operation"  // an operation was interrupted
	FindingUnrecordedKey    FindingKind = "unrecorded_key"     // the gateway has a key no service records
	FindingMissingKey       FindingKind = "missing_key"        // a recorded key is gone from the gateway
	FindingRevokedKeyActive FindingKind = "revoked_key_active" // a key recorded as revoked still works
	FindingMissingUser      FindingKind = "missing_user"       // the recorded S3 user is gone
	FindingUnrecordedUser   FindingKind = "unrecorded_user"    // a user of a deleted service, or with a bridge email, that no service records
	FindingEndedServiceUser FindingKind = "ended_service_user" // a terminated or cancelled service still has its S3 user
	FindingStateMismatch    FindingKind = "state_mismatch"     // suspended service with enabled user, or the reverse
	FindingNotProvisioned   FindingKind = "not_provisioned"    // an active or suspended service has no S3 user
	FindingBusy             FindingKind = "busy"               // another operation held the service; not checked
	FindingCheckFailed      FindingKind = "check_failed"       // the database or gateway failed while checking
)

// Finding is one difference Reconcile found, and what it did about it.
type Finding struct {
	Kind        FindingKind `json:"kind"`
	ServiceID   int64       `json:"service_id"`
	ClientID    int64       `json:"client_id"`
	UserID      string      `json:"user_id,omitempty"`
	AccessKeyID string      `json:"access_key_id,omitempty"`
	OperationID int64       `json:"operation_id,omitempty"`

	Message string `json:"message"` // what differs
	Action  string `json:"action"`  // the repair Fix made, or the one Fix or an admin would make
	Fixed   bool   `json:"fixed"`
	Error   string `json:"error,omitempty"` // the reason the fix failed
}

// ReconcileReport is the outcome of Reconcile, for people (Text) and programs (JSON).
type ReconcileReport struct {
	Scope           string    `json:"scope"`
	Fix             bool      `json:"fix"`
	StartedAt       time.Time `json:"started_at"`
	FinishedAt      time.Time `json:"finished_at"`
	ServicesChecked int       `json:"services_checked"`
	Findings        []Finding `json:"findings"`
}

// Open returns the number of findings that are not fixed.
func (r ReconcileReport) Open() int {
	n := 0
	for _, f := range r.Findings {
		if !f.Fixed {
			n++
		}
	}
	return n
}

// Summary returns the report's counts in one line, for logs.
func (r ReconcileReport) Summary() string {
	return fmt.Sprintf("checked %d services (%s): %d findings, %d fixed, %d open",
		r.ServicesChecked, r.Scope, len(r.Findings), len(r.Findings)-r.Open(), r.Open())
}

// Text renders the report for a person: the summary, then one paragraph per finding.
func (r ReconcileReport) Text() string {
	var b strings.Builder
	mode := "report only"
	if r.Fix {
		mode = "fix"
	}
	fmt.Fprintf(&b, "Reconciliation of %s (%s), %s\n", r.Scope, mode, r.StartedAt.Format(time.RFC3339))
	fmt.Fprintf(&b, "%s\n", r.Summary())
	if len(r.Findings) == 0 {
		b.WriteString("\nNo differences between WHMCS and the gateway.\n")
		return b.String()
	}
	for i, f := range r.Findings {
		status := "OPEN"
		switch {
		case f.Fixed:
			status = "FIXED"
		case f.Error != "":
			status = "FIX FAILED"
		}
		switch {
		case f.ServiceID != 0:
			fmt.Fprintf(&b, "\n%d. [%s] %s, service %d (client %d)\n", i+1, status, f.Kind, f.ServiceID, f.ClientID)
		case f.ClientID != 0:
			fmt.Fprintf(&b, "\n%d. [%s] %s, client %d\n", i+1, status, f.Kind, f.ClientID)
		default:
			fmt.Fprintf(&b, "\n%d. [%s] %s, no WHMCS service or client\n", i+1, status, f.Kind)
		}
		fmt.Fprintf(&b, "   %s\n", f.Message)
		if f.Action != "" {
			fmt.Fprintf(&b, "   Action: %s\n", f.Action)
		}
		if f.Error != "" {
			fmt.Fprintf(&b, "   Error: %s\n", f.Error)
		}
	}
	return b.String()
}

func (r ReconcileReport) String() string { return r.Text() }
