package bridge

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// Product settings in WHMCS config option order. WHMCS stores the fields that the module's
// ConfigOptions function declares by position (tblproducts.configoption1 to configoption24), so
// these positions are fixed forever: a new setting takes the next free position, and none is
// ever moved or reused. The PHP module declares the same fields in the same order.
const (
	// NOTE: the StaaS guides give ops limits per second, but the API reference gives them per
	// minute. The value is passed to the gateway unchanged.
	OptionOpsDefault       = 1  // ops limit for every operation type without its own value, ops/s
	OptionOpsGet           = 2  // ops limit for GET, ops/s
	OptionOpsPut           = 3  // ops limit for PUT, ops/s
	OptionOpsList          = 4  // ops limit for LIST, ops/s
	OptionOpsDelete        = 5  // ops limit for DELETE, ops/s
	OptionBandwidthOut     = 6  // outgoing bandwidth limit, kb/s
	OptionQuotaGB          = 7  // storage quota, GB
	OptionTerminateAction  = 8  // TerminateDisable or TerminatePurge
	OptionNoteContent      = 9  // NoteDefault, NoteKeyID or NoteKeyIDAndSecret
	OptionClientAreaSecret = 10 // "on" shows the secret key in the client area
)

// Values of OptionTerminateAction.
const (
	// TerminateDisable disables an S3 user that still owns buckets and reports the buckets. It is
	// the default because it never deletes data.
	TerminateDisable = "disable"
	// TerminatePurge deletes every object and bucket of the user, then the user.
	TerminatePurge = "purge"
)

// Values of OptionNoteContent.
const (
	NoteDefault        = "default" // follow the daemon's notes.include_secret
	NoteKeyID          = "key-id"
	NoteKeyIDAndSecret = "key-id-and-secret"
)

// maxLimitValue bounds ops, bandwidth and quota values. It keeps a typing slip (an extra row of
// zeros) from reaching the gateway; no real plan comes near it.
const maxLimitValue = 1_000_000_000_000

// Plan is the S3 limits and quota a product sells. Zero means unlimited: the limit is removed.
type Plan struct {
	OpsDefault   int64 `json:"ops_default"`
	OpsGet       int64 `json:"ops_get"`
	OpsPut       int64 `json:"ops_put"`
	OpsList      int64 `json:"ops_list"`
	OpsDelete    int64 `json:"ops_delete"`
	BandwidthOut int64 `json:"bandwidth_out"` // kb/s
	QuotaGB      int64 `json:"quota_gb"`
}

// ProductSettings are the lifecycle settings of a product other than its plan.
type ProductSettings struct {
	TerminateAction  string // TerminateDisable or TerminatePurge
	NoteContent      string // NoteDefault, NoteKeyID or NoteKeyIDAndSecret
	ClientAreaSecret bool
}

// optionLabels names each setting as the product's Module Settings tab shows it, for messages.
var optionLabels = map[int]string{
	OptionOpsDefault:       "Ops limit: default",
	OptionOpsGet:           "Ops limit: GET",
	OptionOpsPut:           "Ops limit: PUT",
	OptionOpsList:          "Ops limit: LIST",
	OptionOpsDelete:        "Ops limit: DELETE",
	OptionBandwidthOut:     "Bandwidth limit",
	OptionQuotaGB:          "Storage quota",
	OptionTerminateAction:  "When terminated with buckets",
	OptionNoteContent:      "Access-key note",
	OptionClientAreaSecret: "Show secret key in client area",
}

// optionUnits is the unit each number setting is entered in, for messages.
var optionUnits = map[int]string{
	OptionOpsDefault:   "operations per second",
	OptionOpsGet:       "operations per second",
	OptionOpsPut:       "operations per second",
	OptionOpsList:      "operations per second",
	OptionOpsDelete:    "operations per second",
	OptionBandwidthOut: "kilobytes per second",
	OptionQuotaGB:      "gigabytes",
}

// PlanOf reads the plan from the product configuration of svc. An invalid value returns a
// CodeInvalidInput error naming the product, the config option and the fix.
func PlanOf(svc whmcs.Service) (Plan, error) {
	var plan Plan
	fields := []struct {
		option int
		dest   *int64
	}{
		{OptionOpsDefault, &plan.OpsDefault},
		{OptionOpsGet, &plan.OpsGet},
		{OptionOpsPut, &plan.OpsPut},
		{OptionOpsList, &plan.OpsList},
		{OptionOpsDelete, &plan.OpsDelete},
		{OptionBandwidthOut, &plan.BandwidthOut},
		{OptionQuotaGB, &plan.QuotaGB},
	}
	for _, f := range fields {
		v, err := parseLimitOption(svc, f.option)
		if err != nil {
			return Plan{}, err
		}
		*f.dest = v
	}
	return plan, nil
}

// parseLimitOption reads one number setting: a whole number from 0 to maxLimitValue, where 0 and
// an empty field mean unlimited.
func parseLimitOption(svc whmcs.Service, option int) (int64, error) {
	text := strings.TrimSpace(svc.ConfigOptions[option-1])
	if text == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil || v < 0 || v > maxLimitValue {
		return 0, optionError(svc, option, text,
			"enter a whole number of %s from 0 to %d; 0 or an empty field means unlimited", optionUnits[option], int64(maxLimitValue))
	}
	return v, nil
}

// SettingsOf reads the lifecycle settings from the product configuration of svc. Empty fields
// take the defaults: disable on terminate, the daemon's note setting, no secret in the client
// area.
func SettingsOf(svc whmcs.Service) (ProductSettings, error) {
	s := ProductSettings{TerminateAction: TerminateDisable, NoteContent: NoteDefault}

	switch text := strings.ToLower(strings.TrimSpace(svc.ConfigOptions[OptionTerminateAction-1])); text {
	case "", TerminateDisable:
	case TerminatePurge:
		s.TerminateAction = TerminatePurge
	default:
		return ProductSettings{}, optionError(svc, OptionTerminateAction, text, "choose %q or %q", TerminateDisable, TerminatePurge)
	}

	switch text := strings.ToLower(strings.TrimSpace(svc.ConfigOptions[OptionNoteContent-1])); text {
	case "", NoteDefault:
	case NoteKeyID, NoteKeyIDAndSecret:
		s.NoteContent = text
	default:
		return ProductSettings{}, optionError(svc, OptionNoteContent, text, "choose %q, %q or %q", NoteDefault, NoteKeyID, NoteKeyIDAndSecret)
	}

	// WHMCS stores a ticked yesno field as "on"; the other spellings are accepted for products
	// edited through the API or by hand.
	switch text := strings.ToLower(strings.TrimSpace(svc.ConfigOptions[OptionClientAreaSecret-1])); text {
	case "", "off", "no", "0", "false":
	case "on", "yes", "1", "true":
		s.ClientAreaSecret = true
	default:
		return ProductSettings{}, optionError(svc, OptionClientAreaSecret, text, "tick or untick the box (stored as \"on\" or empty)")
	}
	return s, nil
}

// noteIncludesSecret decides whether the access-key note carries secret keys.
func (s ProductSettings) noteIncludesSecret(daemonDefault bool) bool {
	switch s.NoteContent {
	case NoteKeyID:
		return false
	case NoteKeyIDAndSecret:
		return true
	}
	return daemonDefault
}

func optionError(svc whmcs.Service, option int, value, fix string, args ...any) *Error {
	field := fmt.Sprintf("configoption%d", option)
	return invalidInput(field, "product %q (id %d) has the invalid value %q in %s (%s): %s; correct it in the product's Module Settings",
		svc.ProductName, svc.ProductID, value, field, optionLabels[option], fmt.Sprintf(fix, args...))
}
