package bridge

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// SummaryRequest is a request for the panel of one client.
type SummaryRequest struct {
	ClientID int64
	AdminID  int64
	Token    string
	ReadOnly bool
	Notice   *PanelNotice // outcome of the admin's previous action, if any
}

// Summary renders the S3 panel of a client's summary page as an HTML fragment.
func (p *Panel) Summary(ctx context.Context, req SummaryRequest) (string, error) {
	if err := checkAdminRequest(req.ClientID, req.AdminID, req.Token); err != nil {
		return "", err
	}
	gathered, err := p.gather(ctx, req.ClientID)
	if err != nil {
		return "", err
	}
	if gathered.GatewayTimedOut {
		p.log.Warn("gateway reads timed out at the panel deadline", zap.Int64("client_id", req.ClientID), zap.Duration("deadline", p.opts.Deadline))
	}
	audit, err := p.opts.Store.RecentAudit(ctx, req.ClientID, 10)
	if err != nil {
		p.log.Warn("read the audit entries for the panel", zap.Int64("client_id", req.ClientID), zap.Error(err))
	}
	return render("summary", summaryData{
		pageBase:        pageBase{ClientID: req.ClientID, Token: req.Token, ReadOnly: req.ReadOnly, Action: addonURL},
		Notice:          req.Notice,
		GatewayTimedOut: gathered.GatewayTimedOut,
		Deadline:        p.opts.Deadline,
		Services:        gathered.Services,
		ShowUsage:       p.opts.UsageHistory != nil,
		UsageDays:       p.opts.UsageDays,
		Audit:           audit,
	})
}

// ViewRequest is a request for one read-only page of the addon: "users", "user", "usage" or
// "usage_object".
type ViewRequest struct {
	ClientID int64
	AdminID  int64
	Token    string
	ReadOnly bool
	View     string
	Params   map[string]string
}

// usersPerPage is the page size of the S3 user list.
const usersPerPage = 25

// usageObjectsPerPage is the page size of the statistics object list on gateways that page it.
const usageObjectsPerPage = 100

var viewParams = map[string][]string{
	"users":        {"q", "page"},
	"user":         {"email"},
	"usage":        {"after"},
	"usage_object": {"object"},
}

// View renders one read-only page. Gateway reads run under the panel deadline. A failed read is
// shown on the page rather than returned, so the admin reads the error where they looked.
func (p *Panel) View(ctx context.Context, req ViewRequest) (string, error) {
	if err := checkAdminRequest(req.ClientID, req.AdminID, req.Token); err != nil {
		return "", err
	}
	accepted, ok := viewParams[req.View]
	if !ok {
		return "", invalidInput("view", "unknown view %q; use users, user, usage or usage_object", req.View)
	}
	for name := range req.Params {
		if !slices.Contains(accepted, name) {
			return "", invalidInput(name, "view %s takes no parameter %q; accepted: %s", req.View, name, strings.Join(accepted, ", "))
		}
	}
	base := pageBase{ClientID: req.ClientID, Token: req.Token, ReadOnly: req.ReadOnly, Action: addonURL}
	gctx, cancel := context.WithTimeout(ctx, p.opts.Deadline)
	defer cancel()

	switch req.View {
	case "users":
		return p.viewUsers(gctx, base, req.Params)
	case "user":
		return p.viewUser(ctx, gctx, base, req.Params["email"])
	case "usage":
		return p.viewUsage(gctx, base, req.Params["after"])
	default:
		return p.viewUsageObject(gctx, base, req.Params["object"])
	}
}

func (p *Panel) viewUsers(gctx context.Context, base pageBase, params map[string]string) (string, error) {
	data := usersData{pageBase: base, Query: strings.TrimSpace(params["q"]), Page: 1}
	if raw := params["page"]; raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			return "", invalidInput("page", "page %q is invalid; pages are numbered from 1", raw)
		}
		data.Page = n
	}
	users, err := p.opts.Gateway.ListUsers(gctx)
	if err != nil {
		data.Err = p.readError(gctx, err, "list the S3 users")
		return render("users", data)
	}
	needle := strings.ToLower(data.Query)
	var matched []ostor.User
	for _, u := range users {
		if needle == "" || strings.Contains(strings.ToLower(u.Email), needle) || strings.Contains(strings.ToLower(u.ID), needle) {
			matched = append(matched, u)
		}
	}
	sort.Slice(matched, func(i, j int) bool { return strings.ToLower(matched[i].Email) < strings.ToLower(matched[j].Email) })

	data.Total = len(matched)
	data.Pages = max(1, (len(matched)+usersPerPage-1)/usersPerPage)
	data.Page = min(data.Page, data.Pages)
	start := (data.Page - 1) * usersPerPage
	data.Users = matched[start:min(start+usersPerPage, len(matched))]
	data.PrevPage, data.NextPage = data.Page-1, data.Page+1
	return render("users", data)
}

func (p *Panel) viewUser(ctx, gctx context.Context, base pageBase, email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", invalidInput("email", "email is missing; enter the email of the S3 user to query")
	}
	if err := checkPrintable(email); err != nil {
		return "", invalidInput("email", "email %q %v", email, err)
	}
	data := userData{pageBase: base, Email: email}
	user, err := p.opts.Gateway.GetUser(gctx, ostor.ByEmail(email))
	switch {
	case errors.Is(err, ostor.ErrUserNotFound):
		data.Err = "no S3 user has the email " + email
	case err != nil:
		data.Err = p.readError(gctx, err, "read S3 user %s", email)
	default:
		data.User = user
		identities, err := p.opts.Store.IdentitiesByEmail(ctx, email)
		if err != nil {
			p.log.Warn("look up identities for the user view", zap.Error(err))
		}
		for _, id := range identities {
			if id.UserID == user.ID {
				data.ServiceIDs = append(data.ServiceIDs, id.ServiceID)
			}
		}
	}
	return render("user", data)
}

func (p *Panel) viewUsage(gctx context.Context, base pageBase, after string) (string, error) {
	data := usageListData{pageBase: base}
	if after != "" {
		if err := validateUsageObjectName(after); err != nil {
			return "", invalidInput("after", "after %q is not a statistics object name", after)
		}
	}
	page, err := p.opts.Gateway.ListUsage(gctx, after, usageObjectsPerPage)
	if errors.Is(err, ostor.ErrNotSupported) && after == "" {
		// Releases before VHI 6.3 do not page the list; they return it whole.
		page, err = p.opts.Gateway.ListUsage(gctx, "", 0)
	}
	if err != nil {
		data.Err = p.readError(gctx, err, "list the statistics objects")
		return render("usage", data)
	}
	data.Truncated = page.Truncated
	if n := len(page.Names); n > 0 {
		data.Last = page.Names[n-1]
	}
	data.Objects, data.CountedErr = p.countedUsageObjects(gctx, page.Names)
	return render("usage", data)
}

// countedUsageObjects marks each name with whether the usage collector has
// stored its counters, because deleting an uncounted object loses billing.
// The returned message is set when the database could not be read.
func (p *Panel) countedUsageObjects(ctx context.Context, names []string) ([]usageListRow, string) {
	rows := make([]usageListRow, len(names))
	processed, err := p.opts.Store.ProcessedUsageObjects(ctx, names)
	if err != nil {
		p.log.Warn("reading which statistics objects were counted failed", zap.Int("objects", len(names)), zap.Error(err))
	}
	for i, name := range names {
		rows[i] = usageListRow{Name: name, Counted: "no"}
		_, counted := processed[name]
		switch {
		case err != nil:
			rows[i].Counted = "unknown"
		case counted:
			rows[i].Counted = "yes"
		}
	}
	if err != nil {
		return rows, "Whether the objects were counted could not be read from the database; see the daemon log."
	}
	return rows, ""
}

func (p *Panel) viewUsageObject(gctx context.Context, base pageBase, name string) (string, error) {
	if err := validateUsageObjectName(name); err != nil {
		return "", err
	}
	data := usageObjectData{pageBase: base, Name: name}
	obj, err := p.opts.Gateway.GetUsage(gctx, name)
	switch {
	case errors.Is(err, ostor.ErrNotFound):
		data.Err = "statistics object " + name + " does not exist; it may have been processed and deleted"
	case err != nil:
		data.Err = p.readError(gctx, err, "read statistics object %s", name)
	default:
		data.Object = obj
	}
	return render("usage_object", data)
}
