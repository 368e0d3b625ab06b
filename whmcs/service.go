package whmcs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"go.uber.org/zap"
)

// Service is a WHMCS service (tblhosting row) with its client and product.
type Service struct {
	ID        int64  // tblhosting.id
	ClientID  int64  // tblhosting.userid, the tblclients.id that owns it
	ProductID int64  // tblhosting.packageid
	ServerID  int64  // tblhosting.server, 0 when none is assigned
	Status    string // tblhosting.domainstatus: Pending, Active, Suspended, Terminated, Cancelled, Fraud or Completed
	Domain    string
	Username  string

	ClientEmail  string // tblclients.email, not unique across clients
	ClientStatus string // tblclients.status: Active, Inactive or Closed

	ProductName   string
	ProductModule string // tblproducts.servertype, the provisioning module name

	// ConfigOptions are tblproducts.configoption1 to configoption24;
	// ConfigOptions[0] is configoption1.
	ConfigOptions [24]string
}

// serviceSelect reads a service. Text columns go through COALESCE because
// installs upgraded from old WHMCS versions can have NULL in columns that
// new installs declare NOT NULL. The client and product are LEFT JOINed so
// that a service whose client or product row is gone is reported as such
// instead of as a missing service.
const serviceSelect = `SELECT
	h.id, COALESCE(h.userid, 0), COALESCE(h.packageid, 0), COALESCE(h.server, 0),
	COALESCE(h.domainstatus, ''), COALESCE(h.domain, ''), COALESCE(h.username, ''),
	c.id, COALESCE(c.email, ''), COALESCE(c.status, ''),
	p.id, COALESCE(p.name, ''), COALESCE(p.servertype, ''),
	COALESCE(p.configoption1, ''), COALESCE(p.configoption2, ''), COALESCE(p.configoption3, ''),
	COALESCE(p.configoption4, ''), COALESCE(p.configoption5, ''), COALESCE(p.configoption6, ''),
	COALESCE(p.configoption7, ''), COALESCE(p.configoption8, ''), COALESCE(p.configoption9, ''),
	COALESCE(p.configoption10, ''), COALESCE(p.configoption11, ''), COALESCE(p.configoption12, ''),
	COALESCE(p.configoption13, ''), COALESCE(p.configoption14, ''), COALESCE(p.configoption15, ''),
	COALESCE(p.configoption16, ''), COALESCE(p.configoption17, ''), COALESCE(p.configoption18, ''),
	COALESCE(p.configoption19, ''), COALESCE(p.configoption20, ''), COALESCE(p.configoption21, ''),
	COALESCE(p.configoption22, ''), COALESCE(p.configoption23, ''), COALESCE(p.configoption24, '')
FROM tblhosting h
LEFT JOIN tblclients c ON c.id = h.userid
LEFT JOIN tblproducts p ON p.id = h.packageid`

const (
	selectServiceByID = serviceSelect + `
WHERE h.id = ?`

	// An empty module matches every service of the client.
	selectServicesOfClient = serviceSelect + `
WHERE h.userid = ? AND (? = '' OR p.servertype = ?)
ORDER BY h.id`
)

// Service reads one service with its client and product. An unknown id
// returns an error wrapping ErrNotFound. A service whose client or product
// row is missing returns an error as well, because the bridge cannot act
// on it.
func (s *Store) Service(ctx context.Context, serviceID int64) (Service, error) {
	row := s.db.QueryRowxContext(ctx, selectServiceByID, serviceID)
	svc, err := scanService(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Service{}, fmt.Errorf("service %d in tblhosting: %w", serviceID, ErrNotFound)
	}
	if err != nil {
		return Service{}, wrapDBError(fmt.Sprintf("read service %d", serviceID), err)
	}
	return svc, nil
}

// ServicesOfClient reads the client's services whose product uses module
// (tblproducts.servertype, compared case-insensitively as WHMCS's collation
// does), ordered by service id. An empty module returns every service of
// the client. Services whose client or product row is missing are left out.
func (s *Store) ServicesOfClient(ctx context.Context, clientID int64, module string) ([]Service, error) {
	return s.queryServices(ctx, fmt.Sprintf("read services of client %d", clientID), selectServicesOfClient, clientID, module, module)
}

// queryServices runs a query of serviceSelect rows. Services whose client
// or product row is missing are logged and left out. The result is never
// nil.
func (s *Store) queryServices(ctx context.Context, action, query string, args ...any) ([]Service, error) {
	rows, err := s.db.QueryxContext(ctx, query, args...)
	if err != nil {
		return nil, wrapDBError(action, err)
	}
	defer rows.Close()

	services := []Service{}
	for rows.Next() {
		svc, err := scanService(rows)
		if errors.Is(err, errDanglingService) {
			s.log.Warn("skipping service without client or product row", zap.String("action", action), zap.Error(err))
			continue
		}
		if err != nil {
			return nil, wrapDBError(action, err)
		}
		services = append(services, svc)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapDBError(action, err)
	}
	return services, nil
}

var errDanglingService = errors.New("incomplete service record")

// scanService scans one row of serviceSelect. It returns an error wrapping
// errDanglingService when the client or product row is missing.
func scanService(row interface{ Scan(...any) error }) (Service, error) {
	var (
		svc       Service
		clientID  sql.NullInt64
		productID sql.NullInt64
	)
	dest := []any{
		&svc.ID, &svc.ClientID, &svc.ProductID, &svc.ServerID,
		&svc.Status, &svc.Domain, &svc.Username,
		&clientID, &svc.ClientEmail, &svc.ClientStatus,
		&productID, &svc.ProductName, &svc.ProductModule,
	}
	for i := range svc.ConfigOptions {
		dest = append(dest, &svc.ConfigOptions[i])
	}

	if err := row.Scan(dest...); err != nil {
		return Service{}, err
	}

	if !clientID.Valid {
		return Service{}, fmt.Errorf("%w: service %d belongs to client %d, which is missing from tblclients", errDanglingService, svc.ID, svc.ClientID)
	}
	if !productID.Valid {
		return Service{}, fmt.Errorf("%w: service %d uses product %d, which is missing from tblproducts", errDanglingService, svc.ID, svc.ProductID)
	}
	return svc, nil
}
