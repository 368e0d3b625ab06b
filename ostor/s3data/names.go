package s3data

import (
	"fmt"
	"net/netip"
	"strings"
)

// BucketNameError reports a bucket name that breaks the S3 naming rules.
// Purge sends no request when it returns one.
type BucketNameError struct {
	Name   string
	Reason string
}

func (e *BucketNameError) Error() string {
	return fmt.Sprintf("s3data: invalid bucket name %q: %s", e.Name, e.Reason)
}

// ValidateBucketName checks name against the S3 rules for bucket names. A
// valid name has 3 to 63 lowercase letters, digits, hyphens and dots, and
// begins and ends with a letter or digit. It has no two adjacent dots, no dot
// next to a hyphen, and is not an IPv4 address.
func ValidateBucketName(name string) error {
	invalid := func(reason string) error { return &BucketNameError{Name: name, Reason: reason} }
	if len(name) < 3 || len(name) > 63 {
		return invalid(fmt.Sprintf("it is %d characters long, but S3 allows 3 to 63", len(name)))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isLowerAlphanumeric(c) && c != '-' && c != '.' {
			return invalid(fmt.Sprintf("character %q at offset %d is not allowed: use lowercase letters, digits, hyphens and dots", c, i))
		}
	}
	if !isLowerAlphanumeric(name[0]) || !isLowerAlphanumeric(name[len(name)-1]) {
		return invalid("it must begin and end with a lowercase letter or digit")
	}
	for _, pair := range []string{"..", ".-", "-."} {
		if strings.Contains(name, pair) {
			return invalid(fmt.Sprintf("it contains %q, which S3 does not allow", pair))
		}
	}
	if addr, err := netip.ParseAddr(name); err == nil && addr.Is4() {
		return invalid("it has the form of an IPv4 address")
	}
	return nil
}

func isLowerAlphanumeric(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
}
