package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

func (p *Provisioner) db() *sqlx.DB { return p.opts.DB }

// loadService reads a service and checks that the daemon manages it.
func (p *Provisioner) loadService(ctx context.Context, serviceID int64) (whmcs.Service, error) {
	noteService(ctx, serviceID)
	if serviceID <= 0 {
		return whmcs.Service{}, invalidInput("service_id", "service_id must be a positive WHMCS service id, got %d", serviceID)
	}
	svc, err := p.opts.Store.Service(ctx, serviceID)
	if errors.Is(err, whmcs.ErrNotFound) {
		return whmcs.Service{}, newError(CodeNotFound, err, "WHMCS service %d does not exist (no row in tblhosting)", serviceID)
	}
	if err != nil {
		return whmcs.Service{}, p.dbError(err, "read WHMCS service %d", serviceID)
	}
	if svc.ProductModule != p.opts.Module {
		return whmcs.Service{}, newError(CodeConflict, nil,
			"WHMCS service %d belongs to product %q, whose module is %q, not %q; the daemon manages only products of its own module",
			svc.ID, svc.ProductName, svc.ProductModule, p.opts.Module)
	}
	return svc, nil
}

// chooseEmail returns the email the service's S3 user is created with: the client's email for the
// client's first storage service, and the AdditionalUserEmail template (by default
// "local+s<service id>@domain") for every further one, so each service has its own S3 user with
// its own limits and usage.
func (p *Provisioner) chooseEmail(ctx context.Context, svc whmcs.Service) (string, error) {
	email := strings.TrimSpace(svc.ClientEmail)
	if err := ValidateEmail(email); err != nil {
		return "", invalidInput("email", "client %d has email %q, which is not usable for an S3 user: %v; correct the client's email in WHMCS",
			svc.ClientID, email, err)
	}
	others, err := p.opts.Store.IdentitiesByEmail(ctx, email)
	if err != nil {
		return "", p.dbError(err, "look up S3 identities with email %q", email)
	}
	for _, other := range others {
		if other.ServiceID != svc.ID {
			return p.additionalEmail(email, svc)
		}
	}
	return email, nil
}

// ValidateEmail reports why email cannot name an S3 user, or returns nil.
func ValidateEmail(email string) error {
	if email == "" {
		return errors.New("it is empty")
	}
	if len(email) > 254 {
		return fmt.Errorf("it is %d bytes long, the maximum is 254", len(email))
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return errors.New("it is not a plain address of the form local@domain")
	}
	return nil
}

// dbError classifies a database failure. Lock timeouts become CodeBusy; everything else is
// reported as the database being unavailable, naming the step that failed.
func (p *Provisioner) dbError(err error, format string, args ...any) error {
	var be *Error
	if errors.As(err, &be) {
		return be
	}
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, whmcs.ErrLocked) {
		return newError(CodeBusy, err, "could not %s: another operation on it is still running; retry in a few seconds", what)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return newError(CodeDatabase, err, "could not %s: the database timed out", what)
	}
	return newError(CodeDatabase, err, "could not %s: database error (see the daemon log)", what)
}

// gatewayError wraps a gateway failure with the step that failed, keeping its classification.
func (p *Provisioner) gatewayError(err error, format string, args ...any) error {
	var be *Error
	if errors.As(err, &be) {
		return be
	}
	c := classify(err)
	if c.Code == CodeInternal {
		c = newError(CodeGatewayDown, err, "%s", gatewayMessage(err))
	}
	c.Message = fmt.Sprintf(format, args...) + ": " + c.Message
	return c
}

// gatewayMessage describes a gateway failure for an admin. Errors the bridge does not classify
// are transport failures (refused connection, TLS, DNS); their text from the ostor client names
// the operation and the network error and never contains a secret.
func gatewayMessage(err error) string {
	c := classify(err)
	if c.Code != CodeInternal {
		return c.Message
	}
	return "the S3 gateway could not be reached: " + err.Error()
}

// failOperation records the failure of a journaled operation. It runs on its own short deadline,
// because the call's context may be the reason the operation failed.
func (p *Provisioner) failOperation(opID int64, cause error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	msg := toRPCError(cause).Message
	if err := p.opts.Store.FailOperation(ctx, opID, msg); err != nil {
		p.log.Error("journal the failure of an operation", zap.Int64("operation_id", opID), zap.Error(err))
	}
}
