package refca

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"madoguchi/app/prefecture"
	"madoguchi/app/sign"
	"madoguchi/app/sign/signtest"
	"madoguchi/app/verify"
)

// TestSigningEndToEnd is issue 16's "done when" against the reference CA:
// a certificate enrolled over EST signs an application; a registered
// verifier accepts it through the revocation service's OCSP (mutual TLS,
// the service's base URL standing for the plain-http URLs the certificate
// names); after a change notice it is refused, and the CRL partition with
// its delta says revoked as well.
func TestSigningEndToEnd(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	key := rsaKey(t, 0)
	items := signtest.Items(t, signtest.Form())
	enr, err := e.client.Enroll(ctx, csrFor(t, key, items))
	if err != nil {
		t.Fatal(err)
	}
	cert := enr.Certificate
	_, vcert := e.addVerifier(t, "千代田区役所", CategoryGovernment)
	pool := x509.NewCertPool()
	pool.AddCert(e.ca.Root())
	remote := verify.NewRemote(vcert, pool)
	remote.ServiceURL = e.url
	ver, err := verify.New(verify.Options{Roots: []*x509.Certificate{e.ca.Root()}, Revocation: remote})
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"氏名":"髙橋 﨑子","住所":"東京都千代田区霞が関1-2-3 髙ハイツ101","生年月日":"昭和37年6月17日","性別":"女"}`)
	der, err := sign.CMS(doc, sign.Signer{Key: key, Certificate: cert}, true)
	if err != nil {
		t.Fatal(err)
	}
	form, _ := verify.ParseForm(doc)
	r := ver.VerifyCMS(ctx, der, doc, form)
	if !r.OK || r.Revocation == nil || r.Revocation.Method != "ocsp" {
		t.Fatalf("refused:\n%s", r.Text())
	}
	// The same through the verifier's HTTPS API (madoguchi verifier serve).
	api := httptest.NewTLSServer(verify.Handler(ver))
	defer api.Close()
	body := `{"form":` + string(doc) + `,"cms":"` + base64.StdEncoding.EncodeToString(der) + `"}`
	resp, err := api.Client().Post(api.URL+"/v1/verify", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var rep verify.Report
	err = json.NewDecoder(resp.Body).Decode(&rep)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !rep.OK {
		t.Fatalf("verifier API: status %d, %+v, %v", resp.StatusCode, rep.Checks, err)
	}
	if _, err := e.client.Notify(ctx, cert.SerialNumber, prefecture.NoticeDeath); err != nil {
		t.Fatal(err)
	}
	remote.MaxAge = 1
	r = ver.VerifyCMS(ctx, der, doc, form)
	if r.OK || r.Check(verify.CheckRevocation).Status != verify.Failed {
		t.Fatalf("accepted after revocation:\n%s", r.Text())
	}
	// CRL path: OCSP pointed nowhere.
	remote2 := verify.NewRemote(vcert, pool)
	remote2.ServiceURL = e.url
	remote2.OCSPURL = "http://x.invalid/none"
	if _, err := e.ca.RegenerateCRLs(ctx); err != nil {
		t.Fatal(err)
	}
	info, err := remote2.Status(ctx, cert, e.ca.Root(), r.ReceivedAt)
	var re *verify.RevokedError
	if !errors.As(err, &re) || info.CRLNumber == nil || info.DeltaCRLNumber == nil {
		t.Fatalf("CRL: %+v, %v; want revoked with base and delta numbers", info, err)
	}
}
