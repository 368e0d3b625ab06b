package ostor

import (
	"errors"
	"strings"
	"testing"
)

// Samples of the users service from the vendor documentation.
const (
	sampleUserAS2 = `{"UserEmail":"root1@email.com","UserId":"fc06056891f36588",
		"AWSAccessKeys":[{"AWSAccessKeyId":"fc06056891f36588RMOE","AWSSecretAccessKey":"HHD59Sf9KB4fGOxrjqhzyLBeHsODXD40QZeomKfy"}]}`
	sampleUserVHI = `{"UserEmail":"user@email.com","UserId":"b09693b73b3c7686","State":"enabled",
		"OwnerId":"0000000000000000","Flags":[],
		"AWSAccessKeys":[{"AWSAccessKeyId":"b09693b73b3c7686FIGH","AWSSecretAccessKey":"jO2p4JBN1tWc4FEGxwZ8qW2jPCJBYp8RJ4KgBcZP"}],
		"AccountCount":"3",
		"Accounts":[{"Name":"account1","AWSAccessKeys":[{"AWSAccessKeyId":"b09693b73b3c768613NV","AWSSecretAccessKey":"CBUpFmnpUGlXskTivgDQu4qjYksWpceGZeH6Qyct"}]},
			{"Name":"account2","AWSAccessKeys":[]},{"Name":"account3","AWSAccessKeys":[]}],
		"SomeFutureField":{"x":1}}`
)

func TestDecodeUserSamples(t *testing.T) {
	var as2 wireUser
	if err := decodeJSON(OpUsersGet, makeResponse(200, nil, sampleUserAS2), &as2); err != nil {
		t.Fatalf("AS 2 sample: %v", err)
	}
	u := as2.toUser()
	if u.ID != "fc06056891f36588" || len(u.AccessKeys) != 1 || u.AccessKeys[0].SecretAccessKey.Reveal() != "HHD59Sf9KB4fGOxrjqhzyLBeHsODXD40QZeomKfy" {
		t.Errorf("AS 2 sample decoded as %+v", u)
	}

	var vhi wireUser
	if err := decodeJSON(OpUsersGet, makeResponse(200, nil, sampleUserVHI), &vhi); err != nil {
		t.Fatalf("VHI sample: %v", err)
	}
	u = vhi.toUser()
	if u.State != StateEnabled || u.OwnerID != "0000000000000000" {
		t.Errorf("VHI sample state/owner = %q/%q", u.State, u.OwnerID)
	}
	if u.AccountCount != 3 || len(u.Accounts) != 3 || u.Accounts[0].AccessKeys[0].AccessKeyID != "b09693b73b3c768613NV" {
		t.Errorf("VHI sample accounts decoded as count %d, %+v", u.AccountCount, u.Accounts)
	}
}

func TestDecodeUserListShapes(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantIDs []string
	}{
		{"bare array", `[{"UserEmail":"a@x","UserId":"1111111111111111","State":"enabled","OwnerId":"0000000000000000"},
			{"UserEmail":"a@x","UserId":"2222222222222222"}]`, []string{"1111111111111111", "2222222222222222"}},
		{"Users object", `{"Users":[{"UserEmail":"a@x","UserId":"1111111111111111","Flags":[]}]}`, []string{"1111111111111111"}},
		{"space stat", `{"Users":[{"UserEmail":"a@x","UserId":"1111111111111111","SpaceStat":{"LastTs":465442,"SizeCurr":9007199254740993,"SizeHMax":"12","SizeHInt":0}}]}`,
			[]string{"1111111111111111"}},
		{"empty array", `[]`, nil},
		{"empty Users", `{"Users":[]}`, nil},
		{"null", `null`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, err := decodeUserList(OpUsersList, makeResponse(200, nil, tt.body))
			if err != nil {
				t.Fatalf("decodeUserList: %v", err)
			}
			var ids []string
			for _, u := range users {
				ids = append(ids, u.UserID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") {
				t.Errorf("ids = %v, want %v", ids, tt.wantIDs)
			}
		})
	}

	users, _ := decodeUserList(OpUsersList, makeResponse(200, nil, tests[2].body))
	space := users[0].toUser().Space
	if space == nil || space.SizeCurr != 9007199254740993 || space.SizeHMax != 12 || space.LastTS != 465442 {
		t.Errorf("space stat decoded as %+v, want exact int64 values", space)
	}
}

func TestDecodeRejectsBadBodies(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantReason  string
	}{
		{"empty", "application/json", "", "empty"},
		{"whitespace only", "application/json", " \n", "empty"},
		{"HTML", "text/html", "<html><body>502 Bad Gateway</body></html>", "HTML"},
		{"truncated", "application/json", `{"Users":[{"UserEmail":"a@x","UserId":"11`, "truncated"},
		{"object without Users", "application/json", `{"Items":[]}`, "Users"},
		{"wrong type", "application/json", `{"Users":"none"}`, "not the expected JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeUserList(OpUsersList, makeResponse(200, map[string]string{"Content-Type": tt.contentType}, tt.body))
			var decodeErr *DecodeError
			if !errors.As(err, &decodeErr) {
				t.Fatalf("error = %v, want a *DecodeError", err)
			}
			if !strings.Contains(decodeErr.Reason, tt.wantReason) {
				t.Errorf("Reason = %q, want it to mention %q", decodeErr.Reason, tt.wantReason)
			}
			if decodeErr.ContentType != tt.contentType {
				t.Errorf("ContentType = %q, want %q", decodeErr.ContentType, tt.contentType)
			}
		})
	}
}

func TestDecodeErrorOmitsSecrets(t *testing.T) {
	body := `{"UserEmail":"a@x","UserId":"1111111111111111","AWSAccessKeys":[{"AWSAccessKeyId":"k","AWSSecretAccessKey":"VtzYY4ZHWYzbWLUrRMSzVhB07UvD6Z5nGsAPtESV"}],"AccountCount":true}`
	var w wireUser
	err := decodeJSON(OpUsersGet, makeResponse(200, nil, body), &w)
	if err == nil {
		t.Fatal("decodeJSON accepted a boolean AccountCount")
	}
	if strings.Contains(err.Error(), "VtzYY4ZH") {
		t.Errorf("error contains the secret: %v", err)
	}
}

func TestFlexIntForms(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{`3`, 3, false},
		{`"3"`, 3, false},
		{`""`, 0, false},
		{`null`, 0, false},
		{`9223372036854775807`, 9223372036854775807, false},
		{`"x"`, 0, true},
		{`1.5`, 0, true},
		{`true`, 0, true},
	}
	for _, tt := range tests {
		var n flexInt
		err := n.UnmarshalJSON([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("UnmarshalJSON(%s) error = %v, wantErr %t", tt.in, err, tt.wantErr)
			continue
		}
		if int64(n) != tt.want {
			t.Errorf("UnmarshalJSON(%s) = %d, want %d", tt.in, n, tt.want)
		}
	}
}

func TestNewKeyPairs(t *testing.T) {
	a := KeyPair{AccessKeyID: "A"}
	b := KeyPair{AccessKeyID: "B"}
	c := KeyPair{AccessKeyID: "C"}
	tests := []struct {
		name          string
		before, after []KeyPair
		want          string
	}{
		{"answer lists every pair", []KeyPair{a}, []KeyPair{a, b}, "B"},
		{"answer lists only the new pair", []KeyPair{a}, []KeyPair{b}, "B"},
		{"nothing new", []KeyPair{a, b}, []KeyPair{a, b}, ""},
		{"from nothing", nil, []KeyPair{b, c}, "B,C"},
	}
	for _, tt := range tests {
		var ids []string
		for _, k := range NewKeyPairs(tt.before, tt.after) {
			ids = append(ids, k.AccessKeyID)
		}
		if got := strings.Join(ids, ","); got != tt.want {
			t.Errorf("%s: NewKeyPairs = %q, want %q", tt.name, got, tt.want)
		}
	}
}
