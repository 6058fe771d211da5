package verify_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"io"
	"testing"
	"time"

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
