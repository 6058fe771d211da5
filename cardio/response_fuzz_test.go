package cardio

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"
)

// FuzzParseResponse: a card's raw answer either splits into data and a
// status word that encode back to the same bytes, or is refused.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte{0x90, 0x00})
	f.Add([]byte{0x61, 0x10})
	f.Add([]byte{0x01, 0x02, 0x6A, 0x82})
	f.Add([]byte{0x90})
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := ParseResponse(raw)
		if err != nil {
			if len(raw) >= 2 {
				t.Fatalf("refused a %d-byte response: %v", len(raw), err)
			}
			return
		}
		if got := r.Bytes(); string(got) != string(raw) {
			t.Fatalf("% X parsed and encoded as % X", raw, got)
		}
	})
}

// FuzzParsePublicKey: the 7F49 template of a GENERATE answer, the one
// place where a card hands us key material, never panics and yields only
// keys of the asked size.
func FuzzParsePublicKey(f *testing.F) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	point, _ := ecKey.PublicKey.Bytes()
	f.Add(AppendTLV(nil, 0x7F49, AppendTLV(AppendTLV(nil, 0x81, rsaKey.N.Bytes()), 0x82, []byte{1, 0, 1})), byte(AlgRSA2048))
	f.Add(AppendTLV(nil, 0x7F49, AppendTLV(nil, 0x86, point)), byte(AlgECCP256))
	f.Add([]byte{0x7F, 0x49, 0x00}, byte(AlgECCP256))
	f.Fuzz(func(t *testing.T, resp []byte, alg byte) {
		pub, err := parsePublicKey(resp, Algorithm(alg))
		if err != nil {
			return
		}
		switch k := pub.(type) {
		case *rsa.PublicKey:
			if k.N.BitLen() != 2048 || k.E < 3 || k.E%2 == 0 {
				t.Fatalf("accepted RSA key of %d bits, exponent %d", k.N.BitLen(), k.E)
			}
		case *ecdsa.PublicKey:
			if k.Curve.Params().BitSize != 256 {
				t.Fatalf("accepted a %d-bit EC key", k.Curve.Params().BitSize)
			}
		default:
			t.Fatalf("unexpected key type %T", pub)
		}
	})
}
