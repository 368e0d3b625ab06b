package bridge

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

//go:embed templates/panel.html
var templateFiles embed.FS

// addonURL is the bridge's addon page, relative to the WHMCS admin directory, where both the
// client summary page and the addon page live.
const addonURL = "addonmodules.php?module=ostorbridge"

var panelTemplates = template.Must(template.New("panel").Funcs(template.FuncMap{
	"limit":       formatLimit,
	"bytes":       formatBytes,
	"ubytes":      formatUnsignedBytes,
	"storedBytes": formatStoredBytes,
	"date":        formatDate,
	"button":      newActionButton,
	"limitForm":   newLimitForm,
	"bucketNames": panelBucketNames,
}).ParseFS(templateFiles, "templates/panel.html"))

// PanelNotice is the outcome of the admin's previous action, shown at the top of the panel.
type PanelNotice struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// pageBase is the data every rendered view needs for its forms and links.
type pageBase struct {
	ClientID int64
	Token    string // WHMCS CSRF token, put into every form
	ReadOnly bool   // the admin may look but not act: no forms are rendered
	Action   string // URL every form posts to
}

func (b pageBase) Base() pageBase { return b }

type basePage interface{ Base() pageBase }

type summaryData struct {
	pageBase
	Notice          *PanelNotice
	GatewayTimedOut bool
	Deadline        time.Duration
	Services        []*servicePanel
	ShowUsage       bool
	UsageDays       int
	Audit           []whmcs.AuditEntry
}

type usersData struct {
	pageBase
	Query              string
	Users              []ostor.User
	Total              int
	Page, Pages        int
	PrevPage, NextPage int
	Err                string
}

type userData struct {
	pageBase
	Email      string
	User       ostor.User
	ServiceIDs []int64
	Err        string
}

type usageListData struct {
	pageBase
	Notice    *PanelNotice
	Objects   []usageListRow
	Truncated bool
	Last      string
	Err       string
	// CountedErr is set when the processed-object table could not be read,
	// so every object's Counted is "unknown".
	CountedErr string
}

// usageListRow is one statistics object of the list. Counted is "yes" when
// the usage collector stored the object's counters, "no" when it has not,
// and "unknown" when that could not be read.
type usageListRow struct {
	Name    string
	Counted string
}

type usageObjectData struct {
	pageBase
	Name   string
	Object ostor.UsageObject
	Err    string
}

type confirmData struct {
	pageBase
	ServiceID int64
	Action    string
	Title     string
	Question  string
	Details   []confirmDetail
	Params    map[string]string
}

type confirmDetail struct{ Name, Value string }

// actionButton is one single-button form that posts an action.
type actionButton struct {
	Page      pageBase
	ServiceID int64
	Name      string
	Label     string
	Danger    bool
	Params    map[string]string
}

// newActionButton builds an actionButton from the template: button $ serviceID name label
// danger [param value]...
func newActionButton(page basePage, serviceID int64, name, label string, danger bool, kv ...string) (actionButton, error) {
	if len(kv)%2 != 0 {
		return actionButton{}, fmt.Errorf("button %s: parameters must come in name, value pairs", name)
	}
	b := actionButton{Page: page.Base(), ServiceID: serviceID, Name: name, Label: label, Danger: danger, Params: map[string]string{}}
	for i := 0; i < len(kv); i += 2 {
		b.Params[kv[i]] = kv[i+1]
	}
	return b, nil
}

// limitForm is the set and delete forms of user limits, or of bucket limits when Buckets lists
// the buckets to choose from.
type limitForm struct {
	Page         pageBase
	Action       string
	ServiceID    int64
	Buckets      []string
	SetAction    string
	DeleteAction string
}

func newLimitForm(page basePage, serviceID int64, buckets []string) limitForm {
	f := limitForm{Page: page.Base(), Action: addonURL, ServiceID: serviceID, Buckets: buckets,
		SetAction: "set_user_limits", DeleteAction: "delete_user_limits"}
	if len(buckets) > 0 {
		f.SetAction, f.DeleteAction = "set_bucket_limits", "delete_bucket_limits"
	}
	return f
}

func panelBucketNames(buckets []bucketPanel) []string {
	names := make([]string, len(buckets))
	for i, b := range buckets {
		names[i] = b.Bucket.Name
	}
	return names
}

// formatLimit prints a limit value; 0 means no limit.
func formatLimit(v float64) string {
	if v == 0 {
		return "unlimited"
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.2f", v)
}

// formatBytes prints a byte count with binary units.
func formatBytes(n int64) string {
	if n < 0 {
		return fmt.Sprintf("%d B", n)
	}
	return formatUnsignedBytes(uint64(n))
}

// formatUnsignedBytes prints a uint64 byte count, as usage counters are, with binary units.
func formatUnsignedBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// formatStoredBytes prints a day's stored bytes, or that storage was not measured that day.
func formatStoredBytes(n *uint64) string {
	if n == nil {
		return "not measured"
	}
	return formatUnsignedBytes(*n)
}

func formatDate(t time.Time, raw string) string {
	if t.IsZero() {
		if raw == "" {
			return "unknown"
		}
		return raw
	}
	return t.UTC().Format("2006-01-02 15:04") + " UTC"
}

// render executes one named template into a string.
func render(name string, data any) (string, error) {
	var buf bytes.Buffer
	if err := panelTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		return "", newError(CodeInternal, err, "internal error in the ostor-bridge daemon while rendering the panel; see its log")
	}
	return buf.String(), nil
}
