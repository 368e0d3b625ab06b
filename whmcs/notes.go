package whmcs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"go.uber.org/zap"
)

// KeyNote is the access-key note of one service, written to the client's
// notes in tblnotes.
type KeyNote struct {
	ClientID  int64 // tblclients.id, the owner of the note
	ServiceID int64 // service named in the marker line
	NoteID    int64 // tblnotes.id written last time, 0 when unknown
	Body      string
	Sticky    bool // show the note on all of the client's admin pages and tickets
}

// Note is a row of tblnotes.
type Note struct {
	ID       int64     `db:"id"`
	ClientID int64     `db:"userid"`
	AdminID  int64     `db:"adminid"` // author, 0 for notes the bridge writes
	Created  time.Time `db:"created"`
	Modified time.Time `db:"modified"`
	Text     string    `db:"note"` // stored text, starting with the marker line for key notes
	Sticky   bool      `db:"sticky"`
}

// Body returns the note text after the marker line of a key note.
func (n Note) Body() string {
	_, body, _ := strings.Cut(n.Text, "\n")
	return body
}

// KeyNoteMarker returns the first line of the service's access-key note.
// Notes of a client that start with it belong to the bridge, and the text
// warns admins that their edits are overwritten.
func KeyNoteMarker(serviceID int64) string {
	return fmt.Sprintf("[ostor-bridge] S3 access for service #%d - managed automatically, edits are overwritten", serviceID)
}

// The marker test compares bytes, so "[OSTOR-BRIDGE]" in an admin's note
// does not match although tblnotes uses a case-insensitive collation. The
// marker is ASCII, so its length in characters equals its length in bytes.
const (
	noteColumns = `id, userid, adminid, created, modified, note, sticky`

	selectKeyNoteByID = `SELECT id
FROM tblnotes
WHERE id = ? AND userid = ? AND CAST(LEFT(note, ?) AS BINARY) = CAST(? AS BINARY)
FOR UPDATE`

	selectKeyNoteIDByMarker = `SELECT id
FROM tblnotes
WHERE userid = ? AND CAST(LEFT(note, ?) AS BINARY) = CAST(? AS BINARY)
ORDER BY id
LIMIT 1
FOR UPDATE`

	selectKeyNote = `SELECT ` + noteColumns + `
FROM tblnotes
WHERE userid = ? AND CAST(LEFT(note, ?) AS BINARY) = CAST(? AS BINARY)
ORDER BY id
LIMIT 1`

	updateKeyNote = `UPDATE tblnotes
SET note = ?, sticky = ?, modified = NOW()
WHERE id = ?`

	moveKeyNotes = `UPDATE tblnotes
SET userid = ?
WHERE userid = ? AND CAST(LEFT(note, ?) AS BINARY) = CAST(? AS BINARY)`

	// tblnotes columns have no defaults, so every one is supplied.
	insertKeyNote = `INSERT INTO tblnotes (userid, adminid, created, modified, note, sticky)
VALUES (?, 0, NOW(), NOW(), ?, ?)`
)

// WriteKeyNote writes the service's access-key note inside tx and returns
// its tblnotes id. The stored text is KeyNoteMarker, a newline and Body,
// with characters outside the Basic Multilingual Plane replaced by
// EscapeForUTF8MB3.
//
// It updates note n.NoteID when that note belongs to n.ClientID and starts
// with the service's marker. Otherwise it updates the client's oldest note
// with that marker, and when there is none it inserts a new note with
// adminid 0. Notes without the marker, which include every note an admin
// wrote, are never changed.
func (s *Store) WriteKeyNote(ctx context.Context, tx *sqlx.Tx, n KeyNote) (noteID int64, err error) {
	action := fmt.Sprintf("write access-key note of service %d for client %d", n.ServiceID, n.ClientID)
	switch {
	case n.ClientID <= 0:
		return 0, fmt.Errorf("%s: invalid client id", action)
	case n.ServiceID <= 0:
		return 0, fmt.Errorf("%s: invalid service id", action)
	}

	marker := KeyNoteMarker(n.ServiceID)
	text := marker + "\n" + EscapeForUTF8MB3(n.Body)
	sticky := 0
	if n.Sticky {
		sticky = 1
	}

	noteID, err = s.findKeyNote(ctx, tx, n, marker)
	if err != nil {
		return 0, wrapDBError(action, err)
	}

	if noteID != 0 {
		if _, err := tx.ExecContext(ctx, updateKeyNote, text, sticky, noteID); err != nil {
			return 0, wrapDBError(action, err)
		}
		s.log.Debug("updated access-key note", zap.Int64("service_id", n.ServiceID), zap.Int64("client_id", n.ClientID), zap.Int64("note_id", noteID))
		return noteID, nil
	}

	result, err := tx.ExecContext(ctx, insertKeyNote, n.ClientID, text, sticky)
	if err != nil {
		return 0, wrapDBError(action, err)
	}
	if noteID, err = result.LastInsertId(); err != nil {
		return 0, wrapDBError(action, err)
	}
	s.log.Debug("inserted access-key note", zap.Int64("service_id", n.ServiceID), zap.Int64("client_id", n.ClientID), zap.Int64("note_id", noteID))
	return noteID, nil
}

// findKeyNote returns the id of the note WriteKeyNote should update, or 0,
// and locks that row until tx ends.
func (s *Store) findKeyNote(ctx context.Context, tx *sqlx.Tx, n KeyNote, marker string) (int64, error) {
	var id int64
	if n.NoteID > 0 {
		err := tx.GetContext(ctx, &id, selectKeyNoteByID, n.NoteID, n.ClientID, len(marker), marker)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		s.log.Info("recorded access-key note is gone or no longer the bridge's, searching by marker",
			zap.Int64("service_id", n.ServiceID), zap.Int64("client_id", n.ClientID), zap.Int64("note_id", n.NoteID))
	}

	err := tx.GetContext(ctx, &id, selectKeyNoteIDByMarker, n.ClientID, len(marker), marker)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return id, nil
}

// MoveKeyNotes moves the service's access-key notes of client from to
// client to inside tx and returns how many notes moved. Only notes that
// start with the service's marker move, so an admin's notes stay with
// their client, and a repeated call moves nothing. The notes keep their ids
// and text, so the id recorded for the next WriteKeyNote stays valid.
func (s *Store) MoveKeyNotes(ctx context.Context, tx *sqlx.Tx, serviceID, from, to int64) (int64, error) {
	action := fmt.Sprintf("move access-key notes of service %d from client %d to client %d", serviceID, from, to)
	switch {
	case serviceID <= 0:
		return 0, fmt.Errorf("%s: invalid service id", action)
	case from <= 0 || to <= 0:
		return 0, fmt.Errorf("%s: invalid client id", action)
	}

	marker := KeyNoteMarker(serviceID)
	result, err := tx.ExecContext(ctx, moveKeyNotes, to, from, len(marker), marker)
	if err != nil {
		return 0, wrapDBError(action, err)
	}
	moved, err := result.RowsAffected()
	if err != nil {
		return 0, wrapDBError(action, err)
	}
	return moved, nil
}

// KeyNote reads the service's access-key note of the client through q. A
// client without one returns an error wrapping ErrNotFound.
func (s *Store) KeyNote(ctx context.Context, q sqlx.QueryerContext, clientID, serviceID int64) (Note, error) {
	marker := KeyNoteMarker(serviceID)

	var note Note
	if err := sqlx.GetContext(ctx, q, &note, selectKeyNote, clientID, len(marker), marker); err != nil {
		return Note{}, wrapDBError(fmt.Sprintf("read access-key note of service %d for client %d", serviceID, clientID), err)
	}
	return note, nil
}

// EscapeForUTF8MB3 replaces every character outside the Basic Multilingual
// Plane, which takes 4 bytes in UTF-8, with its code point written as
// "U+1F600". WHMCS tables use utf8mb3, which stores at most 3 bytes per
// character, and a strict session rejects the whole write otherwise.
// Characters of up to 3 bytes, such as é, ü and 日, are kept. Invalid UTF-8
// is replaced by U+FFFD.
func EscapeForUTF8MB3(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")

	var b strings.Builder
	b.Grow(len(text))
	for _, r := range text {
		if r > 0xFFFF {
			fmt.Fprintf(&b, "U+%04X", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
