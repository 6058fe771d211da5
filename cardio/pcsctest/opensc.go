package pcsctest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// OpenSC drives independent middleware against the card in the vpcd
// reader: OpenSC's pkcs11-tool through opensc-pkcs11.so, with the PIV
// driver pinned (the emulator's ATR is unknown to OpenSC) and file caching
// off, and openssl to verify what it produced.
type OpenSC struct {
	t      testing.TB
	module string
	dir    string
	env    []string
	reader string // PC/SC reader name, or "" for the first with a card
}

// moduleCandidates are where Debian and other systems install the module.
var moduleCandidates = []string{
	"/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
	"/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
	"/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so",
	"/usr/lib64/opensc-pkcs11.so",
	"/usr/lib/opensc-pkcs11.so",
}

// NewOpenSC finds pkcs11-tool, openssl and the OpenSC module. Missing
// tools fail the test under CI or MADOGUCHI_PCSCD and skip it otherwise.
func NewOpenSC(t testing.TB) *OpenSC {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if Required() {
			t.Fatalf("%s not found: install the Debian packages opensc, opensc-pkcs11 and openssl", what)
		}
		t.Skipf("skipped, %s not found", what)
	}
	for _, tool := range []string{"pkcs11-tool", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing(tool)
		}
	}
	o := &OpenSC{t: t, dir: t.TempDir()}
	for _, p := range moduleCandidates {
		if _, err := os.Stat(p); err == nil {
			o.module = p
			break
		}
	}
	if o.module == "" {
		missing("opensc-pkcs11.so")
	}
	conf := filepath.Join(o.dir, "opensc.conf")
	err := os.WriteFile(conf, []byte("app default {\n\tcard_drivers = PIV-II;\n\tframework pkcs15 {\n\t\tuse_file_caching = no;\n\t}\n}\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	o.env = append(os.Environ(), "OPENSC_CONF="+conf, "OPENSC_DRIVER=PIV-II", "HOME="+o.dir)
	return o
}

// Path returns a file name in the tool's working directory.
func (o *OpenSC) Path(name string) string { return filepath.Join(o.dir, name) }

// run runs a tool in the working directory and fails the test on error.
func (o *OpenSC) run(name string, args ...string) string {
	o.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = o.env
	cmd.Dir = o.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		o.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// PKCS11 runs pkcs11-tool with OpenSC's module and returns its output.
func (o *OpenSC) PKCS11(args ...string) string {
	o.t.Helper()
	pre := []string{"--module", o.module}
	if o.reader != "" {
		pre = append(pre, "--slot-description", o.reader)
	}
	return o.run("pkcs11-tool", append(pre, args...)...)
}

// UseReader makes every later command use the card in the PC/SC reader
// name rather than the first card pcscd has.
func (o *OpenSC) UseReader(name string) { o.reader = name }

// Tool runs one of OpenSC's card tools (opensc-tool, pkcs15-tool) on the
// reader set by UseReader (or the first with a card), with the same
// configuration as PKCS11, and returns its output. A failure fails the
// test.
func (o *OpenSC) Tool(name string, args ...string) string {
	o.t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if Required() {
			o.t.Fatalf("%s not found: install the Debian package opensc", name)
		}
		o.t.Skipf("skipped, %s not found", name)
	}
	if o.reader != "" {
		args = append([]string{"--reader", o.reader}, args...)
	}
	return o.run(name, args...)
}

// ListCertificates returns pkcs11-tool's listing of certificate objects.
func (o *OpenSC) ListCertificates() string {
	o.t.Helper()
	return o.PKCS11("--list-objects", "--type", "cert")
}

// ReadCertificate returns the DER certificate with the given PKCS#11 ID
// (OpenSC gives slot 9C the ID 02).
func (o *OpenSC) ReadCertificate(id string) []byte {
	o.t.Helper()
	o.PKCS11("--read-object", "--type", "cert", "--id", id, "-o", "cert-"+id+".der")
	der, err := os.ReadFile(o.Path("cert-" + id + ".der"))
	if err != nil {
		o.t.Fatal(err)
	}
	return der
}

// Sign signs data with the key of the given ID after logging in with pin.
// mechanism is a pkcs11-tool mechanism such as SHA256-RSA-PKCS or
// ECDSA-SHA256; ECDSA signatures come back DER-encoded, as openssl wants.
func (o *OpenSC) Sign(id, mechanism string, pin, data []byte) []byte {
	o.t.Helper()
	if err := os.WriteFile(o.Path("data"), data, 0o600); err != nil {
		o.t.Fatal(err)
	}
	args := []string{"--sign", "--mechanism", mechanism, "--id", id, "--login", "--pin", string(pin),
		"-i", "data", "-o", "sig"}
	if strings.HasPrefix(mechanism, "ECDSA") {
		args = append(args, "--signature-format", "openssl")
	}
	o.PKCS11(args...)
	sig, err := os.ReadFile(o.Path("sig"))
	if err != nil {
		o.t.Fatal(err)
	}
	return sig
}

// VerifySHA256 has openssl verify a SHA-256 signature over data with the
// public key of the DER certificate, and fails the test if it does not.
func (o *OpenSC) VerifySHA256(certDER, data, sig []byte) {
	o.t.Helper()
	for name, b := range map[string][]byte{"verify.der": certDER, "verify.data": data, "verify.sig": sig} {
		if err := os.WriteFile(o.Path(name), b, 0o600); err != nil {
			o.t.Fatal(err)
		}
	}
	o.run("openssl", "x509", "-inform", "DER", "-in", "verify.der", "-pubkey", "-noout", "-out", "verify.pem")
	out := o.run("openssl", "dgst", "-sha256", "-verify", "verify.pem", "-signature", "verify.sig", "verify.data")
	if !strings.Contains(out, "Verified OK") {
		o.t.Fatalf("openssl did not verify the signature: %s", out)
	}
}
