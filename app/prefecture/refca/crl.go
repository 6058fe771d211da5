package refca

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"madoguchi/app/prefecture"
)

// crlCache is the last CRL built for one scope.
type crlCache struct {
	der        []byte
	gen        uint64
	thisUpdate time.Time
}

// oidIssuingDistributionPoint is the CRL extension naming a partitioned
// CRL's scope (RFC 5280 5.2.5).
var oidIssuingDistributionPoint = asn1.ObjectIdentifier{2, 5, 29, 28}

// CRL returns the current CRL, DER-encoded: the complete one for
// municipality "", or the partition a municipality's certificates point
// to. A CRL is rebuilt, with the next CRL number, on the first request
// after any revocation and once half its lifetime has passed; otherwise
// the cached one is served.
func (ca *CA) CRL(ctx context.Context, municipality string) ([]byte, error) {
	if municipality != "" && !validCode(municipality) {
		return nil, fmt.Errorf("refca: bad municipality code %q", municipality)
	}
	ca.crlMu.Lock()
	defer ca.crlMu.Unlock() // one build at a time; a CRL build is short
	now := ca.now()
	if c := ca.crls[municipality]; c != nil && c.gen == ca.crlGen && now.Sub(c.thisUpdate) < ca.crlLife/2 {
		return c.der, nil
	}
	gen := ca.crlGen
	der, err := ca.buildCRL(ctx, municipality, now)
	if err != nil {
		return nil, err
	}
	ca.crls[municipality] = &crlCache{der: der, gen: gen, thisUpdate: now}
	return der, nil
}

// buildCRL builds and signs a CRL of the revoked, unexpired certificates of
// one municipality (or all), numbered from the store's counter.
func (ca *CA) buildCRL(ctx context.Context, municipality string, now time.Time) ([]byte, error) {
	entries, err := ca.store.revokedEntries(ctx, municipality, now)
	if err != nil {
		return nil, err
	}
	number, err := ca.store.nextCRLNumber(ctx)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.RevocationList{
		Number:                    big.NewInt(number),
		ThisUpdate:                now.Truncate(time.Second),
		NextUpdate:                now.Truncate(time.Second).Add(ca.crlLife),
		RevokedCertificateEntries: entries,
	}
	if municipality != "" {
		idp, err := issuingDistributionPoint(ca.BaseURL() + prefecture.CRLDir + municipality + ".crl")
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = []pkix.Extension{idp}
	}
	return x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.key)
}

// issuingDistributionPoint encodes a critical IssuingDistributionPoint
// naming uri and onlyContainsUserCerts:
//
//	SEQUENCE { [0] { [0] { [6] uri } }, [1] TRUE }
func issuingDistributionPoint(uri string) (pkix.Extension, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(idp *cryptobyte.Builder) {
		idp.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(dpName *cryptobyte.Builder) {
			dpName.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(fullName *cryptobyte.Builder) {
				fullName.AddASN1(cbasn1.Tag(6).ContextSpecific(), func(u *cryptobyte.Builder) {
					u.AddBytes([]byte(uri))
				})
			})
		})
		idp.AddASN1(cbasn1.Tag(1).ContextSpecific(), func(only *cryptobyte.Builder) {
			only.AddUint8(0xff)
		})
	})
	der, err := b.Bytes()
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidIssuingDistributionPoint, Critical: true, Value: der}, nil
}

// serveCRL answers GET /crl/all.crl and /crl/<municipality code>.crl.
// CRLs are public: no client certificate is needed.
func (ca *CA) serveCRL(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("name"), ".crl")
	if !ok || (name != "all" && !validCode(name)) {
		http.NotFound(w, r)
		return
	}
	if name == "all" {
		name = ""
	}
	der, err := ca.CRL(r.Context(), name)
	if err != nil {
		ca.log.Error("building a CRL failed", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", prefecture.CRLType)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(der)
}
