package bridge

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// DefaultAdditionalUserEmail is the email of the S3 user of a client's second and further
// storage services: the client's address with "+s<service id>" added to its local part.
const DefaultAdditionalUserEmail = "{local}+s{service_id}@{domain}"

// ExpandUserEmail fills an email template with the parts of the client's email and the service
// id. The placeholders are {local} (the part before the last "@"), {domain} (the part after it)
// and {service_id}.
func ExpandUserEmail(template, clientEmail string, serviceID int64) string {
	at := strings.LastIndex(clientEmail, "@")
	local, domain := clientEmail, ""
	if at >= 0 {
		local, domain = clientEmail[:at], clientEmail[at+1:]
	}
	return strings.NewReplacer(
		"{local}", local,
		"{domain}", domain,
		"{service_id}", strconv.FormatInt(serviceID, 10),
	).Replace(template)
}

// ValidateEmailTemplate checks an AdditionalUserEmail template. It must contain {service_id},
// because two services of one client would otherwise get the same S3 user, and must give a
// valid address for a plain client email.
func ValidateEmailTemplate(template string) error {
	if !strings.Contains(template, "{service_id}") {
		return fmt.Errorf("provisioning.additional_user_email %q lacks {service_id}; without it a client's services would share one S3 user, so use e.g. %q",
			template, DefaultAdditionalUserEmail)
	}
	sample := ExpandUserEmail(template, "client@example.com", 42)
	if err := ValidateEmail(sample); err != nil {
		return fmt.Errorf("provisioning.additional_user_email %q gives %q for client@example.com, which is not an email address (%v); use e.g. %q",
			template, sample, err, DefaultAdditionalUserEmail)
	}
	return nil
}

// additionalEmail returns the S3 user email of a client's further storage service.
func (p *Provisioner) additionalEmail(clientEmail string, svc whmcs.Service) (string, error) {
	email := ExpandUserEmail(p.opts.AdditionalUserEmail, clientEmail, svc.ID)
	if err := ValidateEmail(email); err != nil {
		return "", invalidInput("email", "the S3 user email %q made from provisioning.additional_user_email for client %d (%q) is invalid: %v; correct the template or the client's email",
			email, svc.ClientID, clientEmail, err)
	}
	return email, nil
}
