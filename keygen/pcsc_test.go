package keygen_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
	"madoguchi/keygen"
)

// TestIssuanceThroughPCSC runs the card half through ebfe/scard, pcscd
// and vpcd, then has OpenSC sign with the resident's PIN and openssl
// verify the signature with the written certificate.
func TestIssuanceThroughPCSC(t *testing.T) {
	for _, tt := range []struct {
		name      string
		alg       keygen.Algorithm
		mechanism string
	}{
		{"RSA-2048", keygen.AlgRSA2048, "SHA256-RSA-PKCS"},
		{"P-256", keygen.AlgP256, "ECDSA-SHA256"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ossl := pcsctest.NewOpenSC(t)
			emu := cardio.NewEmulator(cardio.EmulatorOptions{})
			slot := pcsctest.AttachSlot(t, emu)
			ossl.UseReader(slot.Reader.Name()) // not a card in vpcd's other slot
			cert := issueCard(t, slot.Reader, tt.alg)

			// The card is closed and reset after the issuance; OpenSC
			// now uses it like any PIV card.
			closeAll()
			if list := ossl.ListCertificates(); !strings.Contains(list, "0000000001") {
				t.Fatalf("pkcs11-tool does not list the certificate:\n%s", list)
			}
			if got := ossl.ReadCertificate("02"); !bytes.Equal(got, cert.Raw) {
				t.Fatal("OpenSC reads another certificate than the one written")
			}
			data := []byte("電子申請書 2024-04-01\n")
			sig := ossl.Sign("02", tt.mechanism, residentPIN, data)
			ossl.VerifySHA256(cert.Raw, data, sig)
		})
	}
}

// closeAll closes the connections made so far by open: ours are
// exclusive, and pcscd keeps a handle's claim until it is closed, even
// after the card was removed.
func closeAll() {
	for _, c := range openConns {
		c.Close()
	}
	openConns = nil
}

// TestPCSCRemovalAndWrongPIN covers a removal between steps and the PIN
// counter through pcscd.
func TestPCSCRemovalAndWrongPIN(t *testing.T) {
	ctx := context.Background()
	emu := cardio.NewEmulator(cardio.EmulatorOptions{})
	slot := pcsctest.AttachSlot(t, emu)
	card, _ := open(t, slot.Reader)
	must(t, card.Prepare(ctx, testMaster))
	must(t, card.SetPIN(ctx, residentPIN, residentPIN))
	slot.Remove()
	_, err := card.GenerateKey(ctx, keygen.AlgRSA2048)
	var se *keygen.StepError
	if !errors.As(err, &se) || !se.CardUsable || !cardio.IsCardGone(err) || se.Step != keygen.StepGenerate {
		t.Fatalf("GenerateKey after removal through pcscd: %v", err)
	}
	closeAll()
	slot.Insert(emu)
	cert := issueCard(t, slot.Reader, keygen.AlgRSA2048)

	closeAll()
	card, _ = open(t, slot.Reader)
	digest := sha256.Sum256([]byte("x"))
	_, err = card.Signer([]byte("000000")).Sign(rand.Reader, digest[:], crypto.SHA256)
	var st *cardio.StatusError
	if !errors.As(err, &st) || st.SW != 0x63C2 {
		t.Fatalf("wrong PIN through pcscd: %v", err)
	}
	sig, err := card.Signer(residentPIN).Sign(rand.Reader, digest[:], crypto.SHA256)
	must(t, err)
	verify(t, cert.PublicKey, digest[:], sig)
}
