// Package pcsctest puts an emulated PIV card behind the real PC/SC stack
// for tests: it connects a cardio.Emulator to vsmartcard's vpcd driver in
// pcscd, so that the code under test reaches the card through
// github.com/ebfe/scard and pcscd exactly as it would a card in a USB
// reader.
//
// A vpcd slot is one per machine, and `go test ./...` runs the test
// binaries of several packages at once, so every attachment holds an
// exclusive lock on its slot's file (cardio.VPCDSlotLockPath; slot 0's is
// cardio.VPCDLockPath) until the test ends.
//
// When pcscd or its vpcd reader is not reachable, the test fails if the CI
// or MADOGUCHI_PCSCD environment variable is set, and is skipped with the
// reason otherwise.
package pcsctest

import (
	"context"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"madoguchi/cardio"
)

// Environment variables that override the defaults.
const (
	// EnvAddr is the vpcd address to connect to (default
	// cardio.DefaultVPCDAddr).
	EnvAddr = "MADOGUCHI_VPCD_ADDR"
	// EnvReader is the PC/SC name of the reader that address feeds
	// (default: the first reader whose name starts with "Virtual PCD").
	EnvReader = "MADOGUCHI_VPCD_READER"
)

// timeout bounds each wait for pcscd to notice an insertion or removal,
// and the wait for the lock.
const (
	timeout     = 15 * time.Second
	lockTimeout = 5 * time.Minute
)

// Slot is an emulated card's place in the vpcd reader for one test.
type Slot struct {
	// Reader is the PC/SC reader in which the card appears.
	Reader cardio.Reader
	t      testing.TB
	addr   string
	link   *cardio.VPCDLink
}

// Required reports whether a missing pcscd must fail the test rather than
// skip it.
func Required() bool {
	return os.Getenv("CI") != "" || os.Getenv("MADOGUCHI_PCSCD") != ""
}

// unavailable fails or skips t because pcscd cannot be used.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf("pcscd with vpcd is required here (CI or MADOGUCHI_PCSCD is set): "+format, args...)
	}
	t.Skipf("skipped, pcscd with vpcd is not available: "+format, args...)
}

// Attach inserts emu into the vpcd reader for the rest of the test and
// returns the reader's PC/SC name. See AttachSlot.
func Attach(t testing.TB, emu *cardio.Emulator) (readerName string) {
	t.Helper()
	return AttachSlot(t, emu).Reader.Name()
}

// AttachSlot takes the vpcd lock, connects emu to vpcd and waits until
// pcscd reports the card present. At the end of the test the card is
// removed, pcscd has seen the removal, and the lock is released. It uses
// vpcd's first slot unless EnvAddr and EnvReader say otherwise.
func AttachSlot(t testing.TB, emu *cardio.Emulator) *Slot {
	t.Helper()
	return attach(t, emu, os.Getenv(EnvAddr), os.Getenv(EnvReader))
}

// AttachVPCDSlot is AttachSlot on vpcd's slot n ("Virtual PCD 00 0n" on
// port cardio.VPCDBasePort+n) under that slot's own lock, so that a test
// may use both slots at once, and tests on different slots do not wait
// for each other.
func AttachVPCDSlot(t testing.TB, emu *cardio.Emulator, n int) *Slot {
	t.Helper()
	return attach(t, emu, cardio.VPCDSlotAddr(n), cardio.VPCDSlotReader(n))
}

func attach(t testing.TB, emu *cardio.Emulator, addr, name string) *Slot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	readers, err := cardio.PCSCReaders(ctx)
	if err != nil {
		unavailable(t, "%v", err)
	}
	var vpcd []string
	for _, r := range readers {
		if strings.HasPrefix(r.Name(), "Virtual PCD") {
			vpcd = append(vpcd, r.Name())
		}
	}
	if len(vpcd) == 0 {
		unavailable(t, "pcscd lists no \"Virtual PCD\" reader (is vsmartcard-vpcd installed?)")
	}
	if name == "" {
		sort.Strings(vpcd)
		name = vpcd[0]
	} else if !slices.Contains(vpcd, name) {
		unavailable(t, "pcscd lists no reader %q (it has %q)", name, vpcd)
	}
	if addr == "" {
		addr = cardio.DefaultVPCDAddr
	}
	lockPath := cardio.VPCDLockPath
	if slot, ok := cardio.VPCDSlotOf(addr); ok {
		lockPath = cardio.VPCDSlotLockPath(slot)
	}

	lockCtx, cancelLock := context.WithTimeout(context.Background(), lockTimeout)
	defer cancelLock()
	unlock, err := cardio.LockVPCD(lockCtx, lockPath)
	if err != nil {
		t.Fatalf("pcsctest: %v", err)
	}
	s := &Slot{Reader: cardio.PCSCReader(name), t: t, addr: addr}
	t.Cleanup(func() {
		s.Remove()
		unlock()
	})
	if present, err := s.Reader.Present(ctx); err != nil {
		t.Fatalf("pcsctest: reader %q: %v", name, err)
	} else if present {
		t.Fatalf("pcsctest: reader %q already holds a card although we hold the lock; is a card-emulator running?", name)
	}
	s.Insert(emu)
	return s
}

// Insert connects emu to vpcd and waits until pcscd reports it present.
func (s *Slot) Insert(emu *cardio.Emulator) {
	s.t.Helper()
	if s.link != nil {
		s.t.Fatalf("pcsctest: the slot already holds a card")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	link, err := cardio.DialVPCD(ctx, s.addr, emu)
	if err != nil {
		unavailable(s.t, "%v", err)
	}
	s.link = link
	if err := s.Reader.WaitFor(ctx, true); err != nil {
		s.t.Fatalf("pcsctest: pcscd did not report the card in %q: %v", s.Reader.Name(), err)
	}
}

// Remove disconnects the card from vpcd and waits until pcscd reports the
// reader empty. It does nothing when the slot is empty.
func (s *Slot) Remove() {
	s.t.Helper()
	if s.link == nil {
		return
	}
	s.link.Close()
	s.link = nil
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.Reader.WaitFor(ctx, false); err != nil {
		s.t.Errorf("pcsctest: pcscd did not report the removal from %q: %v", s.Reader.Name(), err)
	}
}

// APDUs returns the number of command APDUs the card answered through
// vpcd since it was last inserted.
func (s *Slot) APDUs() uint64 {
	if s.link == nil {
		return 0
	}
	return s.link.APDUs()
}
