package cardio_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
)

// openscModule finds OpenSC's PKCS#11 module.
func openscModule(t *testing.T) string {
	t.Helper()
	for _, p := range []string{
		"/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
		"/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
		"/usr/lib/opensc-pkcs11.so",
		"/usr/lib64/opensc-pkcs11.so",
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if pcsctest.Required() {
		t.Fatal("opensc-pkcs11.so not found; install the Debian package opensc-pkcs11")
	}
	t.Skip("opensc-pkcs11.so not found")
	return ""
}

// TestOpenSCInterop writes a card with our code through pcscd, then has
// OpenSC's PKCS#11 module list the certificate, read it back byte for
// byte, and sign after the PIN, and has openssl verify the signature.
func TestOpenSCInterop(t *testing.T) {
	module := openscModule(t)
	for _, tool := range []string{"pkcs11-tool", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if pcsctest.Required() {
				t.Fatalf("%s not found: %v", tool, err)
			}
			t.Skipf("%s not found", tool)
		}
	}
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
	dir := t.TempDir()
	conf := filepath.Join(dir, "opensc.conf")
	os.WriteFile(conf, []byte("app default {\n\tcard_drivers = PIV-II;\n\tframework pkcs15 {\n\t\tuse_file_caching = no;\n\t}\n}\n"), 0o644)
	env := append(os.Environ(), "OPENSC_CONF="+conf, "OPENSC_DRIVER=PIV-II", "HOME="+dir)
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	list := run("pkcs11-tool", "--module", module, "--list-objects", "--type", "cert")
	if !strings.Contains(list, "madoguchi test 0001") {
		t.Fatalf("pkcs11-tool does not list our certificate:\n%s", list)
	}
	run("pkcs11-tool", "--module", module, "--read-object", "--type", "cert", "--id", "02", "-o", "cert.der")
	got, err := os.ReadFile(filepath.Join(dir, "cert.der"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, certDER) {
		t.Fatalf("certificate read by OpenSC differs from the one written (%d vs %d bytes)", len(got), len(certDER))
	}
	os.WriteFile(filepath.Join(dir, "data"), []byte("窓口 interop test data\n"), 0o644)
	run("pkcs11-tool", "--module", module, "--sign", "--mechanism", "SHA256-RSA-PKCS", "--id", "02",
		"--login", "--pin", string(cardio.DefaultPIN), "-i", "data", "-o", "sig")
	run("openssl", "x509", "-inform", "DER", "-in", "cert.der", "-pubkey", "-noout", "-out", "pub.pem")
	out := run("openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "data")
	if !strings.Contains(out, "Verified OK") {
		t.Fatalf("openssl did not verify the signature: %s", out)
	}
}
