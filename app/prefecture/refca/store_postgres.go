package refca

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"

	appstore "madoguchi/app/store"
)

// caWriterLockKey is the first key of the advisory lock every write
// transaction of a CA on PostgreSQL takes (the second is the schema's
// hash): it gives the CA processes sharing one database SQLite's
// single-writer semantics, so that read-then-write steps (the revocation
// sequence number, superseding a holder's certificate) stay correct.
const caWriterLockKey = 0x72656663 // "refc"

// caMigrateLockKey serialises the CA schema's migrations across processes.
const caMigrateLockKey = 0x7265666d // "refm"

// openPostgresStore opens the CA's store in the PostgreSQL database at
// rawURL (its search_path names the schema) through the counter store's
// dialect layer, and migrates it.
func openPostgresStore(ctx context.Context, rawURL string) (*store, error) {
	db, err := appstore.OpenRaw(ctx, withSessionDefaults(rawURL))
	if err != nil {
		return nil, err
	}
	// Every CA process keeps its pool small: several of them, and the
	// counters, share the server's max_connections.
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	s := &store{db: db, pg: true}
	if err := s.migratePostgres(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("refca: database %s: %w", appstore.Redact(rawURL), err)
	}
	return s, nil
}

// lockWriter takes the CA's writer lock in tx (PostgreSQL only; it is
// released when tx ends).
func (s *store) lockWriter(ctx context.Context, tx *sql.Tx) error {
	if !s.pg {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))", caWriterLockKey)
	return err
}

// pgMigration is one embedded PostgreSQL schema step.
type pgMigration struct {
	version int
	name    string
	sql     string
}

// postgresMigrations returns the embedded PostgreSQL migrations in
// version order.
func postgresMigrations() ([]pgMigration, error) {
	entries, err := fs.ReadDir(pgMigrations, "migrations/postgres")
	if err != nil {
		return nil, err
	}
	var ms []pgMigration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("refca: migration file %q is not named NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(pgMigrations, path.Join("migrations/postgres", e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, pgMigration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migratePostgres applies the PostgreSQL migrations not yet recorded in
// ca_schema_migrations, each in its own transaction, holding the migration
// lock so that CA processes starting together migrate once.
func (s *store) migratePostgres(ctx context.Context) error {
	ms, err := postgresMigrations()
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?, hashtext(current_schema()))", caMigrateLockKey); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?, hashtext(current_schema()))", caMigrateLockKey)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS ca_schema_migrations (
		version INTEGER PRIMARY KEY,
		name    TEXT NOT NULL)`); err != nil {
		return err
	}
	var have int
	if err := conn.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM ca_schema_migrations").Scan(&have); err != nil {
		return err
	}
	if know := ms[len(ms)-1].version; have > know {
		return fmt.Errorf("refca: database schema version %d is newer than this program (%d)", have, know)
	}
	for _, m := range ms {
		var done int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM ca_schema_migrations WHERE version = ?", m.version).Scan(&done); err != nil {
			return err
		}
		if done > 0 {
			continue
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("refca: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO ca_schema_migrations (version, name) VALUES (?, ?)", m.version, m.name); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// withSessionDefaults adds to rawURL, unless it sets them, the session
// settings that keep one CA process from stalling the others: a
// transaction left idle (a hung process) is ended by the server, releasing
// the writer lock, and a write waits for that lock at most a minute.
func withSessionDefaults(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL // OpenRaw reports it
	}
	q := u.Query()
	for k, v := range map[string]string{
		"idle_in_transaction_session_timeout": "300000", // ms
		"lock_timeout":                        "60000",  // ms
	} {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
