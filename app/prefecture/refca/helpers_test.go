package refca

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"madoguchi/app/prefecture"
	"madoguchi/app/store/storetest"
	"madoguchi/forms/jpkicert"
)

// env is a reference CA served over loopback TLS, with its first terminal.
type env struct {
	t      *testing.T
	dir    string
	ca     *CA
	srv    *Server
	url    string
	ra     tls.Certificate
	client *prefecture.ESTClient
}

const (
	testPrefecture   = "東京都"
	testMunicipality = "千代田区"
	testCode         = "131016"
)

// newEnv sets up a CA in a temporary directory and serves it. wrap, if not
// nil, wraps the CA's handler (to simulate failures).
func newEnv(t testing.TB, so SetupOptions, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	dir := t.TempDir()
	if so.Prefecture == "" {
		so.Prefecture = testPrefecture
	}
	if so.Municipality == "" {
		so.Municipality = testMunicipality
	}
	if so.MunicipalityCode == "" {
		so.MunicipalityCode = testCode
	}
	if so.Terminal == "" {
		so.Terminal = "counter-01"
	}
	if err := Setup(dir, so); err != nil {
		t.Fatal(err)
	}
	ca, err := Open(context.Background(), dir, Options{DatabaseURL: testDatabaseURL(t, dir)})
	if err != nil {
		t.Fatal(err)
	}
	if ca.store.pg != storetest.OnPostgres() {
		t.Fatalf("CA store on PostgreSQL: %v, want %v", ca.store.pg, storetest.OnPostgres())
	}
	srv, err := ca.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		srv.http.Handler = wrap(srv.http.Handler)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close(); ca.Close() })
	ra, err := LoadTerminal(filepath.Join(dir, FileTerminalCert), filepath.Join(dir, FileTerminalKey))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{dir: dir, ca: ca, srv: srv, url: srv.URL(), ra: ra}
	e.client = e.clientWith(t, ra)
	return e
}

// clientWith returns an EST client authenticating with ra, with short
// retry waits.
func (e *env) clientWith(t testing.TB, ra tls.Certificate) *prefecture.ESTClient {
	t.Helper()
	c, err := prefecture.NewEST(prefecture.Config{
		URL:         e.url + prefecture.ESTPath,
		Roots:       []*x509.Certificate{e.ca.Root()},
		Certificate: ra,
		Timeout:     20 * time.Second,
		Backoff:     10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// terminal issues another terminal certificate from the CA's RA root.
func (e *env) terminal(t testing.TB, o TerminalOptions) tls.Certificate {
	t.Helper()
	raRoot, raKey, err := loadPair(filepath.Join(e.dir, FileRARootCert), filepath.Join(e.dir, FileRARootKey))
	if err != nil {
		t.Fatal(err)
	}
	if o.Prefecture == "" {
		o.Prefecture = testPrefecture
	}
	if o.Municipality == "" {
		o.Municipality = testMunicipality
	}
	if o.MunicipalityCode == "" {
		o.MunicipalityCode = testCode
	}
	if o.Terminal == "" {
		o.Terminal = "counter-x"
	}
	cert, key, err := NewTerminal(raRoot, raKey, o)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

// Keys are generated once per test binary: RSA-2048 generation is slow.
var (
	keyMu   sync.Mutex
	rsaKeys []*rsa.PrivateKey
)

// rsaKey returns the i-th shared RSA-2048 test key.
func rsaKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	keyMu.Lock()
	defer keyMu.Unlock()
	for len(rsaKeys) <= i {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		rsaKeys = append(rsaKeys, k)
	}
	return rsaKeys[i]
}

func p256Key(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// resident returns valid items; n varies the name so that holders differ.
func resident(name string) jpkicert.Items {
	return jpkicert.Items{
		Name:             name,
		NamePositions:    zeros(name),
		Sex:              "1",
		Birth:            "319620617",
		Address:          "東京都千代田区千代田１番１号",
		AddressPositions: zeros("東京都千代田区千代田１番１号"),
	}
}

func zeros(s string) string {
	b := make([]byte, 0, len(s))
	for range []rune(s) {
		b = append(b, '0')
	}
	return string(b)
}

// csrFor builds a request carrying items, signed by key.
func csrFor(t testing.TB, key crypto.Signer, items jpkicert.Items) *x509.CertificateRequest {
	t.Helper()
	ext, err := items.Extension()
	if err != nil {
		t.Fatal(err)
	}
	return csrWithSAN(t, key, ext.Value)
}

// csrWithSAN builds a request with a raw subjectAltName value, which may be
// one jpkicert would refuse to encode.
func csrWithSAN(t testing.TB, key crypto.Signer, san []byte) *x509.CertificateRequest {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:         pkix.Name{CommonName: "resident"},
		ExtraExtensions: []pkix.Extension{{Id: jpkicert.OIDSubjectAltName, Value: san}},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return csr
}

// rawSAN encodes six otherName entries without any check, in the order
// name, name positions, sex, birth, address, address positions.
func rawSAN(values ...string) []byte {
	oids := []asn1.ObjectIdentifier{jpkicert.OIDName, jpkicert.OIDNamePositions, jpkicert.OIDSex,
		jpkicert.OIDBirth, jpkicert.OIDAddress, jpkicert.OIDAddressPositions}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(names *cryptobyte.Builder) {
		for i, v := range values {
			names.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(on *cryptobyte.Builder) {
				on.AddASN1ObjectIdentifier(oids[i])
				on.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(e *cryptobyte.Builder) {
					e.AddASN1(cbasn1.UTF8String, func(s *cryptobyte.Builder) { s.AddBytes([]byte(v)) })
				})
			})
		}
	})
	return b.BytesOrPanic()
}

// refusalOf returns the *prefecture.Error of a refused request.
func refusalOf(t testing.TB, err error) *prefecture.Error {
	t.Helper()
	var pe *prefecture.Error
	if !errors.As(err, &pe) || !errors.Is(err, prefecture.ErrRefused) {
		t.Fatalf("want a refusal, got %v", err)
	}
	return pe
}

// rawEnroller returns an HTTP client that talks EST as a terminal without
// globalsign/est's client (whose PKCS#7 decoding is not safe for concurrent
// use): a fresh TLS 1.3 connection per request, as that client makes.
func (e *env) rawEnroller() *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(e.ca.Root())
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: roots, Certificates: []tls.Certificate{e.ra}},
		DisableKeepAlives: true,
	}}
}

// postEnroll sends csr to /simpleenroll and returns the status and the
// (base64 PKCS#7) answer.
func (e *env) postEnroll(hc *http.Client, csr *x509.CertificateRequest) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, e.url+prefecture.ESTPath+"/simpleenroll",
		strings.NewReader(base64.StdEncoding.EncodeToString(csr.Raw)))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/pkcs10")
	req.Header.Set("Content-Transfer-Encoding", "base64")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}
