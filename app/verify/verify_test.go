package verify_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"madoguchi/app/sign"
	"madoguchi/app/sign/signtest"
	"madoguchi/app/verify"
)

// application is the signed online form in tests: the resident's JSON
// with its 基本4情報 as the resident typed them (half-width digits, a
// space between 氏 and 名, the registry's 髙 and 﨑).
var application = []byte(`{"申請":"住民票の写しの交付","氏名":"髙橋 﨑子","住所":"東京都千代田区霞が関1-2-3 髙ハイツ101","生年月日":"昭和37年6月17日","性別":"女","通数":1}`)

// fixture is a CA, its revocation service and a verifier registered with it.
type fixture struct {
	ca  *signtest.CA
	rs  *signtest.Responder
	ver *verify.Verifier
}

func newFixture(t testing.TB) *fixture {
	ca := signtest.NewCA(t, "東京都")
	rs := signtest.NewResponder(t, ca)
	ver, err := verify.New(verify.Options{Roots: []*x509.Certificate{ca.Root}, Revocation: remoteFor(rs)})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{ca: ca, rs: rs, ver: ver}
}

func mustForm(t testing.TB, data []byte) *verify.Form {
	t.Helper()
	f, err := verify.ParseForm(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestVerifyGood verifies a detached and an attached signature of the
// application: every check passes, the OCSP answer used is recorded, the
// substitutes are understood.
func TestVerifyGood(t *testing.T) {
	fx := newFixture(t)
	cert, key := fx.ca.IssueKey(t, signtest.Items(t, signtest.Form()), fx.rs.OCSPURL())
	s := sign.Signer{Key: key, Certificate: cert, Chain: []*x509.Certificate{fx.ca.Issuing}}
	for _, detached := range []bool{true, false} {
		der, err := sign.CMS(application, s, detached)
		if err != nil {
			t.Fatal(err)
		}
		content := application
		if !detached {
			content = nil
		}
		r := fx.ver.VerifyCMS(context.Background(), der, content, mustForm(t, application))
		if !r.OK || !r.FormCompared {
			t.Fatalf("detached=%v: not OK:\n%s", detached, r.Text())
		}
		if r.Revocation == nil || r.Revocation.Method != "ocsp" || r.Revocation.ProducedAt.IsZero() {
			t.Errorf("revocation info %+v; want an OCSP producedAt", r.Revocation)
		}
		if d := r.Check(verify.CheckIdentity).Detail; !strings.Contains(d, "代替文字 2") {
			t.Errorf("identity detail %q; want two substitutes in the name", d)
		}
		if r.ClaimedSigningTime == nil {
			t.Error("the claimed signing time is not shown")
		}
		if !detached && !bytes.Equal(r.Content, application) {
			t.Error("attached content not returned")
		}
	}
}

// TestVerifyRefusals tests each refusal with its reason: the failing
// check and its error.
func TestVerifyRefusals(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	items := signtest.Items(t, signtest.Form())
	good, goodKey := fx.ca.IssueKey(t, items, fx.rs.OCSPURL())
	chain := []*x509.Certificate{fx.ca.Issuing}
	signWith := func(cert *x509.Certificate, key any, c []*x509.Certificate) []byte {
		t.Helper()
		der, err := sign.CMS(application, sign.Signer{Key: key.(interface {
			signer
		}), Certificate: cert, Chain: c}, true)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	goodSig := signWith(good, goodKey, chain)

	revoked, revokedKey := fx.ca.IssueKey(t, items, fx.rs.OCSPURL())
	fx.rs.Revoke(revoked.SerialNumber, time.Now().Add(-time.Minute))

	now := time.Now()
	expiredKey := signtestRSA(t)
	expired := fx.ca.Issue(t, &expiredKey.PublicKey, items, now.AddDate(-5, 0, 0), now.Add(-24*time.Hour), fx.rs.OCSPURL())

	foreign := signtest.NewCA(t, "偽県")
	foreignCert, foreignKey := foreign.IssueKey(t, items, "")

	other, otherKey := fx.ca.IssueKey(t, signtest.Items(t, signtest.Other()), fx.rs.OCSPURL())

	changedForm := bytes.Replace(application, []byte(`"通数":1`), []byte(`"通数":9`), 1)
	changedName := bytes.Replace(application, []byte("髙橋 﨑子"), []byte("山田 花子"), 1)

	unregistered, err := verify.New(verify.Options{Roots: []*x509.Certificate{fx.ca.Root}})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		ver     *verify.Verifier
		sig     []byte
		doc     []byte
		form    []byte
		check   verify.CheckID
		errText string
		also    verify.CheckID // a second check that must fail too
	}{
		{name: "changed document", sig: goodSig, doc: append(append([]byte{}, application...), ' '), check: verify.CheckSignature, errText: "message digest"},
		{name: "changed form field", sig: goodSig, doc: changedForm, check: verify.CheckSignature, errText: "message digest"},
		{name: "changed name, form compared", sig: goodSig, doc: changedName, form: changedName, check: verify.CheckSignature, errText: "message digest", also: verify.CheckIdentity},
		{name: "revoked certificate", sig: signWith(revoked, revokedKey, chain), check: verify.CheckRevocation, errText: "revoked"},
		{name: "expired certificate", sig: signWith(expired, expiredKey, chain), check: verify.CheckValidity, errText: "expired"},
		{name: "foreign CA", sig: signWith(foreignCert, foreignKey, foreign.Chain()), check: verify.CheckChain, errText: "unknown authority"},
		{name: "another resident's card", sig: signWith(other, otherKey, chain), check: verify.CheckIdentity, errText: "氏名, 住所, 生年月日, 性別"},
		{name: "verifier not registered", ver: unregistered, sig: goodSig, check: verify.CheckRevocation, errText: "no registered access"},
		{name: "not CMS", sig: []byte("garbage"), check: verify.CheckFormat, errText: "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ver := tc.ver
			if ver == nil {
				ver = fx.ver
			}
			doc, form := tc.doc, tc.form
			if doc == nil {
				doc = application
			}
			if form == nil {
				form = application
			}
			r := ver.VerifyCMS(ctx, tc.sig, doc, mustForm(t, form))
			if r.OK {
				t.Fatalf("accepted:\n%s", r.Text())
			}
			c := r.Check(tc.check)
			if c == nil || c.Status != verify.Failed || !strings.Contains(c.Err, tc.errText) {
				t.Fatalf("check %s = %+v; want failed with %q\n%s", tc.check, c, tc.errText, r.Text())
			}
			if tc.also != "" && r.Check(tc.also).Status != verify.Failed {
				t.Errorf("check %s did not fail", tc.also)
			}
			// Only the point at fault fails (the signature stays good
			// for the certificate refusals and the reverse).
			for _, other := range r.Checks {
				if other.ID != tc.check && other.ID != tc.also && other.Status == verify.Failed {
					t.Errorf("check %s failed too: %+v", other.ID, other)
				}
			}
		})
	}
}

// TestRevocationCRLFallback: with the OCSP responder down, the CRL is used
// and its number recorded; a revoked certificate is found in it; the
// answer is then cached.
func TestRevocationCRLFallback(t *testing.T) {
	fx := newFixture(t)
	fx.rs.OCSPOff = true
	items := signtest.Items(t, signtest.Form())
	cert, key := fx.ca.IssueKey(t, items, fx.rs.OCSPURL())
	der, err := sign.CMS(application, sign.Signer{Key: key, Certificate: cert, Chain: []*x509.Certificate{fx.ca.Issuing}}, true)
	if err != nil {
		t.Fatal(err)
	}
	r := fx.ver.VerifyCMS(context.Background(), der, application, nil)
	if !r.OK || r.Revocation == nil || r.Revocation.Method != "crl" || r.Revocation.CRLNumber == nil || r.Revocation.CRLNumber.Sign() <= 0 {
		t.Fatalf("want OK through the CRL with its number: %+v\n%s", r.Revocation, r.Text())
	}
	r = fx.ver.VerifyCMS(context.Background(), der, application, nil)
	if !r.OK || !r.Revocation.Cached {
		t.Fatalf("second verification not from the cache: %+v", r.Revocation)
	}
	if c := r.Check(verify.CheckIdentity); c.Status != verify.NotChecked || r.FormCompared {
		t.Fatalf("identity without a form: %+v", c)
	}

	cert2, key2 := fx.ca.IssueKey(t, items, fx.rs.OCSPURL())
	fx.rs.Revoke(cert2.SerialNumber, time.Now().Add(-time.Hour))
	der2, _ := sign.CMS(application, sign.Signer{Key: key2, Certificate: cert2, Chain: []*x509.Certificate{fx.ca.Issuing}}, true)
	r = fx.ver.VerifyCMS(context.Background(), der2, application, nil)
	var re *verify.RevokedError
	_, err = remoteFor(fx.rs).Status(context.Background(), cert2, fx.ca.Issuing, time.Now())
	if r.OK || !errors.As(err, &re) || re.Reason != 3 {
		t.Fatalf("revoked in the CRL: ok=%v err=%v", r.OK, err)
	}
}

// TestRevocationDeltaCRL: with OCSP down, a revocation published only in
// the delta CRL (named by the base CRL's FreshestCRL) is found, and both
// CRL numbers are recorded.
func TestRevocationDeltaCRL(t *testing.T) {
	fx := newFixture(t)
	fx.rs.OCSPOff = true
	cert, key := fx.ca.IssueKey(t, signtest.Items(t, signtest.Form()), fx.rs.OCSPURL())
	der, _ := sign.CMS(application, sign.Signer{Key: key, Certificate: cert, Chain: []*x509.Certificate{fx.ca.Issuing}}, true)
	r := fx.ver.VerifyCMS(context.Background(), der, application, nil)
	if !r.OK || r.Revocation.DeltaCRLNumber == nil || r.Revocation.CRLNumber == nil {
		t.Fatalf("want OK with base and delta CRL numbers: %+v\n%s", r.Revocation, r.Text())
	}
	fx.rs.Lock()
	fx.rs.Delta[cert.SerialNumber.String()] = time.Now().Add(-time.Minute)
	fx.rs.Unlock()
	info, err := remoteFor(fx.rs).Status(context.Background(), cert, fx.ca.Issuing, time.Now())
	var re *verify.RevokedError
	if !errors.As(err, &re) || re.Reason != 1 || info.DeltaCRLNumber == nil {
		t.Fatalf("revocation in the delta CRL: %+v, %v", info, err)
	}
}

// TestRevocationNoClientCertificate: a client without the verifier
// certificate is refused by the service, and the check says the
// registration is missing.
func TestRevocationNoClientCertificate(t *testing.T) {
	fx := newFixture(t)
	cert, key := fx.ca.IssueKey(t, signtest.Items(t, signtest.Form()), fx.rs.OCSPURL())
	pool := x509.NewCertPool()
	pool.AddCert(fx.rs.Server.Certificate())
	var nobody verify.Remote
	if _, err := nobody.Status(context.Background(), cert, fx.ca.Issuing, time.Now()); !errors.Is(err, verify.ErrNotRegistered) {
		t.Fatalf("no client: %v; want ErrNotRegistered", err)
	}
	anon := verify.NewRemote(tls.Certificate{}, pool)
	anon.ServiceURL = fx.rs.Server.URL
	if _, err := anon.Status(context.Background(), cert, fx.ca.Issuing, time.Now()); err == nil {
		t.Fatal("the service answered a client without a verifier certificate")
	}
	ver, err := verify.New(verify.Options{Roots: []*x509.Certificate{fx.ca.Root}, Revocation: anon})
	if err != nil {
		t.Fatal(err)
	}
	der, _ := sign.CMS(application, sign.Signer{Key: key, Certificate: cert, Chain: []*x509.Certificate{fx.ca.Issuing}}, true)
	r := ver.VerifyCMS(context.Background(), der, application, nil)
	if r.OK || r.Check(verify.CheckRevocation).Status != verify.Failed {
		t.Fatalf("accepted without revocation access:\n%s", r.Text())
	}
	if _, err := remoteFor(fx.rs).Status(context.Background(), cert, fx.ca.Issuing, time.Now()); err != nil {
		t.Fatalf("registered client refused: %v", err)
	}
}

// TestSeveralRootGenerations: a verifier pinning an old and a new root
// accepts certificates under either.
func TestSeveralRootGenerations(t *testing.T) {
	oldCA := signtest.NewCA(t, "東京都 (旧)")
	newCA := signtest.NewCA(t, "東京都")
	ver, err := verify.New(verify.Options{Roots: []*x509.Certificate{oldCA.Root, newCA.Root}, Revocation: okSource{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ca := range []*signtest.CA{oldCA, newCA} {
		cert, key := ca.IssueKey(t, signtest.Items(t, signtest.Form()), "")
		der, _ := sign.CMS(application, sign.Signer{Key: key, Certificate: cert, Chain: []*x509.Certificate{ca.Issuing}}, true)
		if r := ver.VerifyCMS(context.Background(), der, application, nil); !r.OK {
			t.Fatalf("%s:\n%s", ca.Root.Subject.CommonName, r.Text())
		}
	}
	if _, err := verify.New(verify.Options{Roots: []*x509.Certificate{mustLeaf(t, oldCA)}}); err == nil {
		t.Fatal("a leaf certificate accepted as a root")
	}
}
