package verify_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madoguchi/app/sign/signtest"
	"madoguchi/app/verify"
)

// TestOpenSSLSignerBySKI verifies CMS made by `openssl cms -sign`, with
// the signer named by issuer and serial and (-keyid) by subject key
// identifier.
func TestOpenSSLSignerBySKI(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is required under CI")
		}
		t.Skip("openssl not installed")
	}
	fx := newFixture(t)
	cert, key := fx.ca.IssueKey(t, signtest.Items(t, signtest.Form()), fx.rs.OCSPURL())
	if len(cert.SubjectKeyId) == 0 {
		t.Fatal("the test certificate has no subject key identifier")
	}
	dir := t.TempDir()
	write := func(name string, blocks ...*pem.Block) string {
		var b []byte
		for _, bl := range blocks {
			b = append(b, pem.EncodeToMemory(bl)...)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := write("key.pem", &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	certFile := write("cert.pem", &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	chainFile := write("chain.pem", &pem.Block{Type: "CERTIFICATE", Bytes: fx.ca.Issuing.Raw})
	doc := filepath.Join(dir, "form.json")
	os.WriteFile(doc, application, 0o600)
	for _, tc := range []struct {
		name  string
		extra []string
		want  string
	}{
		{"issuer and serial", nil, "発行者名とシリアル番号"},
		{"subject key identifier", []string{"-keyid"}, "サブジェクト鍵識別子"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out.p7s")
			args := append([]string{"cms", "-sign", "-binary", "-md", "sha256", "-in", doc, "-signer", certFile, "-inkey", keyFile,
				"-certfile", chainFile, "-outform", "DER", "-out", out}, tc.extra...)
			if o, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
				t.Fatalf("openssl cms -sign: %v\n%s", err, o)
			}
			der, _ := os.ReadFile(out)
			r := fx.ver.VerifyCMS(context.Background(), der, application, mustForm(t, application))
			if !r.OK || !strings.Contains(r.Check(verify.CheckSigner).Detail, tc.want) {
				t.Fatalf("want OK with the signer found by %s:\n%s", tc.want, r.Text())
			}
		})
	}
}

// TestStaleRevocation: an OCSP answer whose nextUpdate is before the time
// of receipt is refused as stale, never taken as good.
func TestStaleRevocation(t *testing.T) {
	fx := newFixture(t)
	cert, key := fx.ca.IssueKey(t, signtest.Items(t, signtest.Form()), fx.rs.OCSPURL())
	later := func() time.Time { return time.Now().Add(3 * time.Hour) } // the responder's answers last an hour
	ver, err := verify.New(verify.Options{Roots: []*x509.Certificate{fx.ca.Root}, Revocation: remoteFor(fx.rs), Now: later})
	if err != nil {
		t.Fatal(err)
	}
	der := signCMS(t, cert, key, fx.ca)
	r := ver.VerifyCMS(context.Background(), der, application, nil)
	c := r.Check(verify.CheckRevocation)
	if r.OK || c.Status != verify.Failed || !strings.Contains(c.Err, "expired at") {
		t.Fatalf("stale answer: %+v\n%s", c, r.Text())
	}
}
