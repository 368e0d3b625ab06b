package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// bucketJSON is one bucket in the JSON output.
type bucketJSON struct {
	Name         string `json:"name"`
	OwnerID      string `json:"owner_id"`
	SizeBytes    int64  `json:"size_bytes"`     // bytes stored now
	HourMaxBytes int64  `json:"hour_max_bytes"` // peak bytes over the past hour
	CreationDate string `json:"creation_date"`  // as the gateway sent it
	Epoch        int64  `json:"epoch"`
}

func toBucketJSON(b ostor.Bucket) bucketJSON {
	return bucketJSON{
		Name: b.Name, OwnerID: b.OwnerID, SizeBytes: b.Size.Current, HourMaxBytes: b.Size.HMax,
		CreationDate: b.CreationDateRaw, Epoch: b.Epoch,
	}
}

func (c *ostorCall) printBuckets(buckets []ostor.Bucket) error {
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].Name < buckets[j].Name })
	out := make([]bucketJSON, 0, len(buckets))
	for _, b := range buckets {
		out = append(out, toBucketJSON(b))
	}
	return c.output(out, func(w io.Writer) {
		fmt.Fprintln(w, "NAME\tOWNER ID\tBYTES STORED\tHOUR MAX BYTES\tCREATED")
		for _, b := range out {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", b.Name, b.OwnerID, b.SizeBytes, b.HourMaxBytes, b.CreationDate)
		}
	})
}

func runBucketsList(ctx context.Context, c *ostorCall) error {
	selector := c.userFlags()
	if err := c.parse(); err != nil {
		return err
	}
	ref, byUser, err := selector.userRef()
	if err != nil {
		return c.usageError("%v", err)
	}
	gw, err := c.client()
	if err != nil {
		return err
	}

	var buckets []ostor.Bucket
	if byUser {
		buckets, err = gw.ListUserBuckets(ctx, ref)
	} else {
		buckets, err = gw.ListBuckets(ctx)
	}
	if errors.Is(err, ostor.ErrUserNotFound) {
		return fmt.Errorf("%s not found on the gateway: \"ostor-bridge ostor users list --search TEXT\" finds users", describeUser(ref))
	}
	if err != nil {
		return c.gatewayError(err)
	}
	return c.printBuckets(buckets)
}

func runBucketsGet(ctx context.Context, c *ostorCall) error {
	name := c.fs.String("bucket", "", "bucket name")
	if err := c.parse(); err != nil {
		return err
	}
	if *name == "" {
		return c.usageError("missing --bucket: give the bucket name; \"ostor-bridge ostor buckets list\" shows them")
	}
	if err := checkBucketName(*name); err != nil {
		return c.usageError("%v", err)
	}
	gw, err := c.client()
	if err != nil {
		return err
	}

	bucket, err := gw.GetBucket(ctx, *name)
	if errors.Is(err, ostor.ErrNotSupported) {
		// Releases before VHI 6.3 cannot select one bucket, so the full list is searched.
		bucket, err = findBucket(ctx, gw, *name)
	}
	if errors.Is(err, ostor.ErrNotFound) {
		return fmt.Errorf("bucket %q not found on the gateway: \"ostor-bridge ostor buckets list\" shows every bucket", *name)
	}
	if err != nil {
		return c.gatewayError(err)
	}
	return c.printBuckets([]ostor.Bucket{bucket})
}

// findBucket returns the bucket called name from the list of all buckets, or an error that
// matches ostor.ErrNotFound.
func findBucket(ctx context.Context, gw *ostor.Client, name string) (ostor.Bucket, error) {
	buckets, err := gw.ListBuckets(ctx)
	if err != nil {
		return ostor.Bucket{}, err
	}
	for _, b := range buckets {
		if b.Name == name {
			return b, nil
		}
	}
	return ostor.Bucket{}, fmt.Errorf("bucket %q is not in the list of buckets: %w", name, ostor.ErrNotFound)
}

// usageListJSON is the JSON output of usage list.
type usageListJSON struct {
	Names     []string `json:"names"`
	Count     int64    `json:"count"` // nr_items as the gateway reports it
	Truncated bool     `json:"truncated"`
	NextAfter string   `json:"next_after,omitempty"` // --after value of the next page
}

func runUsageList(ctx context.Context, c *ostorCall) error {
	after := c.fs.String("after", "", "list the names after object `NAME` (profile vhi63 only)")
	limit := c.countVar("limit", "object names", "the gateway's default", "list at most `N` names (profile vhi63 only; 0 = the gateway's default)")
	if err := c.parse(); err != nil {
		return err
	}
	if *after != "" {
		if err := checkObjectName(*after); err != nil {
			return c.usageError("%v", err)
		}
	}
	if limit.value > maxUsagePageSize {
		return c.usageError("invalid --limit %d: use at most %d, because a gateway was seen to return broken JSON for larger pages; list further pages with --after", limit.value, maxUsagePageSize)
	}
	gw, err := c.client()
	if err != nil {
		return err
	}
	page, err := gw.ListUsage(ctx, *after, int(limit.value))
	if err != nil {
		return c.gatewayError(err)
	}

	out := usageListJSON{Names: page.Names, Count: page.Count, Truncated: page.Truncated}
	if page.Truncated && len(page.Names) > 0 && gw.Profile().UsagePaging {
		out.NextAfter = page.Names[len(page.Names)-1]
	}
	err = c.output(out, func(w io.Writer) {
		fmt.Fprintln(w, "NAME\tSERVICE ID\tSTART\tPERIOD")
		for _, name := range out.Names {
			parsed, err := ostor.ParseUsageName(name)
			if err != nil {
				fmt.Fprintf(w, "%s\t-\t-\t-\n", name)
				continue
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", name, parsed.ServiceID, parsed.Start.UTC().Format(time.RFC3339), time.Duration(parsed.Period)*time.Second)
		}
	})
	if err != nil {
		return err
	}
	switch {
	case *c.asJSON || !page.Truncated:
	case out.NextAfter != "":
		fmt.Fprintf(c.stderr, "more objects exist: add --after %s for the next page\n", out.NextAfter)
	default:
		fmt.Fprintln(c.stderr, "more objects exist: this release lists them once the listed objects are counted and deleted")
	}
	return nil
}

// usageObjectJSON is the JSON output of usage get.
type usageObjectJSON struct {
	Name          string          `json:"name"`
	FmtVersion    int64           `json:"fmt_version"`
	ServiceID     string          `json:"service_id"`
	Start         time.Time       `json:"start"`
	PeriodSeconds int64           `json:"period_seconds"`
	Items         []usageItemJSON `json:"items"`
}

type usageItemJSON struct {
	UserID          string `json:"user_id"`
	Bucket          string `json:"bucket"` // empty for requests not tied to a bucket
	Epoch           int64  `json:"epoch"`
	Tag             string `json:"tag,omitempty"`
	Put             int64  `json:"put"`
	Get             int64  `json:"get"`
	List            int64  `json:"list"`
	Other           int64  `json:"other"`
	UploadedBytes   int64  `json:"uploaded_bytes"`
	DownloadedBytes int64  `json:"downloaded_bytes"`
}

func (c *ostorCall) objectFlag() *string {
	return c.fs.String("object", "", `usage object name, e.g. "s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800"`)
}

func runUsageGet(ctx context.Context, c *ostorCall) error {
	name := c.objectFlag()
	if err := c.parse(); err != nil {
		return err
	}
	if err := checkObjectName(*name); err != nil {
		return c.usageError("%v", err)
	}
	gw, err := c.client()
	if err != nil {
		return err
	}
	object, err := gw.GetUsage(ctx, *name)
	if errors.Is(err, ostor.ErrNotFound) {
		return fmt.Errorf("usage object %q not found on the gateway: \"ostor-bridge ostor usage list\" shows them", *name)
	}
	if err != nil {
		return c.gatewayError(err)
	}

	out := usageObjectJSON{
		Name: object.Name, FmtVersion: object.FmtVersion, ServiceID: object.ServiceID,
		Start: object.Start.UTC(), PeriodSeconds: object.Period, Items: []usageItemJSON{},
	}
	for _, item := range object.Items {
		out.Items = append(out.Items, usageItemJSON{
			UserID: item.UserID, Bucket: item.Bucket, Epoch: item.Epoch, Tag: item.Tag,
			Put: item.Put, Get: item.Get, List: item.List, Other: item.Other,
			UploadedBytes: item.Uploaded, DownloadedBytes: item.Downloaded,
		})
	}
	return c.output(out, func(w io.Writer) {
		fmt.Fprintf(w, "Name\t%s\n", out.Name)
		fmt.Fprintf(w, "Service ID\t%s\n", out.ServiceID)
		fmt.Fprintf(w, "Start\t%s\n", out.Start.Format(time.RFC3339))
		fmt.Fprintf(w, "Period\t%s\n", time.Duration(out.PeriodSeconds)*time.Second)
		fmt.Fprintf(w, "Items\t%d\n", len(out.Items))
		fmt.Fprintln(w)
		fmt.Fprintln(w, "USER ID\tBUCKET\tPUT\tGET\tLIST\tOTHER\tUPLOADED BYTES\tDOWNLOADED BYTES")
		for _, item := range out.Items {
			bucket := item.Bucket
			if bucket == "" {
				bucket = "-"
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", item.UserID, bucket, item.Put, item.Get, item.List, item.Other, item.UploadedBytes, item.DownloadedBytes)
		}
	})
}

// usageDeleteHelp warns in "usage delete -h" that deleting loses data for billing.
const usageDeleteHelp = `A running daemon counts each usage object into WHMCS and then deletes it. An object deleted
here before the daemon counted it is lost for billing, so delete only objects that are known
to be counted or broken.
`

func runUsageDelete(ctx context.Context, c *ostorCall) error {
	c.extraHelp = usageDeleteHelp
	name := c.objectFlag()
	if err := c.parse(); err != nil {
		return err
	}
	if err := checkObjectName(*name); err != nil {
		return c.usageError("%v", err)
	}
	changes := []string{"delete usage object " + *name}
	return c.applyChanges("", changes, func(gw *ostor.Client) error {
		return gw.DeleteUsage(ctx, *name)
	})
}
