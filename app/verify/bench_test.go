package verify_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"madoguchi/app/sign"
	"madoguchi/app/sign/signtest"
	"madoguchi/app/verify"
)

// application10KB is a signed application of about 10 KB: the form with
// a long free-text member.
func application10KB() []byte {
	pad := bytes.Repeat([]byte("あ"), (10*1024-len(application))/3)
	return append(bytes.TrimSuffix(append([]byte{}, application...), []byte("}")), `,"備考":"`+string(pad)+`"}`...)
}

// BenchmarkVerify10KB measures verifications per second of a 10 KB
// detached CMS application with the form compared, on all cores:
// "cached" reuses the OCSP answer, "uncached" asks the responder over
// loopback mutual TLS each time, and "openssl" runs `openssl cms -verify`
// on the same file as the baseline (one process per verification, as a
// script would).
func BenchmarkVerify10KB(b *testing.B) {
	doc := application10KB()
	fx := newFixture(b)
	cert, key := fx.ca.IssueKey(b, signtest.Items(b, signtest.Form()), fx.rs.OCSPURL())
	der, err := sign.CMS(doc, sign.Signer{Key: key, Certificate: cert, Chain: []*x509.Certificate{fx.ca.Issuing}}, true)
	if err != nil {
		b.Fatal(err)
	}
	form := mustForm(b, doc)
	run := func(b *testing.B, ver *verify.Verifier) {
		if r := ver.VerifyCMS(context.Background(), der, doc, form); !r.OK {
			b.Fatalf("not OK:\n%s", r.Text())
		}
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if r := ver.VerifyCMS(context.Background(), der, doc, form); !r.OK {
					b.Error("not OK")
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
	}
	b.Run("cached", func(b *testing.B) { run(b, fx.ver) })
	b.Run("uncached", func(b *testing.B) {
		remote := remoteFor(fx.rs)
		remote.MaxAge = time.Nanosecond
		ver, err := verify.New(verify.Options{Roots: []*x509.Certificate{fx.ca.Root}, Revocation: remote})
		if err != nil {
			b.Fatal(err)
		}
		run(b, ver)
	})
	b.Run("openssl", func(b *testing.B) {
		openssl, err := exec.LookPath("openssl")
		if err != nil {
			b.Skip("openssl not installed")
		}
		dir := b.TempDir()
		write := func(name string, data []byte) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o600); err != nil {
				b.Fatal(err)
			}
			return p
		}
		root := write("root.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fx.ca.Root.Raw}))
		p7, content := write("a.p7s", der), write("a.json", doc)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				out, err := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", p7, "-content", content,
					"-CAfile", root, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
				if err != nil {
					b.Errorf("openssl: %v\n%s", err, out)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
	})
}
