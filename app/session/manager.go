package session

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/identity"
	"madoguchi/app/prefecture"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/store"
	"madoguchi/forms"
	"madoguchi/forms/jpkicert"
)

// Card is the on-card half of a procedure, as package keygen provides it
// for a card in the reader (see KeygenCard). Implementations wipe nothing
// the caller owns; the session wipes PINs after use. A step that finds the
// card not prepared in this connection (an error matching
// keygen.ErrNotPrepared, as after a restart) prepares it again and retries
// once.
type Card interface {
	// ID is the card's identifier, stable across sessions.
	ID() (string, error)
	// Prepare authenticates the management key and writes the card's
	// identifier on a blank card.
	Prepare(ctx context.Context, master []byte) error
	// SetPIN checks the PIN policy and sets the resident's PIN.
	SetPIN(ctx context.Context, pin, confirm []byte) error
	// GenerateKey generates the signing key pair on the card.
	GenerateKey(ctx context.Context) (crypto.PublicKey, error)
	// ExpectKey tells the card which public key it holds, when a session
	// resumes after the key was generated in an earlier process.
	ExpectKey(pub crypto.PublicKey) error
	// CreateRequest builds the PKCS#10 request, signed on the card.
	CreateRequest(ctx context.Context, subject pkix.Name, items jpkicert.Items, pin []byte) ([]byte, error)
	// WriteCertificate checks the certificate against the card's key and
	// the items, writes it, reads it back and compares.
	WriteCertificate(ctx context.Context, cert *x509.Certificate, items jpkicert.Items) error
	// Finish sets the per-card management key and PUK.
	Finish(ctx context.Context, master []byte) error
	// Certificate reads the signing certificate on the card.
	Certificate(ctx context.Context) (*x509.Certificate, error)
	// ResetPIN resets the PIN with the PUK derived from master.
	ResetPIN(ctx context.Context, master, newPIN, confirm []byte) error
}

// CA is the prefecture CA, as package prefecture's Client provides it.
type CA interface {
	// Enroll must answer the same request with the same certificate.
	Enroll(ctx context.Context, csr *x509.CertificateRequest) (*prefecture.Enrollment, error)
	// Revoke must succeed (reporting Already) for a revoked certificate.
	Revoke(ctx context.Context, serial *big.Int, reason prefecture.Reason) (*prefecture.Revocation, error)
	// CRL returns the CA's current revocation list, checked.
	CRL(ctx context.Context) (*x509.RevocationList, error)
}

// Hooks let tests stop a step at a chosen point, as a crash would.
type Hooks struct {
	// BeforeCommit runs after a step's outside effect (card, CA) and
	// before the transition to state to is committed. A non-nil error
	// ends the step at once with that error, nothing committed.
	BeforeCommit func(id string, to State) error
	// AfterCommit runs right after the transition to state to is
	// committed. A non-nil error ends the step at once with that error.
	AfterCommit func(id string, to State) error
}

// Manager runs sessions on one database.
type Manager struct {
	db         *store.DB
	reg        *registry.Registry
	ca         CA
	master     []byte
	prefecture string
	municipal  string

	// Hooks are for tests.
	Hooks Hooks
	// Now replaces the clock, for tests.
	Now func() time.Time

	mu    sync.Mutex
	locks map[string]*sync.Mutex

	// Lease is how long this terminal holds a session after a step on a
	// shared office database (DefaultLease when 0).
	Lease time.Duration

	// CardUnusable tells whether a card error at the write step means
	// the card can no longer serve this session (so that the session
	// fails and its certificate is revoked). The default is the package's
	// CardUnusable; other card errors leave the step to retry.
	CardUnusable func(error) bool

	// MinAge is the age from which the signing certificate is issued
	// (DefaultMinAge when 0).
	MinAge int
	// Zone is the municipality's time zone: the day in a session's
	// number (nil: the machine's zone).
	Zone *time.Location
}

// Options configure a Manager.
type Options struct {
	CA           CA
	Master       []byte         // the municipality's master secret (per-card keys and PUKs derive from it)
	Prefecture   string         // for the request's subject, e.g. 東京都
	Municipality string         // e.g. 千代田区
	MinAge       int            // see Manager.MinAge
	Zone         *time.Location // see Manager.Zone
}

// NewManager returns a Manager. It keeps a copy of the master secret.
func NewManager(db *store.DB, o Options) *Manager {
	return &Manager{
		db: db, reg: registry.New(db), ca: o.CA, master: append([]byte(nil), o.Master...),
		prefecture: o.Prefecture, municipal: o.Municipality, locks: map[string]*sync.Mutex{},
		CardUnusable: CardUnusable, MinAge: o.MinAge, Zone: o.Zone,
	}
}

// Close wipes the Manager's copy of the master secret.
func (m *Manager) Close() { clear(m.master) }

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// lock serialises the steps of one session within this process.
func (m *Manager) lock(id string) func() {
	m.mu.Lock()
	l, ok := m.locks[id]
	if !ok {
		l = &sync.Mutex{}
		m.locks[id] = l
	}
	m.mu.Unlock()
	l.Lock()
	return l.Unlock
}

const sessionColumns = `id, kind, resident_code, clerk, state, outcome, created_at, updated_at, finished_at,
	application, identity, card_id, public_key, csr, cert_serial, target_serial, reason, revoke_reason,
	terminal, lease_terminal, lease_until`

func scanSession(s interface{ Scan(...any) error }) (*Session, error) {
	var ss Session
	var kind, created, updated, finished, app, ident, revReason, leaseUntil string
	if err := s.Scan(&ss.ID, &kind, &ss.ResidentCode, &ss.Clerk, &ss.State, &ss.Outcome, &created, &updated, &finished,
		&app, &ident, &ss.CardID, &ss.PublicKey, &ss.CSR, &ss.CertSerial, &ss.TargetSerial, &ss.Reason, &revReason,
		&ss.Terminal, &ss.LeaseTerminal, &leaseUntil); err != nil {
		return nil, err
	}
	ss.LeaseUntil, _ = store.ParseTime(leaseUntil)
	if revReason != "" {
		if err := ss.RevokeReason.UnmarshalText([]byte(revReason)); err != nil {
			return nil, fmt.Errorf("session %s: %w", ss.ID, err)
		}
	}
	var err error
	if ss.Kind, err = records.ParseKind(kind); err != nil {
		return nil, err
	}
	ss.CreatedAt, _ = store.ParseTime(created)
	ss.UpdatedAt, _ = store.ParseTime(updated)
	ss.FinishedAt, _ = store.ParseTime(finished)
	if app != "" {
		if err := json.Unmarshal([]byte(app), &ss.Application); err != nil {
			return nil, fmt.Errorf("session %s: application: %w", ss.ID, err)
		}
	}
	if ident != "" {
		ss.Identity = new(identity.Result)
		if err := json.Unmarshal([]byte(ident), ss.Identity); err != nil {
			return nil, fmt.Errorf("session %s: identity: %w", ss.ID, err)
		}
	}
	return &ss, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func get(ctx context.Context, q querier, id string) (*Session, error) {
	s, err := scanSession(q.QueryRowContext(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return s, err
}

// Get returns a session.
func (m *Manager) Get(ctx context.Context, id string) (*Session, error) { return get(ctx, m.db, id) }

// Interrupted returns the open sessions, oldest first. At start-up these
// are the sessions a crash or a closed window interrupted; each is resumed
// from its state (Session.Next) or abandoned.
func (m *Manager) Interrupted(ctx context.Context) ([]*Session, error) {
	rows, err := m.db.QueryContext(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE outcome = '' ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Steps returns a session's journal.
func (m *Manager) Steps(ctx context.Context, id string) ([]Step, error) {
	rows, err := m.db.QueryContext(ctx, "SELECT seq, state, at, staff, note FROM session_steps WHERE session_id = ? ORDER BY seq", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Step
	for rows.Next() {
		var s Step
		var at string
		if err := rows.Scan(&s.Seq, &s.State, &at, &s.Staff, &s.Note); err != nil {
			return nil, err
		}
		s.At, _ = store.ParseTime(at)
		out = append(out, s)
	}
	return out, rows.Err()
}

// change is one transition: the columns it sets besides state.
type change struct {
	to     State
	by     string
	note   string                                      // journal and audit text; never secret
	set    map[string]any                              // other sessions columns to set
	extra  func(ctx context.Context, tx *sql.Tx) error // more writes in the same transaction
	action string                                      // audit action; "session.<to>" if empty
}

// commit applies a transition from state from, atomically with its
// journal row, audit entry and extra writes, then runs the AfterCommit
// hook. It fails if the session is no longer in from (another process
// moved it).
func (m *Manager) commit(ctx context.Context, s *Session, c change) error {
	if h := m.Hooks.BeforeCommit; h != nil {
		if err := h(s.ID, c.to); err != nil {
			return err
		}
	}
	now := m.now()
	err := m.db.Tx(ctx, func(tx *sql.Tx) error {
		holder, until := m.lease(now, c.to)
		cols := []string{"state = ?", "updated_at = ?", "lease_terminal = ?", "lease_until = ?"}
		args := []any{string(c.to), store.FormatTime(now), holder, until}
		if c.to.Terminal() {
			cols = append(cols, "outcome = ?", "finished_at = ?")
			args = append(args, string(c.to.outcome()), store.FormatTime(now))
		}
		for k, v := range c.set {
			cols = append(cols, k+" = ?")
			args = append(args, v)
		}
		free, freeArgs := m.leaseFree(now)
		args = append(append(args, s.ID, string(s.State)), freeArgs...)
		res, err := tx.ExecContext(ctx, "UPDATE sessions SET "+strings.Join(cols, ", ")+" WHERE id = ? AND state = ? AND "+free, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			cur, err := get(ctx, tx, s.ID)
			if err != nil {
				return err
			}
			if cur.State == s.State {
				if err := m.checkLease(cur); err != nil {
					return err
				}
			}
			return &StateError{ID: s.ID, Have: cur.State, Want: []State{s.State}}
		}
		if err := m.journal(ctx, tx, s.ID, c.to, c.by, c.note, now); err != nil {
			return err
		}
		if c.extra != nil {
			if err := c.extra(ctx, tx); err != nil {
				return err
			}
		}
		action := c.action
		if action == "" {
			action = "session." + string(c.to)
		}
		_, err = audit.Append(ctx, tx, audit.Entry{At: now, Staff: c.by, Action: action, SessionID: s.ID, Subject: s.ResidentCode, Detail: c.note})
		return err
	})
	if err != nil {
		return err
	}
	s.State, s.UpdatedAt = c.to, now
	if c.to.Terminal() {
		s.Outcome, s.FinishedAt = c.to.outcome(), now
	}
	if h := m.Hooks.AfterCommit; h != nil {
		if err := h(s.ID, c.to); err != nil {
			return err
		}
	}
	return nil
}

func (m *Manager) journal(ctx context.Context, tx *sql.Tx, id string, st State, by, note string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO session_steps (session_id, seq, state, at, staff, note)
		VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM session_steps WHERE session_id = ?), ?, ?, ?, ?)`,
		id, id, string(st), store.FormatTime(at), by, note)
	return err
}

// load reads a session for a step and checks its kind and state.
func (m *Manager) load(ctx context.Context, id string, kinds []forms.ApplicationKind, from ...State) (*Session, error) {
	s, err := m.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := m.checkLease(s); err != nil {
		return nil, err
	}
	if kinds != nil {
		ok := false
		for _, k := range kinds {
			ok = ok || s.Kind == k
		}
		if !ok {
			return nil, ErrKind
		}
	}
	for _, f := range from {
		if s.State == f {
			return s, nil
		}
	}
	return nil, &StateError{ID: id, Have: s.State, Want: from}
}

var issuing = []forms.ApplicationKind{forms.KindNew, forms.KindRenewal}

// subject is the request's subject: C=JP, L=<prefecture>, L=<municipality>,
// CN=<the session's ID as issue number>.
func (m *Manager) subject(s *Session) pkix.Name {
	return pkix.Name{Country: []string{"JP"}, Locality: []string{m.prefecture, m.municipal}, CommonName: s.ID}
}

// checkMaster refuses to touch a card without a usable master secret.
func (m *Manager) checkMaster() error {
	if len(m.master) < 16 {
		return ErrMaster
	}
	return nil
}
