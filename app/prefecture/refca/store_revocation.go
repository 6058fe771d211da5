package refca

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"madoguchi/app/prefecture"
)

// municipalityShards returns the shard count of a municipality's CRL,
// fixing it at def on the municipality's first issuance.
func (s *store) municipalityShards(ctx context.Context, code string, def int) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT shards FROM crl_municipalities WHERE code = ?", code).Scan(&n)
	if err == nil {
		return n, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO crl_municipalities (code, shards) VALUES (?, ?) ON CONFLICT (code) DO NOTHING", code, def); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT shards FROM crl_municipalities WHERE code = ?", code).Scan(&n)
	})
	return n, err
}

// municipalityShard is one row of crl_municipalities.
type municipalityShard struct {
	code   string
	shards int
}

// crlMunicipalities lists every municipality with its shard count.
func (s *store) crlMunicipalities(ctx context.Context) ([]municipalityShard, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT code, shards FROM crl_municipalities ORDER BY code")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []municipalityShard
	for rows.Next() {
		var m municipalityShard
		if err := rows.Scan(&m.code, &m.shards); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// recordRevocation adds the revocation of a stored certificate to the
// revocation index, inside the transaction that revoked it.
func recordRevocation(ctx context.Context, tx *sql.Tx, serial string, at time.Time, reason prefecture.Reason) error {
	var muni string
	var notAfter int64
	if err := tx.QueryRowContext(ctx, "SELECT municipality, not_after FROM certificates WHERE serial = ?", serial).Scan(&muni, &notAfter); err != nil {
		return fmt.Errorf("refca: indexing revocation of %s: %w", serial, err)
	}
	var shards int
	err := tx.QueryRowContext(ctx, "SELECT shards FROM crl_municipalities WHERE code = ?", muni).Scan(&shards)
	if errors.Is(err, sql.ErrNoRows) {
		shards = 1 // a certificate stored before the municipality was registered
		_, err = tx.ExecContext(ctx, "INSERT INTO crl_municipalities (code, shards) VALUES (?, 1)", muni)
	}
	if err != nil {
		return err
	}
	shard, err := shardOfHex(serial, shards)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO revocations (municipality, shard, serial, revoked_at, reason, not_after, seq)
		VALUES (?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM revocations)) ON CONFLICT (serial) DO NOTHING`,
		muni, shard, serial, at.Unix(), reason.String(), notAfter)
	return err
}

// maxSeq returns the latest revocation sequence number (0 when none).
func (s *store) maxSeq(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM revocations").Scan(&n)
	return n, err
}

// revocationRow is one row of the revocation index.
type revocationRow struct {
	Partition
	Serial    string
	RevokedAt time.Time
	Reason    prefecture.Reason
	NotAfter  time.Time
	Seq       int64
}

// reasonByName caches prefecture.ParseReason for the hot loops.
var reasonByName = func() map[string]prefecture.Reason {
	m := map[string]prefecture.Reason{}
	for r := prefecture.ReasonResidentRequest; r.Valid(); r++ {
		m[r.String()] = r
	}
	return m
}()

func parseStoredReason(s string) (prefecture.Reason, error) {
	if r, ok := reasonByName[s]; ok {
		return r, nil
	}
	return prefecture.ParseReason(s)
}

const revocationColumns = "municipality, shard, serial, revoked_at, reason, not_after, seq"

func scanRevocation(row scanner, r *revocationRow) error {
	var at, notAfter int64
	var reason string
	if err := row.Scan(&r.Municipality, &r.Shard, &r.Serial, &at, &reason, &notAfter, &r.Seq); err != nil {
		return err
	}
	rs, err := parseStoredReason(reason)
	if err != nil {
		return err
	}
	r.RevokedAt, r.NotAfter, r.Reason = time.Unix(at, 0).UTC(), time.Unix(notAfter, 0).UTC(), rs
	return nil
}

// eachRevocation calls fn for every unexpired revocation with seq <= upTo,
// in partition order, reading the table in one pass.
func (s *store) eachRevocation(ctx context.Context, now time.Time, upTo int64, fn func(*revocationRow) error) error {
	rows, err := s.db.QueryContext(ctx, "SELECT "+revocationColumns+
		" FROM revocations WHERE not_after > ? AND seq <= ? ORDER BY municipality, shard", now.Unix(), upTo)
	if err != nil {
		return err
	}
	defer rows.Close()
	var r revocationRow
	for rows.Next() {
		if err := scanRevocation(rows, &r); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// eachRevocationRaw is eachRevocation without allocations per row: the
// byte slices are valid only during the call.
func (s *store) eachRevocationRaw(ctx context.Context, now time.Time, upTo int64,
	fn func(muni []byte, shard int, serial []byte, at int64, reason []byte) error) error {
	rows, err := s.db.QueryContext(ctx, "SELECT municipality, shard, serial, revoked_at, reason"+
		" FROM revocations WHERE not_after > ? AND seq <= ? ORDER BY municipality, shard", now.Unix(), upTo)
	if err != nil {
		return err
	}
	defer rows.Close()
	var muni, serial, reason sql.RawBytes
	var shard int
	var at int64
	for rows.Next() {
		if err := rows.Scan(&muni, &shard, &serial, &at, &reason); err != nil {
			return err
		}
		if err := fn(muni, shard, serial, at, reason); err != nil {
			return err
		}
	}
	return rows.Err()
}

// partitionRevocations lists the unexpired revocations of one partition
// with afterSeq < seq <= upTo.
func (s *store) partitionRevocations(ctx context.Context, p Partition, afterSeq, upTo int64, now time.Time) ([]revocationRow, error) {
	return s.queryRevocations(ctx, " WHERE municipality = ? AND shard = ? AND seq > ? AND seq <= ? AND not_after > ?",
		p.Municipality, p.Shard, afterSeq, upTo, now.Unix())
}

// partitionCounts counts a municipality's revocations by shard.
func (s *store) partitionCounts(ctx context.Context, municipality string) (map[int]int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT shard, count(*) FROM revocations WHERE municipality = ? GROUP BY shard", municipality)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var shard, n int
		if err := rows.Scan(&shard, &n); err != nil {
			return nil, err
		}
		out[shard] = n
	}
	return out, rows.Err()
}

// revocationBySerial returns the index row of a revoked serial, or nil.
func (s *store) revocationBySerial(ctx context.Context, serial string) (*revocationRow, error) {
	var r revocationRow
	st, err := s.prepared(ctx, "SELECT "+revocationColumns+" FROM revocations WHERE serial = ?")
	if err != nil {
		return nil, err
	}
	err = scanRevocation(st.QueryRowContext(ctx, serial), &r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// revocationsAfter lists up to limit revocations with seq > after, in seq
// order.
func (s *store) revocationsAfter(ctx context.Context, after int64, limit int) ([]revocationRow, error) {
	return s.queryRevocations(ctx, " WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
}

// queryRevocations reads the index rows a WHERE clause (with its ORDER
// and LIMIT) selects.
func (s *store) queryRevocations(ctx context.Context, where string, args ...any) ([]revocationRow, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+revocationColumns+" FROM revocations"+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []revocationRow
	for rows.Next() {
		var r revocationRow
		if err := scanRevocation(rows, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// issuedInfo returns whether the CA issued serial, and its municipality.
func (s *store) issuedInfo(ctx context.Context, serial string) (issued bool, notAfter time.Time, err error) {
	var na int64
	st, err := s.prepared(ctx, "SELECT not_after FROM certificates WHERE serial = ?")
	if err != nil {
		return false, time.Time{}, err
	}
	err = st.QueryRowContext(ctx, serial).Scan(&na)
	if errors.Is(err, sql.ErrNoRows) {
		return false, time.Time{}, nil
	}
	return err == nil, time.Unix(na, 0).UTC(), err
}

// crlRun is a full CRL run: every partition's complete CRL with one number.
type crlRun struct {
	Number     int64
	ThisUpdate time.Time
	NextUpdate time.Time
	Seq        int64 // the changes it covers
}

// lastRun returns the latest full run, or nil.
func (s *store) lastRun(ctx context.Context) (*crlRun, error) {
	var r crlRun
	var tu, nu int64
	err := s.db.QueryRowContext(ctx, "SELECT number, this_update, next_update, seq FROM crl_runs ORDER BY number DESC LIMIT 1").Scan(&r.Number, &tu, &nu, &r.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.ThisUpdate, r.NextUpdate = time.Unix(tu, 0).UTC(), time.Unix(nu, 0).UTC()
	return &r, nil
}

// saveRun records a completed full run and forgets older ones.
func (s *store) saveRun(ctx context.Context, r *crlRun) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO crl_runs (number, this_update, next_update, seq) VALUES (?, ?, ?, ?)",
			r.Number, r.ThisUpdate.Unix(), r.NextUpdate.Unix(), r.Seq); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM crl_runs WHERE number < ?", r.Number)
		return err
	})
}

// stmts caches the prepared statements of the hot lookups (OCSP, access
// checks); database/sql re-prepares them per connection as needed.
var stmts sync.Map // map[stmtKey]*sql.Stmt

type stmtKey struct {
	db *sql.DB
	q  string
}

// prepared returns a prepared statement for q on s's database.
func (s *store) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	k := stmtKey{s.db, q}
	if st, ok := stmts.Load(k); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := stmts.LoadOrStore(k, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// forgetStatements closes s's prepared statements (at Close).
func (s *store) forgetStatements() {
	stmts.Range(func(k, v any) bool {
		if k.(stmtKey).db == s.db {
			v.(*sql.Stmt).Close()
			stmts.Delete(k)
		}
		return true
	})
}
