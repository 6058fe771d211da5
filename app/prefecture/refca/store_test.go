package refca

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStoreSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := openStore(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var version int
	var fk int
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != len(names) || version < 1 {
		t.Fatalf("user_version %d, %v", version, err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys %d, %v", fk, err)
	}
	// Reopening applies nothing twice.
	s.Close()
	if s, err = openStore(ctx, path); err != nil {
		t.Fatal(err)
	}
	// A database from a newer program is refused.
	if _, err := s.db.ExecContext(ctx, "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := openStore(ctx, path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("newer schema: %v", err)
	}
	if _, err := openStore(ctx, path+"?mode=memory"); err == nil {
		t.Fatal("path with '?' accepted")
	}
}

func TestNonces(t *testing.T) {
	ctx := context.Background()
	s, err := openStore(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := timeNow()
	if err := s.useNonce(ctx, "ra1", "n1", []byte("body"), now); err != nil {
		t.Fatal(err)
	}
	if err := s.useNonce(ctx, "ra1", "n1", []byte("body"), now); err != nil {
		t.Errorf("retry of the same request: %v", err)
	}
	if err := s.useNonce(ctx, "ra1", "n1", []byte("other"), now); err != errReplay {
		t.Errorf("replay: %v", err)
	}
	if err := s.useNonce(ctx, "ra2", "n1", []byte("other"), now); err != nil {
		t.Errorf("same nonce from another terminal: %v", err)
	}
	// Old nonces are forgotten.
	if err := s.useNonce(ctx, "ra3", "n9", []byte("x"), now.Add(11*time.Minute)); err != nil {
		t.Fatal(err)
	}
	var n int
	s.db.QueryRowContext(ctx, "SELECT count(*) FROM nonces").Scan(&n)
	if n != 1 {
		t.Errorf("%d nonces kept", n)
	}
}

func timeNow() time.Time { return time.Now() }
