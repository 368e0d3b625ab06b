package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// limitKeys are the limits the gateway reports, in display order, with their units.
//
// NOTE: the units follow the StaaS guides and the gateway's own CLI. One API reference calls ops
// values operations per minute, so check them on the target release.
var limitKeys = []struct {
	key, unit string
}{
	{"ops:default", "operations/s"},
	{"ops:get", "operations/s"},
	{"ops:put", "operations/s"},
	{"ops:list", "operations/s"},
	{"ops:delete", "operations/s"},
	{"bandwidth:out", "KB/s"},
}

// limitsJSON is the JSON output of limits get. Limits maps the gateway's keys, such as
// "ops:get", to their values. Raw keeps every key and text as the gateway sent them.
type limitsJSON struct {
	Target string             `json:"target"`
	Limits map[string]float64 `json:"limits"`
	Raw    map[string]string  `json:"raw"`
}

// parseTarget parses the command line and returns the limit target that selector names, with its
// description for the output.
func (c *ostorCall) parseTarget(selector *targetFlags) (ostor.Target, string, error) {
	if err := c.parse(); err != nil {
		return ostor.Target{}, "", err
	}
	return c.requiredTarget(selector)
}

func runLimitsGet(ctx context.Context, c *ostorCall) error {
	selector := c.limitTargetFlags(false)
	target, description, err := c.parseTarget(selector)
	if err != nil {
		return err
	}
	gw, err := c.client()
	if err != nil {
		return err
	}
	limits, err := gw.GetLimits(ctx, target)
	if err != nil {
		return c.gatewayError(err)
	}

	values := map[string]float64{
		"ops:default": limits.OpsDefault, "ops:get": limits.OpsGet, "ops:put": limits.OpsPut,
		"ops:list": limits.OpsList, "ops:delete": limits.OpsDelete, "bandwidth:out": limits.BandwidthOut,
	}
	out := limitsJSON{Target: description, Limits: values, Raw: limits.Raw}
	return c.output(out, func(w io.Writer) {
		fmt.Fprintf(w, "LIMIT\tVALUE\tUNIT\t(%s, 0 = unlimited)\n", description)
		known := map[string]bool{}
		for _, k := range limitKeys {
			known[k.key] = true
			fmt.Fprintf(w, "%s\t%g\t%s\n", k.key, values[k.key], k.unit)
		}
		// Keys this client does not know are shown as the gateway sent them.
		for _, key := range sortedKeys(limits.Raw) {
			if !known[key] {
				fmt.Fprintf(w, "%s\t%s\t\n", key, limits.Raw[key])
			}
		}
	})
}

func runLimitsSet(ctx context.Context, c *ostorCall) error {
	selector := c.limitTargetFlags(false)
	type limitFlag struct {
		value       *countFlag
		limitType   string
		resource    string
		description string
	}
	var flags []limitFlag
	for _, resource := range []string{ostor.ResourceDefault, ostor.ResourceGet, ostor.ResourcePut, ostor.ResourceList, ostor.ResourceDelete} {
		usage := fmt.Sprintf("allow at most `N` %s operations per second (0 = unlimited)", resource)
		if resource == ostor.ResourceDefault {
			usage = "allow at most `N` operations per second of each type without its own limit (0 = unlimited)"
		}
		flags = append(flags, limitFlag{
			value:     c.countVar("ops-"+resource, "operations per second", "unlimited", usage),
			limitType: ostor.LimitOps, resource: resource, description: "operations per second",
		})
	}
	flags = append(flags, limitFlag{
		value:     c.countVar("bandwidth-out", "kilobytes per second", "unlimited", "allow at most `N` kilobytes per second of outgoing traffic (0 = unlimited)"),
		limitType: ostor.LimitBandwidth, resource: ostor.ResourceOut, description: "KB/s",
	})
	target, description, err := c.parseTarget(selector)
	if err != nil {
		return err
	}

	var values []ostor.LimitValue
	var changes []string
	for _, f := range flags {
		if !f.value.set {
			continue
		}
		values = append(values, ostor.LimitValue{Type: f.limitType, Resource: f.resource, Value: f.value.value})
		changes = append(changes, fmt.Sprintf("set %s:%s to %d %s", f.limitType, f.resource, f.value.value, f.description))
	}
	if len(values) == 0 {
		return c.usageError("missing limit: give at least one of --ops-default, --ops-get, --ops-put, --ops-list, --ops-delete or --bandwidth-out")
	}
	return c.applyChanges(description, changes, func(gw *ostor.Client) error {
		return gw.SetLimits(ctx, target, values...)
	})
}

func runLimitsDelete(ctx context.Context, c *ostorCall) error {
	selector := c.limitTargetFlags(false)
	limitType := c.fs.String("type", "", `reset only "ops" or only "bandwidth" limits; empty resets all`)
	target, description, err := c.parseTarget(selector)
	if err != nil {
		return err
	}
	change := "reset all limits to 0 (unlimited)"
	switch *limitType {
	case "":
	case ostor.LimitOps, ostor.LimitBandwidth:
		change = fmt.Sprintf("reset %s limits to 0 (unlimited)", *limitType)
	default:
		return c.usageError(`invalid --type %q: use "ops", "bandwidth", or leave it out to reset all limits`, *limitType)
	}
	return c.applyChanges(description, []string{change}, func(gw *ostor.Client) error {
		return gw.DeleteLimits(ctx, target, *limitType)
	})
}

// quotaJSON is the JSON output of quotas get.
type quotaJSON struct {
	Target  string `json:"target"`
	Type    string `json:"type"`
	Size    int64  `json:"size"`
	Version string `json:"version"`
}

func runQuotasGet(ctx context.Context, c *ostorCall) error {
	selector := c.limitTargetFlags(true)
	target, description, err := c.parseTarget(selector)
	if err != nil {
		return err
	}
	gw, err := c.client()
	if err != nil {
		return err
	}
	quota, err := gw.GetQuota(ctx, target)
	if err != nil {
		return c.gatewayError(err)
	}

	out := quotaJSON{Target: description, Type: quota.Type, Size: quota.Size, Version: quota.Version}
	return c.output(out, func(w io.Writer) {
		fmt.Fprintf(w, "Target\t%s\n", out.Target)
		fmt.Fprintf(w, "Type\t%s\n", out.Type)
		// NOTE: quotas are set in GB, and the unit of the size the gateway reports back is
		// unconfirmed, so the number is printed without a unit.
		fmt.Fprintf(w, "Size\t%d\t(0 = unlimited)\n", out.Size)
		fmt.Fprintf(w, "Version\t%s\n", out.Version)
	})
}

func runQuotasSet(ctx context.Context, c *ostorCall) error {
	selector := c.limitTargetFlags(true)
	size := c.countVar("size", "gigabytes", "unlimited", "quota in whole `GB` (0 = unlimited)")
	target, description, err := c.parseTarget(selector)
	if err != nil {
		return err
	}
	if !size.set {
		return c.usageError("missing --size: give the quota in whole gigabytes, or 0 for unlimited")
	}
	changes := []string{fmt.Sprintf("set the quota to %d GB", size.value)}
	return c.applyChanges(description, changes, func(gw *ostor.Client) error {
		return gw.SetQuota(ctx, target, size.value)
	})
}

func runQuotasDelete(ctx context.Context, c *ostorCall) error {
	selector := c.limitTargetFlags(true)
	target, description, err := c.parseTarget(selector)
	if err != nil {
		return err
	}
	changes := []string{"reset the quota to 0 (unlimited)"}
	return c.applyChanges(description, changes, func(gw *ostor.Client) error {
		return gw.DeleteQuota(ctx, target)
	})
}
