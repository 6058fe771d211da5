//go:build !windows

package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The database holds personal data, password hashes and the audit trail:
// it and its WAL and shared-memory files are owner-only whatever the
// umask, and an older world-readable file is tightened at Open.
func TestOpenCreatesPrivateFiles(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		os.Chmod(dir, 0o755)
		p := filepath.Join(dir, "counter.db")
		if existing {
			if err := os.WriteFile(p, nil, 0o664); err != nil {
				t.Fatal(err)
			}
		}
		db, err := Open(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("CREATE TABLE perm_probe (x)"); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"", "-wal", "-shm"} {
			fi, err := os.Stat(p + s)
			if err != nil {
				t.Fatalf("existing=%v: %v", existing, err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("existing=%v: %s has mode %v, want -rw-------", existing, filepath.Base(p+s), fi.Mode().Perm())
			}
		}
		db.Close()
	}
}
