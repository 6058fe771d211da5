package sign_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madoguchi/app/sign"
	"madoguchi/app/sign/signtest"
	"madoguchi/app/verify"
	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
)

// goodSource says every certificate is good (the revocation service is
// tested in package verify).
type goodSource struct{}

func (goodSource) Status(context.Context, *x509.Certificate, *x509.Certificate, time.Time) (*verify.RevocationInfo, error) {
	now := time.Now()
	return &verify.RevocationInfo{Method: "ocsp", ProducedAt: now, ThisUpdate: now, NextUpdate: now.Add(time.Hour)}, nil
}

// TestPCSCInterop issues a card through pcscd + vpcd with the counter's
// keygen path, then, both ways:
//   - ours, signed through pcscd, verifies with `openssl cms -verify`
//     against the prefecture root, and in our verifier;
//   - our signed PDF verifies with poppler's pdfsig;
//   - a CMS made by OpenSSL with OpenSC's PKCS#11 module (libp11's
//     engine) on the same card verifies in ours, with the form compared.
func TestPCSCInterop(t *testing.T) {
	openssl := lookTool(t, "openssl")
	ca := signtest.NewCA(t, "東京都")
	emu := cardio.NewEmulator(cardio.EmulatorOptions{})
	slot := pcsctest.AttachSlot(t, emu)
	items := signtest.Items(t, signtest.Form())
	cert := ca.IssueCard(t, slot.Reader, items, "")
	ver, err := verify.New(verify.Options{Roots: []*x509.Certificate{ca.Root}, Revocation: goodSource{}})
	if err != nil {
		t.Fatal(err)
	}
	form, err := verify.ParseForm(formJSON)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root.pem")
	writePEM(t, root, ca.Root)
	doc := filepath.Join(dir, "form.json")
	os.WriteFile(doc, formJSON, 0o600)

	ctx := context.Background()
	card, err := sign.OpenCard(ctx, slot.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := sign.CMS(formJSON, card.Signer(signtest.PIN, ca.Chain()), true)
	if err != nil {
		t.Fatal(err)
	}
	pdfSigned, err := sign.PDF(testPDF(t), card.Signer(signtest.PIN, ca.Chain()), sign.PDFInfo{Reason: "住民票の写しの交付申請"})
	if err != nil {
		t.Fatal(err)
	}
	card.Close()

	t.Run("openssl verifies ours", func(t *testing.T) {
		p7 := filepath.Join(dir, "ours.p7s")
		os.WriteFile(p7, der, 0o600)
		out, err := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", p7, "-content", doc,
			"-CAfile", root, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Verification successful") {
			t.Fatalf("openssl cms -verify: %v\n%s", err, out)
		}
		if r := ver.VerifyCMS(ctx, der, formJSON, form); !r.OK {
			t.Fatalf("ours refuses ours:\n%s", r.Text())
		}
	})
	t.Run("pdfsig verifies our PDF", func(t *testing.T) {
		pdfsigVerifies(t, ca, pdfSigned)
		if r := ver.VerifyPDF(ctx, pdfSigned, form); !r.OK {
			t.Fatalf("ours refuses our PDF:\n%s", r.Text())
		}
	})
	t.Run("ours verifies OpenSSL with OpenSC", func(t *testing.T) {
		p7 := opensslPKCS11Sign(t, slot.Reader.Name(), cert, ca, doc)
		r := ver.VerifyCMS(ctx, p7, formJSON, form)
		if !r.OK {
			t.Fatalf("ours refuses OpenSSL's CMS:\n%s", r.Text())
		}
		if r.Signer == nil || r.Signer.Serial != cert.SerialNumber.String() {
			t.Fatalf("signer %+v; want the card's certificate", r.Signer)
		}
		changed := bytes.Replace(formJSON, []byte("1-2-3"), []byte("1-2-4"), 1)
		if r := ver.VerifyCMS(ctx, p7, changed, form); r.OK || r.Check(verify.CheckSignature).Status != verify.Failed {
			t.Fatalf("a changed form verified:\n%s", r.Text())
		}
	})
}

// formJSON is the resident's signed application.
var formJSON = []byte(`{"申請":"住民票の写しの交付","氏名":"髙橋 﨑子","住所":"東京都千代田区霞が関1-2-3 髙ハイツ101","生年月日":"昭和37年6月17日","性別":"女"}`)

// opensscModules are where Debian installs OpenSC's PKCS#11 module and
// libp11's OpenSSL engine.
var (
	openscModules = []string{"/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so"}
	p11Engines    = []string{"/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so", "/usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so"}
)

func firstFile(t *testing.T, what string, paths []string) string {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if pcsctest.Required() {
		t.Fatalf("%s not found (Debian packages opensc-pkcs11, libengine-pkcs11-openssl)", what)
	}
	t.Skipf("%s not found", what)
	return ""
}

// opensslPKCS11Sign has `openssl cms -sign` sign doc with the card's key
// through libp11's engine and OpenSC's module, the PIN given in the
// PKCS#11 URI, and returns the DER.
func opensslPKCS11Sign(t *testing.T, reader string, cert *x509.Certificate, ca *signtest.CA, doc string) []byte {
	module := firstFile(t, "opensc-pkcs11.so", openscModules)
	engine := firstFile(t, "libp11 engine pkcs11.so", p11Engines)
	dir := t.TempDir()
	conf := filepath.Join(dir, "opensc.conf")
	os.WriteFile(conf, []byte("app default {\n\tcard_drivers = PIV-II;\n\tframework pkcs15 {\n\t\tuse_file_caching = no;\n\t}\n}\n"), 0o644)
	osslConf := filepath.Join(dir, "openssl.cnf")
	os.WriteFile(osslConf, []byte(fmt.Sprintf(`openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = %s
MODULE_PATH = %s
init = 0
`, engine, module)), 0o644)
	signer := filepath.Join(dir, "signer.pem")
	writePEM(t, signer, cert)
	chain := filepath.Join(dir, "chain.pem")
	writePEM(t, chain, ca.Issuing)
	out := filepath.Join(dir, "openssl.p7s")
	cmd := exec.Command("openssl", "cms", "-sign", "-binary", "-md", "sha256", "-engine", "pkcs11", "-keyform", "engine",
		"-inkey", "pkcs11:id=%02;type=private;pin-value="+string(signtest.PIN),
		"-passin", "pass:"+string(signtest.PIN), // the context-specific login of the PIN-always key
		"-signer", signer, "-certfile", chain, "-in", doc, "-outform", "DER", "-out", out)
	cmd.Env = append(os.Environ(), "OPENSSL_CONF="+osslConf, "OPENSC_CONF="+conf, "OPENSC_DRIVER=PIV-II", "HOME="+dir)
	// libp11 asks for the PIN again for the context-specific login of the
	// PIN-always key through OpenSSL's UI, which reads standard input
	// when there is no terminal.
	cmd.Stdin = strings.NewReader(string(signtest.PIN) + "\n")
	noTerminal(cmd)
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl cms -sign with the PKCS#11 engine (reader %s): %v\n%s", reader, err, o)
	}
	der, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
