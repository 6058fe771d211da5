package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "counter.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenAppliesPragmasAndMigrations(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.Version(ctx)
	if err != nil || v != ms[len(ms)-1].Version {
		t.Fatalf("Version = %d, %v; want %d", v, err, ms[len(ms)-1].Version)
	}
	// Every pooled connection, not only the first, carries the pragmas.
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		for _, p := range []struct {
			pragma, want string
		}{{"journal_mode", "wal"}, {"foreign_keys", "1"}, {"synchronous", "2"}} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != p.want {
				t.Errorf("PRAGMA %s = %s, want %s", p.pragma, got, p.want)
			}
		}
		c.Close()
	}
	for _, table := range []string{"residents", "staff", "sessions", "session_steps", "certificates", "audit_log", "audit_head"} {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s missing (%d, %v)", table, n, err)
		}
	}
}

func TestReopenKeepsDataAndDoesNotRemigrate(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "counter.db")
	db, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO staff (id, display_name, role, password_hash, created_at, password_changed_at)
		VALUES ('a', 'A', 'clerk', 'x', '', '')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	db.QueryRowContext(ctx, "SELECT count(*) FROM staff").Scan(&n)
	if n != 1 {
		t.Errorf("staff rows after reopen = %d, want 1", n)
	}
	db.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n)
	if ms, _ := Migrations(); n != len(ms) {
		t.Errorf("schema_migrations rows = %d, want %d", n, len(ms))
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	db := openTemp(t)
	_, err := db.ExecContext(context.Background(), `INSERT INTO session_steps (session_id, seq, state, at, staff) VALUES ('nope', 1, 'x', '', '')`)
	if err == nil {
		t.Fatal("insert with a dangling foreign key succeeded")
	}
}

func TestSchemaTooNew(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "counter.db")
	db, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	db.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '')")
	db.Close()
	_, err = Open(ctx, p)
	var tooNew *SchemaTooNewError
	if !errors.As(err, &tooNew) || tooNew.Have != 999 {
		t.Fatalf("Open = %v, want SchemaTooNewError", err)
	}
	if tooNew.UserMessage() == "" {
		t.Error("no user message")
	}
}

func TestOpenBadPath(t *testing.T) {
	for _, p := range []string{"", "a?b", filepath.Join(t.TempDir(), "missing", "dir", "x.db")} {
		_, err := Open(context.Background(), p)
		var oe *OpenError
		if !errors.As(err, &oe) {
			t.Errorf("Open(%q) = %v, want *OpenError", p, err)
		}
	}
}

func TestTxRollsBack(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff (id, display_name, role, password_hash, created_at, password_changed_at)
			VALUES ('a', 'A', 'clerk', 'x', '', '')`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx = %v", err)
	}
	func() {
		defer func() { recover() }()
		db.Tx(ctx, func(tx *sql.Tx) error {
			tx.ExecContext(ctx, `INSERT INTO staff (id, display_name, role, password_hash, created_at, password_changed_at)
				VALUES ('b', 'B', 'clerk', 'x', '', '')`)
			panic("crash")
		})
	}()
	var n int
	db.QueryRowContext(ctx, "SELECT count(*) FROM staff").Scan(&n)
	if n != 0 {
		t.Errorf("rows after rollback = %d", n)
	}
}

// Two handles on one file (two processes, in effect) write at once without
// "database is locked" errors.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "counter.db")
	a, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 40; i++ {
		db := a
		if i%2 == 1 {
			db = b
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- db.Tx(ctx, func(tx *sql.Tx) error {
				var n int
				if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM staff").Scan(&n); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `INSERT INTO staff (id, display_name, role, password_hash, created_at, password_changed_at)
					VALUES (?, 'X', 'clerk', 'x', '', '')`, "s"+string(rune('A'+n)))
				return err
			})
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	a.QueryRowContext(ctx, "SELECT count(*) FROM staff").Scan(&n)
	if n != 40 {
		t.Errorf("rows = %d, want 40 (a lost update means transactions were not serialised)", n)
	}
}

func TestTimeRoundTrip(t *testing.T) {
	in := time.Date(2026, 11, 25, 9, 3, 44, 123456000, time.FixedZone("JST", 9*3600))
	s := FormatTime(in)
	if s != "2026-11-25T00:03:44.123456Z" {
		t.Errorf("FormatTime = %s", s)
	}
	out, err := ParseTime(s)
	if err != nil || !out.Equal(in) {
		t.Errorf("ParseTime = %v, %v", out, err)
	}
	if FormatTime(time.Time{}) != "" {
		t.Error("zero time not empty")
	}
	if z, err := ParseTime(""); err != nil || !z.IsZero() {
		t.Error("empty not zero")
	}
}

// A migration numbered below the database's version but never applied (a
// branch merged later) is applied at the next Open.
func TestMigrationGapFilledLater(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "counter.db")
	db, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	// Forget migration 2 as if it had not existed when the file was made.
	if _, err := db.ExecContext(ctx, "DELETE FROM schema_migrations WHERE version = 2"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "ALTER TABLE sessions DROP COLUMN revoke_reason"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pragma_table_info('sessions') WHERE name = 'revoke_reason'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("migration 2 not applied again: %d, %v", n, err)
	}
}
