package cardio

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// VPCDBasePort is the TCP port of the first vpcd slot. Debian's
// vsmartcard-vpcd offers two slots, "Virtual PCD 00 00" on 35963 and
// "Virtual PCD 00 01" on 35964: slot n listens on VPCDBasePort+n.
const VPCDBasePort = 35963

// VPCDSlots is the number of slots of Debian's vpcd reader.
const VPCDSlots = 2

// VPCDSlotAddr returns the address where vpcd waits for the card of slot
// n on this machine.
func VPCDSlotAddr(n int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(VPCDBasePort+n))
}

// VPCDSlotReader returns the PC/SC name pcscd gives vpcd's slot n.
func VPCDSlotReader(n int) string {
	return fmt.Sprintf("Virtual PCD 00 %02d", n)
}

// VPCDSlotLockPath returns the lock file of vpcd slot n. Each slot has
// its own, so that two emulated cards (tests, card-emulator commands) use
// the two readers at the same time; slot 0 keeps VPCDLockPath.
func VPCDSlotLockPath(n int) string {
	if n == 0 || VPCDLockPath == "" {
		return VPCDLockPath
	}
	dir, file := filepath.Split(VPCDLockPath)
	return filepath.Join(dir, strings.TrimSuffix(file, ".lock")+"-"+strconv.Itoa(n)+".lock")
}

// VPCDSlotOf returns the slot number of a vpcd address on this machine
// (port VPCDBasePort+n), or false when the address is not one of them.
func VPCDSlotOf(addr string) (int, bool) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, false
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < VPCDBasePort || p >= VPCDBasePort+VPCDSlots {
		return 0, false
	}
	return p - VPCDBasePort, true
}
