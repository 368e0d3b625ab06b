package bridge

import (
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// serviceWithOptions returns a service whose product has the given config options, first one
// first.
func serviceWithOptions(options ...string) whmcs.Service {
	svc := whmcs.Service{ID: 7, ProductID: 3, ProductName: "S3 test"}
	copy(svc.ConfigOptions[:], options)
	return svc
}

func TestPlanOfReadsPositions(t *testing.T) {
	plan, err := PlanOf(serviceWithOptions("1", "2", " 3 ", "4", "5", "6", "7"))
	if err != nil {
		t.Fatal(err)
	}
	want := Plan{OpsDefault: 1, OpsGet: 2, OpsPut: 3, OpsList: 4, OpsDelete: 5, BandwidthOut: 6, QuotaGB: 7}
	if plan != want {
		t.Errorf("PlanOf = %+v, want %+v", plan, want)
	}
}

func TestPlanOfEmptyIsUnlimited(t *testing.T) {
	plan, err := PlanOf(serviceWithOptions())
	if err != nil || plan != (Plan{}) {
		t.Errorf("PlanOf of empty options = %+v, %v; want all 0", plan, err)
	}
}

func TestPlanOfRejectsBadValues(t *testing.T) {
	cases := []struct {
		options []string
		field   string
	}{
		{[]string{"-1"}, "configoption1"},
		{[]string{"", "1.5"}, "configoption2"},
		{[]string{"", "", "", "", "", "10 kb"}, "configoption6"},
		{[]string{"", "", "", "", "", "", "99999999999999999999"}, "configoption7"},
		{[]string{"", "", "", "", "", "", "1000000000001"}, "configoption7"},
	}
	for _, c := range cases {
		_, err := PlanOf(serviceWithOptions(c.options...))
		if err == nil {
			t.Errorf("PlanOf(%q) accepted the value", c.options)
			continue
		}
		be := asError(err)
		if be.Code != CodeInvalidInput || be.Field != c.field {
			t.Errorf("PlanOf(%q) = code %d field %q, want invalid_input on %s", c.options, be.Code, be.Field, c.field)
		}
		if !strings.Contains(be.Message, `product "S3 test" (id 3)`) || !strings.Contains(be.Message, "unlimited") {
			t.Errorf("message does not name the product and the fix: %s", be.Message)
		}
	}
}

func TestSettingsOfDefaults(t *testing.T) {
	s, err := SettingsOf(serviceWithOptions())
	if err != nil {
		t.Fatal(err)
	}
	if s.TerminateAction != TerminateDisable || s.NoteContent != NoteDefault || s.ClientAreaSecret {
		t.Errorf("defaults = %+v, want disable, daemon note setting, no secret", s)
	}
}

func TestSettingsOfValues(t *testing.T) {
	s, err := SettingsOf(serviceWithOptions("", "", "", "", "", "", "", "Purge", "key-id", "on"))
	if err != nil {
		t.Fatal(err)
	}
	if s.TerminateAction != TerminatePurge || s.NoteContent != NoteKeyID || !s.ClientAreaSecret {
		t.Errorf("settings = %+v, want purge, key-id, secret shown", s)
	}
	if s.noteIncludesSecret(true) {
		t.Errorf("key-id note includes the secret when the daemon default is true")
	}
	both := ProductSettings{NoteContent: NoteKeyIDAndSecret}
	if !both.noteIncludesSecret(false) {
		t.Errorf("key-id-and-secret note leaves out the secret")
	}
	if !(ProductSettings{NoteContent: NoteDefault}).noteIncludesSecret(true) {
		t.Errorf("default note ignores the daemon setting")
	}
}

func TestSettingsOfRejectsUnknown(t *testing.T) {
	cases := map[string][]string{
		"configoption8":  {"", "", "", "", "", "", "", "delete-everything"},
		"configoption9":  {"", "", "", "", "", "", "", "", "everything"},
		"configoption10": {"", "", "", "", "", "", "", "", "", "maybe"},
	}
	for field, options := range cases {
		_, err := SettingsOf(serviceWithOptions(options...))
		if err == nil {
			t.Errorf("SettingsOf accepted %q in %s", options[len(options)-1], field)
			continue
		}
		if be := asError(err); be.Field != field {
			t.Errorf("error names %q, want %s", be.Field, field)
		}
	}
}

func TestExpandUserEmail(t *testing.T) {
	cases := []struct{ template, email, want string }{
		{DefaultAdditionalUserEmail, "bob@example.com", "bob+s42@example.com"},
		{DefaultAdditionalUserEmail, "o'brien+x@a@b.example", "o'brien+x@a+s42@b.example"},
		{"s3-{service_id}@{domain}", "bob@example.com", "s3-42@example.com"},
	}
	for _, c := range cases {
		if got := ExpandUserEmail(c.template, c.email, 42); got != c.want {
			t.Errorf("ExpandUserEmail(%q, %q) = %q, want %q", c.template, c.email, got, c.want)
		}
	}
}

func TestValidateEmailTemplate(t *testing.T) {
	if err := ValidateEmailTemplate(DefaultAdditionalUserEmail); err != nil {
		t.Errorf("default template rejected: %v", err)
	}
	for _, bad := range []string{"{local}@{domain}", "{service_id}", "{local} {service_id}@{domain}"} {
		err := ValidateEmailTemplate(bad)
		if err == nil {
			t.Errorf("template %q accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), "provisioning.additional_user_email") {
			t.Errorf("error does not name the setting: %v", err)
		}
	}
}
