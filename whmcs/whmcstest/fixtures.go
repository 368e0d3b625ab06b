package whmcstest

import (
	"testing"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// Note is a tblnotes row.
type Note = whmcs.Note

// Client is the tblclients data a test chooses. AddClient fills every
// other NOT NULL column.
type Client struct {
	Email     string
	FirstName string
	LastName  string
	Status    string // Active, Inactive or Closed; empty means Active
}

// Product is the tblproducts data a test chooses.
type Product struct {
	Name          string
	Module        string // tblproducts.servertype
	ConfigOptions [24]string
}

// Server is the tblservers data a test chooses.
type Server struct {
	Name       string
	Module     string // tblservers.type
	Hostname   string
	Username   string
	Password   string // stored as given; WHMCS would store it encrypted
	AccessHash string
	Secure     bool
	Port       int // 0 stores NULL
}

// Service is the tblhosting data a test chooses.
type Service struct {
	ClientID  int64
	ProductID int64
	ServerID  int64
	Status    string // tblhosting.domainstatus; empty means Active
	Domain    string
	Username  string
}

const insertClient = `INSERT INTO tblclients (
	uuid, firstname, lastname, companyname, email,
	address1, address2, city, state, postcode, country, phonenumber,
	password, authmodule, authdata, currency, defaultgateway, credit,
	taxexempt, latefeeoveride, overideduenotices, separateinvoices, disableautocc,
	datecreated, notes, billingcid, securityqid, securityqans, groupid,
	cardlastfour, cardnum, ip, host, status, language, pwresetkey,
	emailoptout, overrideautoclose, created_at, updated_at
) VALUES (
	UUID(), ?, ?, '', ?,
	'1 Main Street', '', 'Springfield', 'State', '12345', 'US', '+1.5550100',
	'', '', '', 1, '', 0.00,
	0, 0, 0, 0, 0,
	CURDATE(), '', 0, 0, '', 0,
	'', '', '127.0.0.1', 'localhost', ?, '', '',
	0, 0, NOW(), NOW()
)`

// AddClient inserts a client and returns its tblclients.id.
func (db *DB) AddClient(t testing.TB, c Client) int64 {
	t.Helper()
	if c.Status == "" {
		c.Status = "Active"
	}
	return db.insert(t, "client", insertClient, c.FirstName, c.LastName, c.Email, c.Status)
}

const insertProduct = `INSERT INTO tblproducts (
	type, gid, name, description, hidden, showdomainoptions, stockcontrol,
	paytype, allowqty, subdomain, autosetup, servertype, servergroup,
	configoption1, configoption2, configoption3, configoption4, configoption5, configoption6,
	configoption7, configoption8, configoption9, configoption10, configoption11, configoption12,
	configoption13, configoption14, configoption15, configoption16, configoption17, configoption18,
	configoption19, configoption20, configoption21, configoption22, configoption23, configoption24,
	freedomain, recurringcycles, autoterminatedays, configoptionsupgrade, billingcycleupgrade,
	overagesenabled, overagesdisklimit, overagesbwlimit, overagesdiskprice, overagesbwprice,
	tax, retired, is_featured, created_at, updated_at
) VALUES (
	'other', 1, ?, '', 0, 0, 0,
	'recurring', 0, '', 'payment', ?, 0,
	?, ?, ?, ?, ?, ?,
	?, ?, ?, ?, ?, ?,
	?, ?, ?, ?, ?, ?,
	?, ?, ?, ?, ?, ?,
	'', 0, 0, 0, '',
	'', 0, 0, 0.0000, 0.0000,
	0, 0, 0, NOW(), NOW()
)`

// AddProduct inserts a product and returns its tblproducts.id.
func (db *DB) AddProduct(t testing.TB, p Product) int64 {
	t.Helper()
	args := []any{p.Name, p.Module}
	for _, option := range p.ConfigOptions {
		args = append(args, option)
	}
	return db.insert(t, "product", insertProduct, args...)
}

const insertServer = `INSERT INTO tblservers (
	name, ipaddress, assignedips, hostname, noc, statusaddress,
	nameserver1, nameserver1ip, nameserver2, nameserver2ip, nameserver3, nameserver3ip,
	nameserver4, nameserver4ip, nameserver5, nameserver5ip,
	type, username, password, accesshash, secure, port, active, disabled,
	created_at, updated_at
) VALUES (
	?, '', '', ?, '', '',
	'', '', '', '', '', '',
	'', '', '', '',
	?, ?, ?, ?, ?, ?, 1, 0,
	NOW(), NOW()
)`

// AddServer inserts a server and returns its tblservers.id.
func (db *DB) AddServer(t testing.TB, s Server) int64 {
	t.Helper()
	secure := ""
	if s.Secure {
		secure = "on"
	}
	var port any
	if s.Port != 0 {
		port = s.Port
	}
	return db.insert(t, "server", insertServer, s.Name, s.Hostname, s.Module, s.Username, s.Password, s.AccessHash, secure, port)
}

// insertService leaves overidesuspenduntil at '0000-00-00' on purpose,
// as WHMCS does for services that were never suspended.
const insertService = `INSERT INTO tblhosting (
	userid, orderid, packageid, server, regdate, domain, paymentmethod,
	billingcycle, nextduedate, nextinvoicedate, domainstatus, username, password,
	notes, subscriptionid, promoid, suspendreason, overideautosuspend,
	overidesuspenduntil, dedicatedip, assignedips, ns1, ns2, created_at, updated_at
) VALUES (
	?, 0, ?, ?, CURDATE(), ?, 'banktransfer',
	'Monthly', CURDATE(), CURDATE(), ?, ?, '',
	'', '', 0, '', 0,
	'0000-00-00', '', '', '', '', NOW(), NOW()
)`

// AddService inserts a service and returns its tblhosting.id.
func (db *DB) AddService(t testing.TB, s Service) int64 {
	t.Helper()
	if s.Status == "" {
		s.Status = "Active"
	}
	return db.insert(t, "service", insertService, s.ClientID, s.ProductID, s.ServerID, s.Domain, s.Status, s.Username)
}

const insertAdmin = `INSERT INTO tbladmins (
	uuid, roleid, username, authmodule, authdata, firstname, lastname, email,
	signature, notes, template, language, disabled, loginattempts, supportdepts,
	ticketnotifications, homewidgets, password_reset_data, hidden_widgets, widget_order,
	created_at, updated_at
) VALUES (
	UUID(), 1, ?, '', '', 'Test', 'Admin', 'admin@example.com',
	'', '', 'blend', 'english', 0, 0, '',
	'', '', '', '', '',
	NOW(), NOW()
)`

// AddAdmin inserts an administrator and returns its tbladmins.id.
func (db *DB) AddAdmin(t testing.TB, username string) int64 {
	t.Helper()
	return db.insert(t, "admin", insertAdmin, username)
}

const insertAdminNote = `INSERT INTO tblnotes (userid, adminid, created, modified, note, sticky)
VALUES (?, ?, NOW(), NOW(), ?, 0)`

// AddNote inserts a note written by an administrator, who is created on
// the first call, and returns its tblnotes.id.
func (db *DB) AddNote(t testing.TB, clientID int64, text string) int64 {
	t.Helper()
	db.adminOnce.Do(func() {
		db.adminID = db.AddAdmin(t, "fixture-admin")
	})
	return db.insert(t, "note", insertAdminNote, clientID, db.adminID, text)
}

const selectNotes = `SELECT id, userid, adminid, created, modified, note, sticky
FROM tblnotes
WHERE userid = ?
ORDER BY id`

// Notes returns the client's notes ordered by id.
func (db *DB) Notes(t testing.TB, clientID int64) []Note {
	t.Helper()
	notes := []Note{}
	if err := db.SelectContext(t.Context(), &notes, selectNotes, clientID); err != nil {
		t.Fatalf("whmcstest: read notes of client %d: %v", clientID, err)
	}
	return notes
}

func (db *DB) insert(t testing.TB, what, query string, args ...any) int64 {
	t.Helper()
	result, err := db.ExecContext(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("whmcstest: insert %s: %v", what, err)
	}
	id, err := result.LastInsertId()
	if err != nil {
		t.Fatalf("whmcstest: insert %s: read its id: %v", what, err)
	}
	return id
}
