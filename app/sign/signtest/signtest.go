// Package signtest issues cards and certificates for the tests of signing
// and verification: a prefecture CA (root and issuing CA) made in memory,
// and a card issued on the emulator through the keygen path the counter
// uses.
package signtest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"madoguchi/cardio"
	"madoguchi/forms"
	"madoguchi/forms/jpkicert"
	"madoguchi/keygen"
)

// Master is the municipality's master secret in these tests.
var Master = []byte("test master secret of 千代田区 for signing tests")

// PIN is the resident's PIN on cards issued here.
var PIN = []byte("5A8K27")

// Form is the application of the test resident, with substitutes in the
// name (髙→高, 﨑→崎) and the address (髙→高).
func Form() forms.Application {
	return forms.Application{
		Kind:       forms.KindNew,
		FamilyName: "髙橋", GivenName: "﨑子",
		FamilyKana: "たかはし", GivenKana: "さきこ",
		Birth:   forms.Date{Year: 1962, Month: 6, Day: 17},
		Sex:     forms.SexFemale,
		Address: "東京都千代田区霞が関1-2-3 髙ハイツ101",
		Substitutes: forms.Substitutes{
			Name:    map[int]string{0: "高", 3: "崎"},
			Address: map[int]string{16: "高"},
		},
		AppliedOn: forms.Date{Year: 2024, Month: 4, Day: 1},
	}
}

// Other is another resident's application, without substitutes.
func Other() forms.Application {
	return forms.Application{
		Kind:       forms.KindNew,
		FamilyName: "山田", GivenName: "太郎",
		FamilyKana: "やまだ", GivenKana: "たろう",
		Birth:     forms.Date{Year: 1990, Month: 1, Day: 2},
		Sex:       forms.SexMale,
		Address:   "東京都千代田区霞が関3-1-1",
		AppliedOn: forms.Date{Year: 2024, Month: 4, Day: 1},
	}
}

// Items returns the certificate items of an application.
func Items(t testing.TB, a forms.Application) jpkicert.Items {
	t.Helper()
	it, err := a.CertificateItems()
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// CA is a prefecture CA: a self-signed root and an issuing CA under it.
type CA struct {
	Root, Issuing       *x509.Certificate
	RootKey, IssuingKey *rsa.PrivateKey
}

// NewCA makes a CA whose certificates name name.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	rootKey := rsaKey(t)
	issKey := rsaKey(t)
	now := time.Now()
	root := create(t, &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Country: []string{"JP"}, Organization: []string{"JPKI"}, CommonName: name + " root"},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.AddDate(20, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, nil, &rootKey.PublicKey, rootKey)
	iss := create(t, &x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{Country: []string{"JP"}, Organization: []string{"JPKI"}, CommonName: name + " signing CA"},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, root, &issKey.PublicKey, rootKey)
	return &CA{Root: root, Issuing: iss, RootKey: rootKey, IssuingKey: issKey}
}

// Chain is the issuing CA then the root, as a signer includes them.
func (ca *CA) Chain() []*x509.Certificate { return []*x509.Certificate{ca.Issuing, ca.Root} }

// Issue makes a JPKI signing certificate for pub carrying items, valid
// from notBefore to notAfter, with ocspURL as its OCSP responder when
// given.
func (ca *CA) Issue(t testing.TB, pub crypto.PublicKey, items jpkicert.Items, notBefore, notAfter time.Time, ocspURL string) *x509.Certificate {
	t.Helper()
	san, err := items.Extension()
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	ski := sha1.Sum(spki) // a unique identifier is all a verifier needs
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		SubjectKeyId:          ski[:],
		Subject:               pkix.Name{Country: []string{"JP"}, Locality: []string{"東京都", "千代田区"}, CommonName: serial.String()},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtraExtensions:       []pkix.Extension{san},
		CRLDistributionPoints: []string{PlainURL + "/crl/13101/0.crl"},
	}
	if ocspURL != "" {
		tmpl.OCSPServer = []string{ocspURL}
	}
	return create(t, tmpl, ca.Issuing, pub, ca.IssuingKey)
}

// IssueKey makes a software RSA key and its certificate valid now for
// five years.
func (ca *CA) IssueKey(t testing.TB, items jpkicert.Items, ocspURL string) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key := rsaKey(t)
	now := time.Now()
	return ca.Issue(t, &key.PublicKey, items, now.Add(-time.Hour), now.AddDate(5, 0, 0), ocspURL), key
}

// IssueCard runs the counter's card half of an issuance on emu (a blank
// card in r): PIN, key generated on the card, request signed on the card,
// certificate issued here and written, per-card keys set. It returns the
// certificate on the card.
func (ca *CA) IssueCard(t testing.TB, r cardio.Reader, items jpkicert.Items, ocspURL string) *x509.Certificate {
	t.Helper()
	ctx := context.Background()
	conn, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	card, err := keygen.Open(conn)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := card.State(ctx); err != nil || st != keygen.StateBlank {
		t.Fatalf("card state %v, %v; want blank", st, err)
	}
	must(t, card.Prepare(ctx, Master))
	must(t, card.SetPIN(ctx, PIN, PIN))
	if _, err := card.GenerateKey(ctx, keygen.AlgRSA2048); err != nil {
		t.Fatal(err)
	}
	subject := pkix.Name{Country: []string{"JP"}, Locality: []string{"東京都", "千代田区"}, CommonName: "1"}
	csrDER, err := card.CreateRequest(ctx, subject, items, PIN)
	if err != nil {
		t.Fatal(err)
	}
	csr, _, err := keygen.ParseRequest(csrDER)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cert := ca.Issue(t, csr.PublicKey, items, now.Add(-time.Hour), now.AddDate(5, 0, 0), ocspURL)
	must(t, card.WriteCertificate(ctx, cert, items))
	must(t, card.Finish(ctx, Master))
	return cert
}

// EmulatedCard returns an issued card in an in-process reader.
func (ca *CA) EmulatedCard(t testing.TB, items jpkicert.Items, ocspURL string) (cardio.Reader, *x509.Certificate) {
	t.Helper()
	emu := cardio.NewEmulator(cardio.EmulatorOptions{})
	r := cardio.NewEmulatedReader("Emulated Reader 0")
	if err := r.Insert(emu); err != nil {
		t.Fatal(err)
	}
	return r, ca.IssueCard(t, r, items, ocspURL)
}

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func create(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
