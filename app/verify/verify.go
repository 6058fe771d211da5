package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"madoguchi/forms/jpkicert"
)

// Options configure a Verifier, in the manner of x509.VerifyOptions.
type Options struct {
	// Roots are the pinned prefecture roots; several CA generations may
	// be given. Each must be a CA by basicConstraints.
	Roots []*x509.Certificate
	// Intermediates are issuing CA certificates the verifier knows
	// besides those a signer includes.
	Intermediates []*x509.Certificate
	// Revocation answers the revocation check. Nil makes every
	// verification fail that check with ErrNotRegistered.
	Revocation RevocationSource
	// Now is the clock giving the time of receipt (time.Now if nil).
	Now func() time.Time
}

// Verifier checks signed applications. It is safe for concurrent use.
type Verifier struct {
	opts  Options
	roots *x509.CertPool
	inter []*x509.Certificate

	mu     sync.Mutex
	chains map[[32]byte]verifiedChain // leaf hash → a chain verified before
}

// verifiedChain is a path found earlier from a leaf to a pinned root,
// reused while the time checked lies within every certificate's validity.
type verifiedChain struct {
	issuer              *x509.Certificate
	notBefore, notAfter time.Time
}

// maxChains bounds the chain cache; it is emptied when full.
const maxChains = 10000

// ErrNoRoots means Options.Roots is empty.
var ErrNoRoots = errors.New("verify: no pinned prefecture root")

// New returns a Verifier. It refuses a root that is not a CA.
func New(opts Options) (*Verifier, error) {
	if len(opts.Roots) == 0 {
		return nil, ErrNoRoots
	}
	pool := x509.NewCertPool()
	for _, r := range opts.Roots {
		if !r.BasicConstraintsValid || !r.IsCA {
			return nil, fmt.Errorf("verify: pinned root %q is not a CA (basicConstraints)", r.Subject)
		}
		pool.AddCert(r)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Verifier{opts: opts, roots: pool, inter: opts.Intermediates}, nil
}

// VerifyCMS checks a CMS SignedData (DER). content is the document of a
// detached signature (nil for an attached one; for an attached one it
// must then equal the encapsulated content). form, when not nil, is
// compared with the certificate's 基本4情報.
func (v *Verifier) VerifyCMS(ctx context.Context, der, content []byte, form *Form) *Report {
	r := &Report{ReceivedAt: v.opts.Now(), Signatures: 1}
	v.verifyCMS(ctx, r, der, content, form)
	r.finish()
	return r
}

func (v *Verifier) verifyCMS(ctx context.Context, r *Report, der, content []byte, form *Form) {
	sd, err := ParseCMS(der)
	if err != nil {
		r.fail(CheckFormat, "CMS 署名データを解析できません", err)
		v.skipRest(r, form)
		return
	}
	switch {
	case len(sd.Signers) != 1:
		r.fail(CheckFormat, fmt.Sprintf("署名者が %d 人あります (1 人であること)", len(sd.Signers)), errors.New("verify: not exactly one signer"))
		v.skipRest(r, form)
		return
	case sd.Content == nil && content == nil:
		r.fail(CheckFormat, "署名対象の文書がありません (分離署名には文書が必要です)", errors.New("verify: detached signature without content"))
		v.skipRest(r, form)
		return
	case sd.Content != nil && content != nil && !bytes.Equal(sd.Content, content):
		r.fail(CheckFormat, "署名データに含まれる文書と提出された文書が異なります", errors.New("verify: attached content differs from the given document"))
		v.skipRest(r, form)
		return
	}
	if content == nil {
		content = sd.Content
		r.Content = sd.Content
	}
	r.ok(CheckFormat, "CMS SignedData")
	si := &sd.Signers[0]
	if t, ok := si.SigningTime(); ok {
		r.ClaimedSigningTime = &t
	}

	cert, err := findSigner(sd, si)
	if err != nil {
		r.fail(CheckSigner, "署名者の証明書が見つからないか、署名属性と一致しません", err)
	} else {
		r.ok(CheckSigner, signerDetail(si))
		items, _ := jpkicert.FromExtensions(cert.Extensions) // shape checked under identity
		r.Signer = &Certificate{Serial: cert.SerialNumber.String(), Issuer: cert.Issuer.String(),
			NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, Items: Items(items)}
	}
	if cert == nil {
		r.skip(CheckSignature, "署名者証明書がないため検証できません")
	} else if err := checkSignature(cert, si, sd.ContentType, content); err != nil {
		r.fail(CheckSignature, "署名が文書と一致しません (文書が改ざんされているか、署名が壊れています)", err)
	} else {
		r.ok(CheckSignature, "SHA-256 ダイジェストと署名値が一致")
	}
	v.checkCertificate(ctx, r, cert, sd.Certificates, form)
}

// skipRest marks what an unusable signature leaves unchecked.
func (v *Verifier) skipRest(r *Report, form *Form) {
	for _, id := range []CheckID{CheckSignature, CheckSigner, CheckChain, CheckValidity, CheckRevocation} {
		if r.Check(id) == nil {
			r.skip(id, "署名データが使えないため確認していません")
		}
	}
	r.FormCompared = form != nil
	if r.Check(CheckIdentity) == nil {
		r.skip(CheckIdentity, "署名データが使えないため照合していません")
	}
}

// checkCertificate runs chain, validity, revocation and identity for the
// signer certificate (nil when it was not found).
func (v *Verifier) checkCertificate(ctx context.Context, r *Report, cert *x509.Certificate, included []*x509.Certificate, form *Form) {
	r.FormCompared = form != nil
	if cert == nil {
		r.skip(CheckChain, "署名者証明書がありません")
		r.skip(CheckValidity, "署名者証明書がありません")
		r.skip(CheckRevocation, "署名者証明書がありません")
		r.skip(CheckIdentity, "署名者証明書がありません")
		return
	}
	at := r.ReceivedAt
	issuer, err := v.chain(cert, included, at)
	if err != nil {
		r.fail(CheckChain, chainDetail(err), err)
	} else {
		r.ok(CheckChain, fmt.Sprintf("発行者 %s", issuer.Subject.CommonName))
	}
	switch {
	case at.Before(cert.NotBefore):
		r.fail(CheckValidity, fmt.Sprintf("受付時点 (%s) では有効期間の開始前です", at.In(jst).Format("2006-01-02 15:04")), errors.New("verify: certificate not yet valid at receipt"))
	case at.After(cert.NotAfter):
		r.fail(CheckValidity, fmt.Sprintf("有効期間が %s に満了しています", cert.NotAfter.In(jst).Format("2006-01-02")), errors.New("verify: certificate expired at receipt"))
	default:
		r.ok(CheckValidity, fmt.Sprintf("%s まで有効", cert.NotAfter.In(jst).Format("2006-01-02")))
	}
	switch {
	case issuer == nil:
		r.skip(CheckRevocation, "チェーンが検証できないため確認していません")
	case v.opts.Revocation == nil:
		r.fail(CheckRevocation, "失効情報の提供を受ける登録 (署名検証者証明書) が設定されていないため、失効を確認できません", ErrNotRegistered)
	default:
		info, err := v.opts.Revocation.Status(ctx, cert, issuer, at)
		r.Revocation = info
		var um interface{ UserMessage() string }
		switch {
		case err == nil && info != nil && !info.Revoked:
			r.ok(CheckRevocation, revocationDetail(info))
		case errors.Is(err, ErrNotRegistered):
			r.fail(CheckRevocation, "失効情報の提供を受ける登録が確認できないため、失効を確認できません", err)
		case errors.As(err, &um):
			r.fail(CheckRevocation, um.UserMessage(), err)
		case err == nil:
			err = errors.New("verify: revocation source gave no good status")
			r.fail(CheckRevocation, "失効状態を確認できません", err)
		default:
			r.fail(CheckRevocation, "失効情報を取得できません", err)
		}
	}
	if form == nil {
		r.skip(CheckIdentity, "申請書が与えられていないため照合していません")
		return
	}
	items, err := jpkicert.FromExtensions(cert.Extensions)
	if err != nil {
		r.fail(CheckIdentity, "証明書に基本4情報がありません", err)
		return
	}
	if detail, err := CompareIdentity(items, *form); err != nil {
		r.fail(CheckIdentity, detail, err)
	} else {
		r.ok(CheckIdentity, detail)
	}
}

func revocationDetail(info *RevocationInfo) string {
	switch info.Method {
	case "ocsp":
		return fmt.Sprintf("OCSP により失効していないことを確認 (producedAt %s)", info.ProducedAt.In(jst).Format("2006-01-02 15:04:05"))
	case "crl":
		if info.DeltaCRLNumber != nil {
			return fmt.Sprintf("CRL (番号 %s) と差分 CRL (番号 %s, 発行 %s) により失効していないことを確認", serialString(info.CRLNumber), serialString(info.DeltaCRLNumber), info.ThisUpdate.In(jst).Format("2006-01-02 15:04:05"))
		}
		return fmt.Sprintf("CRL (番号 %s, 発行 %s) により失効していないことを確認", serialString(info.CRLNumber), info.ThisUpdate.In(jst).Format("2006-01-02 15:04:05"))
	}
	return "失効していないことを確認"
}

// chain verifies a path from cert to a pinned root at time at, and the
// keyUsage of cert. It returns the certificate's issuer. A certificate
// expired at `at` is judged at the end of its validity here, so that the
// validity check alone reports the expiry.
func (v *Verifier) chain(cert *x509.Certificate, included []*x509.Certificate, at time.Time) (*x509.Certificate, error) {
	if cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return nil, errors.New("verify: certificate keyUsage has neither digitalSignature nor nonRepudiation")
	}
	inter := x509.NewCertPool()
	for _, c := range included {
		if !c.Equal(cert) {
			inter.AddCert(c)
		}
	}
	for _, c := range v.inter {
		inter.AddCert(c)
	}
	t := at
	if t.After(cert.NotAfter) {
		t = cert.NotAfter
	} else if t.Before(cert.NotBefore) {
		t = cert.NotBefore
	}
	key := sha256.Sum256(cert.Raw)
	v.mu.Lock()
	c, ok := v.chains[key]
	v.mu.Unlock()
	if ok && !t.Before(c.notBefore) && !t.After(c.notAfter) {
		return c.issuer, nil
	}
	chains, err := cert.Verify(x509.VerifyOptions{
		Roots: v.roots, Intermediates: inter, CurrentTime: t,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, err
	}
	for _, ch := range chains {
		root := ch[len(ch)-1]
		if root.BasicConstraintsValid && root.IsCA && len(ch) >= 2 {
			c := verifiedChain{issuer: ch[1], notBefore: ch[0].NotBefore, notAfter: ch[0].NotAfter}
			for _, x := range ch[1:] {
				if x.NotBefore.After(c.notBefore) {
					c.notBefore = x.NotBefore
				}
				if x.NotAfter.Before(c.notAfter) {
					c.notAfter = x.NotAfter
				}
			}
			v.mu.Lock()
			if v.chains == nil || len(v.chains) >= maxChains {
				v.chains = map[[32]byte]verifiedChain{}
			}
			v.chains[key] = c
			v.mu.Unlock()
			return ch[1], nil
		}
	}
	return nil, errors.New("verify: no chain ends at a CA root")
}

func chainDetail(err error) string {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return "登録された都道府県知事のルート証明書に連鎖しません (発行元が異なります)"
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return "発行元 CA 証明書の有効期間外です"
	case errors.As(err, &ci):
		return "証明書チェーンが不正です"
	}
	if bytes.Contains([]byte(err.Error()), []byte("keyUsage")) {
		return "証明書の鍵用途が署名用ではありません"
	}
	return "証明書チェーンを検証できません"
}

func signerDetail(si *SignerInfo) string {
	how := "発行者名とシリアル番号"
	if si.SubjectKeyID != nil {
		how = "サブジェクト鍵識別子"
	}
	if _, ok := si.Attributes[oidSigningCertV2.String()]; ok {
		return how + "で特定、signingCertificateV2 と一致"
	}
	return how + "で特定"
}

// findSigner returns the certificate sid names among sd's certificates,
// and checks it against a signingCertificateV2 attribute when present.
func findSigner(sd *SignedData, si *SignerInfo) (*x509.Certificate, error) {
	var cert *x509.Certificate
	for _, c := range sd.Certificates {
		if si.SubjectKeyID != nil {
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, si.SubjectKeyID) {
				cert = c
				break
			}
			continue
		}
		if bytes.Equal(c.RawIssuer, si.IssuerRaw) && c.SerialNumber.Cmp(si.Serial) == 0 {
			cert = c
			break
		}
	}
	if cert == nil {
		return nil, errors.New("verify: the signer's certificate is not included")
	}
	if v, ok := si.Attributes[oidSigningCertV2.String()]; ok {
		if err := checkSigningCertV2(v, cert); err != nil {
			return nil, err
		}
	}
	return cert, nil
}

// checkSigningCertV2 checks the first ESSCertIDv2 of a
// signingCertificateV2 value (RFC 5035) against cert.
func checkSigningCertV2(v []byte, cert *x509.Certificate) error {
	s := cryptobyte.String(v)
	var scv2, certs, id cryptobyte.String
	if !s.ReadASN1(&scv2, cbasn1.SEQUENCE) || !scv2.ReadASN1(&certs, cbasn1.SEQUENCE) || !certs.ReadASN1(&id, cbasn1.SEQUENCE) {
		return malformed("signingCertificateV2")
	}
	h := crypto.SHA256
	if id.PeekASN1Tag(cbasn1.SEQUENCE) {
		oid, err := readAlgorithm(&id)
		if err != nil {
			return err
		}
		if h = hashOf(oid); h == 0 {
			return fmt.Errorf("verify: signingCertificateV2 hash %v not supported", oid)
		}
	}
	var sum cryptobyte.String
	if !id.ReadASN1(&sum, cbasn1.OCTET_STRING) {
		return malformed("ESSCertIDv2 certHash")
	}
	hh := h.New()
	hh.Write(cert.Raw)
	if subtle.ConstantTimeCompare(hh.Sum(nil), sum) != 1 {
		return errors.New("verify: signingCertificateV2 names another certificate")
	}
	return nil
}

func hashOf(oid asn1.ObjectIdentifier) crypto.Hash {
	switch {
	case oid.Equal(oidSHA256):
		return crypto.SHA256
	case oid.Equal(oidSHA384):
		return crypto.SHA384
	case oid.Equal(oidSHA512):
		return crypto.SHA512
	}
	return 0
}

// checkSignature checks the message digest of content and the signature
// over the signed attributes (or over content when there are none).
func checkSignature(cert *x509.Certificate, si *SignerInfo, ctype asn1.ObjectIdentifier, content []byte) error {
	h := hashOf(si.DigestAlgorithm)
	if h == 0 {
		return fmt.Errorf("verify: digest algorithm %v not supported (SHA-2 only)", si.DigestAlgorithm)
	}
	signed := content
	if si.SignedAttrs != nil {
		var ct asn1.ObjectIdentifier
		if rest, err := asn1.Unmarshal(si.Attributes[oidContentType.String()], &ct); err != nil || len(rest) > 0 || !ct.Equal(ctype) {
			return errors.New("verify: contentType attribute missing or different from eContentType")
		}
		var md []byte
		if rest, err := asn1.Unmarshal(si.Attributes[oidMessageDigest.String()], &md); err != nil || len(rest) > 0 {
			return errors.New("verify: messageDigest attribute missing")
		}
		hh := h.New()
		hh.Write(content)
		if subtle.ConstantTimeCompare(hh.Sum(nil), md) != 1 {
			return errors.New("verify: message digest does not match the document")
		}
		signed = si.SignedAttrs
	}
	hh := h.New()
	hh.Write(signed)
	digest := hh.Sum(nil)
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if !si.SignatureAlgorithm.Equal(oidRSAEncryption) && !rsaAlgFor(si.SignatureAlgorithm, h) {
			return fmt.Errorf("verify: signature algorithm %v with an RSA key", si.SignatureAlgorithm)
		}
		if err := rsa.VerifyPKCS1v15(pub, h, digest, si.Signature); err != nil {
			return fmt.Errorf("verify: signature: %w", err)
		}
	case *ecdsa.PublicKey:
		if !si.SignatureAlgorithm.Equal(oidECDSAWithSHA256) && !si.SignatureAlgorithm.Equal(oidECDSAWithSHA384) && !si.SignatureAlgorithm.Equal(oidECPublicKey) {
			return fmt.Errorf("verify: signature algorithm %v with an ECDSA key", si.SignatureAlgorithm)
		}
		if !ecdsa.VerifyASN1(pub, digest, si.Signature) {
			return errors.New("verify: ECDSA signature does not verify")
		}
	case ed25519.PublicKey:
		return errors.New("verify: Ed25519 signer not supported")
	default:
		return fmt.Errorf("verify: key type %T not supported", pub)
	}
	return nil
}

func rsaAlgFor(oid asn1.ObjectIdentifier, h crypto.Hash) bool {
	switch h {
	case crypto.SHA256:
		return oid.Equal(oidSHA256WithRSA)
	case crypto.SHA384:
		return oid.Equal(oidSHA384WithRSA)
	case crypto.SHA512:
		return oid.Equal(oidSHA512WithRSA)
	}
	return false
}
