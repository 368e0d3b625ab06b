package ostor

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Quota is a storage-size quota. 0 means unlimited.
type Quota struct {
	Version string
	// Type is "user" or "bucket". The API reference sends "0" and "1", the
	// StaaS guides "user" and "bucket". Both are normalised to the words.
	Type string
	// Size is the value the gateway reports.
	// NOTE: the reference describes it as bytes, but its sample equals the
	// gigabytes that were set. Treat the unit as unconfirmed.
	Size int64
}

// wireQuota is the reply of GET ?ostor-quotas (VHI sample):
//
//	{"version":"1","type":"0","size":"1024"}
type wireQuota struct {
	Version flexString `json:"version"`
	Type    flexString `json:"type"`
	Size    flexString `json:"size"`
}

// GetQuota returns the quota of a user, a bucket or a default:
// GET /?ostor-quotas&emailAddress=…|id=…|bucket=…|default=user|bucket.
// Quotas exist from VHI 4.7 on, and the as2 profile returns ErrNotSupported.
func (c *Client) GetQuota(ctx context.Context, target Target) (Quota, error) {
	if err := c.validateQuotaCall(OpQuotasGet, target); err != nil {
		return Quota{}, err
	}
	resp, err := c.call(ctx, OpQuotasGet, target.addTo(newQuery("quotas")), nil)
	if err != nil {
		return Quota{}, err
	}
	var w wireQuota
	if err := decodeJSON(OpQuotasGet, resp, &w); err != nil {
		return Quota{}, err
	}

	q := Quota{Version: string(w.Version)}
	switch strings.TrimSpace(string(w.Type)) {
	case "0", "user":
		q.Type = "user"
	case "1", "bucket":
		q.Type = "bucket"
	default:
		q.Type = string(w.Type)
	}
	if text := strings.TrimSpace(string(w.Size)); text != "" {
		size, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return Quota{}, &DecodeError{Op: OpQuotasGet, Status: resp.status, ContentType: resp.contentType,
				Reason: fmt.Sprintf("quota size %.32q is not an integer", text)}
		}
		q.Size = size
	}
	return q, nil
}

// SetQuota sets a quota in whole gigabytes (0 = unlimited):
// PUT /?ostor-quotas&…&quota-size=<GB>.
func (c *Client) SetQuota(ctx context.Context, target Target, sizeGB int64) error {
	if err := c.validateQuotaCall(OpQuotasSet, target); err != nil {
		return err
	}
	if sizeGB < 0 {
		return invalidArgument(OpQuotasSet, "quota size %d GB is negative: use 0 for unlimited", sizeGB)
	}
	q := target.addTo(newQuery("quotas")).set("quota-size", strconv.FormatInt(sizeGB, 10))
	_, err := c.call(ctx, OpQuotasSet, q, nil)
	return err
}

// DeleteQuota resets a quota to 0 (unlimited): DELETE /?ostor-quotas&….
func (c *Client) DeleteQuota(ctx context.Context, target Target) error {
	if err := c.validateQuotaCall(OpQuotasDelete, target); err != nil {
		return err
	}
	_, err := c.call(ctx, OpQuotasDelete, target.addTo(newQuery("quotas")), nil)
	return err
}

func (c *Client) validateQuotaCall(op string, target Target) error {
	if err := c.requireFeature(op, c.profile.Quotas, "quotas need VHI 4.7 or later"); err != nil {
		return err
	}
	return target.validate(op, true)
}
