package refca

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"
)

// ocspRequestWithNonce encodes an OCSP request for serial with a nonce
// extension (nil: none).
func ocspRequestWithNonce(t testing.TB, serial int64, nonce []byte) []byte {
	t.Helper()
	r := ocsp.Request{HashAlgorithm: crypto.SHA1, IssuerNameHash: make([]byte, 20), IssuerKeyHash: make([]byte, 20), SerialNumber: big.NewInt(serial)}
	der, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if nonce == nil {
		return der
	}
	// Re-encode TBSRequest with requestExtensions [2].
	in := cryptobyte.String(der)
	var req, tbs cryptobyte.String
	in.ReadASN1(&req, cbasn1.SEQUENCE)
	req.ReadASN1(&tbs, cbasn1.SEQUENCE)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(r *cryptobyte.Builder) {
		r.AddASN1(cbasn1.SEQUENCE, func(t *cryptobyte.Builder) {
			t.AddBytes(tbs)
			t.AddASN1(cbasn1.Tag(2).ContextSpecific().Constructed(), func(x *cryptobyte.Builder) {
				x.AddASN1(cbasn1.SEQUENCE, func(l *cryptobyte.Builder) {
					l.AddASN1(cbasn1.SEQUENCE, func(e *cryptobyte.Builder) {
						e.AddASN1ObjectIdentifier(oidOCSPNonce)
						e.AddASN1OctetString(nonce)
					})
				})
			})
		})
	})
	return b.BytesOrPanic()
}

func TestParseOCSPNonce(t *testing.T) {
	openssl, _ := hex.DecodeString("30683066303f303d303b300906052b0e03021a05000414424ef3366d8b17e4f9865ea7849fe102bad1a82e0414810278c0448e76a162ce8be1e1a563710c56d02302021234a2233021301f06092b0601050507300102041204101234567890abcdef1234567890abcdef")
	for _, tt := range []struct {
		name  string
		der   []byte
		nonce []byte
		ok    bool
	}{
		{"none", ocspRequestWithNonce(t, 5, nil), nil, true},
		{"nonce", ocspRequestWithNonce(t, 5, []byte{4, 2, 1, 2}), []byte{4, 2, 1, 2}, true},
		{"openssl", openssl, append([]byte{4, 16}, bytes.Repeat([]byte{0x12, 0x34, 0x56, 0x78, 0x90, 0xab, 0xcd, 0xef}, 2)...), true},
		{"too long", ocspRequestWithNonce(t, 5, make([]byte, maxNonce+1)), nil, false},
		{"empty", ocspRequestWithNonce(t, 5, []byte{}), nil, false},
		{"truncated", openssl[:len(openssl)-3], nil, false},
		{"trailing", append(bytes.Clone(openssl), 0), nil, false},
	} {
		got, err := parseOCSPNonce(tt.der)
		if (err == nil) != tt.ok || !bytes.Equal(got, tt.nonce) {
			t.Errorf("%s: %x, %v", tt.name, got, err)
		}
	}
}

// FuzzParseOCSPNonce feeds the OCSP request parsing a verifier's bytes
// reach: no panic, and a nonce is returned only from a request that
// x/crypto/ocsp also parses, within the size bound.
func FuzzParseOCSPNonce(f *testing.F) {
	f.Add(ocspRequestWithNonce(f, 7, nil))
	f.Add(ocspRequestWithNonce(f, 7, []byte{4, 8, 1, 2, 3, 4, 5, 6, 7, 8}))
	f.Fuzz(func(t *testing.T, der []byte) {
		nonce, err := parseOCSPNonce(der)
		if err != nil {
			return
		}
		if len(nonce) > maxNonce {
			t.Fatalf("nonce of %d bytes", len(nonce))
		}
		if nonce != nil {
			if _, err := ocsp.ParseRequest(der); err != nil {
				return // x/crypto is stricter about the CertID; the CA refuses it there
			}
		}
	})
}

func TestParseStatusQuery(t *testing.T) {
	for _, tt := range []struct {
		body string
		want []string
		ok   bool
	}{
		{`{"serials":["00AB","1f"],"since":"2026-01-01T00:00:00Z"}`, []string{"ab", "1f"}, true},
		{`{"serials":[]}`, []string{}, true},
		{`{"serials":["xyz"]}`, nil, false},
		{`{"serials":["0"]}`, nil, false},
		{`{"serials":["-1"]}`, nil, false},
		{`{"serials":["` + strings.Repeat("f", 41) + `"]}`, nil, false},
		{`{"serial":["1"]}`, nil, false},
		{`{"serials":["1"]} {}`, nil, false},
		{`{"after":-1}`, nil, false},
	} {
		q, err := ParseStatusQuery([]byte(tt.body))
		if (err == nil) != tt.ok || tt.ok && len(q.Serials) != len(tt.want) {
			t.Errorf("%s: %+v, %v", tt.body, q, err)
			continue
		}
		for i := range tt.want {
			if q.Serials[i] != tt.want[i] {
				t.Errorf("%s: serial %d = %s", tt.body, i, q.Serials[i])
			}
		}
	}
}

// FuzzParseStatusQuery feeds the 現況確認 query parser: accepted queries
// hold at most MaxStatusSerials normalised serials.
func FuzzParseStatusQuery(f *testing.F) {
	f.Add([]byte(`{"serials":["1a2b"],"since":"2026-01-01T00:00:00Z","after":3}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := ParseStatusQuery(body)
		if err != nil {
			return
		}
		if len(q.Serials) > MaxStatusSerials || q.After < 0 {
			t.Fatalf("accepted %+v", q)
		}
		for _, s := range q.Serials {
			n, ok := new(big.Int).SetString(s, 16)
			if !ok || n.Sign() <= 0 || n.Text(16) != s {
				t.Fatalf("serial %q not normalised", s)
			}
		}
	})
}

// FuzzParsePartitionFile feeds partition CRL names from request paths:
// accepted names round-trip.
func FuzzParsePartitionFile(f *testing.F) {
	f.Add("131016", "3.crl")
	f.Add("131016", "63-delta.crl")
	f.Add("x", "007.crl")
	f.Fuzz(func(t *testing.T, code, file string) {
		p, delta, err := ParsePartitionFile(code, file)
		if err != nil {
			return
		}
		path := p.FullPath()
		if delta {
			path = p.DeltaPath()
		}
		if path != CRLPrefix+code+"/"+file || p.Shard < 0 || p.Shard >= MaxCRLShards {
			t.Fatalf("%q/%q → %+v %v", code, file, p, delta)
		}
	})
}
