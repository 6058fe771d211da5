package refca

import (
	"context"
	"crypto/x509"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"madoguchi/app/prefecture"
	"madoguchi/app/privfile"
	appstore "madoguchi/app/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// pgMigrations are the same schema steps in PostgreSQL's dialect, with
// the same version numbers.
//
//go:embed migrations/postgres/*.sql
var pgMigrations embed.FS

// store is the CA's database: a SQLite file (WAL, synchronous=FULL,
// foreign keys on, IMMEDIATE write transactions), or a PostgreSQL database
// shared by several CA processes (Settings.DatabaseURL). Writes are also
// serialised in Go so that concurrent enrollments queue instead of
// spinning on SQLITE_BUSY; on PostgreSQL every write transaction takes
// the CA's advisory writer lock, and the invariants (one valid
// certificate per holder, one certificate per serial and per public key)
// are also unique indexes that the database enforces.
type store struct {
	db  *sql.DB
	pg  bool
	wmu sync.Mutex
}

// record is one issued certificate.
type record struct {
	Serial       string // lowercase hex
	SPKI         []byte // SHA-256 of SubjectPublicKeyInfo
	Items        []byte // SHA-256 of the six items
	Holder       []byte // SHA-256 of the four basic items
	Municipality string
	Terminal     string
	RASerial     string
	IssuedAt     time.Time
	NotAfter     time.Time
	DER          []byte
	RevokedAt    time.Time // zero while valid
	Reason       prefecture.Reason
	RevokedBy    string
}

// Revoked reports whether the certificate has been revoked.
func (r *record) Revoked() bool { return !r.RevokedAt.IsZero() }

var errDuplicateKey = errors.New("refca: public key already certified")

func openStore(ctx context.Context, path string) (*store, error) {
	if appstore.IsURL(path) {
		return openPostgresStore(ctx, path)
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("refca: database path %q is empty or holds '?' or '#'", path)
	}
	// Owner-only before SQLite creates it (and, after it, its -wal/-shm).
	if err := privfile.PrepareSQLite(path); err != nil {
		return nil, err
	}
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	s := &store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	var mode string
	var syncMode int
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil {
		db.Close()
		return nil, err
	}
	if mode != "wal" || syncMode != 2 {
		db.Close()
		return nil, fmt.Errorf("refca: database pragmas not applied (journal_mode=%s synchronous=%d)", mode, syncMode)
	}
	return s, nil
}

// migrate applies the embedded migrations past PRAGMA user_version, each in
// its own transaction.
func (s *store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("refca: reading schema version: %w", err)
	}
	if version > len(names) {
		return fmt.Errorf("refca: database schema version %d is newer than this program (%d)", version, len(names))
	}
	for i := version; i < len(names); i++ {
		body, err := migrations.ReadFile(names[i])
		if err != nil {
			return err
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("refca: migration %s: %w", names[i], err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func (s *store) Close() error {
	s.forgetStatements()
	return s.db.Close()
}

// write runs fn in one IMMEDIATE transaction (on PostgreSQL, one holding
// the CA's writer lock).
func (s *store) write(ctx context.Context, fn func(*sql.Tx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := s.lockWriter(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

const recordColumns = `serial, spki_sha256, items_sha256, holder, municipality, terminal, ra_serial,
	issued_at, not_after, der, revoked_at, reason, revoked_by`

type scanner interface{ Scan(...any) error }

func scanRecord(row scanner) (*record, error) {
	var r record
	var issued, notAfter int64
	var revokedAt sql.NullInt64
	var reason, by sql.NullString
	if err := row.Scan(&r.Serial, &r.SPKI, &r.Items, &r.Holder, &r.Municipality, &r.Terminal, &r.RASerial,
		&issued, &notAfter, &r.DER, &revokedAt, &reason, &by); err != nil {
		return nil, err
	}
	r.IssuedAt = time.Unix(issued, 0).UTC()
	r.NotAfter = time.Unix(notAfter, 0).UTC()
	if revokedAt.Valid {
		r.RevokedAt = time.Unix(revokedAt.Int64, 0).UTC()
		rs, err := prefecture.ParseReason(reason.String)
		if err != nil {
			return nil, err
		}
		r.Reason = rs
		r.RevokedBy = by.String
	}
	return &r, nil
}

// get returns the record with the given serial, or nil.
func (s *store) get(ctx context.Context, q queryer, serial string) (*record, error) {
	r, err := scanRecord(q.QueryRowContext(ctx, "SELECT "+recordColumns+" FROM certificates WHERE serial = ?", serial))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

// bySPKI returns the record certifying the public key with the given
// SubjectPublicKeyInfo hash, or nil.
func (s *store) bySPKI(ctx context.Context, spki []byte) (*record, error) {
	r, err := scanRecord(s.db.QueryRowContext(ctx, "SELECT "+recordColumns+" FROM certificates WHERE spki_sha256 = ?", spki))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// insert stores a newly issued certificate and, in the same transaction,
// revokes the holder's other valid certificates as superseded (first, so
// that the unique index on valid certificates per holder holds throughout).
// It returns the serials it revoked, or errDuplicateKey if the public key
// is already certified (a concurrent identical request won).
func (s *store) insert(ctx context.Context, r *record) (superseded []string, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM certificates WHERE spki_sha256 = ?", r.SPKI).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errDuplicateKey
		}
		rows, err := tx.QueryContext(ctx, "SELECT serial FROM certificates WHERE holder = ? AND revoked_at IS NULL AND serial <> ?", r.Holder, r.Serial)
		if err != nil {
			return err
		}
		superseded, err = scanStrings(rows)
		if err != nil {
			return err
		}
		for _, old := range superseded {
			if _, err := tx.ExecContext(ctx, "UPDATE certificates SET revoked_at = ?, reason = ?, revoked_by = 'ca' WHERE serial = ?",
				r.IssuedAt.Unix(), prefecture.ReasonSuperseded.String(), old); err != nil {
				return err
			}
			if err := recordRevocation(ctx, tx, old, r.IssuedAt, prefecture.ReasonSuperseded); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO certificates (`+recordColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)`,
			r.Serial, r.SPKI, r.Items, r.Holder, r.Municipality, r.Terminal, r.RASerial,
			r.IssuedAt.Unix(), r.NotAfter.Unix(), r.DER)
		return err
	})
	if isUniqueViolation(err) {
		return nil, fmt.Errorf("%w: %v", errIssueConflict, err)
	}
	return superseded, err
}

// errIssueConflict is an insert the database refused by a unique index
// (serial, public key, or valid certificate of the holder): a concurrent
// issuer committed first. Issuing again from the start resolves it.
var errIssueConflict = errors.New("refca: a concurrent issuance conflicted")

// isUniqueViolation reports whether err is a unique constraint's refusal,
// in either dialect.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505" // unique_violation
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// revoke revokes the certificate with the given serial, or the holder's
// every valid certificate when wholeHolder is set, after check has approved
// the target record. It returns the certificates it revoked, and the target
// itself marked already-revoked when there was nothing left to revoke.
func (s *store) revoke(ctx context.Context, serial string, wholeHolder bool, reason prefecture.Reason, by string, now time.Time,
	check func(*record) error) (revoked []*record, already *record, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		target, err := s.get(ctx, tx, serial)
		if err != nil {
			return err
		}
		if err := check(target); err != nil {
			return err
		}
		serials := []string{serial}
		if wholeHolder {
			rows, err := tx.QueryContext(ctx, "SELECT serial FROM certificates WHERE holder = ? AND revoked_at IS NULL ORDER BY issued_at", target.Holder)
			if err != nil {
				return err
			}
			if serials, err = scanStrings(rows); err != nil {
				return err
			}
		} else if target.Revoked() {
			serials = nil
		}
		for _, sn := range serials {
			if _, err := tx.ExecContext(ctx, "UPDATE certificates SET revoked_at = ?, reason = ?, revoked_by = ? WHERE serial = ? AND revoked_at IS NULL",
				now.Unix(), reason.String(), by, sn); err != nil {
				return err
			}
			if err := recordRevocation(ctx, tx, sn, now, reason); err != nil {
				return err
			}
			r, err := s.get(ctx, tx, sn)
			if err != nil {
				return err
			}
			revoked = append(revoked, r)
		}
		if len(revoked) == 0 && target.Revoked() {
			already = target
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return revoked, already, nil
}

// revokedEntries lists the revoked, unexpired certificates of one
// municipality (or of all when municipality is "") for a CRL.
func (s *store) revokedEntries(ctx context.Context, municipality string, now time.Time) ([]x509.RevocationListEntry, error) {
	q := "SELECT serial, revoked_at, reason FROM certificates WHERE revoked_at IS NOT NULL AND not_after > ?"
	args := []any{now.Unix()}
	if municipality != "" {
		q += " AND municipality = ?"
		args = append(args, municipality)
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY revoked_at, serial", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []x509.RevocationListEntry
	for rows.Next() {
		var serial, reason string
		var at int64
		if err := rows.Scan(&serial, &at, &reason); err != nil {
			return nil, err
		}
		n, ok := new(big.Int).SetString(serial, 16)
		if !ok {
			return nil, fmt.Errorf("refca: stored serial %q is not hexadecimal", serial)
		}
		rs, err := prefecture.ParseReason(reason)
		if err != nil {
			return nil, err
		}
		out = append(out, x509.RevocationListEntry{SerialNumber: n, RevocationTime: time.Unix(at, 0).UTC(), ReasonCode: rs.CRLReason()})
	}
	return out, rows.Err()
}

// nextCRLNumber increments and returns the persistent CRL number, so that
// numbers keep increasing across restarts.
func (s *store) nextCRLNumber(ctx context.Context) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, "UPDATE counters SET value = value + 1 WHERE name = 'crl_number' RETURNING value").Scan(&n)
	})
	return n, err
}

var errReplay = errors.New("refca: nonce already used for another request")

// useNonce records a request's nonce. Seeing the same nonce with the same
// body again is a retry and is allowed; with another body it is a replay.
// Nonces older than twice the clock skew are forgotten, since requests that
// old are refused anyway.
func (s *store) useNonce(ctx context.Context, ra, nonce string, body []byte, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM nonces WHERE seen_at < ?", now.Add(-2*prefecture.MaxClockSkew).Unix()); err != nil {
			return err
		}
		var prev []byte
		err := tx.QueryRowContext(ctx, "SELECT body_sha256 FROM nonces WHERE ra_serial = ? AND nonce = ?", ra, nonce).Scan(&prev)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, "INSERT INTO nonces (ra_serial, nonce, body_sha256, seen_at) VALUES (?, ?, ?, ?)", ra, nonce, body, now.Unix())
			return err
		case err != nil:
			return err
		case string(prev) != string(body):
			return errReplay
		}
		return nil
	})
}

// addNotice keeps a change notice for the record.
func (s *store) addNotice(ctx context.Context, ra, kind, serial string, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO notices (received_at, ra_serial, kind, serial) VALUES (?, ?, ?, ?)", now.Unix(), ra, kind, serial)
		return err
	})
}

// terminalRevoked reports whether the RA certificate with the given serial
// has been revoked.
func (s *store) terminalRevoked(ctx context.Context, serial string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM revoked_terminals WHERE serial = ?", serial).Scan(&n)
	return n > 0, err
}

// revokeTerminal records an RA certificate as revoked.
func (s *store) revokeTerminal(ctx context.Context, serial, note string, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO revoked_terminals (serial, revoked_at, note) VALUES (?, ?, ?) ON CONFLICT (serial) DO NOTHING", serial, now.Unix(), note)
		return err
	})
}

// count returns the number of issued certificates.
func (s *store) count(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM certificates").Scan(&n)
	return n, err
}
