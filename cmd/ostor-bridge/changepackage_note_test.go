package main

import (
	"strings"
	"testing"

	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// noteOptions returns product config options with an unlimited plan and the given
// "Access-key note" setting (configoption9).
func noteOptions(noteContent string) [24]string {
	options := planOptions("0", "", "", "", "", "0", "")
	options[8] = noteContent
	return options
}

// accessKeyNote returns the text of the client's only note.
func accessKeyNote(t *testing.T, s *stack, client int64) string {
	t.Helper()
	notes := s.DB.Notes(t, client)
	if len(notes) != 1 {
		t.Fatalf("client has %d notes, want the access-key note only", len(notes))
	}
	return notes[0].Text
}

func TestChangePackageRewritesNote(t *testing.T) {
	s := startStack(t, stackOptions{})
	withSecret := s.DB.AddProduct(t, whmcstest.Product{Name: "S3 with secret note", Module: "ostorbridge", ConfigOptions: noteOptions("key-id-and-secret")})
	keyIDOnly := s.DB.AddProduct(t, whmcstest.Product{Name: "S3 key id note", Module: "ostorbridge", ConfigOptions: noteOptions("key-id")})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "notes@example.com", FirstName: "Note", LastName: "Change"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: withSecret, ServerID: s.ServerID, Status: "Pending"})

	callTwice(t, s, "CreateAccount", service)
	secret := s3User(t, s).AccessKeys[0].SecretAccessKey.Reveal()
	if note := accessKeyNote(t, s, client); !strings.Contains(note, secret) {
		t.Fatalf("note of a key-id-and-secret product lacks the secret key:\n%s", note)
	}

	// WHMCS switches the service to the new product before it calls ChangePackage.
	if _, err := s.DB.Exec(`UPDATE tblhosting SET packageid = ? WHERE id = ?`, keyIDOnly, service); err != nil {
		t.Fatal(err)
	}
	callTwice(t, s, "ChangePackage", service)
	note := accessKeyNote(t, s, client)
	if strings.Contains(note, secret) {
		t.Errorf("note still contains the secret key after ChangePackage to a key-id product:\n%s", note)
	}
	if !strings.Contains(note, s3User(t, s).AccessKeys[0].AccessKeyID) {
		t.Errorf("note lacks the access key id after ChangePackage:\n%s", note)
	}

	if _, err := s.DB.Exec(`UPDATE tblhosting SET packageid = ? WHERE id = ?`, withSecret, service); err != nil {
		t.Fatal(err)
	}
	callTwice(t, s, "ChangePackage", service)
	if note := accessKeyNote(t, s, client); !strings.Contains(note, secret) {
		t.Errorf("note lacks the secret key after ChangePackage back to a key-id-and-secret product:\n%s", note)
	}
}

func TestChangePackageRejectsInvalidNoteSetting(t *testing.T) {
	s := startStack(t, stackOptions{})
	valid := s.DB.AddProduct(t, whmcstest.Product{Name: "S3 key id note", Module: "ostorbridge", ConfigOptions: noteOptions("key-id")})
	invalid := s.DB.AddProduct(t, whmcstest.Product{Name: "S3 typo", Module: "ostorbridge", ConfigOptions: noteOptions("everything")})
	client := s.DB.AddClient(t, whmcstest.Client{Email: "typo@example.com", FirstName: "Typo", LastName: "Setting"})
	service := s.DB.AddService(t, whmcstest.Service{ClientID: client, ProductID: valid, ServerID: s.ServerID, Status: "Pending"})
	callTwice(t, s, "CreateAccount", service)
	before := accessKeyNote(t, s, client)

	if _, err := s.DB.Exec(`UPDATE tblhosting SET packageid = ? WHERE id = ?`, invalid, service); err != nil {
		t.Fatal(err)
	}
	got, _ := callModule(t, "ChangePackage", s.moduleParams(service)).(string)

	for _, want := range []string{`"everything"`, "configoption9", "key-id-and-secret"} {
		if !strings.Contains(got, want) {
			t.Errorf("ChangePackage message does not contain %s: %q", want, got)
		}
	}
	if after := accessKeyNote(t, s, client); after != before {
		t.Errorf("note changed after a rejected ChangePackage:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
