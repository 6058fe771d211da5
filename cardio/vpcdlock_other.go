//go:build !unix

package cardio

import (
	"context"
	"errors"
)

// VPCDLockPath is the lock file that serialises the use of the vpcd slot.
const VPCDLockPath = ""

// LockVPCD is not available on this system.
func LockVPCD(ctx context.Context, path string) (unlock func(), err error) {
	return nil, errors.New("cardio: the vpcd lock needs a Unix system")
}
