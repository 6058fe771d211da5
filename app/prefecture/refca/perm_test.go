//go:build !windows

package refca

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The CA's database (issued certificates, revocations, nonces) and its
// WAL and shared-memory files are owner-only whatever the umask.
func TestStoreFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	p := filepath.Join(t.TempDir(), "ca.db")
	s, err := openStore(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.db.Exec("CREATE TABLE perm_probe (x)"); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		fi, err := os.Stat(p + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want -rw-------", filepath.Base(p+suffix), fi.Mode().Perm())
		}
	}
}
