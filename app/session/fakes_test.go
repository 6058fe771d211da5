package session

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"math/big"
	"sync"
	"time"

	"madoguchi/app/prefecture"
	"madoguchi/forms/jpkicert"
)

// fakeCard is a card that keeps the rules the session relies on: one ID
// from Prepare on, a PIN, a key that never leaves it, a certificate slot.
type fakeCard struct {
	mu       sync.Mutex
	id       string
	pin      []byte
	key      *ecdsa.PrivateKey
	cert     *x509.Certificate
	finished bool
	fail     map[string]error // method name → error, returned once
}

func newFakeCard() *fakeCard { return &fakeCard{fail: map[string]error{}} }

func (c *fakeCard) failing(op string) error {
	if err, ok := c.fail[op]; ok {
		delete(c.fail, op)
		return err
	}
	return nil
}

func (c *fakeCard) ID() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.id == "" {
		return "", errors.New("fake card: not prepared")
	}
	return c.id, nil
}

func (c *fakeCard) Prepare(ctx context.Context, master []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.failing("Prepare"); err != nil {
		return err
	}
	if c.id == "" {
		b := make([]byte, 16)
		rand.Read(b)
		c.id = hex.EncodeToString(b)
	}
	return nil
}

func (c *fakeCard) SetPIN(ctx context.Context, pin, confirm []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !bytes.Equal(pin, confirm) || len(pin) < 6 {
		return errors.New("fake card: PIN policy")
	}
	c.pin = append([]byte(nil), pin...)
	return nil
}

func (c *fakeCard) GenerateKey(ctx context.Context) (crypto.PublicKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.failing("GenerateKey"); err != nil {
		return nil, err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	c.key, c.cert = k, nil
	return k.Public(), nil
}

func (c *fakeCard) ExpectKey(pub crypto.PublicKey) error { return nil }

func (c *fakeCard) CreateRequest(ctx context.Context, subject pkix.Name, items jpkicert.Items, pin []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !bytes.Equal(pin, c.pin) {
		return nil, errors.New("fake card: wrong PIN")
	}
	ext, err := items.Extension()
	if err != nil {
		return nil, err
	}
	return x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subject, ExtraExtensions: []pkix.Extension{ext}}, c.key)
}

func (c *fakeCard) WriteCertificate(ctx context.Context, cert *x509.Certificate, items jpkicert.Items) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.failing("WriteCertificate"); err != nil {
		return err
	}
	pub, _ := x509.MarshalPKIXPublicKey(c.key.Public())
	if !bytes.Equal(pub, cert.RawSubjectPublicKeyInfo) {
		return errors.New("fake card: certificate is not for this card's key")
	}
	got, err := jpkicert.FromExtensions(cert.Extensions)
	if err != nil || got != items {
		return errors.New("fake card: items differ")
	}
	c.cert = cert
	return nil
}

func (c *fakeCard) Finish(ctx context.Context, master []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.failing("Finish"); err != nil {
		return err
	}
	c.finished = true
	return nil
}

func (c *fakeCard) Certificate(ctx context.Context) (*x509.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cert == nil {
		return nil, errors.New("fake card: no certificate")
	}
	return c.cert, nil
}

func (c *fakeCard) ResetPIN(ctx context.Context, master, pin, confirm []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.finished {
		return errors.New("fake card: no PUK set")
	}
	if !bytes.Equal(pin, confirm) {
		return errors.New("fake card: PIN policy")
	}
	c.pin = append([]byte(nil), pin...)
	return nil
}

// fakeCA issues one certificate per public key, like the reference CA.
type fakeCA struct {
	mu      sync.Mutex
	key     *ecdsa.PrivateKey
	root    *x509.Certificate
	serial  int64
	byKey   map[string]*x509.Certificate
	revoked map[string]prefecture.Reason
	issued  int
	down    int   // the next n calls fail as unreachable
	refuse  error // if set, Enroll refuses with it
	tamper  bool  // issue certificates with other items
	// supersede revokes a holder's earlier certificates with the same
	// items when it issues a new one, as the reference CA does.
	supersede bool
	revokedAt map[string]time.Time
}

func newFakeCA() *fakeCA {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake prefecture CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(20, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	root, _ := x509.ParseCertificate(der)
	return &fakeCA{key: k, root: root, serial: 0x1000, byKey: map[string]*x509.Certificate{}, revoked: map[string]prefecture.Reason{}, revokedAt: map[string]time.Time{}}
}

var errFakeDown = &prefecture.Error{Op: "enroll", Kind: prefecture.Unreachable, Err: errors.New("fake CA down")}

func (ca *fakeCA) Enroll(ctx context.Context, csr *x509.CertificateRequest) (*prefecture.Enrollment, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if ca.down > 0 {
		ca.down--
		return nil, errFakeDown
	}
	if ca.refuse != nil {
		return nil, ca.refuse
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, &prefecture.Error{Op: "enroll", Kind: prefecture.Refused, Err: err}
	}
	k := string(csr.RawSubjectPublicKeyInfo)
	if c, ok := ca.byKey[k]; ok {
		return &prefecture.Enrollment{Certificate: c, Chain: []*x509.Certificate{ca.root}}, nil
	}
	ca.serial++
	exts := csr.Extensions
	if ca.tamper {
		it, _ := jpkicert.FromExtensions(exts)
		it.Sex = map[string]string{"1": "2", "2": "1", "3": "1"}[it.Sex]
		e, _ := it.Extension()
		exts = []pkix.Extension{e}
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(ca.serial), Subject: csr.Subject, NotBefore: time.Now().Add(-time.Minute),
		NotAfter: time.Now().AddDate(5, 0, 0), ExtraExtensions: exts, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.root, csr.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	c, _ := x509.ParseCertificate(der)
	if ca.supersede {
		newItems, _ := jpkicert.FromExtensions(c.Extensions)
		for _, old := range ca.byKey {
			s := old.SerialNumber.Text(16)
			if it, _ := jpkicert.FromExtensions(old.Extensions); it == newItems {
				if _, done := ca.revoked[s]; !done {
					ca.revoked[s] = prefecture.ReasonSuperseded
					ca.revokedAt[s] = time.Now()
				}
			}
		}
	}
	ca.byKey[k] = c
	ca.issued++
	return &prefecture.Enrollment{Certificate: c, Chain: []*x509.Certificate{ca.root}}, nil
}

func (ca *fakeCA) Revoke(ctx context.Context, serial *big.Int, reason prefecture.Reason) (*prefecture.Revocation, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if ca.down > 0 {
		ca.down--
		return nil, errFakeDown
	}
	s := serial.Text(16)
	if r, ok := ca.revoked[s]; ok {
		return &prefecture.Revocation{Serial: serial, RevokedAt: time.Now(), Reason: r, Already: true}, nil
	}
	ca.revoked[s] = reason
	ca.revokedAt[s] = time.Now()
	return &prefecture.Revocation{Serial: serial, RevokedAt: time.Now(), Reason: reason}, nil
}

func (ca *fakeCA) CRL(ctx context.Context) (*x509.RevocationList, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if ca.down > 0 {
		ca.down--
		return nil, errFakeDown
	}
	tmpl := &x509.RevocationList{Number: big.NewInt(time.Now().UnixNano()), ThisUpdate: time.Now(), NextUpdate: time.Now().Add(time.Hour)}
	for s, r := range ca.revoked {
		n, _ := new(big.Int).SetString(s, 16)
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: n, RevocationTime: ca.revokedAt[s], ReasonCode: r.CRLReason()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.root, ca.key)
	if err != nil {
		return nil, err
	}
	return x509.ParseRevocationList(der)
}

func (ca *fakeCA) isRevoked(serial string) bool {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	_, ok := ca.revoked[serial]
	return ok
}

func (ca *fakeCA) issuedCount() int {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return ca.issued
}
