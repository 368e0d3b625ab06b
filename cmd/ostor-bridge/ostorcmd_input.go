package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ostor-bridge/ostor-bridge/ostor"
)

// Input checks of the ostor command. They run before the config is loaded, so bad input exits
// with status 2 and sends nothing to the gateway.

// targetFlags are the flags that select what an action applies to. A nil field is a flag the
// action does not offer.
type targetFlags struct {
	email  *string
	id     *string
	bucket *string
	kind   *string // --default, quotas only
}

// userFlags registers --email and --id.
func (c *ostorCall) userFlags() *targetFlags {
	return &targetFlags{
		email: c.fs.String("email", "", "email address of the S3 user"),
		id:    c.fs.String("id", "", "UserId of the S3 user (16 hex digits)"),
	}
}

// limitTargetFlags registers --email, --id and --bucket, and --default when withDefault is set.
func (c *ostorCall) limitTargetFlags(withDefault bool) *targetFlags {
	t := c.userFlags()
	t.bucket = c.fs.String("bucket", "", "bucket name")
	if withDefault {
		t.kind = c.fs.String("default", "", `"user" or "bucket": the default quota of new users or new buckets`)
	}
	return t
}

// selectorNames lists the flags of t for messages, e.g. "--email, --id or --bucket".
func (t *targetFlags) selectorNames() string {
	names := []string{"--email", "--id"}
	if t.bucket != nil {
		names = append(names, "--bucket")
	}
	if t.kind != nil {
		names = append(names, "--default")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// given returns the flags that were set, as "--flag" names.
func (t *targetFlags) given() []string {
	var set []string
	for _, f := range []struct {
		name  string
		value *string
	}{{"--email", t.email}, {"--id", t.id}, {"--bucket", t.bucket}, {"--default", t.kind}} {
		if f.value != nil && *f.value != "" {
			set = append(set, f.name)
		}
	}
	return set
}

// userRef validates --email or --id. It returns ok=false when neither is set.
func (t *targetFlags) userRef() (ref ostor.UserRef, ok bool, err error) {
	switch {
	case *t.email != "" && *t.id != "":
		return ostor.UserRef{}, false, fmt.Errorf("--email and --id are both set: give one of them")
	case *t.email != "":
		if err := checkEmail(*t.email); err != nil {
			return ostor.UserRef{}, false, err
		}
		return ostor.ByEmail(*t.email), true, nil
	case *t.id != "":
		if err := checkUserID(*t.id); err != nil {
			return ostor.UserRef{}, false, err
		}
		return ostor.ByID(*t.id), true, nil
	}
	return ostor.UserRef{}, false, nil
}

// requiredUser returns the user that --email or --id selects, and a description for output.
func (c *ostorCall) requiredUser(t *targetFlags) (ostor.UserRef, error) {
	ref, ok, err := t.userRef()
	if err != nil {
		return ref, c.usageError("%v", err)
	}
	if !ok {
		return ref, c.usageError("missing user: give --email or --id")
	}
	return ref, nil
}

// requiredTarget returns the one target the flags select and a description such as
// "user alice@example.com".
func (c *ostorCall) requiredTarget(t *targetFlags) (ostor.Target, string, error) {
	given := t.given()
	if len(given) != 1 {
		if len(given) == 0 {
			return ostor.Target{}, "", c.usageError("missing target: give one of %s", t.selectorNames())
		}
		return ostor.Target{}, "", c.usageError("give only one of %s, not %s", t.selectorNames(), strings.Join(given, " and "))
	}

	switch given[0] {
	case "--bucket":
		if err := checkBucketName(*t.bucket); err != nil {
			return ostor.Target{}, "", c.usageError("%v", err)
		}
		return ostor.BucketTarget(*t.bucket), "bucket " + *t.bucket, nil
	case "--default":
		if *t.kind != "user" && *t.kind != "bucket" {
			return ostor.Target{}, "", c.usageError(`invalid --default %q: use "user" (new users) or "bucket" (new buckets)`, *t.kind)
		}
		return ostor.DefaultQuotaTarget(*t.kind), "the default quota of new " + *t.kind + "s", nil
	}
	ref, err := c.requiredUser(t)
	if err != nil {
		return ostor.Target{}, "", err
	}
	return ostor.UserTarget(ref), describeUser(ref), nil
}

func describeUser(ref ostor.UserRef) string {
	if ref.ID != "" {
		return "user id " + ref.ID
	}
	return "user " + ref.Email
}

// maxEmailBytes is the longest address SMTP can carry (RFC 5321, section 4.5.3.1.3).
const maxEmailBytes = 254

// checkEmail accepts local@domain without whitespace or control characters. The gateway's own
// rules are not documented, so everything else (quotes, "+", non-ASCII) is left to it.
func checkEmail(email string) error {
	const fix = "give an address such as alice@example.com"
	if len(email) > maxEmailBytes {
		return fmt.Errorf("invalid --email %q: it has %d bytes, more than the %d an address can have", email, len(email), maxEmailBytes)
	}
	if !utf8.ValidString(email) || strings.IndexFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Errorf("invalid --email %q: it contains whitespace, a control character or invalid UTF-8: %s", email, fix)
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return fmt.Errorf("invalid --email %q: an address needs a local part, \"@\" and a domain: %s", email, fix)
	}
	return nil
}

func checkUserID(id string) error {
	if len(id) != 16 {
		return fmt.Errorf("invalid --id %q: a UserId has 16 hex digits, e.g. 0123456789abcdef; \"ostor-bridge ostor users list\" shows them", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return fmt.Errorf("invalid --id %q: a UserId has 16 hex digits, e.g. 0123456789abcdef; \"ostor-bridge ostor users list\" shows them", id)
		}
	}
	return nil
}

// checkBucketName accepts 3 to 255 letters, digits, dots, hyphens and underscores that start
// with a letter or digit: the current S3 rules plus the legacy names that older S3 services
// allowed, so an operator can still inspect an old bucket.
//
// NOTE: the gateway documents no bucket name rules. Names outside this set are rejected here,
// even if a gateway stores them.
func checkBucketName(name string) error {
	const fix = "use 3 to 255 letters, digits, dots, hyphens or underscores, starting with a letter or digit"
	if len(name) < 3 || len(name) > 255 {
		return fmt.Errorf("invalid --bucket %q: it has %d characters: %s", name, len(name), fix)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !alnum && (i == 0 || c != '.' && c != '-' && c != '_') {
			return fmt.Errorf("invalid --bucket %q: %s", name, fix)
		}
	}
	return nil
}

// checkObjectName accepts a usage-statistics object name. GetUsage accepts any name, so only
// empty names and names with whitespace or control characters are rejected.
func checkObjectName(name string) error {
	if name == "" {
		return fmt.Errorf(`missing --object: give a usage object name such as s3-usage-8000000000000065-2017-02-01T16:31:54.000Z-1800; "ostor-bridge ostor usage list" shows them`)
	}
	if !utf8.ValidString(name) || strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Errorf("invalid --object %q: it contains whitespace, a control character or invalid UTF-8: copy the name from \"ostor-bridge ostor usage list\"", name)
	}
	return nil
}

// countFlag is a flag.Value for a whole number of 0 or more. set records whether the flag was
// given, so that 0 (unlimited) is distinguished from an omitted flag.
type countFlag struct {
	value     int64
	set       bool
	unit      string // named in the error message, e.g. "operations per second"
	zeroMeans string // named in the error message when 0 has a meaning, e.g. "unlimited"
}

func (f *countFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.FormatInt(f.value, 10)
}

func (f *countFlag) Set(text string) error {
	v, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	if err != nil || v < 0 {
		if f.zeroMeans != "" {
			return fmt.Errorf("use a whole number of %s, 0 or more (0 means %s)", f.unit, f.zeroMeans)
		}
		return fmt.Errorf("use a whole number of %s, 0 or more", f.unit)
	}
	f.value, f.set = v, true
	return nil
}

// countVar registers a countFlag on the call's flag set.
func (c *ostorCall) countVar(name, unit, zeroMeans, usage string) *countFlag {
	f := &countFlag{unit: unit, zeroMeans: zeroMeans}
	c.fs.Var(f, name, usage)
	return f
}
