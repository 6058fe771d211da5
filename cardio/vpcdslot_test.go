//go:build unix

package cardio_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"madoguchi/cardio"
)

func TestVPCDSlotNames(t *testing.T) {
	for _, tt := range []struct {
		slot         int
		addr, reader string
		lock         string
	}{
		{0, "127.0.0.1:35963", "Virtual PCD 00 00", cardio.VPCDLockPath},
		{1, "127.0.0.1:35964", "Virtual PCD 00 01", "/tmp/madoguchi-vpcd-1.lock"},
	} {
		if got := cardio.VPCDSlotAddr(tt.slot); got != tt.addr {
			t.Errorf("VPCDSlotAddr(%d) = %q, want %q", tt.slot, got, tt.addr)
		}
		if got := cardio.VPCDSlotReader(tt.slot); got != tt.reader {
			t.Errorf("VPCDSlotReader(%d) = %q, want %q", tt.slot, got, tt.reader)
		}
		if got := cardio.VPCDSlotLockPath(tt.slot); got != tt.lock {
			t.Errorf("VPCDSlotLockPath(%d) = %q, want %q", tt.slot, got, tt.lock)
		}
		if n, ok := cardio.VPCDSlotOf(tt.addr); !ok || n != tt.slot {
			t.Errorf("VPCDSlotOf(%q) = %d, %v", tt.addr, n, ok)
		}
	}
	for _, addr := range []string{"127.0.0.1:35962", "127.0.0.1:35965", "nonsense", "127.0.0.1:x"} {
		if n, ok := cardio.VPCDSlotOf(addr); ok {
			t.Errorf("VPCDSlotOf(%q) = %d, want none", addr, n)
		}
	}
}

// TestVPCDSlotLocksAreIndependent holds the lock of slot 0 and takes the
// lock of slot 1 at once, while a second taker of slot 0 waits.
func TestVPCDSlotLocksAreIndependent(t *testing.T) {
	dir := t.TempDir()
	path := func(n int) string { // the same naming, in a private folder
		return filepath.Join(dir, filepath.Base(cardio.VPCDSlotLockPath(n)))
	}
	if path(0) == path(1) {
		t.Fatalf("slots 0 and 1 share the lock file %s", path(0))
	}
	unlock0, err := cardio.LockVPCD(context.Background(), path(0))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock0()
	quick, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	unlock1, err := cardio.LockVPCD(quick, path(1))
	if err != nil {
		t.Fatalf("slot 1 waits on slot 0's lock: %v", err)
	}
	unlock1()
	if u, err := cardio.LockVPCD(quick, path(0)); err == nil {
		u()
		t.Fatal("a second holder took slot 0's lock")
	}
}
