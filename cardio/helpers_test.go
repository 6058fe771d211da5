package cardio_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"madoguchi/cardio"
)

// hx decodes hex with optional spaces.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// insertNew returns a fresh emulated card in an emulated reader, with the
// PIV application selected.
func insertNew(t testing.TB, opts cardio.EmulatorOptions) (*cardio.Emulator, *cardio.EmulatedReader, *cardio.PIV) {
	t.Helper()
	emu := cardio.NewEmulator(opts)
	r := cardio.NewEmulatedReader("test reader")
	if err := r.Insert(emu); err != nil {
		t.Fatal(err)
	}
	card, err := r.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { card.Close() })
	piv, err := cardio.SelectPIV(context.Background(), card)
	if err != nil {
		t.Fatal(err)
	}
	return emu, r, piv
}

// cardSigner signs with a card slot, verifying the PIN right before, and
// pads RSA input as PKCS #1 v1.5 with a SHA-256 DigestInfo.
type cardSigner struct {
	piv  *cardio.PIV
	slot cardio.Slot
	pub  crypto.PublicKey
	pin  []byte
}

func (s cardSigner) Public() crypto.PublicKey { return s.pub }

func (s cardSigner) Sign(_ io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	ctx := context.Background()
	if s.pin != nil {
		if err := s.piv.Verify(ctx, s.pin); err != nil {
			return nil, err
		}
	}
	if _, ok := s.pub.(*ecdsa.PublicKey); ok {
		return s.piv.Sign(ctx, s.slot, cardio.AlgECCP256, digest)
	}
	return s.piv.Sign(ctx, s.slot, cardio.AlgRSA2048, pkcs1SHA256(digest))
}

// pkcs1SHA256 builds the 256-byte PKCS #1 v1.5 block for a SHA-256 digest.
func pkcs1SHA256(digest []byte) []byte {
	t := append(hx("3031300d060960864801650304020105000420"), digest...)
	block := bytes.Repeat([]byte{0xFF}, 256)
	block[0], block[1] = 0, 1
	block[256-len(t)-1] = 0
	copy(block[256-len(t):], t)
	return block
}

// checkSignature verifies a signature made by the card over digest.
func checkSignature(t testing.TB, pub crypto.PublicKey, digest, sig []byte) {
	t.Helper()
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig); err != nil {
			t.Fatalf("RSA signature does not verify: %v", err)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			t.Fatal("ECDSA signature does not verify")
		}
	default:
		t.Fatalf("unexpected key type %T", pub)
	}
}

// selfSigned makes a certificate for the card's key in slot 9C, signed by
// the card itself. Its size is like an issued certificate's (about 1.2 KB).
func selfSigned(t testing.TB, piv *cardio.PIV, pub crypto.PublicKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(42),
		Subject:               pkix.Name{Country: []string{"JP"}, Locality: []string{"東京都", "千代田区"}, CommonName: "madoguchi test 0001"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		CRLDistributionPoints: []string{"http://crl.example.jp/madoguchi/13101.crl"},
		DNSNames:              []string{strings.Repeat("a", 300) + ".example.jp"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, cardSigner{piv, cardio.SlotSignature, pub, cardio.DefaultPIN})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// exercisePIV runs the whole PIV command set against a blank card: it
// proves management key authentication, key generation, PIN-always
// signing, certificate and CHUID writing and reading, PIN counters and
// PUK reset. It works through any reader.
func exercisePIV(t testing.TB, card *cardio.Card) {
	t.Helper()
	ctx := context.Background()
	piv, err := cardio.SelectPIV(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := piv.GenerateKey(ctx, cardio.SlotSignature, cardio.AlgRSA2048); !isSW(err, 0x6982) {
		t.Fatalf("GENERATE before the management key: %v, want 6982", err)
	}
	if err := piv.Authenticate(ctx, cardio.DefaultManagementKey()); err != nil {
		t.Fatal(err)
	}
	pub, err := piv.GenerateKey(ctx, cardio.SlotSignature, cardio.AlgRSA2048)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("窓口"))
	if _, err := piv.Sign(ctx, cardio.SlotSignature, cardio.AlgRSA2048, pkcs1SHA256(digest[:])); !isSW(err, 0x6982) {
		t.Fatalf("signing without the PIN: %v, want 6982", err)
	}
	sig, err := cardSigner{piv, cardio.SlotSignature, pub, cardio.DefaultPIN}.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	checkSignature(t, pub, digest[:], sig)
	if _, err := piv.Sign(ctx, cardio.SlotSignature, cardio.AlgRSA2048, pkcs1SHA256(digest[:])); !isSW(err, 0x6982) {
		t.Fatalf("second signature after one VERIFY (PIN-always): %v, want 6982", err)
	}

	chuid, err := cardio.NewCHUID(time.Date(2031, 3, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if err := piv.WriteCHUID(ctx, chuid); err != nil {
		t.Fatal(err)
	}
	back, err := piv.ReadCHUID(ctx)
	if err != nil || back.GUID != chuid.GUID || !back.Expiry.Equal(chuid.Expiry) {
		t.Fatalf("CHUID read back %+v, %v; want %+v", back, err, chuid)
	}
	certDER := selfSigned(t, piv, pub)
	if err := piv.WriteCertificate(ctx, cardio.SlotSignature, certDER); err != nil {
		t.Fatal(err)
	}
	got, err := piv.ReadCertificate(ctx, cardio.SlotSignature)
	if err != nil || !bytes.Equal(got, certDER) {
		t.Fatalf("certificate read back differs (%d vs %d bytes): %v", len(got), len(certDER), err)
	}
	if _, err := piv.ReadCertificate(ctx, cardio.SlotAuthentication); !isSW(err, 0x6A82) {
		t.Fatalf("empty slot 9A certificate: %v, want 6A82", err)
	}

	// PIN counter, PIN change, PUK reset.
	if err := piv.Verify(ctx, []byte("999999")); !isSW(err, 0x63C2) {
		t.Fatalf("wrong PIN: %v, want 63C2", err)
	}
	if verified, tries, err := piv.PINStatus(ctx); err != nil || verified || tries != 2 {
		t.Fatalf("PIN status = %v %d %v, want not verified, 2 tries", verified, tries, err)
	}
	if err := piv.ChangeReference(ctx, cardio.RefPIN, cardio.DefaultPIN, []byte("A1B2C3D4")); err != nil {
		t.Fatal(err)
	}
	if err := piv.Verify(ctx, []byte("A1B2C3D4")); err != nil {
		t.Fatal(err)
	}
	if verified, _, err := piv.PINStatus(ctx); err != nil || !verified {
		t.Fatalf("PIN status after VERIFY = %v %v", verified, err)
	}
	if err := piv.ResetRetryCounter(ctx, cardio.DefaultPUK, []byte("482916")); err != nil {
		t.Fatal(err)
	}
	if err := piv.Verify(ctx, []byte("482916")); err != nil {
		t.Fatalf("new PIN after reset: %v", err)
	}
}

// isSW reports whether err is a card answer with status word sw.
func isSW(err error, sw uint16) bool {
	var se *cardio.StatusError
	return errors.As(err, &se) && se.SW == sw
}

func parseCert(der []byte) (*x509.Certificate, error) { return x509.ParseCertificate(der) }
