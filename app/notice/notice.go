// Package notice delivers change notices (異動等情報) to the prefecture CA.
//
// A registry import that changes what a valid signing certificate carries
// (the holder's 氏名 or 住所, or a 死亡, 転出 or 消除) writes one row per
// certificate into the outbox, the notices table, in the import's own
// transaction (see registry.Import). The Sender delivers them in the
// background: it sends the certificate's serial and the kind of change
// only, with the row's ID as the CA's idempotency key, retries with
// backoff while the CA cannot be reached, keeps a notice the CA refuses as
// failed with the CA's reason, and on the CA's answer marks the revoked
// certificates in the records and writes the audit trail, in one
// transaction. Because the row stays pending until that transaction
// commits and the CA applies a key once, a notice survives any crash and
// is applied exactly once as far as the CA is concerned.
package notice

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/prefecture"
	"madoguchi/app/records"
	"madoguchi/app/store"
)

// State is where a notice is in the outbox.
type State string

// States.
const (
	Pending State = "pending" // not yet answered by the CA
	Sent    State = "sent"    // the CA applied it
	Failed  State = "failed"  // the CA refused it; a supervisor may retry
)

// Label is the state's Japanese name.
func (s State) Label() string {
	switch s {
	case Pending:
		return "送信待ち"
	case Sent:
		return "送信済"
	case Failed:
		return "失敗"
	}
	return string(s)
}

// Notice is one row of the outbox.
type Notice struct {
	ID            string // random; the CA's idempotency key
	Serial        string // the certificate, lower-case hex
	ResidentCode  string
	Kind          prefecture.NoticeKind
	Cause         string // what changed, in Japanese
	ChangedOn     string // 異動日, YYYY-MM-DD or ""
	ImportSHA256  string
	State         State
	Attempts      int
	NextAttemptAt time.Time
	CreatedAt     time.Time
	CreatedBy     string
	SentAt        time.Time
	LastError     string // the CA's reason, or why it could not be reached
	Result        string // "serial:reason" of each certificate the CA revoked
}

// KindLabel is the kind in Japanese.
func (n Notice) KindLabel() string {
	switch n.Kind {
	case prefecture.NoticeAddressChange:
		return "住所変更"
	case prefecture.NoticeNameChange:
		return "氏名変更"
	case prefecture.NoticeDeath:
		return "死亡"
	case prefecture.NoticeMovedOut:
		return "転出"
	case prefecture.NoticeErased:
		return "消除"
	}
	return n.Kind.String()
}

const columns = "id, serial, resident_code, kind, cause, changed_on, import_sha256, state, attempts, next_attempt_at, created_at, created_by, sent_at, last_error, result"

func scan(s interface{ Scan(...any) error }) (Notice, error) {
	var n Notice
	var kind, next, created, sent string
	if err := s.Scan(&n.ID, &n.Serial, &n.ResidentCode, &kind, &n.Cause, &n.ChangedOn, &n.ImportSHA256, &n.State, &n.Attempts,
		&next, &created, &n.CreatedBy, &sent, &n.LastError, &n.Result); err != nil {
		return Notice{}, err
	}
	if err := n.Kind.UnmarshalText([]byte(kind)); err != nil {
		return Notice{}, err
	}
	n.NextAttemptAt, _ = store.ParseTime(next)
	n.CreatedAt, _ = store.ParseTime(created)
	n.SentAt, _ = store.ParseTime(sent)
	return n, nil
}

// Querier is a *store.DB or a *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// List returns the notices in state (all when ""), newest first, at most
// limit (100 when 0).
func List(ctx context.Context, q Querier, state State, limit int) ([]Notice, error) {
	if limit <= 0 {
		limit = 100
	}
	query := "SELECT " + columns + " FROM notices"
	var args []any
	if state != "" {
		query += " WHERE state = ?"
		args = append(args, string(state))
	}
	rows, err := q.QueryContext(ctx, query+" ORDER BY created_at DESC, serial LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notice
	for rows.Next() {
		n, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Get returns one notice.
func Get(ctx context.Context, q Querier, id string) (Notice, error) {
	return scan(q.QueryRowContext(ctx, "SELECT "+columns+" FROM notices WHERE id = ?", id))
}

// Counts are numbers of notices by state.
type Counts struct {
	Pending, Sent, Failed int
}

// Total is the number of notices counted.
func (c Counts) Total() int { return c.Pending + c.Sent + c.Failed }

// CountBetween counts the notices created in [from, to) by their state
// now; zero times leave that side open.
func CountBetween(ctx context.Context, q Querier, from, to time.Time) (Counts, error) {
	query := "SELECT state, count(*) FROM notices WHERE 1 = 1"
	var args []any
	if !from.IsZero() {
		query += " AND created_at >= ?"
		args = append(args, store.FormatTime(from))
	}
	if !to.IsZero() {
		query += " AND created_at < ?"
		args = append(args, store.FormatTime(to))
	}
	rows, err := q.QueryContext(ctx, query+" GROUP BY state", args...)
	if err != nil {
		return Counts{}, err
	}
	defer rows.Close()
	var c Counts
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return Counts{}, err
		}
		switch State(s) {
		case Pending:
			c.Pending = n
		case Sent:
			c.Sent = n
		case Failed:
			c.Failed = n
		}
	}
	return c, rows.Err()
}

// ErrNotFailed is returned by Retry for a notice that is not failed.
var ErrNotFailed = errors.New("notice: only a failed notice can be retried")

// Retry puts a failed notice back in the queue, due now, and records who
// asked in the audit trail. The same idempotency key is sent again.
func Retry(ctx context.Context, db *store.DB, by, id string, now time.Time) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		n, err := Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if n.State != Failed {
			return ErrNotFailed
		}
		if _, err := tx.ExecContext(ctx, "UPDATE notices SET state = 'pending', next_attempt_at = ? WHERE id = ? AND state = 'failed'",
			store.FormatTime(now), id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Staff: by, Action: audit.ActionNoticeRetry, Subject: n.ResidentCode,
			Detail: fmt.Sprintf("notice %s for certificate %s (%s) sent again after: %s", n.ID, n.Serial, n.Kind, n.LastError)})
		return err
	})
}

// Sender delivers the outbox to the CA in the background.
type Sender struct {
	DB  *store.DB
	CA  prefecture.OnceNotifier
	Log *slog.Logger
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// MinBackoff and MaxBackoff bound the wait after a failed attempt,
	// doubled per attempt (2 s and 10 min if zero).
	MinBackoff, MaxBackoff time.Duration
	// Poll is the longest idle wait between looks at the outbox (30 s).
	Poll time.Duration
	// Timeout bounds one delivery (2 min).
	Timeout time.Duration
	// BeforeSend and AfterAnswer, if set, run before a notice is sent and
	// after the CA answered but before the answer is committed (crash
	// tests).
	BeforeSend, AfterAnswer func(Notice)

	once sync.Once
	kick chan struct{}
}

func (s *Sender) init() {
	s.once.Do(func() { s.kick = make(chan struct{}, 1) })
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Kick wakes the sender (after an import or a retry). It never blocks.
func (s *Sender) Kick() {
	s.init()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run delivers due notices until ctx is done: at start (what an earlier
// run left pending), when kicked, and when the next retry is due.
func (s *Sender) Run(ctx context.Context) {
	s.init()
	poll := s.Poll
	if poll <= 0 {
		poll = 30 * time.Second
	}
	for {
		if _, err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
			s.log().Warn("change notices: reading the outbox failed", "err", err)
		}
		wait := poll
		if next, ok := s.nextDue(ctx); ok {
			if d := next.Sub(s.now()); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// nextDue returns when the earliest pending notice is due.
func (s *Sender) nextDue(ctx context.Context) (time.Time, bool) {
	var at sql.NullString
	if err := s.DB.QueryRowContext(ctx, "SELECT min(next_attempt_at) FROM notices WHERE state = 'pending'").Scan(&at); err != nil || !at.Valid {
		return time.Time{}, false
	}
	t, err := store.ParseTime(at.String)
	return t, err == nil
}

// SendDue sends every pending notice that is due, oldest first, and
// returns how many the CA applied. It stops early when the CA cannot be
// reached (the rest wait for their own retry time).
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT "+columns+" FROM notices WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT 500",
		store.FormatTime(s.now()))
	if err != nil {
		return 0, err
	}
	var due []Notice
	for rows.Next() {
		n, err := scan(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		due = append(due, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, n := range due {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		ok, err := s.send(ctx, n)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
			continue
		}
		var fresh Notice
		if fresh, err = Get(ctx, s.DB, n.ID); err == nil && fresh.State == Pending {
			break // unreachable: the others would fail the same way
		}
	}
	return sent, nil
}

// backoff is the wait after the given number of failed attempts.
func (s *Sender) backoff(attempts int) time.Duration {
	lo, hi := s.MinBackoff, s.MaxBackoff
	if lo <= 0 {
		lo = 2 * time.Second
	}
	if hi <= 0 {
		hi = 10 * time.Minute
	}
	d := lo
	for i := 1; i < attempts && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}

// send delivers one notice and records the outcome; it reports whether the
// CA applied it. The error is only for the local database.
func (s *Sender) send(ctx context.Context, n Notice) (bool, error) {
	serial, err := records.ParseSerial(n.Serial)
	if err != nil {
		return false, s.fail(ctx, n, Failed, "証明書の発行番号が正しくありません: "+n.Serial)
	}
	if s.BeforeSend != nil {
		s.BeforeSend(n)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	res, err := s.CA.NotifyOnce(sctx, n.ID, serial, n.Kind)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		var pe *prefecture.Error
		if errors.As(err, &pe) && pe.Kind == prefecture.Refused {
			reason := pe.Refusal.ReasonJA
			if reason == "" {
				reason = pe.Refusal.Reason
			}
			if pe.Refusal.Code != "" {
				reason += "（" + pe.Refusal.Code + "）"
			}
			s.log().Warn("change notice refused by the CA", "notice", n.ID, "serial", n.Serial, "code", pe.Refusal.Code)
			return false, s.fail(ctx, n, Failed, reason)
		}
		s.log().Info("change notice not delivered; will retry", "notice", n.ID, "attempt", n.Attempts+1, "err", err)
		return false, s.fail(ctx, n, Pending, "認証局に接続できません: "+err.Error())
	}
	if s.AfterAnswer != nil {
		s.AfterAnswer(n)
	}
	return true, s.done(ctx, n, res)
}

// fail records a failed attempt: state Failed (refused) or Pending with
// the next attempt after the backoff (unreachable).
func (s *Sender) fail(ctx context.Context, n Notice, state State, reason string) error {
	now := s.now()
	next := now.Add(s.backoff(n.Attempts + 1))
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE notices SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'pending'",
			string(state), store.FormatTime(next), reason, n.ID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		detail := fmt.Sprintf("notice %s for certificate %s (%s), attempt %d: %s", n.ID, n.Serial, n.Kind, n.Attempts+1, reason)
		if state == Pending {
			detail += "; next attempt " + store.FormatTime(next)
		} else {
			detail += "; kept as failed"
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Staff: "system", Action: audit.ActionNoticeFailed, Subject: n.ResidentCode, Detail: detail})
		return err
	})
}

// done records the CA's answer: the notice as sent, each revoked
// certificate the counter issued as revoked with its reason, and the audit
// entry, in one transaction.
func (s *Sender) done(ctx context.Context, n Notice, res *prefecture.NoticeResult) error {
	now := s.now()
	var parts []string
	for _, r := range res.Revoked {
		p := prefecture.FormatSerial(r.Serial) + ":" + r.Reason.String()
		if r.Already {
			p += "(already)"
		}
		parts = append(parts, p)
	}
	result := strings.Join(parts, " ")
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		upd, err := tx.ExecContext(ctx, "UPDATE notices SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '', result = ? WHERE id = ? AND state = 'pending'",
			store.FormatTime(now), result, n.ID)
		if err != nil {
			return err
		}
		if k, _ := upd.RowsAffected(); k == 0 {
			return nil // answered already (a concurrent sender)
		}
		for _, r := range res.Revoked {
			serial := records.FormatSerial(r.Serial)
			var known int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM certificates WHERE serial = ?", serial).Scan(&known); err != nil {
				return err
			}
			if known == 0 {
				continue // issued elsewhere
			}
			at := r.RevokedAt
			if at.IsZero() {
				at = now
			}
			if err := records.MarkRevoked(ctx, tx, serial, at, r.Reason.String()); err != nil {
				return err
			}
		}
		if result == "" {
			result = "none"
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Staff: "system", Action: audit.ActionNoticeSent, Subject: n.ResidentCode,
			Detail: fmt.Sprintf("notice %s for certificate %s (%s) applied by the CA; revoked: %s", n.ID, n.Serial, n.Kind, result)})
		return err
	})
}

// SerialNumber parses the notice's serial.
func (n Notice) SerialNumber() (*big.Int, error) { return records.ParseSerial(n.Serial) }
