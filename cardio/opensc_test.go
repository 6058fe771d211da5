package cardio_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
)

// TestOpenSCInterop writes a card with our code through pcscd, then has
// OpenSC's PKCS#11 module list the certificate, read it back byte for
// byte, and sign after the PIN, and has openssl verify the signature.
func TestOpenSCInterop(t *testing.T) {
	ossl := pcsctest.NewOpenSC(t)
	emu := cardio.NewEmulator(cardio.EmulatorOptions{})
	slot := pcsctest.AttachSlot(t, emu)
	ctx := context.Background()

	// Our side: key in 9C, self-signed certificate, CHUID and CCC.
	card, err := slot.Reader.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	piv, err := cardio.SelectPIV(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	if err := piv.Authenticate(ctx, cardio.DefaultManagementKey()); err != nil {
		t.Fatal(err)
	}
	pub, err := piv.GenerateKey(ctx, cardio.SlotSignature, cardio.AlgRSA2048)
	if err != nil {
		t.Fatal(err)
	}
	certDER := selfSigned(t, piv, pub)
	chuid, err := cardio.NewCHUID(time.Now().AddDate(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return piv.WriteCHUID(ctx, chuid) },
		func() error { return piv.PutData(ctx, cardio.ObjCardCapabilities, cardio.CCCContent(chuid.GUID)) },
		func() error { return piv.WriteCertificate(ctx, cardio.SlotSignature, certDER) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if err := card.Close(); err != nil {
		t.Fatal(err)
	}

	// OpenSC's side.
	if list := ossl.ListCertificates(); !strings.Contains(list, "madoguchi test 0001") {
		t.Fatalf("pkcs11-tool does not list our certificate:\n%s", list)
	}
	if got := ossl.ReadCertificate("02"); !bytes.Equal(got, certDER) {
		t.Fatalf("certificate read by OpenSC differs from the one written (%d vs %d bytes)", len(got), len(certDER))
	}
	data := []byte("窓口 interop test data\n")
	sig := ossl.Sign("02", "SHA256-RSA-PKCS", cardio.DefaultPIN, data)
	ossl.VerifySHA256(certDER, data, sig)
}
