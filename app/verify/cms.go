package verify

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers of RFC 5652 and RFC 5035 used here.
var (
	oidSignedData      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidContentType     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSigningCertV2   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidSigningCertV1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidSHA256          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidRSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECPublicKey     = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
)

// SignedData is a parsed CMS SignedData (RFC 5652, section 5), DER only.
type SignedData struct {
	// ContentType is the eContentType (id-data for a document).
	ContentType asn1.ObjectIdentifier
	// Content is the encapsulated content, nil when detached.
	Content []byte
	// Certificates are those the signer included, in order.
	Certificates []*x509.Certificate
	// Signers are the SignerInfos.
	Signers []SignerInfo
}

// SignerInfo is one signer of a SignedData.
type SignerInfo struct {
	// IssuerRaw and Serial identify the signer certificate when the sid
	// is issuerAndSerialNumber; SubjectKeyID when it is a
	// subjectKeyIdentifier.
	IssuerRaw    []byte
	Serial       *big.Int
	SubjectKeyID []byte

	DigestAlgorithm    asn1.ObjectIdentifier
	SignatureAlgorithm asn1.ObjectIdentifier
	Signature          []byte

	// SignedAttrs is the DER of the signed attributes re-tagged as a SET,
	// the bytes the signature covers; nil when there are none.
	SignedAttrs []byte
	// Attributes are the signed attributes by OID (dotted string), each
	// the DER of its single value.
	Attributes map[string][]byte
}

// SigningTime returns the self-declared signing time, if any. It is shown
// to people and never used for a decision.
func (si *SignerInfo) SigningTime() (time.Time, bool) {
	v, ok := si.Attributes[oidSigningTime.String()]
	if !ok {
		return time.Time{}, false
	}
	var t time.Time
	if _, err := asn1.Unmarshal(v, &t); err != nil {
		return time.Time{}, false
	}
	return t, true
}

// errMalformed is wrapped by every parse error.
var errMalformed = errors.New("verify: malformed CMS")

func malformed(what string) error { return fmt.Errorf("%w: %s", errMalformed, what) }

// ParseCMS parses the DER of a ContentInfo holding a SignedData.
func ParseCMS(der []byte) (*SignedData, error) {
	in := cryptobyte.String(der)
	var ci, sdSeq cryptobyte.String
	var ctype asn1.ObjectIdentifier
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, malformed("ContentInfo is not one DER SEQUENCE")
	}
	if !ci.ReadASN1ObjectIdentifier(&ctype) || !ctype.Equal(oidSignedData) {
		return nil, malformed("content type is not signedData")
	}
	var explicit cryptobyte.String
	if !ci.ReadASN1(&explicit, cbasn1.Tag(0).ContextSpecific().Constructed()) || !ci.Empty() ||
		!explicit.ReadASN1(&sdSeq, cbasn1.SEQUENCE) || !explicit.Empty() {
		return nil, malformed("SignedData")
	}
	var version int64
	var digestAlgs, encap cryptobyte.String
	if !sdSeq.ReadASN1Integer(&version) || !sdSeq.ReadASN1(&digestAlgs, cbasn1.SET) ||
		!sdSeq.ReadASN1(&encap, cbasn1.SEQUENCE) {
		return nil, malformed("SignedData header")
	}
	sd := &SignedData{}
	if !encap.ReadASN1ObjectIdentifier(&sd.ContentType) {
		return nil, malformed("eContentType")
	}
	if !encap.Empty() {
		var ex, oct cryptobyte.String
		if !encap.ReadASN1(&ex, cbasn1.Tag(0).ContextSpecific().Constructed()) || !encap.Empty() ||
			!ex.ReadASN1(&oct, cbasn1.OCTET_STRING) || !ex.Empty() {
			return nil, malformed("eContent")
		}
		sd.Content = append([]byte{}, oct...)
	}
	if sdSeq.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific().Constructed()) {
		var certs cryptobyte.String
		sdSeq.ReadASN1(&certs, cbasn1.Tag(0).ContextSpecific().Constructed())
		for !certs.Empty() {
			var raw cryptobyte.String
			var tag cbasn1.Tag
			if !certs.ReadAnyASN1Element(&raw, &tag) {
				return nil, malformed("certificates")
			}
			if tag != cbasn1.SEQUENCE {
				continue // other certificate formats
			}
			c, err := x509.ParseCertificate(raw)
			if err != nil {
				return nil, fmt.Errorf("%w: certificate: %v", errMalformed, err)
			}
			sd.Certificates = append(sd.Certificates, c)
		}
	}
	if sdSeq.PeekASN1Tag(cbasn1.Tag(1).ContextSpecific().Constructed()) {
		var crls cryptobyte.String
		sdSeq.ReadASN1(&crls, cbasn1.Tag(1).ContextSpecific().Constructed())
	}
	var infos cryptobyte.String
	if !sdSeq.ReadASN1(&infos, cbasn1.SET) || !sdSeq.Empty() {
		return nil, malformed("signerInfos")
	}
	for !infos.Empty() {
		var s cryptobyte.String
		if !infos.ReadASN1(&s, cbasn1.SEQUENCE) {
			return nil, malformed("SignerInfo")
		}
		si, err := parseSignerInfo(s)
		if err != nil {
			return nil, err
		}
		sd.Signers = append(sd.Signers, si)
	}
	if len(sd.Signers) == 0 {
		return nil, malformed("no signer")
	}
	return sd, nil
}

func parseSignerInfo(s cryptobyte.String) (SignerInfo, error) {
	var si SignerInfo
	var version int64
	if !s.ReadASN1Integer(&version) {
		return si, malformed("SignerInfo version")
	}
	switch {
	case s.PeekASN1Tag(cbasn1.SEQUENCE):
		var ias cryptobyte.String
		var issuer cryptobyte.String
		si.Serial = new(big.Int)
		if !s.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadASN1Element(&issuer, cbasn1.SEQUENCE) ||
			!ias.ReadASN1Integer(si.Serial) || !ias.Empty() {
			return si, malformed("issuerAndSerialNumber")
		}
		si.IssuerRaw = append([]byte{}, issuer...)
	case s.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific()):
		var ski cryptobyte.String
		if !s.ReadASN1(&ski, cbasn1.Tag(0).ContextSpecific()) {
			return si, malformed("subjectKeyIdentifier")
		}
		si.SubjectKeyID = append([]byte{}, ski...)
	default:
		return si, malformed("signer identifier")
	}
	var err error
	if si.DigestAlgorithm, err = readAlgorithm(&s); err != nil {
		return si, err
	}
	si.Attributes = map[string][]byte{}
	if s.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific().Constructed()) {
		var attrs cryptobyte.String
		var raw cryptobyte.String
		if !s.ReadASN1Element(&raw, cbasn1.Tag(0).ContextSpecific().Constructed()) {
			return si, malformed("signedAttrs")
		}
		si.SignedAttrs = append([]byte{}, raw...)
		si.SignedAttrs[0] = 0x31 // [0] IMPLICIT → SET OF, as signed (RFC 5652, 5.4)
		raw.ReadASN1(&attrs, cbasn1.Tag(0).ContextSpecific().Constructed())
		for !attrs.Empty() {
			var a, vals, val cryptobyte.String
			var oid asn1.ObjectIdentifier
			if !attrs.ReadASN1(&a, cbasn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&oid) ||
				!a.ReadASN1(&vals, cbasn1.SET) || !a.Empty() {
				return si, malformed("attribute")
			}
			var tag cbasn1.Tag
			if !vals.ReadAnyASN1Element(&val, &tag) || !vals.Empty() {
				return si, malformed("attribute " + oid.String() + " must have one value")
			}
			if _, dup := si.Attributes[oid.String()]; dup {
				return si, malformed("attribute " + oid.String() + " appears twice")
			}
			si.Attributes[oid.String()] = append([]byte{}, val...)
		}
	}
	if si.SignatureAlgorithm, err = readAlgorithm(&s); err != nil {
		return si, err
	}
	var sig cryptobyte.String
	if !s.ReadASN1(&sig, cbasn1.OCTET_STRING) {
		return si, malformed("signature")
	}
	si.Signature = append([]byte{}, sig...)
	if s.PeekASN1Tag(cbasn1.Tag(1).ContextSpecific().Constructed()) {
		var unsigned cryptobyte.String
		s.ReadASN1(&unsigned, cbasn1.Tag(1).ContextSpecific().Constructed())
	}
	if !s.Empty() {
		return si, malformed("trailing data in SignerInfo")
	}
	return si, nil
}

func readAlgorithm(s *cryptobyte.String) (asn1.ObjectIdentifier, error) {
	var alg cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) {
		return nil, malformed("AlgorithmIdentifier")
	}
	return oid, nil
}
