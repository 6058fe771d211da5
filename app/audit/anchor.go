package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"madoguchi/app/privfile"
	"madoguchi/app/store"
)

// The chain head kept outside the database. Someone able to rewrite the
// database can cut rows off the end and set audit_head to match; the
// chain then checks out. A copy of the head kept elsewhere — the anchor
// file next to the database, and the short form printed on the daily
// summary and the record book — shows it: the rows it names must still be
// there with the same hash.

// AnchorMismatch is the problem of a head kept outside the database (the
// anchor file, a printed head) that is not in the log.
const AnchorMismatch = HeadMismatch + 1

// PrefixLen is how many bytes of the head hash the printed form carries
// (64 bits: finding other content with the same prefix is out of reach).
const PrefixLen = 8

// AnchorSuffix is appended to the database's path to name its anchor file.
const AnchorSuffix = ".audit-head"

// headChecksum is the printed form's 2-hex-digit check on seq and prefix,
// which catches a mistyped head.
func headChecksum(seq int64, prefix []byte) string {
	h := sha256.Sum256([]byte("madoguchi audit head " + strconv.FormatInt(seq, 10) + " " + hex.EncodeToString(prefix)))
	return hex.EncodeToString(h[:1])
}

// FormatHead is the short printable form of a chain head, for paper and
// for typing back: "No.123 3f2a-9c1b-77e0-4d21 c5" — the sequence number,
// the first PrefixLen bytes of the hash in groups of four hex digits, and a
// two-digit checksum.
func FormatHead(seq int64, head []byte) string {
	p := make([]byte, PrefixLen)
	copy(p, head)
	x := hex.EncodeToString(p)
	return fmt.Sprintf("No.%d %s-%s-%s-%s %s", seq, x[0:4], x[4:8], x[8:12], x[12:16], headChecksum(seq, p))
}

// ErrHeadFormat is returned by ParseHead for text that is not a head in
// FormatHead's form or whose checksum does not match (a typing mistake).
var ErrHeadFormat = &headFormatError{}

type headFormatError struct{}

func (*headFormatError) Error() string {
	return `audit: not a printed audit head ("No.123 3f2a-9c1b-77e0-4d21 c5") or its checksum does not match`
}

// UserMessage says what happened in Japanese.
func (*headFormatError) UserMessage() string {
	return "監査ログの末尾の値を読み取れません。印刷された「No.123 3f2a-9c1b-77e0-4d21 c5」の形のとおりに入力してください（最後の2文字は入力誤りの検査用です）。"
}

// ParseHead reads FormatHead's form back, as typed from paper: case,
// full-width characters, extra spaces and hyphens do not matter, and "No."
// may be left out. It also reads the long form "第123行 <64 hex digits>"
// (the full hash, in groups or not), which needs no checksum. It returns
// the sequence number and the hash prefix (PrefixLen bytes, or the whole
// hash for the long form), or ErrHeadFormat.
func ParseHead(s string) (seq int64, prefix []byte, err error) {
	s = strings.ToLower(strings.Map(foldWidth, s))
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "監査ログの末尾")
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "no.")
	s = strings.TrimPrefix(s, "no")
	s = strings.TrimPrefix(s, "#")
	s = strings.TrimPrefix(s, "第")
	s = strings.Replace(s, "行", " ", 1)
	fields := strings.Fields(s)
	if len(fields) < 2 {
		return 0, nil, ErrHeadFormat
	}
	seq, err = strconv.ParseInt(strings.Trim(fields[0], ".:"), 10, 64)
	if err != nil || seq < 0 {
		return 0, nil, ErrHeadFormat
	}
	rest := strings.ReplaceAll(strings.Join(fields[1:], ""), "-", "")
	if len(rest) == 2*sha256.Size {
		if prefix, err = hex.DecodeString(rest); err != nil {
			return 0, nil, ErrHeadFormat
		}
		return seq, prefix, nil
	}
	if len(rest) != 2*PrefixLen+2 {
		return 0, nil, ErrHeadFormat
	}
	prefix, err = hex.DecodeString(rest[:2*PrefixLen])
	if err != nil {
		return 0, nil, ErrHeadFormat
	}
	if rest[2*PrefixLen:] != headChecksum(seq, prefix) {
		return 0, nil, ErrHeadFormat
	}
	return seq, prefix, nil
}

// foldWidth maps full-width ASCII (as a Japanese input method types it)
// and ideographic spaces to ASCII.
func foldWidth(r rune) rune {
	switch {
	case r >= '！' && r <= '～':
		return r - '！' + '!'
	case r == '　' || unicode.IsSpace(r):
		return ' '
	case r == 'ー' || r == '－' || r == '‐' || r == '―':
		return '-'
	}
	return r
}

// checkAnchor adds a problem to rep unless the log still holds row seq
// with a hash starting with prefix.
func checkAnchor(ctx context.Context, db *store.DB, rep *Report, seq int64, prefix []byte, what string) error {
	if seq == 0 {
		return nil
	}
	var h []byte
	err := db.QueryRowContext(ctx, "SELECT hash FROM audit_log WHERE seq = ?", seq).Scan(&h)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		rep.Problems = append(rep.Problems, Problem{Seq: seq, Kind: AnchorMismatch,
			Note: fmt.Sprintf("%s records row %d, the log ends at row %d (rows cut off)", what, seq, rep.HeadSeq)})
	case err != nil:
		return err
	case !bytes.HasPrefix(h, prefix):
		rep.Problems = append(rep.Problems, Problem{Seq: seq, Kind: AnchorMismatch,
			Note: fmt.Sprintf("%s records row %d as %s, the log has %s", what, seq, short(prefix), short(h))})
	}
	return nil
}

// VerifyAgainst is Verify followed by a check against a head kept outside
// the database (from ParseHead, or an anchor file): row seq must still be
// in the log with a hash starting with prefix. A log cut back to before
// seq, or rewritten from it, is a *TamperError with an AnchorMismatch
// problem even when the chain and audit_head agree.
func VerifyAgainst(ctx context.Context, db *store.DB, seq int64, prefix []byte) (Report, error) {
	rep, err := Verify(ctx, db)
	var te *TamperError
	if err != nil && !errors.As(err, &te) {
		return rep, err
	}
	if te != nil {
		rep = te.Report
	}
	if err := checkAnchor(ctx, db, &rep, seq, prefix, "the kept head"); err != nil {
		return rep, err
	}
	if !rep.Intact() {
		return rep, &TamperError{Report: rep}
	}
	return rep, nil
}

// Anchor keeps the chain head in a file next to the database (path,
// normally the database's path + AnchorSuffix), readable by its owner
// only. After every committed transaction it writes the new head, but
// only when the rows the file names are still in the log with the same
// hash: a truncated or rewritten log never overwrites the evidence.
type Anchor struct {
	db   *store.DB
	path string

	mu      sync.Mutex
	seq     int64
	hash    []byte
	lastErr error
	// OnError, if set, is called when keeping the anchor fails (the log
	// no longer matches it, or the file cannot be written).
	OnError func(error)
}

// KeepAnchor reads the anchor file at path (if any), brings it up to the
// database's head and keeps it there after every commit. It returns the
// Anchor together with a *TamperError when the log no longer matches the
// file: the caller reports it but may go on.
func KeepAnchor(ctx context.Context, db *store.DB, path string) (*Anchor, error) {
	a := &Anchor{db: db, path: path}
	seq, hash, err := ReadAnchor(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	a.seq, a.hash = seq, hash
	err = a.Sync(ctx)
	db.AfterCommit(func() {
		if err := a.Sync(context.Background()); err != nil && a.OnError != nil {
			a.OnError(err)
		}
	})
	return a, err
}

// Path is the anchor file's path.
func (a *Anchor) Path() string { return a.path }

// Head is the head the anchor file holds.
func (a *Anchor) Head() (int64, []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seq, bytes.Clone(a.hash)
}

// Sync writes the database's head to the file if it moved on from the
// file's head; it refuses (a *TamperError) when the file's row is gone or
// changed.
func (a *Anchor) Sync(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	seq, head, err := Head(ctx, a.db)
	if err != nil {
		return err
	}
	if seq == a.seq && bytes.Equal(head, a.hash) {
		return nil
	}
	if a.seq > 0 {
		rep := Report{HeadSeq: seq, HeadHash: head}
		if err := checkAnchor(ctx, a.db, &rep, a.seq, a.hash, "the anchor file"); err != nil {
			return err
		}
		if !rep.Intact() {
			return &TamperError{Report: rep}
		}
	}
	if err := privfile.WriteFile(a.path, []byte(FormatHead(seq, head)+"\n"+hex.EncodeToString(head)+"\n")); err != nil {
		return fmt.Errorf("audit: write anchor %s: %w", a.path, err)
	}
	a.seq, a.hash = seq, head
	return nil
}

// ReadAnchor reads an anchor file: its head's sequence number and full
// hash. A missing file is os.ErrNotExist.
func ReadAnchor(path string) (int64, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		return 0, nil, fmt.Errorf("audit: anchor %s: %w", path, ErrHeadFormat)
	}
	seq, prefix, err := ParseHead(lines[0])
	if err != nil {
		return 0, nil, fmt.Errorf("audit: anchor %s: %w", path, err)
	}
	h, err := hex.DecodeString(strings.TrimSpace(lines[1]))
	if err != nil || len(h) != sha256.Size || !bytes.HasPrefix(h, prefix) {
		return 0, nil, fmt.Errorf("audit: anchor %s: %w", path, ErrHeadFormat)
	}
	return seq, h, nil
}

// Verify checks the whole chain and then that the anchor file's row is
// still in the log with the same hash.
func (a *Anchor) Verify(ctx context.Context) (Report, error) {
	seq, h := a.Head()
	return VerifyAgainst(ctx, a.db, seq, h)
}
