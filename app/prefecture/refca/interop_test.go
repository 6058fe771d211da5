package refca

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"madoguchi/app/prefecture"
)

// needTool skips (or, in CI, fails) when a command is missing.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// estclientVersion is the pinned version of the independent EST client.
const estclientVersion = "v1.0.6"

// buildESTClient builds github.com/globalsign/est/cmd/estclient at the
// pinned version in a scratch module (its own dependencies, resolved from
// the module cache or the Go proxy), like `go install ...@v1.0.6` would.
func buildESTClient(t *testing.T) string {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = needTool(t, "go")
	}
	mod := t.TempDir()
	files := map[string]string{
		"go.mod":   "module estclientbuild\n\ngo 1.21\n\nrequire github.com/globalsign/est " + estclientVersion + "\n",
		"tools.go": "//go:build tools\n\npackage tools\n\nimport _ \"github.com/globalsign/est/cmd/estclient\"\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(t.TempDir(), "estclient")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/globalsign/est/cmd/estclient")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("building estclient %s: %v\n%s", estclientVersion, err, out)
		}
		t.Skipf("cannot build estclient %s (no module cache or proxy?): %v\n%s", estclientVersion, err, out)
	}
	return bin
}

func run(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestInteroperability enrolls with globalsign/est's estclient command and
// checks the certificate and the CRLs with openssl.
func TestInteroperability(t *testing.T) {
	openssl := needTool(t, "openssl")
	estclient := buildESTClient(t)
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	work := t.TempDir()
	host := strings.TrimPrefix(e.url, "https://")
	caPEM := filepath.Join(e.dir, FileCACert)
	common := []string{"-server", host, "-explicit", caPEM, "-certs", filepath.Join(e.dir, FileTerminalCert), "-key", filepath.Join(e.dir, FileTerminalKey)}

	// /cacerts and /csrattrs.
	cacerts := filepath.Join(work, "cacerts.pem")
	if out, err := run(t, estclient, append([]string{"cacerts", "-out", cacerts}, common...)...); err != nil {
		t.Fatalf("estclient cacerts: %v\n%s", err, out)
	}
	got, err := os.ReadFile(cacerts)
	if err != nil {
		t.Fatal(err)
	}
	if certs, err := prefecture.ParseCertificatesPEM(got); err != nil || len(certs) != 1 || !certs[0].Equal(e.ca.Root()) {
		t.Errorf("cacerts: %v", err)
	}
	if out, err := run(t, estclient, append([]string{"csrattrs"}, common...)...); err != nil || !strings.Contains(out, "1.2.840.113549.1.1.11") {
		t.Errorf("estclient csrattrs: %v\n%s", err, out)
	}

	// /simpleenroll with a JPKI request.
	csr := csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎"))
	csrFile := filepath.Join(work, "req.pem")
	writePEM(t, csrFile, "CERTIFICATE REQUEST", csr.Raw)
	certFile := filepath.Join(work, "cert.pem")
	if out, err := run(t, estclient, append([]string{"enroll", "-csr", csrFile, "-out", certFile}, common...)...); err != nil {
		t.Fatalf("estclient enroll: %v\n%s", err, out)
	}
	certPEMBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := prefecture.ParseCertificatesPEM(certPEMBytes)
	if err != nil {
		t.Fatal(err)
	}
	cert := certs[0]

	// A refusal reaches estclient with the CA's reason.
	badFile := filepath.Join(work, "bad.pem")
	writePEM(t, badFile, "CERTIFICATE REQUEST", csrFor(t, rsaKey(t, 1), resident("𠮟山\u3000花子")).Raw)
	if out, err := run(t, estclient, append([]string{"enroll", "-csr", badFile, "-out", filepath.Join(work, "bad-cert.pem")}, common...)...); err == nil ||
		!strings.Contains(out, prefecture.RefusalCharset) || !strings.Contains(out, "U+20B9F") {
		t.Errorf("refused enroll: err %v\n%s", err, out)
	}

	// openssl reads the certificate and verifies it against the CA root.
	text, err := run(t, openssl, "x509", "-in", certFile, "-noout", "-text", "-nameopt", "utf8,sep_comma_plus_space")
	if err != nil {
		t.Fatalf("openssl x509: %v\n%s", err, text)
	}
	for _, want := range []string{
		"Subject: C=JP, L=" + testPrefecture + ", L=" + testMunicipality + ", CN=" + cert.SerialNumber.String(),
		"X509v3 Key Usage: critical",
		"Digital Signature, Non Repudiation",
		"Policy: " + DefaultPolicyOID,
		"URI:" + e.ca.RevocationURL() + Partition{testCode, shardOf(cert.SerialNumber, DefaultCRLShards)}.FullPath(),
		"X509v3 Subject Key Identifier",
		"X509v3 Authority Key Identifier",
		"X509v3 Subject Alternative Name",
		"Public-Key: (2048 bit)",
		"sha256WithRSAEncryption",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("openssl x509 output lacks %q:\n%s", want, text)
		}
	}
	if out, err := run(t, openssl, "verify", "-CAfile", caPEM, certFile); err != nil || !strings.Contains(out, "OK") {
		t.Errorf("openssl verify: %v\n%s", err, out)
	}

	// Revoke, then openssl reads both CRLs and finds the certificate revoked.
	if _, err := e.client.Revoke(ctx, cert.SerialNumber, prefecture.ReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	serialHex := strings.ToUpper(fmt.Sprintf("%X", cert.SerialNumber))
	if len(serialHex)%2 == 1 {
		serialHex = "0" + serialHex
	}
	if _, err := e.ca.RegenerateCRLs(ctx); err != nil {
		t.Fatal(err)
	}
	for _, scope := range []string{testCode} {
		der, err := e.ca.FullCRL(ctx, Partition{testCode, shardOf(cert.SerialNumber, DefaultCRLShards)})
		if err != nil {
			t.Fatal(err)
		}
		crlFile := filepath.Join(work, "crl"+scope+".der")
		if err := os.WriteFile(crlFile, der, 0o644); err != nil {
			t.Fatal(err)
		}
		text, err := run(t, openssl, "crl", "-in", crlFile, "-inform", "DER", "-noout", "-text")
		if err != nil {
			t.Fatalf("openssl crl: %v\n%s", err, text)
		}
		for _, want := range []string{"X509v3 CRL Number", "Next Update", "Serial Number: " + serialHex, "Key Compromise"} {
			if !strings.Contains(text, want) {
				t.Errorf("CRL %q: openssl output lacks %q:\n%s", scope, want, text)
			}
		}
		if scope != "" && !strings.Contains(text, "Issuing Distribution Point: critical") {
			t.Errorf("municipality CRL lacks the IDP:\n%s", text)
		}
		crlPEM := filepath.Join(work, "crl"+scope+".pem")
		writePEM(t, crlPEM, "X509 CRL", der)
		out, err := run(t, openssl, "verify", "-crl_check", "-CAfile", caPEM, "-CRLfile", crlPEM, certFile)
		if err == nil || !strings.Contains(out, "certificate revoked") {
			t.Errorf("CRL %q: openssl verify -crl_check: %v\n%s", scope, err, out)
		}
	}

	// The issued certificate also parses in Go with its chain.
	if _, err := cert.Verify(x509.VerifyOptions{Roots: poolOf(e.ca.Root()), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Error(err)
	}
}

func poolOf(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}
