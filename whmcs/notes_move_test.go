package whmcs_test

import (
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/ostor-bridge/ostor-bridge/whmcs"
	"github.com/ostor-bridge/ostor-bridge/whmcs/whmcstest"
)

// moveKeyNotes runs Store.MoveKeyNotes in its own transaction.
func moveKeyNotes(t *testing.T, store *whmcs.Store, serviceID, from, to int64) int64 {
	t.Helper()
	ctx := t.Context()
	var moved int64
	err := store.WithinTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		moved, err = store.MoveKeyNotes(ctx, tx, serviceID, from, to)
		return err
	})
	if err != nil {
		t.Fatalf("MoveKeyNotes(%d, %d, %d): %v", serviceID, from, to, err)
	}
	return moved
}

func TestMoveKeyNotesMovesOnlyBridgeNotes(t *testing.T) {
	db, store := newStore(t)
	from := db.AddClient(t, whmcstest.Client{Email: "merged@example.com"})
	to := db.AddClient(t, whmcstest.Client{Email: "survivor@example.com"})
	keyNoteID := writeKeyNote(t, store, whmcs.KeyNote{ClientID: from, ServiceID: 42, Body: "Access key: AAA"})
	otherServiceNoteID := writeKeyNote(t, store, whmcs.KeyNote{ClientID: from, ServiceID: 4, Body: "Access key: BBB"})
	adminNoteIDs := []int64{
		db.AddNote(t, from, "Called the client about S3 pricing."),
		db.AddNote(t, from, "[OSTOR-BRIDGE] S3 ACCESS FOR SERVICE #42 - MANAGED AUTOMATICALLY, EDITS ARE OVERWRITTEN"),
		db.AddNote(t, from, "Copied: "+whmcs.KeyNoteMarker(42)),
	}

	if moved := moveKeyNotes(t, store, 42, from, to); moved != 1 {
		t.Errorf("moved %d notes, want 1", moved)
	}

	survivorNotes := db.Notes(t, to)
	if len(survivorNotes) != 1 {
		t.Fatalf("surviving client has notes %+v, want only the key note of service 42", survivorNotes)
	}
	if survivorNotes[0].ID != keyNoteID {
		t.Errorf("surviving client's note id = %d, want the moved note %d", survivorNotes[0].ID, keyNoteID)
	}
	if survivorNotes[0].Body() != "Access key: AAA" {
		t.Errorf("moved note body = %q, want it unchanged", survivorNotes[0].Body())
	}
	remaining := map[int64]bool{}
	for _, note := range db.Notes(t, from) {
		remaining[note.ID] = true
	}
	for _, id := range append(adminNoteIDs, otherServiceNoteID) {
		if !remaining[id] {
			t.Errorf("note %d left the merged client; only the key note of service 42 may move", id)
		}
	}
	if remaining[keyNoteID] {
		t.Errorf("key note %d is still under the merged client", keyNoteID)
	}

	if moved := moveKeyNotes(t, store, 42, from, to); moved != 0 {
		t.Errorf("repeated move moved %d notes, want 0", moved)
	}
	if n := len(db.Notes(t, to)); n != 1 {
		t.Errorf("surviving client has %d notes after the repeated move, want 1", n)
	}

	// The next write finds the moved note by its id under the surviving client.
	written := writeKeyNote(t, store, whmcs.KeyNote{ClientID: to, ServiceID: 42, NoteID: keyNoteID, Body: "Access key: CCC"})
	if written != keyNoteID {
		t.Errorf("write after the move used note %d, want the moved note %d", written, keyNoteID)
	}
}

func TestMoveKeyNotesRejectsInvalidIDs(t *testing.T) {
	_, store := newStore(t)
	ctx := t.Context()
	for _, ids := range [][3]int64{{0, 1, 2}, {42, 0, 2}, {42, 1, 0}} {
		err := store.WithinTx(ctx, func(tx *sqlx.Tx) error {
			_, err := store.MoveKeyNotes(ctx, tx, ids[0], ids[1], ids[2])
			return err
		})
		if err == nil {
			t.Errorf("MoveKeyNotes(%d, %d, %d) succeeded, want an invalid id error", ids[0], ids[1], ids[2])
		}
	}
}
