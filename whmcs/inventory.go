package whmcs

import (
	"context"
	"fmt"
)

// Scope selects the services a listing covers: one service, the services
// of one client, or every service when both ids are 0.
type Scope struct {
	ClientID  int64 // tblclients.id, 0 for any client
	ServiceID int64 // tblhosting.id, 0 for any service
}

func (sc Scope) String() string {
	switch {
	case sc.ServiceID != 0 && sc.ClientID != 0:
		return fmt.Sprintf("service %d of client %d", sc.ServiceID, sc.ClientID)
	case sc.ServiceID != 0:
		return fmt.Sprintf("service %d", sc.ServiceID)
	case sc.ClientID != 0:
		return fmt.Sprintf("the services of client %d", sc.ClientID)
	}
	return "every service"
}

const (
	// The module is compared as WHMCS's case-insensitive collation does.
	selectModuleServices = serviceSelect + `
WHERE p.servertype = ? AND (? = 0 OR h.userid = ?) AND (? = 0 OR h.id = ?)
ORDER BY h.id`

	selectIdentities = `SELECT ` + identityColumns + `
FROM mod_ostorbridge_identities
WHERE (? = 0 OR client_id = ?) AND (? = 0 OR service_id = ?)
ORDER BY service_id`
)

// ModuleServices reads the services in scope whose product uses module,
// in any status, ordered by service id. Services whose client or product
// row is missing are logged and left out.
func (s *Store) ModuleServices(ctx context.Context, module string, scope Scope) ([]Service, error) {
	return s.queryServices(ctx, fmt.Sprintf("read the %s services of %s", module, scope), selectModuleServices, module,
		scope.ClientID, scope.ClientID, scope.ServiceID, scope.ServiceID)
}

// Identities reads the stored S3 identities in scope, ordered by service
// id. The client id compared is the one stored with the identity, which is
// the service's owner when the identity was created.
func (s *Store) Identities(ctx context.Context, scope Scope) ([]Identity, error) {
	identities := []Identity{}
	err := s.db.SelectContext(ctx, &identities, selectIdentities,
		scope.ClientID, scope.ClientID, scope.ServiceID, scope.ServiceID)
	if err != nil {
		return nil, wrapDBError(fmt.Sprintf("read the S3 identities of %s", scope), err)
	}
	return identities, nil
}

// ClientAddress is the id and email of a WHMCS client.
type ClientAddress struct {
	ClientID int64  `db:"id"`
	Email    string `db:"email"`
}

const selectClientAddresses = `SELECT id, COALESCE(email, '') AS email
FROM tblclients
WHERE COALESCE(email, '') <> ''
ORDER BY id`

// ClientAddresses reads the email of every client that has one, ordered by
// client id.
func (s *Store) ClientAddresses(ctx context.Context) ([]ClientAddress, error) {
	addresses := []ClientAddress{}
	if err := s.db.SelectContext(ctx, &addresses, selectClientAddresses); err != nil {
		return nil, wrapDBError("read the client emails", err)
	}
	return addresses, nil
}
