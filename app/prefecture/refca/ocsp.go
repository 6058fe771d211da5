package refca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"

	"madoguchi/app/prefecture"
)

// Files of the delegated OCSP responder in a CA directory, made by Open
// when missing or due for renewal.
const (
	FileOCSPCert = "ocsp.pem"
	FileOCSPKey  = "ocsp.key"
)

var (
	oidOCSPNoCheck = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
	oidOCSPNonce   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
	oidOCSPBasic   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	oidECDSASHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidSHA1        = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

// ocspResponderLife is the validity of a delegated responder certificate;
// it is renewed when less than a third is left. It carries
// id-pkix-ocsp-nocheck, so it is kept short.
const ocspResponderLife = 90 * 24 * time.Hour

// ocspCacheMax bounds the pre-produced responses kept in memory.
const ocspCacheMax = 1 << 20

// ocspResponder signs OCSP responses for the CA with a delegated
// certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck) and keeps
// pre-produced responses, which are re-signed when a status changes.
type ocspResponder struct {
	cert    *x509.Certificate
	key     crypto.Signer
	keyHash []byte // SHA-1 of the responder's key, its ResponderID
	issuer  map[crypto.Hash][2][]byte

	mu      sync.RWMutex
	cache   map[string]*ocspCached // by serial (hex), SHA-1 CertIDs
	seenSeq int64                  // revocations refreshed up to here
}

type ocspCached struct {
	der        []byte
	thisUpdate time.Time
	st         SerialStatus
}

// openOCSP loads the delegated responder, making a new one when it is
// missing or has less than a third of its life left.
func (ca *CA) openOCSP() (*ocspResponder, error) {
	certFile, keyFile := filepath.Join(ca.dir, FileOCSPCert), filepath.Join(ca.dir, FileOCSPKey)
	now := ca.now()
	cert, key, err := loadPair(certFile, keyFile)
	if err != nil || cert.NotAfter.Sub(now) < ocspResponderLife/3 || !bytes.Equal(cert.RawIssuer, ca.cert.RawSubject) {
		if cert, key, err = ca.newOCSPResponder(now); err != nil {
			return nil, err
		}
		if err := writeAtomicMode(keyFile, mustPKCS8(key), 0o600); err != nil {
			return nil, err
		}
		if err := writeAtomicMode(certFile, certPEM(cert.Raw), 0o644); err != nil {
			return nil, err
		}
	}
	o := &ocspResponder{cert: cert, key: key, cache: map[string]*ocspCached{}, issuer: map[crypto.Hash][2][]byte{}}
	o.keyHash = spkiHash(cert, sha1.New)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
		hh := h.New()
		hh.Write(ca.cert.RawSubject)
		o.issuer[h] = [2][]byte{hh.Sum(nil), spkiHash(ca.cert, h.New)}
	}
	seq, err := ca.store.maxSeq(context.Background())
	o.seenSeq = seq
	return o, err
}

func spkiHash[H interface {
	Sum([]byte) []byte
	Write([]byte) (int, error)
}](cert *x509.Certificate, newH func() H) []byte {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &spki)
	h := newH()
	h.Write(spki.PublicKey.RightAlign())
	return h.Sum(nil)
}

// newOCSPResponder issues a delegated OCSP responder certificate with a
// new P-256 key.
func (ca *CA) newOCSPResponder(now time.Time) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:    randomSerial(),
		Subject:         pkix.Name{Country: []string{"JP"}, Organization: []string{"madoguchi reference prefecture CA"}, OrganizationalUnit: []string{ca.settings.Prefecture}, CommonName: "OCSP responder (reference)"},
		NotBefore:       now.Add(-time.Hour),
		NotAfter:        now.Add(ocspResponderLife),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
		SubjectKeyId:    keyID(key.Public()),
		ExtraExtensions: []pkix.Extension{{Id: oidOCSPNoCheck, Value: []byte{0x05, 0x00}}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// OCSPResponder returns the delegated responder certificate.
func (ca *CA) OCSPResponder() *x509.Certificate { return ca.rev.ocsp.cert }

// ocspLifetime is the distance from thisUpdate to nextUpdate of a
// response; pre-produced responses are re-signed after half of it.
func (ca *CA) ocspLifetime() time.Duration { return ca.deltaLifetime() }

// CertState is a certificate's revocation status.
type CertState string

// Certificate states, as OCSP and 現況確認 report them.
const (
	StateGood    CertState = "good"
	StateRevoked CertState = "revoked"
	StateUnknown CertState = "unknown"
)

// SerialStatus is the status of one serial.
type SerialStatus struct {
	Serial    string    `json:"serial"`
	State     CertState `json:"status"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// Reason is the prefecture.Reason wire name; CRLReason its RFC 5280
	// code.
	Reason    string `json:"reason,omitempty"`
	ReasonJA  string `json:"reason_ja,omitempty"`
	CRLReason int    `json:"crl_reason,omitempty"`
}

// LookupStatus returns the status of a serial (lowercase hex): revoked
// from the revocation index, good if the CA issued it, else unknown.
func (ca *CA) LookupStatus(ctx context.Context, serial string) (SerialStatus, error) {
	st := SerialStatus{Serial: serial, State: StateUnknown}
	r, err := ca.store.revocationBySerial(ctx, serial)
	if err != nil {
		return st, err
	}
	if r != nil {
		st.State, st.RevokedAt, st.Reason, st.ReasonJA, st.CRLReason = StateRevoked, r.RevokedAt, r.Reason.String(), r.Reason.Japanese(), r.Reason.CRLReason()
		return st, nil
	}
	issued, _, err := ca.store.issuedInfo(ctx, serial)
	if err != nil {
		return st, err
	}
	if issued {
		st.State = StateGood
	}
	return st, nil
}

// errOCSPUnauthorized is an OCSP request for another issuer.
var errOCSPUnauthorized = errors.New("refca: OCSP request for another issuer")

// OCSPRespond answers a DER-encoded OCSP request with a DER-encoded
// response: a pre-produced one unless the request asks for a nonce or
// another hash than SHA-1. It reports the status it gave.
func (ca *CA) OCSPRespond(ctx context.Context, der []byte) ([]byte, SerialStatus, error) {
	o := ca.rev.ocsp
	req, err := ocsp.ParseRequest(der)
	if err != nil {
		return ocsp.MalformedRequestErrorResponse, SerialStatus{}, err
	}
	nonce, err := parseOCSPNonce(der)
	if err != nil {
		return ocsp.MalformedRequestErrorResponse, SerialStatus{}, err
	}
	ih, ok := o.issuer[req.HashAlgorithm]
	if !ok || !bytes.Equal(ih[0], req.IssuerNameHash) || !bytes.Equal(ih[1], req.IssuerKeyHash) {
		return ocsp.UnauthorizedErrorResponse, SerialStatus{}, errOCSPUnauthorized
	}
	serial := prefecture.FormatSerial(req.SerialNumber)
	cacheable := nonce == nil && req.HashAlgorithm == crypto.SHA1
	if cacheable {
		if ca.store.pg {
			ca.ocspCatchUp(ctx)
		}
		o.mu.RLock()
		c := o.cache[serial]
		o.mu.RUnlock()
		if c != nil && ca.now().Sub(c.thisUpdate) < ca.ocspLifetime()/2 {
			return c.der, c.st, nil
		}
	}
	gen := ca.rev.gen.Load()
	st, err := ca.LookupStatus(ctx, serial)
	if err != nil {
		return ocsp.InternalErrorErrorResponse, st, err
	}
	now := ca.now().Truncate(time.Second)
	resp, err := o.sign(req.HashAlgorithm, ih, req.SerialNumber, st, now, now.Add(ca.ocspLifetime()), nonce)
	if err != nil {
		return ocsp.InternalErrorErrorResponse, st, err
	}
	if cacheable && st.State != StateUnknown {
		o.mu.Lock()
		if ca.rev.gen.Load() == gen { // else a revocation raced this lookup
			if len(o.cache) >= ocspCacheMax {
				clear(o.cache)
			}
			o.cache[serial] = &ocspCached{der: resp, thisUpdate: now, st: st}
		}
		o.mu.Unlock()
	}
	return resp, st, nil
}

// ocspCatchUp refreshes the pre-produced responses when the revocation
// index has grown since the last refresh: on a store shared by several CA
// processes, another process may have revoked a certificate whose "good"
// response this one keeps.
func (ca *CA) ocspCatchUp(ctx context.Context) {
	seq, err := ca.store.maxSeq(ctx)
	if err != nil {
		return // the lookup that follows reports the database's failure
	}
	o := ca.rev.ocsp
	o.mu.RLock()
	seen := o.seenSeq
	o.mu.RUnlock()
	if seq > seen {
		ca.rev.gen.Add(1)
		ca.ocspRefresh(ctx)
	}
}

// ocspRefresh re-signs the pre-produced responses of every certificate
// revoked since the last refresh, so that no stale "good" is served.
func (ca *CA) ocspRefresh(ctx context.Context) {
	o := ca.rev.ocsp
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		rows, err := ca.store.revocationsAfter(ctx, o.seenSeq, 1000)
		if err != nil {
			ca.log.Error("refreshing OCSP responses failed", "err", err)
			clear(o.cache)
			return
		}
		if len(rows) == 0 {
			return
		}
		now := ca.now().Truncate(time.Second)
		for _, r := range rows {
			o.seenSeq = r.Seq
			n, ok := new(big.Int).SetString(r.Serial, 16)
			if !ok {
				continue
			}
			st := SerialStatus{Serial: r.Serial, State: StateRevoked, RevokedAt: r.RevokedAt,
				Reason: r.Reason.String(), ReasonJA: r.Reason.Japanese(), CRLReason: r.Reason.CRLReason()}
			der, err := o.sign(crypto.SHA1, o.issuer[crypto.SHA1], n, st, now, now.Add(ca.ocspLifetime()), nil)
			if err != nil {
				delete(o.cache, r.Serial)
				continue
			}
			if len(o.cache) >= ocspCacheMax {
				clear(o.cache)
			}
			o.cache[r.Serial] = &ocspCached{der: der, thisUpdate: now, st: st}
		}
	}
}

// sign builds and signs a successful OCSP response (RFC 6960 4.2.1) for one
// certificate, with the nonce echoed in responseExtensions when given.
// x/crypto/ocsp's CreateResponse can only put extensions in the single
// response, where clients do not look for the nonce, so the response is
// encoded here.
func (o *ocspResponder) sign(h crypto.Hash, issuer [2][]byte, serial *big.Int, st SerialStatus, thisUpdate, nextUpdate time.Time, nonce []byte) ([]byte, error) {
	hashOID := oidSHA1
	if h == crypto.SHA256 {
		hashOID = oidSHA256
	}
	var tbs cryptobyte.Builder
	tbs.AddASN1(cbasn1.SEQUENCE, func(rd *cryptobyte.Builder) {
		rd.AddASN1(cbasn1.Tag(2).ContextSpecific().Constructed(), func(id *cryptobyte.Builder) {
			id.AddASN1OctetString(o.keyHash)
		})
		rd.AddASN1GeneralizedTime(thisUpdate.UTC())
		rd.AddASN1(cbasn1.SEQUENCE, func(rs *cryptobyte.Builder) {
			rs.AddASN1(cbasn1.SEQUENCE, func(sr *cryptobyte.Builder) {
				sr.AddASN1(cbasn1.SEQUENCE, func(cid *cryptobyte.Builder) {
					cid.AddASN1(cbasn1.SEQUENCE, func(alg *cryptobyte.Builder) {
						alg.AddASN1ObjectIdentifier(hashOID)
						alg.AddASN1NULL()
					})
					cid.AddASN1OctetString(issuer[0])
					cid.AddASN1OctetString(issuer[1])
					cid.AddASN1BigInt(serial)
				})
				switch st.State {
				case StateGood:
					sr.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(*cryptobyte.Builder) {})
				case StateRevoked:
					sr.AddASN1(cbasn1.Tag(1).ContextSpecific().Constructed(), func(ri *cryptobyte.Builder) {
						ri.AddASN1GeneralizedTime(st.RevokedAt.UTC())
						if st.CRLReason != 0 {
							ri.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(rc *cryptobyte.Builder) {
								rc.AddASN1Enum(int64(st.CRLReason))
							})
						}
					})
				default:
					sr.AddASN1(cbasn1.Tag(2).ContextSpecific(), func(*cryptobyte.Builder) {})
				}
				sr.AddASN1GeneralizedTime(thisUpdate.UTC())
				sr.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(nu *cryptobyte.Builder) {
					nu.AddASN1GeneralizedTime(nextUpdate.UTC())
				})
			})
		})
		if nonce != nil {
			rd.AddASN1(cbasn1.Tag(1).ContextSpecific().Constructed(), func(exts *cryptobyte.Builder) {
				exts.AddASN1(cbasn1.SEQUENCE, func(seq *cryptobyte.Builder) {
					seq.AddASN1(cbasn1.SEQUENCE, func(ext *cryptobyte.Builder) {
						ext.AddASN1ObjectIdentifier(oidOCSPNonce)
						ext.AddASN1OctetString(nonce)
					})
				})
			})
		}
	})
	tbsDER, err := tbs.Bytes()
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(tbsDER)
	sig, err := o.key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	var basic cryptobyte.Builder
	basic.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbsDER)
		b.AddASN1(cbasn1.SEQUENCE, func(alg *cryptobyte.Builder) { alg.AddASN1ObjectIdentifier(oidECDSASHA256) })
		b.AddASN1BitString(sig)
		b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(certs *cryptobyte.Builder) {
			certs.AddASN1(cbasn1.SEQUENCE, func(s *cryptobyte.Builder) { s.AddBytes(o.cert.Raw) })
		})
	})
	basicDER, err := basic.Bytes()
	if err != nil {
		return nil, err
	}
	var resp cryptobyte.Builder
	resp.AddASN1(cbasn1.SEQUENCE, func(r *cryptobyte.Builder) {
		r.AddASN1Enum(0) // successful
		r.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(rb *cryptobyte.Builder) {
			rb.AddASN1(cbasn1.SEQUENCE, func(s *cryptobyte.Builder) {
				s.AddASN1ObjectIdentifier(oidOCSPBasic)
				s.AddASN1OctetString(basicDER)
			})
		})
	})
	return resp.Bytes()
}

// maxNonce bounds an OCSP nonce's extnValue (RFC 8954 allows 32 octets of
// nonce; some clients send more).
const maxNonce = 128

// parseOCSPNonce returns the extnValue of the request's nonce extension
// (id-pkix-ocsp-nonce), or nil when there is none:
//
//	OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, optionalSignature [0] EXPLICIT ... OPTIONAL }
//	TBSRequest  ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, requestorName [1] EXPLICIT OPTIONAL,
//	                           requestList SEQUENCE OF Request, requestExtensions [2] EXPLICIT Extensions OPTIONAL }
func parseOCSPNonce(der []byte) ([]byte, error) {
	in := cryptobyte.String(der)
	var req, tbs cryptobyte.String
	if !in.ReadASN1(&req, cbasn1.SEQUENCE) || !in.Empty() || !req.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, errors.New("refca: malformed OCSP request")
	}
	if !tbs.SkipOptionalASN1(cbasn1.Tag(0).ContextSpecific().Constructed()) ||
		!tbs.SkipOptionalASN1(cbasn1.Tag(1).ContextSpecific().Constructed()) ||
		!tbs.SkipASN1(cbasn1.SEQUENCE) {
		return nil, errors.New("refca: malformed OCSP request")
	}
	var exts cryptobyte.String
	var present bool
	if !tbs.ReadOptionalASN1(&exts, &present, cbasn1.Tag(2).ContextSpecific().Constructed()) || !tbs.Empty() {
		return nil, errors.New("refca: malformed OCSP request extensions")
	}
	if !present {
		return nil, nil
	}
	var list cryptobyte.String
	if !exts.ReadASN1(&list, cbasn1.SEQUENCE) || !exts.Empty() {
		return nil, errors.New("refca: malformed OCSP request extensions")
	}
	var nonce []byte
	for !list.Empty() {
		var ext cryptobyte.String
		var oid asn1.ObjectIdentifier
		var value []byte
		if !list.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1ObjectIdentifier(&oid) ||
			!ext.SkipOptionalASN1(cbasn1.BOOLEAN) || !ext.ReadASN1Bytes(&value, cbasn1.OCTET_STRING) || !ext.Empty() {
			return nil, errors.New("refca: malformed OCSP request extension")
		}
		if oid.Equal(oidOCSPNonce) {
			if nonce != nil {
				return nil, errors.New("refca: two OCSP nonces")
			}
			if len(value) == 0 || len(value) > maxNonce {
				return nil, fmt.Errorf("refca: OCSP nonce of %d bytes", len(value))
			}
			nonce = value
		}
	}
	return nonce, nil
}

// writeAtomicMode is writeAtomic with a file mode.
func writeAtomicMode(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
