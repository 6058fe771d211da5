package keygen_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
	"madoguchi/keygen"
)

// opensslVerifyCMS has openssl check a detached CMS signature over content
// (signature only: the signer certificate is self-signed) and returns
// whether it verified, with openssl's output.
func opensslVerifyCMS(t *testing.T, sig, content []byte) (bool, string) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		if pcsctest.Required() {
			t.Fatal("openssl not found: install the Debian package openssl")
		}
		t.Skip("skipped, openssl not found")
	}
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "sig.der"), sig, 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "content"), content, 0o600))
	cmd := exec.Command("openssl", "cms", "-verify", "-inform", "DER", "-in", "sig.der",
		"-content", "content", "-binary", "-noverify", "-out", os.DevNull)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return err == nil && strings.Contains(string(out), "Verification successful"), string(out)
}

// TestCHUIDSignature checks the CHUID signer: one key per master secret,
// a certificate for PIV content signing, and a CMS signature that openssl
// verifies over the CHUID's signed elements and rejects over others.
func TestCHUIDSignature(t *testing.T) {
	s1, err := keygen.NewCHUIDSigner(testMaster)
	must(t, err)
	s2, err := keygen.NewCHUIDSigner(testMaster)
	must(t, err)
	other, err := keygen.NewCHUIDSigner([]byte("another municipality's secret!!"))
	must(t, err)
	if !s1.Certificate().PublicKey.(*ecdsa.PublicKey).Equal(s2.Public()) {
		t.Fatal("the same master secret gives two CHUID signer keys")
	}
	if s1.Certificate().PublicKey.(*ecdsa.PublicKey).Equal(other.Public()) {
		t.Fatal("two master secrets give the same CHUID signer key")
	}
	if _, err := keygen.NewCHUIDSigner([]byte("short")); err == nil {
		t.Fatal("a short master secret was accepted")
	}
	pivContentSigning := asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 6, 7}
	if eku := s1.Certificate().UnknownExtKeyUsage; len(eku) != 1 || !eku[0].Equal(pivContentSigning) {
		t.Fatalf("signer certificate EKU %v, want id-PIV-content-signing", eku)
	}

	chuid, err := cardio.NewCHUID(time.Date(2035, 3, 31, 0, 0, 0, 0, time.UTC))
	must(t, err)
	must(t, s1.Sign(&chuid))
	otherCHUID, _ := cardio.NewCHUID(time.Date(2035, 3, 31, 0, 0, 0, 0, time.UTC))
	for _, tt := range []struct {
		name    string
		content []byte
		want    bool
	}{
		{"its own elements", chuid.SignedContent(), true},
		{"another card's elements", otherCHUID.SignedContent(), false},
		{"the whole object", chuid.Marshal(), false},
	} {
		if ok, out := opensslVerifyCMS(t, chuid.Signature, tt.content); ok != tt.want {
			t.Errorf("%s: openssl verified %v, want %v\n%s", tt.name, ok, tt.want, out)
		}
	}
}

// TestPrepareWritesSignedCHUID checks that Prepare on a blank card writes
// a CHUID whose signature openssl verifies and whose signer is the
// municipality's.
func TestPrepareWritesSignedCHUID(t *testing.T) {
	ctx := context.Background()
	emu, r := emulated(t)
	card, _ := open(t, r)
	must(t, card.Prepare(ctx, testMaster))
	content, ok := emu.Object(cardio.ObjCHUID)
	if !ok {
		t.Fatal("no CHUID written")
	}
	chuid, err := cardio.ParseCHUID(content)
	must(t, err)
	if len(chuid.Signature) == 0 {
		t.Fatal("the CHUID has no issuer signature")
	}
	if ok, out := opensslVerifyCMS(t, chuid.Signature, chuid.SignedContent()); !ok {
		t.Fatalf("openssl does not verify the CHUID signature:\n%s", out)
	}
	signer, err := keygen.NewCHUIDSigner(testMaster)
	must(t, err)
	if !bytes.Contains(chuid.Signature, signer.Certificate().RawSubjectPublicKeyInfo) {
		t.Fatal("the signature does not carry the municipality's CHUID signer")
	}
	if _, err := x509.ParseCertificate(signer.Certificate().Raw); err != nil {
		t.Fatal(err)
	}
}
