package sign

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/smallstep/pkcs7"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OIDSigningCertificateV2 is the id-aa-signingCertificateV2 attribute
// (RFC 5035, 1.2.840.113549.1.9.16.2.47).
var OIDSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}

// oidSHA256 is id-sha256 (2.16.840.1.101.3.4.2.1).
var oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}

// Signer is a key on a card with its certificate: what a signature needs.
type Signer struct {
	// Key signs; for a card, keygen's Card.Signer after the PIN.
	Key crypto.Signer
	// Certificate is the signer's certificate (the card's slot 9C).
	Certificate *x509.Certificate
	// Chain holds the issuing CA certificates, nearest first; they are
	// included so that a verifier finds the path to its pinned root.
	Chain []*x509.Certificate
}

// ErrNoCertificate means that a Signer has no certificate or key.
var ErrNoCertificate = errors.New("sign: no signer certificate or key")

// CMS signs content and returns the DER of a CMS ContentInfo holding a
// SignedData: SHA-256 digest, signed attributes contentType,
// messageDigest, signingTime and signingCertificateV2 (the SHA-256 of the
// signer certificate with its issuer and serial), the certificate and
// its chain. With detached the content is left out and the verifier
// must be given it (RFC 5652, section 5.2). The card signs once.
func CMS(content []byte, s Signer, detached bool) ([]byte, error) {
	if s.Key == nil || s.Certificate == nil {
		return nil, ErrNoCertificate
	}
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	attr, err := SigningCertificateV2(s.Certificate)
	if err != nil {
		return nil, err
	}
	cfg := pkcs7.SignerInfoConfig{ExtraSignedAttributes: []pkcs7.Attribute{
		{Type: OIDSigningCertificateV2, Value: asn1.RawValue{FullBytes: attr}},
	}}
	if err := sd.AddSignerChain(s.Certificate, s.Key, s.Chain, cfg); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if detached {
		sd.Detach()
	}
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return der, nil
}

// SigningCertificateV2 returns the DER value of a signingCertificateV2
// attribute (RFC 5035) naming cert: one ESSCertIDv2 with the default
// hash SHA-256 left out, certHash, and issuerSerial (the issuer as a
// directoryName and the serial number).
func SigningCertificateV2(cert *x509.Certificate) ([]byte, error) {
	sum := sha256.Sum256(cert.Raw)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SigningCertificateV2
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // certs
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ESSCertIDv2
				b.AddASN1OctetString(sum[:])
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerSerial
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // GeneralNames
						b.AddASN1(cbasn1.Tag(4).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
							b.AddBytes(cert.RawIssuer)
						})
					})
					b.AddASN1BigInt(cert.SerialNumber)
				})
			})
		})
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("sign: signingCertificateV2: %w", err)
	}
	return der, nil
}
