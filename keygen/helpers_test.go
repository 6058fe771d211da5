package keygen_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"testing"
	"time"

	"madoguchi/cardio"
	"madoguchi/forms"
	"madoguchi/forms/jpkicert"
	"madoguchi/keygen"
)

// testMaster is the municipality's master secret in tests.
var testMaster = []byte("test master secret of 千代田区, 32+ bytes")

// residentPIN is the PIN the resident chooses in tests.
var residentPIN = []byte("5A8K27")

// testForm is an application with substitutes in the name and the
// address.
func testForm() forms.Application {
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

func testItems(t testing.TB) jpkicert.Items {
	t.Helper()
	items, err := testForm().CertificateItems()
	if err != nil {
		t.Fatal(err)
	}
	return items
}

var testSubject = pkix.Name{Country: []string{"JP"}, Locality: []string{"東京都", "千代田区"}, CommonName: "0000000001"}

// testCA is a prefecture CA reduced to what the card half needs.
type testCA struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

var (
	caOnce sync.Once
	ca     testCA
)

func theCA(t testing.TB) testCA {
	caOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{Country: []string{"JP"}, CommonName: "test prefecture CA"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().AddDate(10, 0, 0),
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		cert, _ := x509.ParseCertificate(der)
		ca = testCA{cert: cert, key: key}
	})
	return ca
}

// issue makes a certificate from a request, copying its subject, key and
// subjectAltName, as the prefecture would.
func (ca testCA) issue(t testing.TB, csrDER []byte) *x509.Certificate {
	t.Helper()
	csr, _, err := keygen.ParseRequest(csrDER)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               csr.Subject,
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtraExtensions:       csr.Extensions,
		CRLDistributionPoints: []string{"http://crl.example.jp/13101.crl"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, csr.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// emulated returns a blank card in an in-process reader.
func emulated(t testing.TB) (*cardio.Emulator, *cardio.EmulatedReader) {
	t.Helper()
	emu := cardio.NewEmulator(cardio.EmulatorOptions{})
	r := cardio.NewEmulatedReader("Emulated Reader 0")
	if err := r.Insert(emu); err != nil {
		t.Fatal(err)
	}
	return emu, r
}

// openConns lists the connections open connected, for closeAll.
var openConns []*cardio.Card

// open connects to the card in r and opens it for keygen.
func open(t testing.TB, r cardio.Reader) (*keygen.Card, *cardio.Card) {
	t.Helper()
	conn, err := r.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	openConns = append(openConns, conn)
	t.Cleanup(func() { conn.Close() })
	card, err := keygen.Open(conn)
	if err != nil {
		t.Fatal(err)
	}
	return card, conn
}

// issueCard runs the whole card half of an issuance on the card in r and
// returns the written certificate.
func issueCard(t testing.TB, r cardio.Reader, alg keygen.Algorithm) *x509.Certificate {
	t.Helper()
	ctx := context.Background()
	card, _ := open(t, r)
	if st, err := card.State(ctx); err != nil || st != keygen.StateBlank {
		t.Fatalf("State = %v, %v; want blank", st, err)
	}
	items := testItems(t)
	cert := theCA(t).issue(t, request(t, card, alg, items))
	must(t, card.WriteCertificate(ctx, cert, items))
	must(t, card.Finish(ctx, testMaster))
	return cert
}

// request runs Prepare, SetPIN (residentPIN), GenerateKey and
// CreateRequest on card and returns the request.
func request(t testing.TB, card *keygen.Card, alg keygen.Algorithm, items jpkicert.Items) []byte {
	t.Helper()
	ctx := context.Background()
	must(t, card.Prepare(ctx, testMaster))
	must(t, card.SetPIN(ctx, residentPIN, residentPIN))
	if _, err := card.GenerateKey(ctx, alg); err != nil {
		t.Fatal(err)
	}
	csr, err := card.CreateRequest(ctx, testSubject, items, residentPIN)
	if err != nil {
		t.Fatal(err)
	}
	return csr
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
