package ostor

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strings"
	"time"
)

// dateLayout is the Date header layout that the vendor's s3_curl helper sends
// ("date -R"). The client always formats the time in UTC, giving "+0000".
const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

const (
	headerContentSHA256 = "x-amz-content-sha256"
	unsignedPayload     = "UNSIGNED-PAYLOAD"
)

// stringToSign builds the Signature V2 string to sign as the gateway checks
// it: the method, empty Content-MD5 and Content-Type lines, the Date, the
// optional x-amz-content-sha256 line (VHI 6.3+) and the resource
// "/?ostor-<service>". There is no trailing newline.
func stringToSign(method, date string, contentSHA256 bool, resource string) string {
	var b strings.Builder
	b.WriteString(method)
	b.WriteString("\n\n\n")
	b.WriteString(date)
	b.WriteByte('\n')
	if contentSHA256 {
		b.WriteString(headerContentSHA256)
		b.WriteByte(':')
		b.WriteString(unsignedPayload)
		b.WriteByte('\n')
	}
	b.WriteString(resource)
	return b.String()
}

// signV2 returns Base64(HMAC-SHA1(secret, stringToSign)).
func signV2(secret, stringToSign string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// formatDate formats t for the Date header, always in UTC.
func formatDate(t time.Time) string {
	return t.UTC().Format(dateLayout)
}
