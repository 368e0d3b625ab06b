package ostor

import (
	"testing"
	"time"
)

// The secret of the sample system user in the vendor's StaaS guide
// (user a14040e0b2ef8b28).
const docSecret = "dbwTnQTW602aAAdq8DQVFzB6yrTCFTNiGB8C8RFA"

func TestSignV2GatewayVectors(t *testing.T) {
	const date = "Thu, 07 Apr 2016 14:08:55 +0000"
	tests := []struct {
		name          string
		method        string
		contentSHA256 bool
		want          string
	}{
		{"GET", "GET", false, "CJ8pzDqkzH4ONA2FNFtq6Z7oWaY="},
		{"PUT", "PUT", false, "XrN2D+JfjdujgWo9hEoTD1Rf3jQ="},
		{"GET with content sha256", "GET", true, "DafHuuH4tZUjeD/o8i/KcQZk7dA="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sts := stringToSign(tt.method, date, tt.contentSHA256, "/?ostor-users")
			if got := signV2(docSecret, sts); got != tt.want {
				t.Errorf("signature = %q, want %q (string to sign %q)", got, tt.want, sts)
			}
		})
	}
}

// The Object GET example of the AWS S3 Signature Version 2 documentation
// ("Signing and authenticating REST requests"), which checks the
// HMAC-SHA1 and Base64 core independently of the gateway's resource rule.
func TestSignV2AWSDocumentationExample(t *testing.T) {
	const (
		secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
		sts    = "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"
		want   = "bWq2s1WEIj+Ydj0vQ697zp+IXMU="
	)
	if got := signV2(secret, sts); got != want {
		t.Errorf("signature = %q, want %q", got, want)
	}
}

func TestStringToSignLayout(t *testing.T) {
	const date = "Thu, 07 Apr 2016 14:08:55 +0000"
	plain := stringToSign("DELETE", date, false, "/?ostor-users")
	if want := "DELETE\n\n\n" + date + "\n/?ostor-users"; plain != want {
		t.Errorf("without header line = %q, want %q", plain, want)
	}
	withHeader := stringToSign("POST", date, true, "/?ostor-usage")
	if want := "POST\n\n\n" + date + "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n/?ostor-usage"; withHeader != want {
		t.Errorf("with header line = %q, want %q", withHeader, want)
	}
}

func TestFormatDateIsUTC(t *testing.T) {
	berlin := time.FixedZone("CEST", 2*60*60)
	at := time.Date(2016, 4, 7, 16, 8, 55, 0, berlin)
	if got, want := formatDate(at), "Thu, 07 Apr 2016 14:08:55 +0000"; got != want {
		t.Errorf("formatDate = %q, want %q", got, want)
	}
}

func TestQueryResourceSignsOnlyService(t *testing.T) {
	q := newQuery("users").set("emailAddress", "a@b.c").flag("genKey")
	if got, want := q.resource(), "/?ostor-users"; got != want {
		t.Errorf("resource = %q, want %q", got, want)
	}
}
