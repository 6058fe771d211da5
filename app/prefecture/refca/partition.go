package refca

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// DefaultCRLShards is the number of serial shards per municipality unless
// Settings.CRLShards says otherwise. A full partition entry takes about 45
// bytes, so 64 shards keep every partition under 5 MB up to about 7
// million unexpired revoked certificates in one municipality (Yokohama has
// 3.8 million residents).
const DefaultCRLShards = 64

// MaxCRLShards bounds Settings.CRLShards.
const MaxCRLShards = 4096

// Paths of the revocation information served to registered verifiers, below
// the CA's base URL. The same paths below Settings.RevocationURL are what
// certificates name.
const (
	// CRLPrefix is the folder of partition CRLs:
	// CRLPrefix + code + "/" + shard + ".crl" (full) and
	// CRLPrefix + code + "/" + shard + "-delta.crl" (delta).
	CRLPrefix = "/crl/"
	// OCSPPath takes OCSP requests (RFC 6960): POST, or GET + "/" + base64.
	OCSPPath = "/ocsp"
	// StatusPath takes 現況確認 batch queries (POST, JSON).
	StatusPath = "/status"
	// RACRLPrefix serves a terminal its own municipality's partitions:
	// RACRLPrefix + "index.json", RACRLPrefix + code + "/" + shard + ".crl".
	RACRLPrefix = "/ra/crl/"
)

// Partition is one CRL partition: the certificates of one municipality
// whose serial falls in one shard.
type Partition struct {
	Municipality string
	Shard        int
}

// String returns "<code>/<shard>".
func (p Partition) String() string { return p.Municipality + "/" + strconv.Itoa(p.Shard) }

// FullPath is the partition's complete CRL below a base URL.
func (p Partition) FullPath() string { return CRLPrefix + p.String() + ".crl" }

// DeltaPath is the partition's delta CRL below a base URL.
func (p Partition) DeltaPath() string { return CRLPrefix + p.String() + "-delta.crl" }

// ParsePartitionFile reads "<code>/<shard>.crl" or "<code>/<shard>-delta.crl".
func ParsePartitionFile(code, file string) (p Partition, delta bool, err error) {
	name, ok := strings.CutSuffix(file, ".crl")
	if !ok || !validCode(code) {
		return Partition{}, false, fmt.Errorf("refca: %q/%q is not a partition CRL name", code, file)
	}
	name, delta = strings.CutSuffix(name, "-delta")
	n, err := strconv.Atoi(name)
	if err != nil || n < 0 || n >= MaxCRLShards || strconv.Itoa(n) != name {
		return Partition{}, false, fmt.Errorf("refca: %q is not a shard number", name)
	}
	return Partition{Municipality: code, Shard: n}, delta, nil
}

// shardOf returns the shard of a serial among n shards.
func shardOf(serial *big.Int, n int) int {
	if n <= 1 {
		return 0
	}
	return int(new(big.Int).Mod(serial, big.NewInt(int64(n))).Int64())
}

// shardOfHex is shardOf for a stored (hex) serial.
func shardOfHex(serial string, n int) (int, error) {
	v, ok := new(big.Int).SetString(serial, 16)
	if !ok {
		return 0, fmt.Errorf("refca: stored serial %q is not hexadecimal", serial)
	}
	return shardOf(v, n), nil
}

// revocationBase returns Settings.RevocationURL or its default.
func (s Settings) revocationBase() string {
	if s.RevocationURL != "" {
		return strings.TrimSuffix(s.RevocationURL, "/")
	}
	if u, err := url.Parse(s.URL); err == nil && u.Hostname() != "" {
		h := u.Hostname()
		if strings.Contains(h, ":") {
			h = "[" + h + "]"
		}
		return "http://" + h
	}
	return "http://127.0.0.1"
}

// shards returns Settings.CRLShards or its default.
func (s Settings) shards() int {
	if s.CRLShards <= 0 {
		return DefaultCRLShards
	}
	return s.CRLShards
}

func (s Settings) checkRevocation() []error {
	var errs []error
	if s.RevocationURL != "" {
		u, err := url.Parse(s.RevocationURL)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("revocation_url: %v", err))
		case u.Scheme != "http" && u.Scheme != "https", u.Host == "", strings.Trim(u.Path, "/") != "", u.RawQuery != "":
			errs = append(errs, fmt.Errorf("revocation_url %q must be http://host[:port] (or https) without a path", s.RevocationURL))
		}
	}
	if s.CRLShards < 0 || s.CRLShards > MaxCRLShards {
		errs = append(errs, fmt.Errorf("crl_shards %d is not between 1 and %d", s.CRLShards, MaxCRLShards))
	}
	return errs
}

// DefaultRevocationURL is the stable revocation base for a CA listening on
// addr: "http://" + its host, without the port (which may change).
func DefaultRevocationURL(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return "http://" + host
}

var (
	oidFreshestCRL         = asn1.ObjectIdentifier{2, 5, 29, 46}
	oidDeltaCRLIndicator   = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidAuthorityInfoAccess = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}
)

// freshestCRL encodes the non-critical FreshestCRL extension (RFC 5280
// 4.2.1.15, 5.2.6) naming the delta CRL at uri; it has the syntax of
// CRLDistributionPoints:
//
//	SEQUENCE { SEQUENCE { [0] { [0] { [6] uri } } } }
func freshestCRL(uri string) pkix.Extension {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(dps *cryptobyte.Builder) {
		dps.AddASN1(cbasn1.SEQUENCE, func(dp *cryptobyte.Builder) {
			dp.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(name *cryptobyte.Builder) {
				name.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(full *cryptobyte.Builder) {
					full.AddASN1(cbasn1.Tag(6).ContextSpecific(), func(u *cryptobyte.Builder) { u.AddBytes([]byte(uri)) })
				})
			})
		})
	})
	return pkix.Extension{Id: oidFreshestCRL, Value: b.BytesOrPanic()}
}

// deltaCRLIndicator encodes the critical DeltaCRLIndicator extension
// (RFC 5280 5.2.4) naming the base CRL's number.
func deltaCRLIndicator(base int64) pkix.Extension {
	var b cryptobyte.Builder
	b.AddASN1Int64(base)
	return pkix.Extension{Id: oidDeltaCRLIndicator, Critical: true, Value: b.BytesOrPanic()}
}

// oidIssuingDistributionPoint is the CRL extension naming a partitioned
// CRL's scope (RFC 5280 5.2.5).
var oidIssuingDistributionPoint = asn1.ObjectIdentifier{2, 5, 29, 28}

// issuingDistributionPoint encodes a critical IssuingDistributionPoint
// naming uri and onlyContainsUserCerts:
//
//	SEQUENCE { [0] { [0] { [6] uri } }, [1] TRUE }
func issuingDistributionPoint(uri string) pkix.Extension {
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
	return pkix.Extension{Id: oidIssuingDistributionPoint, Critical: true, Value: b.BytesOrPanic()}
}
