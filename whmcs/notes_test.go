package whmcs_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// writeKeyNote runs Store.WriteKeyNote in its own transaction.
func writeKeyNote(t *testing.T, store *whmcs.Store, n whmcs.KeyNote) int64 {
	t.Helper()
	ctx := t.Context()
	var noteID int64
	err := store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		noteID, err = store.WriteKeyNote(ctx, tx, n)
		return err
	})
	if err != nil {
		t.Fatalf("WriteKeyNote(%+v): %v", n, err)
	}
	return noteID
}

func TestWriteKeyNoteInsertsThenUpdates(t *testing.T) {
	db, store := newStore(t)
	clientID := db.AddClient(t, whmcstest.Client{Email: "notes@example.com"})

	noteID := writeKeyNote(t, store, whmcs.KeyNote{ClientID: clientID, ServiceID: 42, Body: "Access key: AAA", Sticky: true})

	notes := db.Notes(t, clientID)
	if len(notes) != 1 {
		t.Fatalf("notes = %+v, want one", notes)
	}
	note := notes[0]
	wantText := "[ostor-bridge] S3 access for service #42 - managed automatically, edits are overwritten\nAccess key: AAA"
	if note.ID != noteID || note.Text != wantText {
		t.Errorf("note = %+v, want id %d with text %q", note, noteID, wantText)
	}
	if note.AdminID != 0 || !note.Sticky {
		t.Errorf("note adminid = %d, sticky = %v; want 0 and true", note.AdminID, note.Sticky)
	}
	if note.Created.IsZero() || note.Modified.IsZero() {
		t.Errorf("created %v, modified %v; want both set", note.Created, note.Modified)
	}

	updatedID := writeKeyNote(t, store, whmcs.KeyNote{ClientID: clientID, ServiceID: 42, NoteID: noteID, Body: "Access key: BBB"})
	if updatedID != noteID {
		t.Errorf("update returned note %d, want %d", updatedID, noteID)
	}
	notes = db.Notes(t, clientID)
	if len(notes) != 1 {
		t.Fatalf("notes after update = %+v, want still one", notes)
	}
	if notes[0].Body() != "Access key: BBB" || notes[0].Sticky {
		t.Errorf("updated note body %q sticky %v, want %q and false", notes[0].Body(), notes[0].Sticky, "Access key: BBB")
	}
	if !notes[0].Created.Equal(note.Created) {
		t.Errorf("created changed from %v to %v on update", note.Created, notes[0].Created)
	}
}

func TestWriteKeyNoteSameBodyTwice(t *testing.T) {
	db, store := newStore(t)
	clientID := db.AddClient(t, whmcstest.Client{Email: "twice@example.com"})
	n := whmcs.KeyNote{ClientID: clientID, ServiceID: 42, Body: "Access key: AAA"}

	// Within one second the second UPDATE changes no column, so the server
	// reports 0 affected rows. That must not lead to an insert.
	n.NoteID = writeKeyNote(t, store, n)
	again := writeKeyNote(t, store, n)

	if again != n.NoteID {
		t.Errorf("second write returned note %d, want %d", again, n.NoteID)
	}
	if notes := db.Notes(t, clientID); len(notes) != 1 {
		t.Errorf("notes = %d, want 1", len(notes))
	}
}

func TestWriteKeyNoteFindsByMarker(t *testing.T) {
	db, store := newStore(t)
	clientID := db.AddClient(t, whmcstest.Client{Email: "marker@example.com"})
	noteID := writeKeyNote(t, store, whmcs.KeyNote{ClientID: clientID, ServiceID: 42, Body: "old"})

	// Without NoteID, as when the identity lost the note id, the marker
	// finds the existing note.
	got := writeKeyNote(t, store, whmcs.KeyNote{ClientID: clientID, ServiceID: 42, Body: "new"})

	if got != noteID {
		t.Errorf("write without NoteID returned %d, want the existing note %d", got, noteID)
	}
	notes := db.Notes(t, clientID)
	if len(notes) != 1 || notes[0].Body() != "new" {
		t.Errorf("notes = %+v, want one note with body new", notes)
	}
}

func TestWriteKeyNoteLeavesAdminNotes(t *testing.T) {
	db, store := newStore(t)
	ctx := t.Context()
	clientID := db.AddClient(t, whmcstest.Client{Email: "admin-notes@example.com"})
	otherClientID := db.AddClient(t, whmcstest.Client{Email: "other@example.com"})
	adminTexts := []string{
		"Called the client about S3 pricing.",
		"Copied: [ostor-bridge] S3 access for service #42 - managed automatically, edits are overwritten",
		"[OSTOR-BRIDGE] S3 ACCESS FOR SERVICE #42 - MANAGED AUTOMATICALLY, EDITS ARE OVERWRITTEN",
		"[ostor-bridge] S3 access for service #4 - managed automatically, edits are overwritten\nother service",
	}
	var adminNoteIDs []int64
	for _, text := range adminTexts {
		adminNoteIDs = append(adminNoteIDs, db.AddNote(t, clientID, text))
	}
	foreignNoteID := writeKeyNote(t, store, whmcs.KeyNote{ClientID: otherClientID, ServiceID: 42, Body: "other client"})
	// Zero dates in admin notes must not break reading them back.
	if _, err := db.ExecContext(ctx, `UPDATE tblnotes SET modified = '0000-00-00 00:00:00' WHERE id = ?`, adminNoteIDs[0]); err != nil {
		t.Fatal(err)
	}
	before := db.Notes(t, clientID)
	time.Sleep(1100 * time.Millisecond) // a changed row would get a new modified second

	// Each NoteID points at a note that is not this service's key note of
	// this client: an admin note, a near-miss marker, another client's note.
	for _, wrongID := range append(adminNoteIDs, foreignNoteID) {
		writeKeyNote(t, store, whmcs.KeyNote{ClientID: clientID, ServiceID: 42, NoteID: wrongID, Body: "key"})
	}

	after := db.Notes(t, clientID)
	if len(after) != len(before)+1 {
		t.Fatalf("client has %d notes, want %d admin notes plus one key note", len(after), len(before))
	}
	for i, note := range before {
		if after[i] != note {
			t.Errorf("admin note changed:\nbefore %+v\nafter  %+v", note, after[i])
		}
	}
	keyNote := after[len(after)-1]
	if !strings.HasPrefix(keyNote.Text, whmcs.KeyNoteMarker(42)+"\n") || keyNote.Body() != "key" {
		t.Errorf("key note = %q, want the marker of service 42 and body key", keyNote.Text)
	}

	foreign := db.Notes(t, otherClientID)
	if len(foreign) != 1 || foreign[0].Body() != "other client" {
		t.Errorf("other client's notes = %+v, want its key note unchanged", foreign)
	}
}

func TestWriteKeyNoteSeparatesServices(t *testing.T) {
	db, store := newStore(t)
	clientID := db.AddClient(t, whmcstest.Client{Email: "two@example.com"})

	note4 := writeKeyNote(t, store, whmcs.KeyNote{ClientID: clientID, ServiceID: 4, Body: "four"})
	note42 := writeKeyNote(t, store, whmcs.KeyNote{ClientID: clientID, ServiceID: 42, Body: "forty-two"})
	writeKeyNote(t, store, whmcs.KeyNote{ClientID: clientID, ServiceID: 4, Body: "four again"})

	if note4 == note42 {
		t.Fatalf("services 4 and 42 share note %d", note4)
	}
	read4, err := store.KeyNote(t.Context(), db, clientID, 4)
	if err != nil {
		t.Fatal(err)
	}
	read42, err := store.KeyNote(t.Context(), db, clientID, 42)
	if err != nil {
		t.Fatal(err)
	}
	if read4.ID != note4 || read4.Body() != "four again" {
		t.Errorf("note of service 4 = %+v, want id %d body %q", read4, note4, "four again")
	}
	if read42.ID != note42 || read42.Body() != "forty-two" {
		t.Errorf("note of service 42 = %+v, want id %d body %q", read42, note42, "forty-two")
	}
}

func TestWriteKeyNoteEscapesFourByteChars(t *testing.T) {
	db, store := newStore(t)
	clientID := db.AddClient(t, whmcstest.Client{Email: "josé.müller+s3@exämple.com"})
	body := "User: josé.müller+s3@exämple.com 日本 o'brien \U0001F600 \U0001D11E"

	writeKeyNote(t, store, whmcs.KeyNote{ClientID: clientID, ServiceID: 42, Body: body})

	note, err := store.KeyNote(t.Context(), db, clientID, 42)
	if err != nil {
		t.Fatal(err)
	}
	want := "User: josé.müller+s3@exämple.com 日本 o'brien U+1F600 U+1D11E"
	if note.Body() != want {
		t.Errorf("stored body = %q, want %q", note.Body(), want)
	}
}

func TestEscapeForUTF8MB3(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"plain ascii", "plain ascii"},
		{"é ü 日 \uFFFD", "é ü 日 \uFFFD"},
		{"\U0001F600", "U+1F600"},
		{"a\U00010000b", "aU+10000b"},
		{"bad \xff byte", "bad \uFFFD byte"},
	}
	for _, tt := range tests {
		if got := whmcs.EscapeForUTF8MB3(tt.in); got != tt.want {
			t.Errorf("EscapeForUTF8MB3(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestKeyNoteNotFound(t *testing.T) {
	db, store := newStore(t)
	clientID := db.AddClient(t, whmcstest.Client{Email: "none@example.com"})
	db.AddNote(t, clientID, "an admin note")

	_, err := store.KeyNote(t.Context(), db, clientID, 42)
	if !errors.Is(err, whmcs.ErrNotFound) {
		t.Errorf("KeyNote without a key note: error = %v, want ErrNotFound", err)
	}
}

func TestWriteKeyNoteRejectsInvalidIDs(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()

	for _, n := range []whmcs.KeyNote{{ServiceID: 42, Body: "x"}, {ClientID: 1, Body: "x"}} {
		err := store.WithinTx(ctx, func(tx *sqlx.Tx) error {
			_, err := store.WriteKeyNote(ctx, tx, n)
			return err
		})
		if err == nil {
			t.Errorf("WriteKeyNote(%+v) succeeded, want an invalid id error", n)
		}
	}
}
