package refca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// crlItem is one revoked certificate as the CRL encoder takes it.
type crlItem struct {
	serial []byte // INTEGER contents (two's complement, minimal)
	at     int64  // revocation time, Unix seconds
	reason int    // RFC 5280 reason code; 0: no reasonCode extension
}

// serialContents returns the INTEGER contents of a positive serial given
// in hex.
func serialContents(hexSerial string) ([]byte, error) {
	h := hexSerial
	if len(h)%2 == 1 {
		h = "0" + h
	}
	b, err := hex.DecodeString(h)
	if err != nil || len(b) == 0 || len(b) > 20 {
		return nil, fmt.Errorf("refca: stored serial %q is not 1-20 bytes of hex", hexSerial)
	}
	for len(b) > 1 && b[0] == 0 && b[1]&0x80 == 0 {
		b = b[1:]
	}
	if b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return b, nil
}

var (
	oidCRLNumber    = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidAuthorityKey = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidReasonCode   = asn1.ObjectIdentifier{2, 5, 29, 21}
)

// reasonExtensions holds the encoded crlEntryExtensions for each reason
// code: SEQUENCE { SEQUENCE { reasonCode, OCTET STRING { ENUMERATED } } }.
var reasonExtensions = func() map[int][]byte {
	m := map[int][]byte{}
	for _, r := range []int{1, 2, 3, 4, 5, 6, 8, 9, 10} {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(exts *cryptobyte.Builder) {
			exts.AddASN1(cbasn1.SEQUENCE, func(ext *cryptobyte.Builder) {
				ext.AddASN1ObjectIdentifier(oidReasonCode)
				ext.AddASN1(cbasn1.OCTET_STRING, func(v *cryptobyte.Builder) { v.AddASN1Enum(int64(r)) })
			})
		})
		m[r] = b.BytesOrPanic()
	}
	return m
}()

// addTime appends a Time: UTCTime through 2049, GeneralizedTime after
// (RFC 5280 5.1.2.4).
func addTime(b *cryptobyte.Builder, unix int64) {
	t := time.Unix(unix, 0).UTC()
	if t.Year() < 2050 {
		b.AddASN1(cbasn1.UTCTime, func(c *cryptobyte.Builder) { c.AddBytes(appendTimeDigits(nil, t, 2)) })
		return
	}
	b.AddASN1(cbasn1.GeneralizedTime, func(c *cryptobyte.Builder) { c.AddBytes(appendTimeDigits(nil, t, 4)) })
}

// appendTimeDigits appends YY(YY)MMDDHHMMSSZ.
func appendTimeDigits(dst []byte, t time.Time, yearDigits int) []byte {
	two := func(dst []byte, v int) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }
	y := t.Year()
	if yearDigits == 4 {
		dst = two(dst, y/100)
	}
	dst = two(dst, y%100)
	dst = two(dst, int(t.Month()))
	dst = two(dst, t.Day())
	dst = two(dst, t.Hour())
	dst = two(dst, t.Minute())
	dst = two(dst, t.Second())
	return append(dst, 'Z')
}

// encodeCRL encodes and signs a v2 CRL issued by the CA: the entries, the
// authority key identifier, the CRL number and the given extensions. It
// writes the entries directly with cryptobyte: x509.CreateRevocationList
// marshals each entry by reflection, which dominates a full run of
// millions of entries.
func (ca *CA) encodeCRL(number int64, thisUpdate, nextUpdate time.Time, entries []crlItem, exts []pkix.Extension) ([]byte, error) {
	var sigAlg asn1.ObjectIdentifier
	var withNull bool
	switch ca.key.Public().(type) {
	case *rsa.PublicKey:
		sigAlg, withNull = oidSHA256WithRSA, true
	case *ecdsa.PublicKey:
		sigAlg = oidECDSASHA256
	default:
		return nil, errors.New("refca: unsupported CA key type")
	}
	addAlg := func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(a *cryptobyte.Builder) {
			a.AddASN1ObjectIdentifier(sigAlg)
			if withNull {
				a.AddASN1NULL()
			}
		})
	}
	tbs := cryptobyte.NewBuilder(make([]byte, 0, 64+len(entries)*48))
	tbs.AddASN1(cbasn1.SEQUENCE, func(t *cryptobyte.Builder) {
		t.AddASN1Int64(1) // v2
		addAlg(t)
		t.AddBytes(ca.cert.RawSubject)
		addTime(t, thisUpdate.Unix())
		addTime(t, nextUpdate.Unix())
		if len(entries) > 0 {
			t.AddASN1(cbasn1.SEQUENCE, func(list *cryptobyte.Builder) {
				for i := range entries {
					e := &entries[i]
					list.AddASN1(cbasn1.SEQUENCE, func(rc *cryptobyte.Builder) {
						rc.AddASN1(cbasn1.INTEGER, func(n *cryptobyte.Builder) { n.AddBytes(e.serial) })
						addTime(rc, e.at)
						if x, ok := reasonExtensions[e.reason]; ok {
							rc.AddBytes(x)
						}
					})
				}
			})
		}
		t.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(x *cryptobyte.Builder) {
			x.AddASN1(cbasn1.SEQUENCE, func(list *cryptobyte.Builder) {
				list.AddASN1(cbasn1.SEQUENCE, func(e *cryptobyte.Builder) {
					e.AddASN1ObjectIdentifier(oidAuthorityKey)
					e.AddASN1(cbasn1.OCTET_STRING, func(v *cryptobyte.Builder) {
						v.AddASN1(cbasn1.SEQUENCE, func(aki *cryptobyte.Builder) {
							aki.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(k *cryptobyte.Builder) { k.AddBytes(ca.cert.SubjectKeyId) })
						})
					})
				})
				list.AddASN1(cbasn1.SEQUENCE, func(e *cryptobyte.Builder) {
					e.AddASN1ObjectIdentifier(oidCRLNumber)
					e.AddASN1(cbasn1.OCTET_STRING, func(v *cryptobyte.Builder) { v.AddASN1BigInt(big.NewInt(number)) })
				})
				for _, ext := range exts {
					list.AddASN1(cbasn1.SEQUENCE, func(e *cryptobyte.Builder) {
						e.AddASN1ObjectIdentifier(ext.Id)
						if ext.Critical {
							e.AddASN1Boolean(true)
						}
						e.AddASN1OctetString(ext.Value)
					})
				}
			})
		})
	})
	tbsDER, err := tbs.Bytes()
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(tbsDER)
	sig, err := ca.key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	out := cryptobyte.NewBuilder(make([]byte, 0, len(tbsDER)+len(sig)+32))
	out.AddASN1(cbasn1.SEQUENCE, func(c *cryptobyte.Builder) {
		c.AddBytes(tbsDER)
		addAlg(c)
		c.AddASN1BitString(sig)
	})
	return out.Bytes()
}
