package bridge

import (
	"net/http"
)

// AdminAPI is the RPC service "Admin": the S3 panel on the WHMCS client summary page and the
// actions of the bridge's addon page. The PHP side checks the admin session, the CSRF token and
// the admin's permission before it calls any of these methods.
type AdminAPI struct {
	panel *Panel
}

// AdminSummaryArgs are the params of Admin.Summary.
type AdminSummaryArgs struct {
	ClientID int64        `json:"client_id"`
	AdminID  int64        `json:"admin_id"`
	Token    string       `json:"token"`     // WHMCS CSRF token for the panel's forms
	ReadOnly bool         `json:"read_only"` // the admin may not act: render no forms
	Notice   *PanelNotice `json:"notice"`    // outcome of the admin's previous action
}

// AdminHTMLReply carries an HTML fragment in which every value is escaped.
type AdminHTMLReply struct {
	HTML string `json:"html"`
}

// Summary renders the S3 panel of a client.
func (a *AdminAPI) Summary(r *http.Request, args *AdminSummaryArgs, reply *AdminHTMLReply) error {
	html, err := a.panel.Summary(r.Context(), SummaryRequest{
		ClientID: args.ClientID, AdminID: args.AdminID, Token: args.Token, ReadOnly: args.ReadOnly, Notice: args.Notice,
	})
	if err != nil {
		return err
	}
	reply.HTML = html
	return nil
}

// AdminPageArgs are the params of Admin.Page.
type AdminPageArgs struct {
	ClientID int64             `json:"client_id"`
	AdminID  int64             `json:"admin_id"`
	Token    string            `json:"token"`
	ReadOnly bool              `json:"read_only"`
	View     string            `json:"view"`
	Params   map[string]string `json:"params"`
}

// Page renders a read-only page: the S3 user list, one S3 user, the statistics objects or one
// statistics object.
func (a *AdminAPI) Page(r *http.Request, args *AdminPageArgs, reply *AdminHTMLReply) error {
	html, err := a.panel.View(r.Context(), ViewRequest{
		ClientID: args.ClientID, AdminID: args.AdminID, Token: args.Token, ReadOnly: args.ReadOnly, View: args.View, Params: args.Params,
	})
	if err != nil {
		return err
	}
	reply.HTML = html
	return nil
}

// AdminActionArgs is one admin action.
type AdminActionArgs struct {
	ClientID  int64             `json:"client_id"`
	ServiceID int64             `json:"service_id"`
	AdminID   int64             `json:"admin_id"`
	Action    string            `json:"action"`
	Params    map[string]string `json:"params"`
	Confirmed bool              `json:"confirmed"`
	Token     string            `json:"token"`
}

// AdminActionReply is the outcome of an action. When ConfirmHTML is set, nothing was changed and
// the addon shows that confirmation page.
type AdminActionReply struct {
	OK          bool   `json:"ok"`
	Message     string `json:"message"`
	ConfirmHTML string `json:"confirm_html,omitempty"`
}

// Action validates and runs one admin action and records it in the audit table.
func (a *AdminAPI) Action(r *http.Request, args *AdminActionArgs, reply *AdminActionReply) error {
	res, err := a.panel.Act(r.Context(), ActionRequest{
		ClientID: args.ClientID, ServiceID: args.ServiceID, AdminID: args.AdminID, Action: args.Action,
		Params: args.Params, Confirmed: args.Confirmed, Token: args.Token,
	})
	if err != nil {
		return err
	}
	*reply = AdminActionReply{OK: res.OK, Message: res.Message, ConfirmHTML: res.ConfirmHTML}
	return nil
}
