package sign_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"

	"madoguchi/app/sign"
	"madoguchi/app/sign/signtest"
)

// lookTool finds a command line tool; under CI a missing tool fails.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required under CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func writePEM(t *testing.T, path string, certs ...*x509.Certificate) {
	t.Helper()
	var b bytes.Buffer
	for _, c := range certs {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestCMSOpenSSLVerifies signs on an issued emulated card, attached and
// detached, and has `openssl cms -verify` check the result against the
// prefecture root alone; a changed document must then fail.
func TestCMSOpenSSLVerifies(t *testing.T) {
	openssl := lookTool(t, "openssl")
	ca := signtest.NewCA(t, "東京都")
	r, cert := ca.EmulatedCard(t, signtest.Items(t, signtest.Form()), "")
	card, err := sign.OpenCard(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	if !card.Certificate().Equal(cert) {
		t.Fatal("the card's certificate is not the issued one")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root.pem")
	writePEM(t, root, ca.Root)
	doc := []byte(`{"氏名":"髙橋 﨑子","申請":"住民票の写し"}`)
	docPath := filepath.Join(dir, "doc.json")
	os.WriteFile(docPath, doc, 0o600)
	changed := filepath.Join(dir, "changed.json")
	os.WriteFile(changed, bytes.Replace(doc, []byte("住民票"), []byte("戸籍"), 1), 0o600)

	for _, tc := range []struct {
		name     string
		detached bool
	}{{"attached", false}, {"detached", true}} {
		t.Run(tc.name, func(t *testing.T) {
			der, err := sign.CMS(doc, card.Signer(signtest.PIN, ca.Chain()), tc.detached)
			if err != nil {
				t.Fatal(err)
			}
			p7 := filepath.Join(dir, tc.name+".p7s")
			os.WriteFile(p7, der, 0o600)
			args := []string{"cms", "-verify", "-binary", "-inform", "DER", "-in", p7, "-CAfile", root, "-purpose", "any", "-out", filepath.Join(dir, tc.name+".out")}
			if tc.detached {
				args = append(args, "-content", docPath)
			}
			out, err := exec.Command(openssl, args...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Verification successful") {
				t.Fatalf("openssl cms -verify: %v\n%s", err, out)
			}
			got, _ := os.ReadFile(filepath.Join(dir, tc.name+".out"))
			if !bytes.Equal(got, doc) {
				t.Fatalf("openssl gave content %q, want %q", got, doc)
			}
			if tc.detached {
				args[len(args)-1] = changed
				out, err := exec.Command(openssl, args...).CombinedOutput()
				if err == nil {
					t.Fatalf("openssl verified a changed document:\n%s", out)
				}
			}
			// signingCertificateV2 is among the signed attributes.
			out, _ = exec.Command(openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", p7).CombinedOutput()
			if !strings.Contains(string(out), "id-smime-aa-signingCertificateV2") {
				t.Errorf("no signingCertificateV2 in\n%s", out)
			}
		})
	}
}

// TestCMSWrongPIN refuses to sign with a wrong PIN, and the card says so.
func TestCMSWrongPIN(t *testing.T) {
	ca := signtest.NewCA(t, "東京都")
	r, _ := ca.EmulatedCard(t, signtest.Items(t, signtest.Form()), "")
	card, err := sign.OpenCard(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	if _, err := sign.CMS([]byte("x"), card.Signer([]byte("999999"), nil), true); err == nil {
		t.Fatal("signed with a wrong PIN")
	}
}

// testPDF makes a one-page PDF.
func testPDF(t testing.TB) []byte {
	t.Helper()
	p := fpdf.New("P", "mm", "A4", "")
	p.AddPage()
	p.SetFont("Helvetica", "", 14)
	p.Cell(40, 10, "Application for a copy of the residence record")
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPDFPdfsigVerifies signs a PDF on the card and has poppler's pdfsig
// check it against the prefecture root.
func TestPDFPdfsigVerifies(t *testing.T) {
	ca := signtest.NewCA(t, "東京都")
	r, _ := ca.EmulatedCard(t, signtest.Items(t, signtest.Form()), "")
	card, err := sign.OpenCard(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	signed, err := sign.PDF(testPDF(t), card.Signer(signtest.PIN, ca.Chain()), sign.PDFInfo{Name: "髙橋 﨑子", Reason: "住民票の写しの交付申請"})
	if err != nil {
		t.Fatal(err)
	}
	dir, path, nss := pdfsigVerifies(t, ca, signed)
	_ = dir
	// Bytes appended after the signature: pdfsig no longer says the
	// whole document is signed.
	os.WriteFile(path, append(signed, []byte("\n% appended\n")...), 0o600)
	out, _ := exec.Command("pdfsig", "-nssdir", "sql:"+nss, path).CombinedOutput()
	if strings.Contains(string(out), "Total document signed") {
		t.Fatalf("pdfsig says an appended PDF is wholly signed:\n%s", out)
	}
}

// pdfsigVerifies has poppler's pdfsig check signed against ca's root in
// a fresh NSS database and fails the test unless the signature is valid,
// trusted and covers the whole document. It returns the work directory,
// the PDF's path and the NSS directory.
func pdfsigVerifies(t *testing.T, ca *signtest.CA, signed []byte) (dir, path, nss string) {
	t.Helper()
	pdfsig := lookTool(t, "pdfsig")
	dir = t.TempDir()
	path = filepath.Join(dir, "signed.pdf")
	os.WriteFile(path, signed, 0o600)
	// pdfsig reads trusted roots from an NSS database.
	nss = filepath.Join(dir, "nss")
	os.Mkdir(nss, 0o700)
	root := filepath.Join(dir, "root.pem")
	writePEM(t, root, ca.Root)
	certutil := lookTool(t, "certutil")
	if out, err := exec.Command(certutil, "-N", "-d", "sql:"+nss, "--empty-password").CombinedOutput(); err != nil {
		t.Fatalf("certutil -N: %v\n%s", err, out)
	}
	if out, err := exec.Command(certutil, "-A", "-d", "sql:"+nss, "-n", "root", "-t", "CT,C,C", "-i", root).CombinedOutput(); err != nil {
		t.Fatalf("certutil -A: %v\n%s", err, out)
	}
	out, err := exec.Command(pdfsig, "-nssdir", "sql:"+nss, path).CombinedOutput()
	s := string(out)
	if err != nil || !strings.Contains(s, "Signature is Valid") || !strings.Contains(s, "Certificate is Trusted") ||
		!strings.Contains(s, "Total document signed") {
		t.Fatalf("pdfsig: %v\n%s", err, s)
	}
	return dir, path, nss
}
