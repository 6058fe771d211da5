package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"madoguchi/app/prefecture"
	"madoguchi/app/prefecture/refca"
	"madoguchi/app/session"
	"madoguchi/app/sign"
	"madoguchi/app/staff"
	"madoguchi/app/verify"
	"madoguchi/forms"
)

// TestCounterIssuedCardSignsAndVerifies is issue 16's "done when" on the
// embedded default: a card issued at the counter (a resident whose name
// needs a substitute) signs an application with its PIN; a verifier
// registered with the running reference CA accepts it through the
// verifier API (OCSP over mutual TLS); after a death notice the same
// application is refused for revocation.
func TestCounterIssuedCardSignsAndVerifies(t *testing.T) {
	ctx := context.Background()
	c := openCounter(t, t.TempDir(), session.Hooks{})
	defer c.Close()
	d := signIn(t, c, staff.DemoClerk)
	r := residentNeedingSubstitute(t, d)
	a, err := d.Prefill(ctx, r.Code, forms.KindNew)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Start(ctx, r.Code, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertBlankCard(); err != nil {
		t.Fatal(err)
	}
	if err := drive(ctx, d, s.ID); err != nil {
		t.Fatal(err)
	}

	// The resident signs with the card still in the reader.
	card, err := sign.OpenCard(ctx, c.EmulatedReader())
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	doc, _ := json.Marshal(map[string]string{
		"氏名": r.FamilyName + " " + r.GivenName, "住所": r.Address,
		"生年月日": r.Birth.Wareki(), "性別": r.Sex.String(),
	})
	der, err := sign.CMS(doc, card.Signer([]byte(residentPIN), nil), true)
	if err != nil {
		t.Fatal(err)
	}

	// The receiving office, registered as a verifier with the CA.
	e := c.embedded
	_, vcert, vkey, err := e.CA.AddVerifier(ctx, refca.VerifierOptions{Name: "窓口市役所", Category: refca.CategoryGovernment})
	if err != nil {
		t.Fatal(err)
	}
	remote := verify.NewRemote(verifierPair(vcert, vkey), e.Roots)
	remote.ServiceURL = e.URL
	ver, err := verify.New(verify.Options{Roots: []*x509.Certificate{e.Root}, Revocation: remote})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewTLSServer(verify.Handler(ver))
	defer api.Close()
	post := func() verify.Report {
		t.Helper()
		body := `{"form":` + string(doc) + `,"cms":"` + base64.StdEncoding.EncodeToString(der) + `"}`
		resp, err := api.Client().Post(api.URL+"/v1/verify", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rep verify.Report
		if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("verifier API: status %d, %v", resp.StatusCode, err)
		}
		return rep
	}
	if rep := post(); !rep.OK {
		t.Fatalf("a counter-issued card's signature refused: %+v", rep.Checks)
	}

	// The holder dies: the registry's notice revokes the certificate.
	client, err := e.Client()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Notify(ctx, card.Certificate().SerialNumber, prefecture.NoticeDeath); err != nil {
		t.Fatal(err)
	}
	remote.MaxAge = 1
	rep := post()
	if rep.OK || rep.Check(verify.CheckRevocation) == nil || rep.Check(verify.CheckRevocation).Status != verify.Failed {
		t.Fatalf("accepted after the death notice: %+v", rep.Checks)
	}
}

func verifierPair(cert *x509.Certificate, key *ecdsa.PrivateKey) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}
