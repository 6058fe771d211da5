// Package staff manages the counter's staff accounts: clerks (窓口担当者) and
// supervisors (監督者), their passwords hashed with argon2id, and lock-out
// after repeated failed sign-ins. Every change and every sign-in attempt is
// written to the audit trail in the same transaction.
package staff

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"madoguchi/app/audit"
	"madoguchi/app/store"
)

// Role is what a staff member may do.
type Role string

// Roles. A supervisor may do everything a clerk may.
const (
	RoleClerk      Role = "clerk"      // 窓口担当者: runs counter sessions
	RoleSupervisor Role = "supervisor" // 監督者: also records, audit, staff and registry import
)

// Label is the role's Japanese name.
func (r Role) Label() string {
	switch r {
	case RoleClerk:
		return "窓口担当者"
	case RoleSupervisor:
		return "監督者"
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleClerk || r == RoleSupervisor }

// Account is one staff member.
type Account struct {
	ID                string // sign-in name, e.g. "clerk01"
	DisplayName       string // shown on screens and records
	Role              Role
	Disabled          bool
	FailedAttempts    int
	LockedUntil       time.Time // zero if not locked
	CreatedAt         time.Time
	PasswordChangedAt time.Time
	// MustChangePassword is set by a supervisor's reset to a temporary
	// password and cleared when the staff member sets their own.
	MustChangePassword bool
}

// Allows reports whether the account's role includes need.
func (a Account) Allows(need Role) bool {
	return a.Role == need || a.Role == RoleSupervisor
}

// Require returns a *ForbiddenError unless the account's role includes need.
func (a Account) Require(need Role) error {
	if a.Allows(need) {
		return nil
	}
	return &ForbiddenError{ID: a.ID, Need: need}
}

// Params are the argon2id cost parameters for new hashes. Existing hashes
// carry their own and are upgraded at the next successful sign-in.
type Params struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// DefaultParams follow RFC 9106's second recommendation scaled to a
// counter PC: 64 MiB, 3 passes, 2 lanes.
var DefaultParams = Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 2}

// Policy governs lock-out.
type Policy struct {
	MaxFailures  int           // consecutive failures that lock the account
	LockDuration time.Duration // how long a lock lasts (a supervisor may lift it sooner)
}

// DefaultPolicy locks an account for 15 minutes after 5 failures.
var DefaultPolicy = Policy{MaxFailures: 5, LockDuration: 15 * time.Minute}

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 8

// Demo accounts, created only for the embedded demo configuration.
const (
	DemoClerk      = "clerk01"
	DemoSupervisor = "super01"
	DemoPassword   = "madoguchi-demo"
)

// Store reads and writes staff accounts.
type Store struct {
	db     *store.DB
	Params Params
	Policy Policy
	Now    func() time.Time // for tests; time.Now if nil

	dummyOnce sync.Once
	dummyHash string
}

// New returns a Store with the default parameters and policy.
func New(db *store.DB) *Store {
	return &Store{db: db, Params: DefaultParams, Policy: DefaultPolicy}
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Sentinel errors.
var (
	ErrBadCredentials = &Error{msg: "staff: unknown account or wrong password", user: "職員IDまたはパスワードが違います。入力を確認してください。"}
	ErrDisabled       = &Error{msg: "staff: account disabled", user: "このアカウントは無効になっています。監督者に連絡してください。"}
	ErrExists         = &Error{msg: "staff: account already exists", user: "同じ職員IDが既に登録されています。別のIDを指定してください。"}
	ErrNotFound       = &Error{msg: "staff: no such account", user: "指定された職員IDは登録されていません。"}
	ErrWeakPassword   = &Error{msg: "staff: password refused by the policy", user: fmt.Sprintf("パスワードは%d文字以上で、よく使われるもの・連続した文字・同じ文字の繰り返し・職員IDと同じものは使用できません。", MinPasswordLength)}
	ErrInvalid        = &Error{msg: "staff: account needs an ID of letters, digits, '-', '_' or '.', a display name and a known role", user: "職員ID（半角英数字）、氏名、役割を正しく入力してください。"}
)

// Error is a staff error with a Japanese message for the user.
type Error struct{ msg, user string }

func (e *Error) Error() string { return e.msg }

// UserMessage says what happened in Japanese.
func (e *Error) UserMessage() string { return e.user }

// LockedError is returned while an account is locked out.
type LockedError struct {
	ID    string
	Until time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("staff: account %s locked until %s", e.ID, e.Until.Format(time.RFC3339))
}

// UserMessage says what happened in Japanese.
func (e *LockedError) UserMessage() string {
	return fmt.Sprintf("サインインの失敗が続いたため、このアカウントは %s までロックされています。監督者に解除を依頼してください。",
		e.Until.In(messageLocation()).Format("15:04"))
}

// ForbiddenError is returned when an account lacks the role an action needs.
type ForbiddenError struct {
	ID   string
	Need Role
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("staff: %s is not allowed to do this (needs role %s)", e.ID, e.Need)
}

// UserMessage says what happened in Japanese.
func (e *ForbiddenError) UserMessage() string {
	return "この操作は" + e.Need.Label() + "の権限が必要です。"
}

func validID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// Hash returns the argon2id PHC string of pw with a fresh salt.
func (p Params) Hash(pw []byte) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey(pw, salt, p.Time, p.MemoryKiB, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ParseHash reads a PHC string written by Hash.
func ParseHash(phc string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(phc, "$")
	bad := fmt.Errorf("staff: not an argon2id hash")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, bad
	}
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &threads); n != 3 || err != nil ||
		p.Time == 0 || p.MemoryKiB == 0 || threads == 0 || threads > 255 || p.MemoryKiB > 4<<20 || p.Time > 100 {
		return p, nil, nil, bad
	}
	p.Threads = uint8(threads)
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, bad
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, bad
	}
	return p, salt, key, nil
}

// VerifyHash reports whether pw matches the PHC string, in constant time.
func VerifyHash(phc string, pw []byte) bool {
	p, salt, key, err := ParseHash(phc)
	if err != nil {
		return false
	}
	got := argon2.IDKey(pw, salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// columns and fromStaff read an account with its sign-in failures, which
// are kept per attempted ID in signin_failures.
const (
	columns   = "s.id, s.display_name, s.role, s.disabled, coalesce(f.failed, 0), coalesce(f.locked_until, ''), s.created_at, s.password_changed_at, s.must_change_password"
	fromStaff = " FROM staff s LEFT JOIN signin_failures f ON f.id = s.id"
)

type scanner interface{ Scan(dest ...any) error }

func scanAccount(r scanner) (Account, error) {
	var a Account
	var locked, created, changed string
	if err := r.Scan(&a.ID, &a.DisplayName, &a.Role, &a.Disabled, &a.FailedAttempts, &locked, &created, &changed, &a.MustChangePassword); err != nil {
		return Account{}, err
	}
	a.LockedUntil, _ = store.ParseTime(locked)
	a.CreatedAt, _ = store.ParseTime(created)
	a.PasswordChangedAt, _ = store.ParseTime(changed)
	return a, nil
}

// Get returns one account.
func (s *Store) Get(ctx context.Context, id string) (Account, error) {
	a, err := scanAccount(s.db.QueryRowContext(ctx, "SELECT "+columns+fromStaff+" WHERE s.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, ErrNotFound
	}
	return a, err
}

// List returns every account, ordered by ID.
func (s *Store) List(ctx context.Context) ([]Account, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+columns+fromStaff+" ORDER BY s.id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Create adds an account with the given password. by is the staff ID of
// the supervisor doing it ("system" at set-up).
func (s *Store) Create(ctx context.Context, by string, a Account, password []byte) error {
	if !validID(a.ID) || strings.TrimSpace(a.DisplayName) == "" || !a.Role.Valid() {
		return ErrInvalid
	}
	if err := CheckPasswordFor(a.ID, password); err != nil {
		return err
	}
	phc, err := s.Params.Hash(password)
	if err != nil {
		return err
	}
	now := store.FormatTime(s.now())
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM staff WHERE id = ?", a.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrExists
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff (id, display_name, role, password_hash, created_at, password_changed_at)
			VALUES (?, ?, ?, ?, ?, ?)`, a.ID, a.DisplayName, string(a.Role), phc, now, now); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Entry{Staff: by, Action: audit.ActionStaffCreated, Subject: a.ID, Detail: "role=" + string(a.Role)})
		return err
	})
}

// Authenticate checks a sign-in. An unknown ID and a wrong password get
// the same answer (ErrBadCredentials) after the same work (one argon2id
// verification, against a dummy hash for an unknown ID), and failures are
// counted per attempted ID whether or not an account has it: the
// MaxFailures-th consecutive failure locks that ID (*LockedError), so the
// lock-out tells nothing either. While an ID is locked even the right
// password gets *LockedError. ErrDisabled is returned only with the right
// password.
func (s *Store) Authenticate(ctx context.Context, id string, password []byte) (Account, error) {
	key := failureKey(id)
	now := s.now()
	var phc string
	a, err := scanAccount(s.db.QueryRowContext(ctx, "SELECT "+columns+fromStaff+" WHERE s.id = ?", id))
	if err == nil {
		err = s.db.QueryRowContext(ctx, "SELECT password_hash FROM staff WHERE id = ?", id).Scan(&phc)
	}
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Account{}, err
	}
	var lockedUntil time.Time
	if !known {
		var locked string
		err := s.db.QueryRowContext(ctx, "SELECT locked_until FROM signin_failures WHERE id = ?", key).Scan(&locked)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return Account{}, err
		}
		lockedUntil, _ = store.ParseTime(locked)
		phc = s.dummy()
	} else {
		lockedUntil = a.LockedUntil
	}
	// Always verify, locked or not, known or not: the time taken must not
	// tell which.
	ok := VerifyHash(phc, password) && known
	staffID, detail := key, "unknown account"
	if known {
		staffID, detail = a.ID, "wrong password"
	}
	if now.Before(lockedUntil) {
		s.record(ctx, audit.Entry{Staff: staffID, Action: audit.ActionSignInFailed, Subject: key, Detail: "locked"})
		return Account{}, &LockedError{ID: key, Until: lockedUntil}
	}
	if !ok {
		var locked *LockedError
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			// Forget failures of IDs nobody has tried for a day, so that
			// trying random IDs does not grow the table without bound.
			if _, err := tx.ExecContext(ctx, "DELETE FROM signin_failures WHERE last_at < ? AND locked_until < ?",
				store.FormatTime(now.Add(-24*time.Hour)), store.FormatTime(now)); err != nil {
				return err
			}
			var failed int
			if err := tx.QueryRowContext(ctx, `INSERT INTO signin_failures (id, failed, locked_until, last_at) VALUES (?, 1, '', ?)
				ON CONFLICT (id) DO UPDATE SET failed = signin_failures.failed + 1, last_at = excluded.last_at RETURNING failed`,
				key, store.FormatTime(now)).Scan(&failed); err != nil {
				return err
			}
			if _, err := audit.Append(ctx, tx, audit.Entry{Staff: staffID, Action: audit.ActionSignInFailed, Subject: key, Detail: fmt.Sprintf("%s (%d in a row)", detail, failed)}); err != nil {
				return err
			}
			if s.Policy.MaxFailures > 0 && failed >= s.Policy.MaxFailures {
				until := now.Add(s.Policy.LockDuration)
				if _, err := tx.ExecContext(ctx, "UPDATE signin_failures SET failed = 0, locked_until = ? WHERE id = ?", store.FormatTime(until), key); err != nil {
					return err
				}
				if _, err := audit.Append(ctx, tx, audit.Entry{Staff: staffID, Action: audit.ActionLockedOut, Subject: key, Detail: "until " + store.FormatTime(until)}); err != nil {
					return err
				}
				locked = &LockedError{ID: key, Until: until}
			}
			return nil
		})
		if err != nil {
			return Account{}, err
		}
		if locked != nil {
			return Account{}, locked
		}
		return Account{}, ErrBadCredentials
	}
	if a.Disabled {
		s.record(ctx, audit.Entry{Staff: a.ID, Action: audit.ActionSignInFailed, Subject: a.ID, Detail: "disabled"})
		return Account{}, ErrDisabled
	}
	// Success: reset the counter, upgrade the hash if the parameters moved.
	var newPHC string
	if p, _, _, err := ParseHash(phc); err == nil && p != s.Params {
		newPHC, _ = s.Params.Hash(password)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM signin_failures WHERE id = ?", key); err != nil {
			return err
		}
		if newPHC != "" {
			if _, err := tx.ExecContext(ctx, "UPDATE staff SET password_hash = ? WHERE id = ?", newPHC, a.ID); err != nil {
				return err
			}
		}
		_, err := audit.Append(ctx, tx, audit.Entry{Staff: a.ID, Action: audit.ActionSignIn, Subject: a.ID, Detail: "role=" + string(a.Role)})
		return err
	})
	if err != nil {
		return Account{}, err
	}
	a.FailedAttempts, a.LockedUntil = 0, time.Time{}
	return a, nil
}

// failureKey is the attempted ID as failures are counted and recorded:
// at most 64 bytes of valid UTF-8, so that a pasted novel does not land
// in the database.
func failureKey(id string) string {
	id = strings.ToValidUTF8(id, "?")
	for len(id) > 64 {
		_, size := utf8.DecodeLastRuneInString(id)
		id = id[:len(id)-size]
	}
	return id
}

// dummy returns a hash with the store's parameters that no password
// matches, for verifying against when the ID is unknown. Its salt and key
// are random, so nothing is hashed to make it.
func (s *Store) dummy() string {
	s.dummyOnce.Do(func() {
		salt, key := make([]byte, 16), make([]byte, 32)
		rand.Read(salt)
		rand.Read(key)
		b64 := base64.RawStdEncoding
		s.dummyHash = fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, s.Params.MemoryKiB, s.Params.Time, s.Params.Threads,
			b64.EncodeToString(salt), b64.EncodeToString(key))
	})
	return s.dummyHash
}

// record writes an audit entry on its own; a failure to record a failed
// sign-in must not hide the sign-in error, so it is ignored here.
func (s *Store) record(ctx context.Context, e audit.Entry) {
	audit.Record(ctx, s.db, e)
}

// SetPassword replaces an account's password. by is the staff ID doing it.
func (s *Store) SetPassword(ctx context.Context, by, id string, password []byte) error {
	if err := CheckPasswordFor(id, password); err != nil {
		return err
	}
	phc, err := s.Params.Hash(password)
	if err != nil {
		return err
	}
	return s.update(ctx, by, id, audit.ActionPasswordSet, "",
		"UPDATE staff SET password_hash = ?, password_changed_at = ?, must_change_password = 0 WHERE id = ?",
		phc, store.FormatTime(s.now()), id)
}

// Unlock lifts a lock-out before it expires.
func (s *Store) Unlock(ctx context.Context, by, id string) error {
	return s.update(ctx, by, id, audit.ActionStaffUnlocked, "",
		"UPDATE staff SET locked_until = '', failed_attempts = 0 WHERE id = ?", id)
}

// SetDisabled disables or re-enables an account (audited as
// staff.disabled or staff.enabled).
func (s *Store) SetDisabled(ctx context.Context, by, id string, disabled bool) error {
	action := audit.ActionStaffDisabled
	if !disabled {
		action = audit.ActionStaffEnabled
	}
	return s.update(ctx, by, id, action, fmt.Sprintf("disabled=%v", disabled),
		"UPDATE staff SET disabled = ? WHERE id = ?", disabled, id)
}

func (s *Store) update(ctx context.Context, by, id, action, detail, q string, args ...any) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if action == audit.ActionStaffUnlocked || action == audit.ActionStaffPasswordReset {
			if _, err := tx.ExecContext(ctx, "DELETE FROM signin_failures WHERE id = ?", id); err != nil {
				return err
			}
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Staff: by, Action: action, Subject: id, Detail: detail})
		return err
	})
}

// EnsureDemo creates the demo accounts (DemoClerk and DemoSupervisor, both
// with DemoPassword) if they do not exist. Call it for the embedded demo
// configuration only.
func (s *Store) EnsureDemo(ctx context.Context) error {
	for _, a := range []Account{
		{ID: DemoClerk, DisplayName: "窓口 太郎（デモ）", Role: RoleClerk},
		{ID: DemoSupervisor, DisplayName: "監督 花子（デモ）", Role: RoleSupervisor},
	} {
		err := s.Create(ctx, "system", a, []byte(DemoPassword))
		if err != nil && !errors.Is(err, ErrExists) {
			return err
		}
	}
	return nil
}
