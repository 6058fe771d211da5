package session

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/store"
)

// DefaultLease is how long a terminal holds an open session after its
// last step, on a database shared by several counters.
const DefaultLease = 15 * time.Minute

// ActionTakenOver is the audit action of a session taken over from
// another terminal.
const ActionTakenOver = "session.taken_over"

// InUseError is returned by a step on a session that another terminal of
// the office database holds.
type InUseError struct {
	ID       string
	Terminal string         // the terminal holding it
	Until    time.Time      // when its lease runs out
	Zone     *time.Location // the municipality's zone for the message (nil: the machine's)
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("session %s is held by terminal %s until %s", e.ID, e.Terminal, e.Until.UTC().Format(time.RFC3339))
}

// UserMessage says what happened in Japanese.
func (e *InUseError) UserMessage() string {
	return "この手続は別の窓口端末（" + e.Terminal + "）で処理中です（" + e.until().Format("15時04分") +
		"まで）。その端末で続けるか、時間を過ぎてから、または監督者の確認を得て引き継いでください。"
}

func (e *InUseError) until() time.Time {
	if e.Zone != nil {
		return e.Until.In(e.Zone)
	}
	return e.Until.Local()
}

// lease returns the lease columns a step by this terminal writes: held
// until now+Lease while open, released when the session ends. On a
// terminal's own SQLite file (no terminal name) there is no lease.
func (m *Manager) lease(now time.Time, to State) (string, string) {
	if m.terminal() == "" || to.Terminal() {
		return "", ""
	}
	d := m.Lease
	if d <= 0 {
		d = DefaultLease
	}
	return m.terminal(), store.FormatTime(now.Add(d))
}

// checkLease fails with *InUseError if another terminal holds s.
func (m *Manager) checkLease(s *Session) error {
	if s.LeaseTerminal == "" || s.LeaseTerminal == m.terminal() || !m.now().Before(s.LeaseUntil) {
		return nil
	}
	return &InUseError{ID: s.ID, Terminal: s.LeaseTerminal, Until: s.LeaseUntil, Zone: m.Zone}
}

// leaseFree is the condition under which this terminal may write a
// session row, with its arguments.
func (m *Manager) leaseFree(now time.Time) (string, []any) {
	return "(lease_terminal = '' OR lease_terminal = ? OR lease_until < ?)", []any{m.terminal(), store.FormatTime(now)}
}

// TakeOver moves an open session to this terminal, whoever holds it: the
// step a supervisor (by) confirms when the counter holding it is gone
// (the caller checks the role). It is recorded in the journal's audit
// trail with the terminal it came from.
func (m *Manager) TakeOver(ctx context.Context, by, id string) (*Session, error) {
	defer m.lock(id)()
	now := m.now()
	var out *Session
	err := m.db.Tx(ctx, func(tx *sql.Tx) error {
		s, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if s.State.Terminal() {
			return &StateError{ID: id, Have: s.State}
		}
		holder, until := m.lease(now, s.State)
		if _, err := tx.ExecContext(ctx, "UPDATE sessions SET lease_terminal = ?, lease_until = ? WHERE id = ?", holder, until, id); err != nil {
			return err
		}
		from := s.LeaseTerminal
		if from == "" {
			from = "(none)"
		}
		if _, err := audit.Append(ctx, tx, audit.Entry{At: now, Staff: by, Action: ActionTakenOver, SessionID: id, Subject: s.ResidentCode,
			Detail: "taken over from terminal " + from}); err != nil {
			return err
		}
		s.LeaseTerminal, s.LeaseUntil = holder, now.Add(m.Lease)
		out = s
		return nil
	})
	return out, err
}

// Release gives up this terminal's lease on an open session (the clerk
// left it), so that another counter may resume it at once.
func (m *Manager) Release(ctx context.Context, id string) error {
	if m.terminal() == "" {
		return nil
	}
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE sessions SET lease_terminal = '', lease_until = '' WHERE id = ? AND lease_terminal = ?", id, m.terminal())
		return err
	})
}

// terminal is this terminal's name on a shared office database ("" on its
// own SQLite file: no leases).
func (m *Manager) terminal() string { return m.db.Terminal() }
