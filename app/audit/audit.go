// Package audit keeps the counter's audit trail: an append-only log of every
// session step and staff action in which each row is chained to the one
// before it by SHA-256.
//
// Row n stores hash(n) = SHA-256(hash(n-1) ‖ encode(row n)), with 32 zero
// bytes before row 1, and a one-row table (audit_head) holds the last
// sequence number and hash. Verify recomputes the chain: a changed row
// breaks its own hash, a row inserted or deleted breaks the sequence or the
// link to the next row, and rows cut off the end no longer match the head.
//
// The chain proves integrity, not authorship: someone able to rewrite the
// whole database file can recompute every hash. Printing the head (Head) on
// the daily summary (日計表) pins it outside the database.
// FormatHead is the printed form, ParseHead reads it back as typed, and
// VerifyAgainst checks the log against it; KeepAnchor also keeps the head
// in a file next to the database (<database>.audit-head).
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"madoguchi/app/store"
)

// Common actions. Callers may use others; an action is a short English
// identifier.
const (
	ActionSignIn         = "staff.sign_in"
	ActionSignInFailed   = "staff.sign_in_failed"
	ActionLockedOut      = "staff.locked_out"
	ActionSignOut        = "staff.sign_out"
	ActionStaffCreated   = "staff.created"
	ActionPasswordSet    = "staff.password_set"
	ActionStaffUnlocked  = "staff.unlocked"
	ActionStaffDisabled  = "staff.disabled"
	ActionRegistryImport = "registry.import"
	ActionSessionStep    = "session.step"
	ActionAuditVerified  = "audit.verified"
)

// Actions of the security fixes (issue 12).
const (
	ActionStaffEnabled       = "staff.enabled"       // a supervisor re-enabled an account
	ActionStaffPasswordReset = "staff.reset"         // a supervisor set a temporary password
	ActionAuditVerifyFailed  = "audit.verify_failed" // a chain check found a break
)

// Entry is one row of the audit trail.
type Entry struct {
	Seq       int64     // 1, 2, 3 … set by Append
	At        time.Time // set by Append if zero; stored to the microsecond
	Staff     string    // the staff ID, or "system"
	Action    string
	SessionID string // the counter session, if any
	Subject   string // what the action was about (a resident code, a staff ID …)
	Detail    string // free text; never a PIN, PUK, key or password
	// Terminal is the counter that wrote the row on a shared office
	// database (store.TerminalOf); "" on a terminal's own SQLite file.
	Terminal string
	PrevHash []byte
	Hash     []byte
}

// ZeroHash is the previous hash of the first row.
var ZeroHash = make([]byte, sha256.Size)

// Sum computes the chain hash of e given the previous row's hash. The time
// is hashed in its stored form.
func Sum(prev []byte, e Entry) []byte {
	h := sha256.New()
	h.Write(prev)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	h.Write(n[:])
	fields := []string{store.FormatTime(e.At), e.Staff, e.Action, e.SessionID, e.Subject, e.Detail}
	if e.Terminal != "" {
		// Only when set, so that the hashes of rows without one (every row
		// of a terminal's own file) are what they always were.
		fields = append(fields, "terminal", e.Terminal)
	}
	for _, s := range fields {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(s)))
		h.Write(l[:])
		h.Write([]byte(s))
	}
	return h.Sum(nil)
}

// Append adds e to the log inside tx, which must be a write transaction
// (store.DB.Tx), so that the row commits or rolls back with the change it
// records. It returns the entry as stored.
func Append(ctx context.Context, tx *sql.Tx, e Entry) (Entry, error) {
	if e.Action == "" || e.Staff == "" {
		return Entry{}, errors.New("audit: entry needs an action and a staff ID")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	if e.Terminal == "" {
		e.Terminal = store.TerminalOf(tx)
	}
	var seq int64
	var prev []byte
	err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&seq, &prev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		seq, prev = 0, ZeroHash
	case err != nil:
		return Entry{}, fmt.Errorf("audit: read head: %w", err)
	}
	e.Seq = seq + 1
	e.PrevHash = prev
	e.Hash = Sum(prev, e)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, staff, action, session_id, subject, detail, prev_hash, hash, terminal)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, store.FormatTime(e.At), e.Staff, e.Action, e.SessionID, e.Subject, e.Detail, e.PrevHash, e.Hash, e.Terminal); err != nil {
		return Entry{}, fmt.Errorf("audit: append: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, e.Seq, e.Hash); err != nil {
		return Entry{}, fmt.Errorf("audit: update head: %w", err)
	}
	return e, nil
}

// Record appends e in a transaction of its own.
func Record(ctx context.Context, db *store.DB, e Entry) (Entry, error) {
	var out Entry
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = Append(ctx, tx, e)
		return err
	})
	return out, err
}

// Head returns the last sequence number and hash (0 and ZeroHash for an
// empty log). Its hex form, printed on paper, pins the log's state.
func Head(ctx context.Context, db *store.DB) (int64, []byte, error) {
	var seq int64
	var h []byte
	err := db.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&seq, &h)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ZeroHash, nil
	}
	return seq, h, err
}

// Filter selects entries for List. Zero fields do not filter.
type Filter struct {
	From, To  time.Time // At in [From, To)
	Staff     string
	Action    string // exact, or a prefix ending in "." ("session.")
	SessionID string
	Subject   string
	Limit     int // default 1000
	Offset    int
}

// List returns the entries matching f in sequence order.
func List(ctx context.Context, db *store.DB, f Filter) ([]Entry, error) {
	var where []string
	var args []any
	if !f.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, store.FormatTime(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, store.FormatTime(f.To))
	}
	if f.Staff != "" {
		where, args = append(where, "staff = ?"), append(args, f.Staff)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where, args = append(where, "substr(action, 1, ?) = ?"), append(args, len(f.Action), f.Action)
		} else {
			where, args = append(where, "action = ?"), append(args, f.Action)
		}
	}
	if f.SessionID != "" {
		where, args = append(where, "session_id = ?"), append(args, f.SessionID)
	}
	if f.Subject != "" {
		where, args = append(where, "subject = ?"), append(args, f.Subject)
	}
	q := "SELECT seq, at, staff, action, session_id, subject, detail, prev_hash, hash, terminal FROM audit_log"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	q += " ORDER BY seq LIMIT ? OFFSET ?"
	args = append(args, limit, f.Offset)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func scan(rows *sql.Rows) (Entry, error) {
	var e Entry
	var at string
	if err := rows.Scan(&e.Seq, &at, &e.Staff, &e.Action, &e.SessionID, &e.Subject, &e.Detail, &e.PrevHash, &e.Hash, &e.Terminal); err != nil {
		return Entry{}, err
	}
	t, err := store.ParseTime(at)
	if err != nil {
		return Entry{}, fmt.Errorf("audit: row %d: bad time %q", e.Seq, at)
	}
	e.At = t
	return e, nil
}

// ProblemKind classifies a break in the chain.
type ProblemKind int

// Problem kinds.
const (
	Altered      ProblemKind = iota + 1 // the row's content does not match its hash
	BrokenLink                          // the row's previous hash is not the previous row's hash
	Gap                                 // sequence numbers are missing (rows deleted) or out of order
	HeadMismatch                        // the log's end is not the recorded head (rows cut off or added)
)

func (k ProblemKind) String() string {
	switch k {
	case Altered:
		return "altered"
	case BrokenLink:
		return "broken link"
	case Gap:
		return "gap"
	case HeadMismatch:
		return "head mismatch"
	case AnchorMismatch:
		return "anchor mismatch"
	}
	return fmt.Sprintf("ProblemKind(%d)", int(k))
}

// Problem is one break found by Verify.
type Problem struct {
	Seq  int64 // the row where the break shows
	Kind ProblemKind
	Note string
}

// Report is the outcome of Verify.
type Report struct {
	Rows     int64     // rows read
	HeadSeq  int64     // the recorded head
	HeadHash []byte    //
	Problems []Problem // empty when the chain is intact
}

// Intact reports whether Verify found no problem.
func (r Report) Intact() bool { return len(r.Problems) == 0 }

// Verify recomputes the whole chain and compares its end with the head. It
// returns a *TamperError (with the full report) when anything is wrong.
func Verify(ctx context.Context, db *store.DB) (Report, error) {
	var rep Report
	var err error
	rep.HeadSeq, rep.HeadHash, err = Head(ctx, db)
	if err != nil {
		return rep, err
	}
	rows, err := db.QueryContext(ctx, "SELECT seq, at, staff, action, session_id, subject, detail, prev_hash, hash, terminal FROM audit_log ORDER BY seq")
	if err != nil {
		return rep, err
	}
	defer rows.Close()
	prevSeq, prevHash := int64(0), ZeroHash
	add := func(seq int64, k ProblemKind, format string, args ...any) {
		rep.Problems = append(rep.Problems, Problem{Seq: seq, Kind: k, Note: fmt.Sprintf(format, args...)})
	}
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return rep, err
		}
		rep.Rows++
		if e.Seq != prevSeq+1 {
			add(e.Seq, Gap, "row %d follows row %d", e.Seq, prevSeq)
		}
		if !bytes.Equal(e.PrevHash, prevHash) {
			add(e.Seq, BrokenLink, "previous hash %s, row %d has %s", short(e.PrevHash), prevSeq, short(prevHash))
		}
		if sum := Sum(e.PrevHash, e); !bytes.Equal(sum, e.Hash) {
			add(e.Seq, Altered, "stored hash %s, content hashes to %s", short(e.Hash), short(sum))
		}
		prevSeq, prevHash = e.Seq, e.Hash
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	if prevSeq != rep.HeadSeq || !bytes.Equal(prevHash, rep.HeadHash) {
		add(prevSeq, HeadMismatch, "log ends at row %d (%s), head records row %d (%s)", prevSeq, short(prevHash), rep.HeadSeq, short(rep.HeadHash))
	}
	if !rep.Intact() {
		return rep, &TamperError{Report: rep}
	}
	return rep, nil
}

func short(h []byte) string {
	s := hex.EncodeToString(h)
	if len(s) > 12 {
		s = s[:12]
	}
	return s
}

// TamperError is returned by Verify when the chain is broken.
type TamperError struct{ Report Report }

func (e *TamperError) Error() string {
	p := e.Report.Problems[0]
	return fmt.Sprintf("audit: chain broken in %d places; first at row %d: %s (%s)", len(e.Report.Problems), p.Seq, p.Kind, p.Note)
}

// UserMessage says what happened in Japanese.
func (e *TamperError) UserMessage() string {
	return fmt.Sprintf("監査ログの改ざんまたは欠落を検出しました（%d か所、最初は %d 行目）。操作を中止し、システム管理者に連絡してください。",
		len(e.Report.Problems), e.Report.Problems[0].Seq)
}
