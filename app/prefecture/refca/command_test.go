package refca

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"madoguchi/app/config"
	"madoguchi/app/prefecture"
)

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestStandaloneServerWithGeneratedConfig runs the development set-up, then
// the standalone server, and uses it exactly as the app would: through the
// generated configuration file.
func TestStandaloneServerWithGeneratedConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	addr := freeAddr(t)
	var out, errOut bytes.Buffer
	err := Command(context.Background(), []string{"setup", "-dir", dir, "-prefecture", testPrefecture,
		"-municipality", testMunicipality, "-code", testCode, "-addr", addr, "-reader", "emulated"}, &out, &errOut)
	if err != nil {
		t.Fatalf("setup: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), FileAppConfig) {
		t.Errorf("setup output does not name the config: %s", out.String())
	}
	// Setting up twice refuses to overwrite.
	if err := Command(context.Background(), []string{"setup", "-dir", dir}, &out, &errOut); !errors.Is(err, ErrExists) {
		t.Errorf("second setup: %v", err)
	}
	for _, key := range []string{FileCAKey, FileRARootKey, FileServerKey, FileTerminalKey} {
		st, err := os.Stat(filepath.Join(dir, key))
		// On Windows the owner-only DACL stands for mode 0600 (privfile).
		if err != nil || runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", key, st.Mode(), err)
		}
	}

	cfg, err := config.Load(filepath.Join(dir, FileAppConfig))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CA.Mode != config.CAEST || cfg.CA.URL != "https://"+addr+prefecture.ESTPath ||
		cfg.Prefecture != testPrefecture || cfg.Municipality != testMunicipality || cfg.Reader.Mode != config.ReaderEmulated {
		t.Fatalf("generated config: %+v", cfg)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var serveOut, serveErr bytes.Buffer
	go func() { done <- Command(ctx, []string{"serve", "-dir", dir}, &serveOut, &serveErr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	waitListening(t, addr)

	pc, err := prefecture.ConfigFromFiles(cfg.CA.URL, cfg.CA.RootCert, cfg.CA.RACert, cfg.CA.RAKey)
	if err != nil {
		t.Fatal(err)
	}
	client, err := prefecture.NewEST(pc)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	got, err := client.Enroll(ctx, csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎")))
	if err != nil {
		t.Fatal(err)
	}
	if dp := got.Certificate.CRLDistributionPoints; len(dp) != 1 || !strings.HasPrefix(dp[0], "http://127.0.0.1/crl/"+testCode+"/") {
		t.Errorf("DP %v", dp)
	}
	if _, err := client.Revoke(ctx, got.Certificate.SerialNumber, prefecture.ReasonResidentRequest); err != nil {
		t.Fatal(err)
	}
	crl, err := client.CRL(ctx)
	if err != nil || crlEntry(crl, got.Certificate.SerialNumber) == nil {
		t.Fatalf("CRL: %v", err)
	}

	// Another terminal, then its revocation by the administrator.
	prefix := filepath.Join(t.TempDir(), "t2")
	if err := Command(ctx, []string{"add-terminal", "-dir", dir, "-municipality", "中央区", "-code", "131024", "-terminal", "t2", "-out", prefix}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	pc2, err := prefecture.ConfigFromFiles(cfg.CA.URL, cfg.CA.RootCert, prefix+".pem", prefix+".key")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := prefecture.NewEST(pc2)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.Enroll(ctx, csrFor(t, rsaKey(t, 1), resident("中央\u3000次郎"))); err != nil {
		t.Fatal(err)
	}
	if err := Command(ctx, []string{"revoke-terminal", "-dir", dir, "-cert", prefix + ".pem"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	_, err = c2.Enroll(ctx, csrFor(t, rsaKey(t, 2), resident("中央\u3000三郎")))
	if pe := refusalOf(t, err); pe.Refusal.Code != prefecture.RefusalRARevoked {
		t.Errorf("revoked terminal: %v", err)
	}
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("nothing listening on %s", addr)
}

func TestCommandUsageErrors(t *testing.T) {
	tests := [][]string{
		nil,
		{"frobnicate"},
		{"setup"},
		{"setup", "-dir", t.TempDir(), "-code", "13-10"},
		{"serve"},
		{"add-terminal", "-dir", t.TempDir()},
		{"revoke-terminal"},
	}
	for _, args := range tests {
		var out, errOut bytes.Buffer
		if err := Command(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// TestEmbedded starts the in-process CA twice on the same directory: the
// second start reuses the CA and its store.
func TestEmbedded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "refca")
	ctx := context.Background()
	e, err := StartEmbedded(ctx, dir, EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.URL, "https://127.0.0.1:") {
		t.Errorf("URL %s", e.URL)
	}
	c, err := e.Client()
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Enroll(ctx, csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎")))
	if err != nil {
		t.Fatal(err)
	}
	root := e.Root
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e2, err := StartEmbedded(ctx, dir, EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if !e2.Root.Equal(root) {
		t.Error("second start made a new CA")
	}
	st, err := e2.CA.CertificateStatus(ctx, got.Certificate.SerialNumber)
	if err != nil || st.Municipality != "999999" {
		t.Errorf("status after restart: %+v, %v", st, err)
	}
	c2, err := e2.Client()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Revoke(ctx, got.Certificate.SerialNumber, prefecture.ReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}

	// Stopping through the context.
	cctx, cancel := context.WithCancel(ctx)
	e3dir := filepath.Join(t.TempDir(), "refca3")
	e3, err := StartEmbedded(cctx, e3dir, EmbeddedOptions{Prefecture: "東京都"})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-e3.done
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(e3.URL, "https://"), time.Second); err == nil {
		t.Error("still listening after the context ended")
	}
}

// TestCRLNumberSurvivesRestart checks that CRL numbers keep increasing when
// the CA is reopened.
func TestCRLNumberSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	if err := Setup(dir, SetupOptions{Prefecture: "p", Municipality: "m", MunicipalityCode: "1", Terminal: "t"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	number := func() int64 {
		ca, err := Open(ctx, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer ca.Close()
		if _, err := ca.store.municipalityShards(ctx, "1", 4); err != nil {
			t.Fatal(err)
		}
		run, err := ca.RegenerateCRLs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		der, err := ca.FullCRL(ctx, Partition{"1", 0})
		if err != nil {
			t.Fatal(err)
		}
		crl, err := parseCRL(der)
		if err != nil || crl.Number.Int64() != run.Number {
			t.Fatalf("CRL number %v, run %d: %v", crl.Number, run.Number, err)
		}
		return crl.Number.Int64()
	}
	a, b := number(), number()
	if b <= a {
		t.Errorf("CRL numbers %d then %d", a, b)
	}
}

func parseCRL(der []byte) (*x509.RevocationList, error) { return x509.ParseRevocationList(der) }
