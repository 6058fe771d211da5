package prefecture

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Paths served by the CA beside EST. They are relative to the CA's base
// URL (scheme and host).
const (
	// ESTPath is the EST well-known prefix (RFC 7030 3.2.2).
	ESTPath = "/.well-known/est"
	// RevokePath takes a signed revocation request (POST, SignedRequestType).
	RevokePath = "/ra/revoke"
	// NoticePath takes a signed change notice (POST, SignedRequestType).
	NoticePath = "/ra/notice"
	// CRLDir is the folder of partition CRLs, served to registered
	// verifiers only; a terminal reads its own municipality's through
	// RACRLIndexPath.
	CRLDir = "/crl/"
)

// Media types of the RA requests.
const (
	SignedRequestType = "application/jose"
	ResponseType      = "application/json"
	CRLType           = "application/pkix-crl"
)

// MaxClockSkew is how far a signed request's time may be from the CA's
// clock.
const MaxClockSkew = 5 * time.Minute

// MaxSignedRequestSize bounds a signed request body, in bytes.
const MaxSignedRequestSize = 16 << 10

// Operations a signed request can carry.
const (
	OpRevoke = "revoke"
	OpNotice = "notice"
)

// Request is the payload of an RA-signed request: a revocation (Op
// OpRevoke, with Reason) or a change notice (Op OpNotice, with Notice). The
// certificate is named by its serial; nothing about the holder travels.
type Request struct {
	Op     string     `json:"op"`
	Serial string     `json:"serial"` // FormatSerial
	Reason Reason     `json:"reason,omitempty"`
	Notice NoticeKind `json:"notice,omitempty"`
	Time   time.Time  `json:"time"`
	Nonce  string     `json:"nonce"` // base64url, at least 16 random bytes
	// Key is a change notice's idempotency key (NoticeKeyPattern): the CA
	// applies a notice once per key and answers a repeated key with its
	// first answer. Empty for revocations.
	Key string `json:"key,omitempty"`
}

// Response is the CA's answer to a signed request.
type Response struct {
	Revoked []RevokedEntry `json:"revoked"`
}

// RevokedEntry is one certificate in a Response.
type RevokedEntry struct {
	Serial    string    `json:"serial"`
	RevokedAt time.Time `json:"revoked_at"`
	Reason    Reason    `json:"reason"`
	Already   bool      `json:"already,omitempty"`
}

// FormatSerial writes a certificate serial as lowercase hexadecimal.
func FormatSerial(n *big.Int) string { return n.Text(16) }

// ParseSerial reads a serial written by FormatSerial (case-insensitive).
func ParseSerial(s string) (*big.Int, error) {
	if len(s) == 0 || len(s) > 40 || strings.Trim(s, "0123456789abcdefABCDEF") != "" {
		return nil, fmt.Errorf("prefecture: serial %q is not 1-40 hexadecimal digits", s)
	}
	n, _ := new(big.Int).SetString(s, 16)
	if n.Sign() <= 0 {
		return nil, fmt.Errorf("prefecture: serial %q is not positive", s)
	}
	return n, nil
}

// NewNonce returns 16 random bytes in base64url, for Request.Nonce.
func NewNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// jwsHeader is the protected header of a signed request.
type jwsHeader struct {
	Alg        string `json:"alg"`
	Thumbprint string `json:"x5t#S256"` // SHA-256 of the signer's certificate
}

// SignRequest signs req with the RA key as a JWS in compact serialisation
// (RFC 7515): ES256 for a P-256 key, RS256 for an RSA key. cert is the RA
// certificate of key; its thumbprint goes into the header so that the CA can
// check that the request and the TLS connection come from the same RA.
func SignRequest(key crypto.Signer, cert *x509.Certificate, req Request) ([]byte, error) {
	var alg string
	switch pub := key.Public().(type) {
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return nil, errors.New("prefecture: RA key: only the P-256 curve is supported")
		}
		alg = "ES256"
	case *rsa.PublicKey:
		alg = "RS256"
	default:
		return nil, fmt.Errorf("prefecture: RA key: unsupported type %T", pub)
	}
	thumb := sha256.Sum256(cert.Raw)
	hdr, err := json.Marshal(jwsHeader{Alg: alg, Thumbprint: base64.RawURLEncoding.EncodeToString(thumb[:])})
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	signingInput := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signingInput))
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("prefecture: signing the request: %w", err)
	}
	if alg == "ES256" {
		if sig, err = ecdsaASN1ToRaw(sig); err != nil {
			return nil, err
		}
	}
	return []byte(signingInput + "." + base64.RawURLEncoding.EncodeToString(sig)), nil
}

// ErrBadSignedRequest is returned by VerifyRequest for any request that is
// malformed or does not verify.
var ErrBadSignedRequest = errors.New("prefecture: bad signed request")

// VerifyRequest parses a signed request, checks its signature with cert
// (the RA certificate that authenticated the TLS connection), that the
// header names that certificate, and that its time is within MaxClockSkew
// of now. Replay protection (remembering nonces) is the caller's job.
// Every failure wraps ErrBadSignedRequest.
func VerifyRequest(body []byte, cert *x509.Certificate, now time.Time) (Request, error) {
	bad := func(format string, a ...any) (Request, error) {
		return Request{}, fmt.Errorf("%w: %s", ErrBadSignedRequest, fmt.Sprintf(format, a...))
	}
	if len(body) > MaxSignedRequestSize {
		return bad("larger than %d bytes", MaxSignedRequestSize)
	}
	body = bytes.TrimSpace(body)
	parts := bytes.Split(body, []byte("."))
	if len(parts) != 3 {
		return bad("not a compact JWS")
	}
	var raw [3][]byte
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(string(p))
		if err != nil {
			return bad("part %d is not base64url", i+1)
		}
		raw[i] = b
	}
	var hdr jwsHeader
	if err := strictUnmarshal(raw[0], &hdr); err != nil {
		return bad("header: %v", err)
	}
	thumb := sha256.Sum256(cert.Raw)
	if hdr.Thumbprint != base64.RawURLEncoding.EncodeToString(thumb[:]) {
		return bad("signed for another certificate than the TLS client certificate")
	}
	signed := body[:len(parts[0])+1+len(parts[1])]
	digest := sha256.Sum256(signed)
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if hdr.Alg != "ES256" || pub.Curve != elliptic.P256() || len(raw[2]) != 64 {
			return bad("algorithm %q does not fit the certificate's key", hdr.Alg)
		}
		r := new(big.Int).SetBytes(raw[2][:32])
		s := new(big.Int).SetBytes(raw[2][32:])
		if !ecdsa.Verify(pub, digest[:], r, s) {
			return bad("signature does not verify")
		}
	case *rsa.PublicKey:
		if hdr.Alg != "RS256" {
			return bad("algorithm %q does not fit the certificate's key", hdr.Alg)
		}
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], raw[2]) != nil {
			return bad("signature does not verify")
		}
	default:
		return bad("unsupported RA key type %T", pub)
	}
	var req Request
	if err := strictUnmarshal(raw[1], &req); err != nil {
		return bad("payload: %v", err)
	}
	switch req.Op {
	case OpRevoke:
		if !req.Reason.Valid() || req.Reason == ReasonSuperseded || req.Notice != 0 || req.Key != "" {
			return bad("revocation request without an allowed reason")
		}
	case OpNotice:
		if !req.Notice.Valid() || req.Reason != 0 {
			return bad("change notice without a notice kind")
		}
		if req.Key != "" && !ValidNoticeKey(req.Key) {
			return bad("notice key is not 16-64 characters of [A-Za-z0-9_-]")
		}
	default:
		return bad("unknown operation %q", req.Op)
	}
	if _, err := ParseSerial(req.Serial); err != nil {
		return bad("%v", err)
	}
	if n, err := base64.RawURLEncoding.DecodeString(req.Nonce); err != nil || len(n) < 16 || len(n) > 64 {
		return bad("nonce is not 16-64 bytes of base64url")
	}
	if d := now.Sub(req.Time); d > MaxClockSkew || d < -MaxClockSkew {
		return bad("request time %s is more than %s from the CA's clock", req.Time.UTC().Format(time.RFC3339), MaxClockSkew)
	}
	return req, nil
}

// strictUnmarshal decodes JSON refusing unknown fields and trailing data.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// ecdsaASN1ToRaw turns an ASN.1 ECDSA-Sig-Value into JWS's fixed-width
// r||s for P-256.
func ecdsaASN1ToRaw(sig []byte) ([]byte, error) {
	var r, s []byte
	in := cryptobyte.String(sig)
	var inner cryptobyte.String
	if !in.ReadASN1(&inner, cbasn1.SEQUENCE) || !in.Empty() ||
		!inner.ReadASN1Integer(&r) || !inner.ReadASN1Integer(&s) || !inner.Empty() {
		return nil, errors.New("prefecture: malformed ECDSA signature")
	}
	out := make([]byte, 64)
	rb := new(big.Int).SetBytes(r).Bytes()
	sb := new(big.Int).SetBytes(s).Bytes()
	if len(rb) > 32 || len(sb) > 32 {
		return nil, errors.New("prefecture: ECDSA signature too long for P-256")
	}
	copy(out[32-len(rb):32], rb)
	copy(out[64-len(sb):], sb)
	return out, nil
}

// Refusal codes: the first word of a CA refusal, so that programs can act
// on it without parsing English.
const (
	RefusalNoClientCert      = "no-client-certificate"
	RefusalRAUntrusted       = "ra-untrusted"
	RefusalRANotCMCRA        = "ra-not-cmcra"
	RefusalRARevoked         = "ra-revoked"
	RefusalRAWrongPrefecture = "ra-wrong-prefecture"
	RefusalBadRequest        = "bad-request"
	RefusalBadSignature      = "bad-signature"
	RefusalBadKey            = "bad-key"
	RefusalBadAlgorithm      = "bad-algorithm"
	RefusalBadItems          = "bad-items"
	RefusalCharset           = "charset"
	RefusalBadBirth          = "bad-birth"
	RefusalBadPositions      = "bad-positions"
	RefusalKeyReused         = "key-reused"
	RefusalKeyRevoked        = "key-revoked"
	RefusalUnknownSerial     = "unknown-serial"
	RefusalOtherMunicipality = "other-municipality"
	RefusalBadSignedRequest  = "bad-signed-request"
	RefusalReplay            = "replayed-request"
	RefusalUnsupported       = "unsupported"
)

// Refusal is the reason text of a CA refusal, as sent in the body of an
// EST or RA error response:
//
//	<code>: <English reason>
//	ja: <Japanese reason>
type Refusal struct {
	Code     string // one of the Refusal* codes, or "" for a foreign CA
	Reason   string // English
	ReasonJA string // Japanese, may be empty
}

// String formats r as the CA writes it.
func (r Refusal) String() string {
	s := r.Reason
	if r.Code != "" {
		s = r.Code + ": " + s
	}
	if r.ReasonJA != "" {
		s += "\nja: " + r.ReasonJA
	}
	return s
}

var (
	statusPrefix = regexp.MustCompile(`^[1-5][0-9][0-9] `)
	codePrefix   = regexp.MustCompile(`^([a-z][a-z0-9-]{1,40}): `)
)

// ParseRefusal reads the reason text of an error response. It accepts the
// "<status> " prefix that globalsign/est servers write, and any text from
// other CAs (which becomes the Reason).
func ParseRefusal(body string) Refusal {
	body = strings.TrimSpace(strings.ToValidUTF8(body, "\uFFFD"))
	body = statusPrefix.ReplaceAllString(body, "")
	var r Refusal
	var en []string
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		if ja, ok := strings.CutPrefix(line, "ja: "); ok {
			r.ReasonJA = ja
			continue
		}
		en = append(en, line)
	}
	text := strings.TrimSpace(strings.Join(en, " "))
	if m := codePrefix.FindStringSubmatch(text); m != nil {
		r.Code = m[1]
		text = text[len(m[0]):]
	}
	r.Reason = text
	return r
}
