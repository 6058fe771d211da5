//go:build unix

package cardio

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"
)

// VPCDLockPath is the lock file that serialises the use of the vpcd slot
// among processes on one machine: test binaries of several packages and
// the card-emulator command.
const VPCDLockPath = "/tmp/madoguchi-vpcd.lock"

// LockVPCD takes an exclusive lock on path, waiting until ctx ends if
// another process holds it. The returned function releases it.
func LockVPCD(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("cardio: open vpcd lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			f.Close()
			return nil, fmt.Errorf("cardio: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("cardio: lock %s held by another process: %w", path, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
