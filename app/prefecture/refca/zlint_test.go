package refca

import (
	"context"
	"strings"
	"testing"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"

	"madoguchi/app/prefecture"
)

// TestZlint lints, with zlint's RFC 5280 lints, the certificates and CRLs
// the revocation information involves: a resident's certificate (its
// distribution point, freshest CRL and OCSP location), the delegated OCSP
// responder, and a full and a delta partition CRL. No lint may report an
// error; warnings are logged. A verifier's access certificate is not
// linted: zcrypto, like Go's encoding/asn1, cannot parse the 128-bit arc of
// VerifierPolicyOID (crypto/x509, openssl and the CA read it), which this
// test checks so that a change of that rule is noticed.
func TestZlint(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	got, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ca.RegenerateCRLs(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Revoke(ctx, got.Certificate.SerialNumber, prefecture.ReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	_, vcert, _, err := e.ca.AddVerifier(ctx, VerifierOptions{Name: "検証者", Category: CategoryCourt})
	if err != nil {
		t.Fatal(err)
	}
	p := Partition{testCode, shardOf(got.Certificate.SerialNumber, DefaultCRLShards)}
	full, err := e.ca.FullCRL(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	delta, err := e.ca.DeltaCRL(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := lint.GlobalRegistry().Filter(lint.FilterOptions{IncludeSources: lint.SourceList{lint.RFC5280}})
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, rs *zlint.ResultSet) {
		for lname, r := range rs.Results {
			switch {
			case r.Status == lint.Error || r.Status == lint.Fatal:
				t.Errorf("%s: %s: %s %s", name, lname, r.Status, r.Details)
			case r.Status == lint.Warn:
				t.Logf("%s: %s: warning %s", name, lname, r.Details)
			}
		}
	}
	if _, err := zx509.ParseCertificate(vcert.Raw); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("zcrypto on the verifier certificate: %v", err)
	}
	for name, der := range map[string][]byte{"resident": got.Certificate.Raw, "ocsp responder": e.ca.OCSPResponder().Raw} {
		c, err := zx509.ParseCertificate(der)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check(name, zlint.LintCertificateEx(c, reg))
	}
	for name, der := range map[string][]byte{"full CRL": full, "delta CRL": delta} {
		crl, err := zx509.ParseRevocationList(der)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rs := zlint.LintRevocationListEx(crl, reg)
		if len(rs.Results) == 0 {
			t.Errorf("%s: no lint ran", name)
		}
		check(name, rs)
	}
}
