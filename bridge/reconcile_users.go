package bridge

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// userLister lists the gateway's S3 users. *ostor.Client implements it.
type userLister interface {
	ListUsers(ctx context.Context) ([]ostor.User, error)
}

// unrecordedUserAction is the advice of every unrecorded_user finding. Reconcile never deletes or
// adopts such a user by itself, because only a person can tell whether its data is still needed.
const unrecordedUserAction = "none automatically: check the user's buckets, then delete the user on the gateway, " +
	"or restore or create the WHMCS service that should own it"

// findUnrecordedUsers reports the gateway users that no existing service of the module records:
// users recorded for a service that is gone from tblhosting (WHMCS ServiceDelete keeps them), and
// users whose email is one the bridge gives to a client's services. With clientID other than 0
// only the findings of that client are returned.
//
// The gateway is listed before the database is read. A concurrent Create journals its email
// before it creates the user, and it records the user before it finishes. So its user is either
// recorded or named by a pending create operation, and is not reported. A concurrent Terminate
// deletes the user before it deletes the identity, so each user about to be reported is read
// again, and one that is gone by then is left out.
func (p *Provisioner) findUnrecordedUsers(ctx context.Context, clientID int64) []Finding {
	failed := func(err error, what string) []Finding {
		return []Finding{{Kind: FindingCheckFailed, ClientID: clientID,
			Message: fmt.Sprintf("could not %s: %s", what, asError(err).Message),
			Action:  "rerun reconcile when the database and the gateway are reachable"}}
	}
	lister, ok := p.opts.Gateway.(userLister)
	if !ok {
		return failed(newError(CodeInternal, nil, "the daemon's gateway client cannot list users"), "list the S3 users")
	}
	users, err := lister.ListUsers(ctx)
	if err != nil {
		return failed(p.gatewayError(err, "list the S3 users"), "list the S3 users")
	}

	services, err := p.opts.Store.ModuleServices(ctx, p.opts.Module, whmcs.Scope{})
	if err != nil {
		return failed(p.dbError(err, "read the services of module %q", p.opts.Module), "read the services")
	}
	identities, err := p.opts.Store.Identities(ctx, whmcs.Scope{})
	if err != nil {
		return failed(p.dbError(err, "read the S3 identities"), "read the S3 identities")
	}
	pending, err := p.opts.Store.PendingOperations(ctx, 0)
	if err != nil {
		return failed(p.dbError(err, "read the pending operations"), "read the pending operations")
	}
	clients, err := p.opts.Store.ClientAddresses(ctx)
	if err != nil {
		return failed(p.dbError(err, "read the client emails"), "read the client emails")
	}

	live := make(map[int64]bool, len(services))
	for _, svc := range services {
		live[svc.ID] = true
	}
	knownServices := make(map[int64]bool, len(services)+len(identities))
	recorded := make(map[string]bool, len(identities))
	ofGoneService := make(map[string]whmcs.Identity)
	for _, ident := range identities {
		knownServices[ident.ServiceID] = true
		if live[ident.ServiceID] {
			recorded[ident.UserID] = true
		} else {
			ofGoneService[ident.UserID] = ident
		}
	}
	for id := range live {
		knownServices[id] = true
	}
	creating := make(map[string]bool)
	for _, op := range pending {
		if d, ok := createDetailOf(op); ok {
			creating[strings.ToLower(d.Email)] = true
		}
	}
	matcher := newAddressMatcher(p.opts.AdditionalUserEmail, clients, knownServices)

	findings := []Finding{}
	for _, user := range users {
		if recorded[user.ID] {
			continue
		}
		var f Finding
		if ident, ok := ofGoneService[user.ID]; ok {
			f = Finding{Kind: FindingUnrecordedUser, ServiceID: ident.ServiceID, ClientID: ident.ClientID, UserID: user.ID,
				Message: fmt.Sprintf("S3 user %s (%s) is recorded for WHMCS service %d, which is no longer in tblhosting as a service of module %q",
					user.ID, user.Email, ident.ServiceID, p.opts.Module)}
		} else {
			owner, serviceID, ok := matcher.match(user.Email)
			if !ok || creating[strings.ToLower(user.Email)] {
				continue
			}
			f = Finding{Kind: FindingUnrecordedUser, ServiceID: serviceID, ClientID: owner, UserID: user.ID,
				Message: fmt.Sprintf("S3 user %s (%s) has an email the bridge gives to S3 users, but no WHMCS service records it",
					user.ID, user.Email)}
		}
		if clientID != 0 && f.ClientID != clientID {
			continue
		}
		if _, err := p.opts.Gateway.GetUser(ctx, ostor.ByID(user.ID)); errors.Is(err, ostor.ErrUserNotFound) {
			continue
		}
		f.Action = unrecordedUserAction
		findings = append(findings, f)
	}
	return findings
}

// addressMatcher recognizes the emails that the bridge gives S3 users: a client's email, and the
// AdditionalUserEmail template filled with a client's email and a service id.
type addressMatcher struct {
	template string
	pattern  *regexp.Regexp
	groups   []string         // the placeholder each capture group of pattern matches, in order
	clients  map[string]int64 // lower-case client email to client id
	services map[int64]bool   // ids of the services the bridge has known
}

var placeholderPattern = regexp.MustCompile(`\{(local|domain|service_id)\}`)

func newAddressMatcher(template string, clients []whmcs.ClientAddress, services map[int64]bool) *addressMatcher {
	m := &addressMatcher{template: template, clients: make(map[string]int64, len(clients)), services: services}
	for _, c := range clients {
		m.clients[strings.ToLower(strings.TrimSpace(c.Email))] = c.ClientID
	}

	// Identities compare emails case-insensitively (IdentitiesByEmail), so the pattern does too.
	var expr strings.Builder
	expr.WriteString(`(?i)^`)
	last := 0
	for _, loc := range placeholderPattern.FindAllStringSubmatchIndex(template, -1) {
		expr.WriteString(regexp.QuoteMeta(template[last:loc[0]]))
		name := template[loc[2]:loc[3]]
		if name == "service_id" {
			expr.WriteString(`([0-9]+)`)
		} else {
			expr.WriteString(`(.+)`)
		}
		m.groups = append(m.groups, name)
		last = loc[1]
	}
	expr.WriteString(regexp.QuoteMeta(template[last:]))
	expr.WriteString(`$`)
	m.pattern = regexp.MustCompile(expr.String()) // literal text is quoted, so the expression is valid
	return m
}

// match reports whether email is an address the bridge gives S3 users, with the client and, for a
// templated address, the service it names. The client id is 0 when no current client has the
// email the address was made from.
//
// A templated address counts only when it names a client's current email or a service the bridge
// has known, so that an unrelated user whose address merely has the template's shape is not
// reported.
func (m *addressMatcher) match(email string) (clientID, serviceID int64, ok bool) {
	email = strings.TrimSpace(email)
	if id, found := m.clients[strings.ToLower(email)]; found {
		return id, 0, true
	}
	sub := m.pattern.FindStringSubmatch(email)
	if sub == nil {
		return 0, 0, false
	}
	parts := map[string]string{}
	for i, name := range m.groups {
		if _, seen := parts[name]; !seen {
			parts[name] = sub[i+1]
		}
	}
	serviceID, err := strconv.ParseInt(parts["service_id"], 10, 64)
	if err != nil {
		return 0, 0, false
	}
	clientEmail := parts["local"] + "@" + parts["domain"]
	if !strings.EqualFold(ExpandUserEmail(m.template, clientEmail, serviceID), email) {
		// A placeholder that appears twice took two different values.
		return 0, 0, false
	}
	clientID = m.clients[strings.ToLower(clientEmail)]
	if clientID == 0 && !m.services[serviceID] {
		return 0, 0, false
	}
	return clientID, serviceID, true
}
