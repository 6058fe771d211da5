package signtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
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
)

// Responder is the prefecture's revocation service reduced to what a
// verifier sees: OCSP and a CRL over mutual TLS, answering only clients
// whose certificate the test CA issued.
type Responder struct {
	ca      *CA
	Server  *httptest.Server     // the HTTPS service (its certificate is the TLS root to trust)
	mu      sync.Mutex           // guards the maps and OCSPOff; hold it to change them
	Revoked map[string]time.Time // serial → revocation time
	Delta   map[string]time.Time // revoked since the base CRL: in the delta CRL only
	OCSPOff bool                 // answer OCSP with 503
	ocspN   int                  // OCSP requests served
	crlN    int64
	// Client is a verifier's TLS certificate accepted by the service.
	Client tls.Certificate
}

// NewResponder starts the service for ca; it stops at the end of the test.
func NewResponder(t testing.TB, ca *CA) *Responder {
	t.Helper()
	rs := &Responder{ca: ca, Revoked: map[string]time.Time{}, Delta: map[string]time.Time{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ocsp", rs.serveOCSP)
	mux.HandleFunc("GET /crl/13101/0.crl", rs.serveCRL)
	mux.HandleFunc("GET /crl/13101/0-delta.crl", rs.serveDelta)
	rs.Server = httptest.NewUnstartedServer(mux)
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(ca.Issuing)
	rs.Server.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	rs.Server.StartTLS()
	t.Cleanup(rs.Server.Close)
	// A verifier certificate (client auth), as the register issues.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(99), Subject: pkix.Name{CommonName: "署名検証者 千代田区役所"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Issuing, key.Public(), ca.IssuingKey)
	if err != nil {
		t.Fatal(err)
	}
	rs.Client = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return rs
}

// OCSPURL is the responder address.
//
// Like the prefecture's, it is the stable plain-http URL a certificate
// names; verifiers fetch its path from Server.URL (verify.Remote's
// ServiceURL) over mutual TLS.
func (rs *Responder) OCSPURL() string { return PlainURL + "/ocsp" }

// CRLURL is the base CRL address.
func (rs *Responder) CRLURL() string { return PlainURL + "/crl/13101/0.crl" }

// PlainURL is the host the certificates and CRLs name (nothing listens
// there).
const PlainURL = "http://revocation.pref.example.jp"

// Revoke puts serial in the base CRL and the OCSP answers.
func (rs *Responder) Revoke(serial *big.Int, at time.Time) {
	rs.mu.Lock()
	rs.Revoked[serial.String()] = at
	rs.mu.Unlock()
}

// Lock and Unlock guard Revoked, Delta and OCSPOff.
func (rs *Responder) Lock() { rs.mu.Lock() }

// Unlock ends Lock.
func (rs *Responder) Unlock() { rs.mu.Unlock() }

func (rs *Responder) serveOCSP(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	off := rs.OCSPOff
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
	if at, ok := rs.Revoked[req.SerialNumber.String()]; ok {
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

func (rs *Responder) serveCRL(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	rs.crlN++
	tmpl := &x509.RevocationList{Number: big.NewInt(rs.crlN), ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(time.Hour),
		ExtraExtensions: []pkix.Extension{freshestCRLExt(PlainURL + "/crl/13101/0-delta.crl")}}
	for s, at := range rs.Revoked {
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

// serveDelta answers the delta CRL over the last base CRL.
func (rs *Responder) serveDelta(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	base := rs.crlN
	ind, _ := asn1.Marshal(big.NewInt(base))
	tmpl := &x509.RevocationList{Number: big.NewInt(base + 1000), ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(10 * time.Minute),
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 27}, Critical: true, Value: ind}}}
	for s, at := range rs.Delta {
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

// ClientPEM returns the verifier certificate and its key as PEM, for
// command-line tests.
func (rs *Responder) ClientPEM(t testing.TB) (certPEM, keyPEM []byte) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(rs.Client.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rs.Client.Certificate[0]}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
