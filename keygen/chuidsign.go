package keygen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"time"

	"golang.org/x/crypto/hkdf"

	"madoguchi/cardio"
)

// labelCHUIDSigner is the HKDF label of the CHUID signer's key.
const labelCHUIDSigner = "madoguchi/piv/chuid-signer/v1"

// Object identifiers of the CHUID signature (SP 800-73-4 part 1, 3.1.2;
// FIPS 201; RFC 5652).
var (
	oidSignedData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidCHUIDSecurityObj = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 6, 1}
	oidPIVSignerDN      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 6, 5}
	oidPIVContentSign   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 6, 7}
	oidContentType      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSHA256           = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSAWithSHA256  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// chuidSignerName is the subject of the CHUID signer certificate.
var chuidSignerName = pkix.Name{Organization: []string{"madoguchi"}, CommonName: "CHUID signer"}

// CHUIDSigner is the municipality's CHUID signer: an ECDSA P-256 key
// derived with HKDF-SHA256 from the master secret (its own label, no card
// ID, so one key for all the municipality's cards) and a self-signed
// certificate for it with the PIV content signing extended key usage.
type CHUIDSigner struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

// NewCHUIDSigner derives the CHUID signer of master.
func NewCHUIDSigner(master []byte) (*CHUIDSigner, error) {
	if len(master) < MinMasterLength {
		return nil, ErrMasterSecret
	}
	kdf := hkdf.New(sha256.New, master, nil, []byte(labelCHUIDSigner))
	var key *ecdsa.PrivateKey
	for key == nil { // a candidate outside [1, n-1] (odds 2^-32) is skipped
		d := make([]byte, 32)
		if _, err := io.ReadFull(kdf, d); err != nil {
			return nil, err
		}
		key, _ = ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
		clear(d)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(pubDER)
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(h[:16]),
		Subject:               chuidSignerName,
		NotBefore:             time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{oidPIVContentSign},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("keygen: CHUID signer certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CHUIDSigner{key: key, cert: cert}, nil
}

// Certificate returns the signer's certificate, which each signature
// carries.
func (s *CHUIDSigner) Certificate() *x509.Certificate { return s.cert }

// Public returns the signer's public key.
func (s *CHUIDSigner) Public() crypto.PublicKey { return &s.key.PublicKey }

// CMS structures (RFC 5652), as much as the CHUID signature needs.
type (
	contentInfo struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue
	}
	signedData struct {
		Version          int
		DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
		EncapContentInfo encapContentInfo
		Certificates     asn1.RawValue
		SignerInfos      []signerInfo `asn1:"set"`
	}
	encapContentInfo struct {
		EContentType asn1.ObjectIdentifier // the content is detached
	}
	signerInfo struct {
		Version            int
		SID                issuerAndSerial
		DigestAlgorithm    pkix.AlgorithmIdentifier
		SignedAttrs        asn1.RawValue
		SignatureAlgorithm pkix.AlgorithmIdentifier
		Signature          []byte
	}
	issuerAndSerial struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}
	attribute struct {
		Type   asn1.ObjectIdentifier
		Values asn1.RawValue
	}
)

// setOf wraps DER values in a SET.
func setOf(der ...[]byte) asn1.RawValue {
	var b []byte
	for _, d := range der {
		b = append(b, d...)
	}
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: b}
}

// Sign sets c.Signature to a CMS SignedData over c.SignedContent(), as
// SP 800-73-4 defines the CHUID's issuer asymmetric signature: detached
// content of type id-PIV-CHUIDSecurityObject, SHA-256 with ECDSA, signed
// attributes content type, message digest and pivSigner-DN, and the
// signer certificate included.
func (s *CHUIDSigner) Sign(c *cardio.CHUID) error {
	digest := sha256.Sum256(c.SignedContent())
	ctDER, err := asn1.Marshal(oidCHUIDSecurityObj)
	if err != nil {
		return err
	}
	mdDER, err := asn1.Marshal(digest[:])
	if err != nil {
		return err
	}
	attrs := []attribute{
		{Type: oidContentType, Values: setOf(ctDER)},
		{Type: oidMessageDigest, Values: setOf(mdDER)},
		{Type: oidPIVSignerDN, Values: setOf(s.cert.RawSubject)},
	}
	// The signature is over the DER SET OF the attributes; in SignerInfo
	// the same bytes carry the implicit tag [0].
	attrsDER, err := asn1.MarshalWithParams(attrs, "set")
	if err != nil {
		return err
	}
	h := sha256.Sum256(attrsDER)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, h[:])
	if err != nil {
		return err
	}
	implicit := append([]byte{0xA0}, attrsDER[1:]...)
	sd := signedData{
		Version:          3, // eContentType is not id-data
		DigestAlgorithms: []pkix.AlgorithmIdentifier{{Algorithm: oidSHA256}},
		EncapContentInfo: encapContentInfo{EContentType: oidCHUIDSecurityObj},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: s.cert.Raw},
		SignerInfos: []signerInfo{{
			Version:            1,
			SID:                issuerAndSerial{Issuer: asn1.RawValue{FullBytes: s.cert.RawIssuer}, Serial: s.cert.SerialNumber},
			DigestAlgorithm:    pkix.AlgorithmIdentifier{Algorithm: oidSHA256},
			SignedAttrs:        asn1.RawValue{FullBytes: implicit},
			SignatureAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA256},
			Signature:          sig,
		}},
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return err
	}
	der, err := asn1.Marshal(contentInfo{
		ContentType: oidSignedData,
		Content:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER},
	})
	if err != nil {
		return err
	}
	c.Signature = der
	return nil
}
