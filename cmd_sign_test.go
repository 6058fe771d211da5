package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"madoguchi/app/sign/signtest"
	"madoguchi/app/verify"
	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
)

// captureStdout runs f with standard output redirected and returns what
// it printed.
func captureStdout(t *testing.T, f func() error) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); done <- b }()
	ferr := f()
	os.Stdout = old
	w.Close()
	return string(<-done), ferr
}

// TestSignVerifyCommands signs an application and a PDF with
// `madoguchi sign` on a card issued through pcscd (PIN from a file), then
// `madoguchi verify` checks them: refused without a verifier
// certificate, accepted with one against the revocation service, refused
// after the certificate is revoked and for a changed form.
func TestSignVerifyCommands(t *testing.T) {
	ca := signtest.NewCA(t, "東京都")
	rs := signtest.NewResponder(t, ca)
	slot := pcsctest.AttachSlot(t, cardio.NewEmulator(cardio.EmulatorOptions{}))
	cert := ca.IssueCard(t, slot.Reader, signtest.Items(t, signtest.Form()), rs.OCSPURL())

	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pemOf := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}) }
	form := write("form.json", []byte(`{"氏名":"髙橋 﨑子","住所":"東京都千代田区霞が関1-2-3 髙ハイツ101","生年月日":"昭和37年6月17日","性別":"女"}`))
	pin := write("pin", append(append([]byte{}, signtest.PIN...), '\n'))
	roots := write("roots.pem", pemOf(ca.Root.Raw))
	chain := write("chain.pem", pemOf(ca.Issuing.Raw))
	certPEM, keyPEM := rs.ClientPEM(t)
	vcert, vkey := write("verifier.pem", certPEM), write("verifier.key", keyPEM)
	serviceCA := write("service.pem", pemOf(rs.Server.Certificate().Raw))
	p := fpdf.New("P", "mm", "A4", "")
	p.AddPage()
	var pdf bytes.Buffer
	if err := p.Output(&pdf); err != nil {
		t.Fatal(err)
	}
	doc := write("application.pdf", pdf.Bytes())

	for _, f := range []string{form, doc} {
		if err := runSign([]string{"-reader", slot.Reader.Name(), "-pin-file", pin, "-chain", chain, f}); err != nil {
			t.Fatalf("sign %s: %v", f, err)
		}
	}
	p7s, signedPDF := form+".p7s", filepath.Join(dir, "application.signed.pdf")
	registered := []string{"-roots", roots, "-verifier-cert", vcert, "-verifier-key", vkey, "-service-ca", serviceCA, "-revocation-url", rs.Server.URL}
	verifyJSON := func(args ...string) (*verify.Report, error) {
		out, err := captureStdout(t, func() error { return runVerify(append([]string{"-json"}, args...)) })
		var rep verify.Report
		if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil {
			t.Fatalf("verify -json printed %q: %v", out, jerr)
		}
		return &rep, err
	}

	rep, err := verifyJSON("-roots", roots, "-form", form, p7s)
	if err == nil || rep.OK || rep.Check(verify.CheckRevocation).Status != verify.Failed ||
		!strings.Contains(rep.Check(verify.CheckRevocation).Err, "no registered access") {
		t.Fatalf("without a verifier certificate: err %v, %+v", err, rep.Checks)
	}
	if rep, err := verifyJSON(append(registered, "-form", form, p7s)...); err != nil || !rep.OK || rep.Revocation.Method != "ocsp" {
		t.Fatalf("registered verifier: err %v, %+v", err, rep.Checks)
	}
	if rep, err := verifyJSON(append(registered, "-form", form, signedPDF)...); err != nil || !rep.OK {
		t.Fatalf("signed PDF: err %v, %+v", err, rep.Checks)
	}
	text, err := captureStdout(t, func() error { return runVerify(append(registered, "-form", form, p7s)) })
	if err != nil || !strings.Contains(text, "検証結果: 有効") || !strings.Contains(text, "代替文字 2") {
		t.Fatalf("Japanese report: %v\n%s", err, text)
	}
	changed := write("changed.json", bytes.Replace(must(os.ReadFile(form)), []byte("1-2-3"), []byte("1-2-4"), 1))
	if rep, err := verifyJSON(append(registered, "-form", changed, p7s)...); err == nil || rep.Check(verify.CheckSignature).Status != verify.Failed {
		t.Fatalf("changed form: err %v, %+v", err, rep.Checks)
	}
	// The same application through `madoguchi verifier serve`'s API.
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var vf verifierFlags
	vf.add(fs)
	if err := fs.Parse(registered); err != nil {
		t.Fatal(err)
	}
	ver, err := vf.verifier()
	if err != nil {
		t.Fatal(err)
	}
	pair, err := selfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveVerifier(ctx, ln, ver, pair) }()
	pinned := x509.NewCertPool()
	pinned.AddCert(must(x509.ParseCertificate(pair.Certificate[0])))
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pinned}}}
	body, _ := json.Marshal(map[string]any{"form": json.RawMessage(must(os.ReadFile(form))), "cms": must(os.ReadFile(p7s))})
	resp, err := hc.Post("https://"+ln.Addr().String()+"/v1/verify", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var apiRep verify.Report
	if err := json.NewDecoder(resp.Body).Decode(&apiRep); err != nil || !apiRep.OK {
		t.Fatalf("verifier serve: %v, %+v", err, apiRep.Checks)
	}
	resp.Body.Close()
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("serveVerifier: %v", err)
	}

	rs.Revoke(cert.SerialNumber, time.Now().Add(-time.Second))
	rep, err = verifyJSON(append(registered, "-form", form, p7s)...)
	if c := rep.Check(verify.CheckRevocation); err == nil || c.Status != verify.Failed || !strings.Contains(c.Err, "revoked") {
		t.Fatalf("revoked: err %v, %+v", err, c)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
