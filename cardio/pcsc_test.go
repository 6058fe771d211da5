package cardio_test

import (
	"context"
	"errors"
	"testing"

	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
)

// These tests reach the emulator through github.com/ebfe/scard, pcscd and
// vsmartcard's vpcd: the path of a real USB reader.

func TestPCSCReaderEvents(t *testing.T) {
	emu := cardio.NewEmulator(cardio.EmulatorOptions{})
	slot := pcsctest.AttachSlot(t, emu)
	slot.Remove()
	testReaderEvents(t, slot.Reader, func() { slot.Insert(emu) }, slot.Remove)
}

func TestPCSCReadersListsVPCD(t *testing.T) {
	emu := cardio.NewEmulator(cardio.EmulatorOptions{})
	name := pcsctest.Attach(t, emu)
	readers, err := cardio.PCSCReaders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range readers {
		if r.Name() == name {
			found = true
			if present, err := r.Present(context.Background()); err != nil || !present {
				t.Fatalf("Present(%q) = %v, %v", name, present, err)
			}
		}
	}
	if !found {
		t.Fatalf("PCSCReaders does not list %q", name)
	}
}

// TestPCSCExercise runs the whole PIV command set through pcscd for each
// link mode of the card.
func TestPCSCExercise(t *testing.T) {
	for _, mode := range []struct {
		name  string
		opts  cardio.EmulatorOptions
		proto cardio.Protocol
		ext   bool
	}{
		{"T=1 extended", cardio.EmulatorOptions{}, cardio.T1, true},
		{"T=1 chaining", cardio.EmulatorOptions{ShortOnly: true}, cardio.T1, false},
		{"T=0", cardio.EmulatorOptions{Protocol: cardio.T0}, cardio.T0, false},
	} {
		t.Run(mode.name, func(t *testing.T) {
			emu := cardio.NewEmulator(mode.opts)
			slot := pcsctest.AttachSlot(t, emu)
			card, err := slot.Reader.Connect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer card.Close()
			if card.ExtendedLength() != mode.ext {
				t.Fatalf("ExtendedLength = %v through pcscd, want %v", card.ExtendedLength(), mode.ext)
			}
			exercisePIV(t, card)
			if got := slot.APDUs(); got != card.Transmits() {
				t.Fatalf("the card answered %d APDUs, we sent %d", got, card.Transmits())
			}
		})
	}
}

func TestPCSCExclusiveAndErrors(t *testing.T) {
	ctx := context.Background()
	emu := cardio.NewEmulator(cardio.EmulatorOptions{})
	slot := pcsctest.AttachSlot(t, emu)
	card, err := slot.Reader.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := slot.Reader.Connect(ctx); !errors.Is(err, cardio.ErrCardInUse) {
		t.Fatalf("second connection: %v, want ErrCardInUse", err)
	}
	piv, err := cardio.SelectPIV(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	err = piv.Verify(ctx, []byte("000000"))
	var se *cardio.StatusError
	if !errors.As(err, &se) || !errors.Is(err, cardio.ErrWrongPIN) {
		t.Fatalf("wrong PIN through pcscd: %v", err)
	}
	if n, _ := se.TriesLeft(); n != 2 {
		t.Fatalf("tries left %d, want 2", n)
	}
	if err := piv.Verify(ctx, cardio.DefaultPIN); err != nil {
		t.Fatal(err)
	}
	// Closing resets the card: the next connection starts without the PIN.
	card.Close()
	card, err = slot.Reader.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	piv, err = cardio.SelectPIV(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	if verified, tries, err := piv.PINStatus(ctx); err != nil || verified || tries != 3 {
		t.Fatalf("after reconnect: verified %v, tries %d, %v", verified, tries, err)
	}
	if _, err := cardio.PCSCReader("No Such Reader 00 00").Connect(ctx); !errors.Is(err, cardio.ErrReaderGone) {
		t.Fatalf("unknown reader: %v, want ErrReaderGone", err)
	}
}

// TestPCSCTwoSlots uses both vpcd slots at once, each under its own lock:
// a wrong PIN on the card of slot 1 leaves the card of slot 0 alone.
func TestPCSCTwoSlots(t *testing.T) {
	ctx := context.Background()
	emus := []*cardio.Emulator{cardio.NewEmulator(cardio.EmulatorOptions{}), cardio.NewEmulator(cardio.EmulatorOptions{Protocol: cardio.T0})}
	var pivs []*cardio.PIV
	for n, emu := range emus {
		slot := pcsctest.AttachVPCDSlot(t, emu, n)
		if slot.Reader.Name() != cardio.VPCDSlotReader(n) {
			t.Fatalf("slot %d is reader %q", n, slot.Reader.Name())
		}
		card, err := slot.Reader.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { card.Close() })
		piv, err := cardio.SelectPIV(ctx, card)
		if err != nil {
			t.Fatal(err)
		}
		pivs = append(pivs, piv)
	}
	if err := pivs[1].Verify(ctx, []byte("000000")); !errors.Is(err, cardio.ErrWrongPIN) {
		t.Fatalf("wrong PIN on slot 1: %v", err)
	}
	for n, want := range []int{3, 2} {
		if _, tries, err := pivs[n].PINStatus(ctx); err != nil || tries != want {
			t.Fatalf("slot %d: %d tries, %v; want %d", n, tries, err, want)
		}
		if got := emus[n].PINTriesLeft(); got != want {
			t.Fatalf("emulator of slot %d has %d tries, want %d", n, got, want)
		}
	}
}
