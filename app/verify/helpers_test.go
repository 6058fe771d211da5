package verify_test

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
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"

	"madoguchi/app/sign/signtest"
	"madoguchi/app/verify"
	"madoguchi/forms/jpkicert"
)

// responder is the prefecture's revocation service reduced to what a
// verifier sees: OCSP and a CRL over mutual TLS, answering only clients
// whose certificate the test CA issued.
type responder struct {
	ca      *signtest.CA
	srv     *httptest.Server
	mu      sync.Mutex
	revoked map[string]time.Time // serial → revocation time
	delta   map[string]time.Time // revoked since the base CRL: in the delta CRL only
	ocspOff bool                 // answer OCSP with 503
	ocspN   int                  // OCSP requests served
	crlN    int64
	// client is a verifier's TLS certificate accepted by the service.
	client tls.Certificate
}

func newResponder(t testing.TB, ca *signtest.CA) *responder {
	t.Helper()
	rs := &responder{ca: ca, revoked: map[string]time.Time{}, delta: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ocsp", rs.serveOCSP)
	mux.HandleFunc("GET /crl/13101/0.crl", rs.serveCRL)
	mux.HandleFunc("GET /crl/13101/0-delta.crl", rs.serveDelta)
	rs.srv = httptest.NewUnstartedServer(mux)
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(ca.Issuing)
	rs.srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	rs.srv.StartTLS()
	t.Cleanup(rs.srv.Close)
	// A verifier certificate (client auth), as the register issues.
	key := signtestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(99), Subject: pkix.Name{CommonName: "署名検証者 千代田区役所"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Issuing, key.Public(), ca.IssuingKey)
	if err != nil {
		t.Fatal(err)
	}
	rs.client = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return rs
}

func (rs *responder) ocspURL() string { return rs.srv.URL + "/ocsp" }
func (rs *responder) crlURL() string  { return rs.srv.URL + "/crl/13101/0.crl" }

// remote returns the verifier's registered access to rs.
func (rs *responder) remote() *verify.Remote {
	pool := x509.NewCertPool()
	pool.AddCert(rs.srv.Certificate())
	r := verify.NewRemote(rs.client, pool)
	r.CRLURL = rs.crlURL()
	return r
}

func (rs *responder) revoke(serial *big.Int, at time.Time) {
	rs.mu.Lock()
	rs.revoked[serial.String()] = at
	rs.mu.Unlock()
}

func (rs *responder) serveOCSP(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	off := rs.ocspOff
	rs.ocspN++
	rs.mu.Unlock()
	if off {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(r.Body)
	req, err := ocsp.ParseRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	now := time.Now()
	tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}
	rs.mu.Lock()
	if at, ok := rs.revoked[req.SerialNumber.String()]; ok {
		tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, at, ocsp.AffiliationChanged
	}
	rs.mu.Unlock()
	der, err := ocsp.CreateResponse(rs.ca.Issuing, rs.ca.Issuing, tmpl, rs.ca.IssuingKey)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Write(der)
}

func (rs *responder) serveCRL(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	rs.crlN++
	tmpl := &x509.RevocationList{Number: big.NewInt(rs.crlN), ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(time.Hour),
		ExtraExtensions: []pkix.Extension{freshestCRLExt(rs.srv.URL + "/crl/13101/0-delta.crl")}}
	for s, at := range rs.revoked {
		n, _ := new(big.Int).SetString(s, 10)
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: at, ReasonCode: 3})
	}
	rs.mu.Unlock()
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, rs.ca.Issuing, rs.ca.IssuingKey)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Write(der)
}

func signtestKey(t testing.TB) interface {
	Public() crypto.PublicKey
	Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error)
} {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type signer interface {
	Public() crypto.PublicKey
	Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error)
}

func signtestRSA(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// okSource says every certificate is good.
type okSource struct{}

func (okSource) Status(context.Context, *x509.Certificate, *x509.Certificate, time.Time) (*verify.RevocationInfo, error) {
	now := time.Now()
	return &verify.RevocationInfo{Method: "ocsp", ProducedAt: now, ThisUpdate: now, NextUpdate: now.Add(time.Hour)}, nil
}

func mustLeaf(t testing.TB, ca *signtest.CA) *x509.Certificate {
	cert, _ := ca.IssueKey(t, signtest.Items(t, signtest.Form()), "")
	return cert
}

// fuzzItems are valid certificate items for the fuzz targets.
var fuzzItems = jpkicert.Items{Name: "高橋\u3000崎子", NamePositions: "10010", Sex: "2", Birth: "319620617", Address: "東京都千代田区", AddressPositions: "0000000"}

// serveDelta answers the delta CRL over the last base CRL.
func (rs *responder) serveDelta(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	base := rs.crlN
	ind, _ := asn1.Marshal(big.NewInt(base))
	tmpl := &x509.RevocationList{Number: big.NewInt(base + 1000), ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(10 * time.Minute),
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 27}, Critical: true, Value: ind}}}
	for s, at := range rs.delta {
		n, _ := new(big.Int).SetString(s, 10)
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: at, ReasonCode: 1})
	}
	rs.mu.Unlock()
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, rs.ca.Issuing, rs.ca.IssuingKey)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Write(der)
}

// freshestCRLExt encodes a FreshestCRL extension naming uri.
func freshestCRLExt(uri string) pkix.Extension {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.Tag(6).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte(uri)) })
				})
			})
		})
	})
	return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 46}, Value: b.BytesOrPanic()}
}
