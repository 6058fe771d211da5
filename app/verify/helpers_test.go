package verify_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"testing"
	"time"

	"madoguchi/app/sign"
	"madoguchi/app/sign/signtest"
	"madoguchi/app/verify"
	"madoguchi/forms/jpkicert"
)

// remote returns the verifier's registered access to rs.
func remoteFor(rs *signtest.Responder) *verify.Remote {
	pool := x509.NewCertPool()
	pool.AddCert(rs.Server.Certificate())
	r := verify.NewRemote(rs.Client, pool)
	r.ServiceURL = rs.Server.URL
	return r
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

// signCMS signs application detached with a software key under ca.
func signCMS(t testing.TB, cert *x509.Certificate, key crypto.Signer, ca *signtest.CA) []byte {
	t.Helper()
	der, err := sign.CMS(application, sign.Signer{Key: key, Certificate: cert, Chain: []*x509.Certificate{ca.Issuing}}, true)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// fuzzRoot is a CA certificate for the fuzz targets' verifier.
var fuzzRoot = func() *x509.Certificate {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz root"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	c, _ := x509.ParseCertificate(der)
	return c
}()
