package app

import (
	"bytes"
	"context"
	"testing"

	"madoguchi/app/config"
	"madoguchi/app/records"
	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
	"madoguchi/forms"
)

// An issuance through the real PC/SC stack: the Counter is configured for
// a PC/SC reader and reaches the emulated card through ebfe/scard, pcscd
// and vsmartcard's vpcd, as it would a card in a USB reader. It fails in
// CI (or with MADOGUCHI_PCSCD set) when pcscd is not reachable, and is
// skipped with the reason otherwise.
func TestIssuanceThroughPCSC(t *testing.T) {
	ctx := context.Background()
	emu := cardio.NewEmulator(cardio.EmulatorOptions{})
	reader := pcsctest.Attach(t, emu)

	cfg := demoConfig(t.TempDir())
	cfg.Reader = config.Reader{Mode: config.ReaderPCSC, Name: reader}
	c, err := Open(ctx, cfg, Options{DemoResidents: 300, StaffParams: &fastStaff})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.EmulatedReader() != nil {
		t.Fatal("a PC/SC counter has an emulated reader")
	}
	r, err := c.Reader(ctx)
	if err != nil || r.Name() != reader {
		t.Fatalf("Reader = %v, %v; want %s", r, err, reader)
	}
	d := signIn(t, c, staff.DemoClerk)
	res := residentNeedingSubstitute(t, d)
	s, err := d.Start(ctx, res.Code, mustPrefill(t, d, res.Code, forms.KindNew))
	if err != nil {
		t.Fatal(err)
	}
	if err := drive(ctx, d, s.ID); err != nil {
		t.Fatal(err)
	}
	s, _ = d.Session(ctx, s.ID)
	rec, _ := records.Get(ctx, c.db, s.CertSerial)
	if s.State != session.Delivered {
		t.Fatalf("state %s", s.State)
	}
	if onCard, ok := emu.Object(cardio.SlotSignature.CertObject()); !ok || !bytes.Contains(onCard, rec.DER) {
		t.Error("the card behind pcscd does not hold the certificate")
	}
}
