package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"

	"madoguchi/app/store"
	"madoguchi/app/store/storetest"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"},
		{"SELECT '?' , ? -- what?\n, ?", "SELECT '?' , $1 -- what?\n, $2"},
		{`SELECT "a?""b", 'it''s ?', ?`, `SELECT "a?""b", 'it''s ?', $1`},
		{"SELECT /* ? */ ?", "SELECT /* ? */ $1"},
		{"SELECT 'unterminated ?", "SELECT 'unterminated ?"},
	} {
		if got := store.Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzRebind(f *testing.F) {
	f.Add("SELECT ? FROM t WHERE x = '?' -- ?")
	f.Fuzz(func(t *testing.T, q string) {
		out := store.Rebind(q)
		if !strings.Contains(q, "?") && out != q {
			t.Fatalf("Rebind changed a query without placeholders: %q → %q", q, out)
		}
		if strings.Count(out, "?") > strings.Count(q, "?") {
			t.Fatalf("Rebind added '?': %q → %q", q, out)
		}
	})
}

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, hidden string }{
		{"postgres://clerk:s3cret@db.example/office", "s3cret"},
		{"postgres://db.example/office?password=s3cret&sslmode=verify-full", "s3cret"},
	} {
		if got := store.Redact(c.in); strings.Contains(got, c.hidden) || !strings.Contains(got, "db.example") {
			t.Errorf("Redact(%q) = %q", c.in, got)
		}
	}
	if got := store.Redact("/var/lib/madoguchi/counter.db"); got != "/var/lib/madoguchi/counter.db" {
		t.Errorf("Redact of a path = %q", got)
	}
}

// Both dialects define the same schema versions.
func TestMigrationsSameVersions(t *testing.T) {
	lite, err := store.MigrationsFor(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.MigrationsFor(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL ones", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: SQLite %s, PostgreSQL %s", i, lite[i].Name, pg[i].Name)
		}
	}
}

func TestBackendsMigrateAndWrite(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			target := b.Target(t)
			db, err := store.Open(ctx, target)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ms, _ := store.MigrationsFor(db.Dialect())
			if v, err := db.Version(ctx); err != nil || v != ms[len(ms)-1].Version {
				t.Fatalf("Version = %d, %v", v, err)
			}
			if db.Dialect().String() != b.Name {
				t.Fatalf("Dialect = %s", db.Dialect())
			}
			// Opening again migrates nothing twice.
			db2, err := store.Open(ctx, target)
			if err != nil {
				t.Fatal(err)
			}
			db2.Close()
			// The audit trail refuses updates on both.
			err = db.Tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, staff, action, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)`,
					1, "2026-01-01T00:00:00.000000Z", "s", "a", []byte{0}, []byte{1})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			err = db.Tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "UPDATE audit_log SET staff = ? WHERE seq = 1", "x")
				return err
			})
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("update of audit_log: %v", err)
			}
			// Flags in integer columns take Go bools.
			err = db.Tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO staff (id, display_name, role, password_hash, disabled, created_at, password_changed_at) VALUES (?, ?, 'clerk', 'h', ?, 'x', 'x')`,
					"c1", "窓口 一郎", true)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var disabled bool
			if err := db.QueryRowContext(ctx, "SELECT disabled FROM staff WHERE id = ?", "c1").Scan(&disabled); err != nil || !disabled {
				t.Fatalf("disabled = %v, %v", disabled, err)
			}
		})
	}
}

// Concurrent read-then-write transactions (here: a counter) lose no update
// on either backend, from separate connections pools as separate counter
// processes would have.
func TestBackendsSerialiseWriters(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			target := b.Target(t)
			var dbs []*store.DB
			for range 4 {
				db, err := store.Open(ctx, target)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				dbs = append(dbs, db)
			}
			if _, err := dbs[0].ExecContext(ctx, "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ?)", []byte{0}); err != nil {
				t.Fatal(err)
			}
			const per = 25
			var wg sync.WaitGroup
			errs := make(chan error, len(dbs)*per)
			for _, db := range dbs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range per {
						errs <- db.Tx(ctx, func(tx *sql.Tx) error {
							var n int
							if err := tx.QueryRowContext(ctx, "SELECT seq FROM audit_head WHERE id = 1").Scan(&n); err != nil {
								return err
							}
							_, err := tx.ExecContext(ctx, "UPDATE audit_head SET seq = ? WHERE id = 1", n+1)
							return err
						})
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			var n int
			if err := dbs[1].QueryRowContext(ctx, "SELECT seq FROM audit_head WHERE id = 1").Scan(&n); err != nil || n != len(dbs)*per {
				t.Fatalf("seq = %d, %v; want %d", n, err, len(dbs)*per)
			}
		})
	}
}

func TestOpenPostgresBadURL(t *testing.T) {
	_, err := store.Open(context.Background(), "postgres://clerk:s3cret@127.0.0.1:1/none?connect_timeout=2")
	var oe *store.OpenError
	if !errors.As(err, &oe) || strings.Contains(err.Error(), "s3cret") || oe.UserMessage() == "" {
		t.Fatalf("err = %v", err)
	}
}

// A write that cannot get the office's writer lock in time (another
// terminal holds it, as a registry import does) fails with BusyError and
// a Japanese message, and commits nothing.
func TestPostgresBusy(t *testing.T) {
	pg, ok := storetest.Postgres(t)
	if !ok {
		t.Skip("no PostgreSQL (MADOGUCHI_TEST_PG_URL)")
	}
	ctx := context.Background()
	target := pg.Target(t)
	holder, err := store.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	waiter, err := store.Open(ctx, target+"&lock_timeout=300")
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- holder.Tx(ctx, func(tx *sql.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	err = waiter.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO audit_head (id, seq, hash) VALUES (1, 7, ?)", []byte{7})
		return err
	})
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var be *store.BusyError
	if !errors.As(err, &be) || be.UserMessage() == "" {
		t.Fatalf("write behind a held lock: %v", err)
	}
	var n int
	if err := waiter.QueryRowContext(ctx, "SELECT count(*) FROM audit_head").Scan(&n); err != nil || n != 0 {
		t.Fatalf("audit_head rows = %d, %v", n, err)
	}
}
