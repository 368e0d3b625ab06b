package bridge

import (
	"context"
	"errors"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
)

// ClientAreaResult is the S3 access data shown to the client on the service's page in the WHMCS
// client area.
type ClientAreaResult struct {
	// Provisioned is false while the service has no S3 user; the other fields are then empty.
	Provisioned bool   `json:"provisioned"`
	Endpoint    string `json:"endpoint"` // S3 address clients use, from gateway.public_endpoint
	Email       string `json:"email,omitempty"`
	UserID      string `json:"user_id,omitempty"`
	State       string `json:"state,omitempty"` // "enabled" or "disabled" as the gateway reports it

	AccessKeys []ClientAreaKey `json:"access_keys"`

	// SecretsShown is true when the product's "Show secret key in client area" is ticked and
	// AccessKeys carry secret keys.
	SecretsShown bool `json:"secrets_shown"`
}

// ClientAreaKey is one access key pair as the client area shows it.
type ClientAreaKey struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key,omitempty"`
}

// ClientArea is WHMCS ClientArea: it reads the S3 user of a service for the client's product
// page. Secret keys are read from the gateway and returned only when the product setting allows
// it; they are never logged or stored.
func (p *Provisioner) ClientArea(ctx context.Context, serviceID int64) (ClientAreaResult, error) {
	svc, err := p.loadService(ctx, serviceID)
	if err != nil {
		return ClientAreaResult{}, err
	}
	settings, err := SettingsOf(svc)
	if err != nil {
		return ClientAreaResult{}, err
	}
	result := ClientAreaResult{Endpoint: p.opts.PublicEndpoint, AccessKeys: []ClientAreaKey{}}

	ident, err := p.opts.Store.Identity(ctx, p.db(), svc.ID)
	if errors.Is(err, whmcs.ErrNotFound) {
		return result, nil
	}
	if err != nil {
		return ClientAreaResult{}, p.dbError(err, "read the S3 identity of service %d", svc.ID)
	}
	user, err := p.readUser(ctx, ident)
	if err != nil {
		return ClientAreaResult{}, err
	}

	result.Provisioned = true
	result.Email, result.UserID, result.State = ident.Email, ident.UserID, user.State
	result.SecretsShown = settings.ClientAreaSecret
	for _, k := range user.AccessKeys {
		key := ClientAreaKey{AccessKeyID: k.AccessKeyID}
		if settings.ClientAreaSecret {
			key.SecretAccessKey = k.SecretAccessKey.Reveal()
		}
		result.AccessKeys = append(result.AccessKeys, key)
	}
	return result, nil
}
