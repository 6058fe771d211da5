package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"madoguchi/cardio"
)

func init() {
	register("card-emulator", "run an emulated PIV card in pcscd's \"Virtual PCD\" reader", runCardEmulator)
}

// runCardEmulator connects an emulated PIV card to vsmartcard's vpcd so
// that any PC/SC program (this app, OpenSC, yubico-piv-tool) sees it in
// the "Virtual PCD" reader. The card's memory is loaded from and saved to
// a state file; typing "remove" and "insert" takes the card out and puts
// it back, "quit" (or Ctrl-C) saves and exits.
func runCardEmulator(args []string) error {
	fl := flag.NewFlagSet("card-emulator", flag.ContinueOnError)
	state := fl.String("state", "card.json", "state `file` of the emulated card (created blank if missing; holds the card's secrets, keep it private)")
	addr := fl.String("vpcd", "", "`address` where vpcd waits for the card (default: the -slot's address on this machine)")
	slotN := fl.Int("slot", 0, "vpcd reader `slot`: 0 is \"Virtual PCD 00 00\" on port 35963, 1 is \"Virtual PCD 00 01\" on 35964")
	t0 := fl.Bool("t0", false, "offer T=0 instead of T=1")
	short := fl.Bool("short", false, "refuse extended length APDUs (hosts must chain)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *slotN < 0 || *slotN >= cardio.VPCDSlots {
		return fmt.Errorf("-slot %d: vpcd has slots 0 to %d", *slotN, cardio.VPCDSlots-1)
	}
	if *addr == "" {
		*addr = cardio.VPCDSlotAddr(*slotN)
	}
	lockPath := cardioLockPath(*addr)
	opts := cardio.EmulatorOptions{ShortOnly: *short}
	if *t0 {
		opts.Protocol = cardio.T0
	}
	card, err := cardio.LoadEmulatorFile(*state, opts)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		card = cardio.NewEmulator(opts)
		fmt.Fprintf(os.Stderr, "card-emulator: %s does not exist, starting with a blank card\n", *state)
	case err != nil:
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Tests and other card-emulators may use the same vpcd slot; wait for
	// them. Each slot has its own lock.
	quick, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	unlock, err := cardio.LockVPCD(quick, lockPath)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "card-emulator: waiting for %s (tests or another card-emulator use the vpcd slot)\n", lockPath)
		if unlock, err = cardio.LockVPCD(ctx, lockPath); err != nil {
			return err
		}
	}
	defer unlock()

	var link *cardio.VPCDLink
	insert := func() error {
		if link != nil {
			return errors.New("the card is already inserted")
		}
		l, err := cardio.DialVPCD(ctx, *addr, card)
		if err != nil {
			return err
		}
		link = l
		fmt.Fprintf(os.Stderr, "card-emulator: card inserted (vpcd %s)\n", *addr)
		return nil
	}
	remove := func() error {
		if link == nil {
			return nil
		}
		link.Close()
		link = nil
		fmt.Fprintln(os.Stderr, "card-emulator: card removed")
		return nil
	}
	quit := func() error {
		remove()
		return card.SaveFile(*state)
	}
	if err := insert(); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, `card-emulator: commands: "remove", "insert", "save", "quit"`)

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
		}
		close(lines)
	}()
	for {
		var done <-chan struct{}
		if link != nil {
			done = link.Done()
		}
		select {
		case <-ctx.Done():
			return quit()
		case <-done:
			err := link.Err()
			link = nil
			if saveErr := card.SaveFile(*state); saveErr != nil {
				return saveErr
			}
			return fmt.Errorf("vpcd closed the link: %w", err)
		case line, ok := <-lines:
			if !ok { // stdin closed: keep serving until a signal
				lines = nil
				continue
			}
			var err error
			switch line {
			case "remove", "r":
				if err = remove(); err == nil {
					err = card.SaveFile(*state)
				}
			case "insert", "i":
				err = insert()
			case "save", "s":
				err = card.SaveFile(*state)
			case "quit", "q", "exit":
				return quit()
			case "":
			default:
				err = fmt.Errorf("unknown command %q", line)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "card-emulator: %v\n", err)
			}
		}
	}
}

// cardioLockPath returns the lock file for a vpcd address: the slot's own
// on this machine's two vpcd ports, the first slot's otherwise.
func cardioLockPath(addr string) string {
	if n, ok := cardio.VPCDSlotOf(addr); ok {
		return cardio.VPCDSlotLockPath(n)
	}
	return cardio.VPCDLockPath
}
