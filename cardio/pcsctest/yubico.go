package pcsctest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// YubicoPIVTool drives yubico-piv-tool against the card in one PC/SC
// reader. libykpiv connects with T=1 only: a card offering T=0 alone is
// refused with SCARD_E_PROTO_MISMATCH before any APDU.
type YubicoPIVTool struct {
	t      testing.TB
	reader string
	env    []string
}

// NewYubicoPIVTool finds yubico-piv-tool. A missing tool fails the test
// under CI or MADOGUCHI_PCSCD and skips it otherwise.
func NewYubicoPIVTool(t testing.TB, reader string) *YubicoPIVTool {
	t.Helper()
	if _, err := exec.LookPath("yubico-piv-tool"); err != nil {
		if Required() {
			t.Fatal("yubico-piv-tool not found: install the Debian package yubico-piv-tool")
		}
		t.Skip("skipped, yubico-piv-tool not found")
	}
	return &YubicoPIVTool{t: t, reader: reader, env: append(os.Environ(), "HOME="+t.TempDir())}
}

// Run runs yubico-piv-tool with the reader and args and returns its
// combined output and error; the caller decides what a failure means.
func (y *YubicoPIVTool) Run(args ...string) (string, error) {
	cmd := exec.Command("yubico-piv-tool", append([]string{"--reader", y.reader}, args...)...)
	cmd.Env = y.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Must is Run that fails the test on error.
func (y *YubicoPIVTool) Must(args ...string) string {
	y.t.Helper()
	out, err := y.Run(args...)
	if err != nil {
		y.t.Fatalf("yubico-piv-tool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}
