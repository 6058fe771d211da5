// Package storetest runs a test against every store backend: SQLite
// always, and PostgreSQL when MADOGUCHI_TEST_PG_URL names a server
// (scripts/pgtest.sh starts one). Under CI=true a missing PostgreSQL fails
// the test instead of skipping it.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"madoguchi/app/store"
)

// EnvURL is the environment variable naming the test PostgreSQL server.
const EnvURL = "MADOGUCHI_TEST_PG_URL"

// Backend is one database the stores can run on.
type Backend struct {
	Name string // "sqlite" or "postgres"
	// Target returns a fresh, empty database target for store.Open: a file
	// in a temporary folder, or a URL naming a new schema of its own that
	// is dropped when the test ends.
	Target func(t testing.TB) string
}

// Open opens a fresh database of the backend, closed when the test ends.
func (b Backend) Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), b.Target(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// SQLiteBackend is the embedded default.
var SQLiteBackend = Backend{Name: "sqlite", Target: func(t testing.TB) string {
	return filepath.Join(t.TempDir(), "counter.db")
}}

// Backends returns SQLite and, when MADOGUCHI_TEST_PG_URL is set,
// PostgreSQL. With CI=true and no URL the test fails.
func Backends(t testing.TB) []Backend {
	t.Helper()
	bs := []Backend{SQLiteBackend}
	if pg, ok := Postgres(t); ok {
		bs = append(bs, pg)
	}
	return bs
}

// Postgres returns the PostgreSQL backend, or false if none is configured
// (a failure under CI=true).
func Postgres(t testing.TB) (Backend, bool) {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set under CI=true: run the tests through scripts/test.sh, which starts PostgreSQL", EnvURL)
		}
		return Backend{}, false
	}
	return Backend{Name: "postgres", Target: func(t testing.TB) string {
		t.Helper()
		return NewSchema(t, base)
	}}, true
}

// NewSchema creates a schema of its own in the database at base and
// returns base with search_path set to it; the schema is dropped when the
// test ends. Several opens of the returned URL share that schema (several
// counters on one office database).
func NewSchema(t testing.TB, base string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := store.OpenRaw(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := store.OpenRaw(ctx, base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// EnvBackend selects the backend that the packages' existing test suites
// run on: unset or "sqlite" for SQLite files, "postgres" for the server at
// MADOGUCHI_TEST_PG_URL (scripts/test.sh runs the store packages' suites
// once more that way).
const EnvBackend = "MADOGUCHI_TEST_BACKEND"

var targets sync.Map // SQLite path → PostgreSQL URL of its schema

// Target returns file, the SQLite database a test would open, or under
// MADOGUCHI_TEST_BACKEND=postgres a URL naming a fresh schema standing for
// it: the same file gives the same schema, so that a test reopening its
// database (a restarted process, a second counter) reopens the same one.
func Target(t testing.TB, file string) string {
	t.Helper()
	if !OnPostgres() || store.IsURL(file) {
		return file
	}
	if u, ok := targets.Load(file); ok {
		return u.(string)
	}
	pg, ok := Postgres(t)
	if !ok {
		t.Fatalf("%s=postgres needs %s", EnvBackend, EnvURL)
	}
	u := pg.Target(t)
	targets.Store(file, u)
	return u
}

// OnPostgres reports whether the suites run on PostgreSQL
// (MADOGUCHI_TEST_BACKEND=postgres).
func OnPostgres() bool { return os.Getenv(EnvBackend) == "postgres" }
