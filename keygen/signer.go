package keygen

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"

	"madoguchi/cardio"
)

// cardSigner is a crypto.Signer whose private key is slot 9C of the card.
type cardSigner struct {
	c   *Card
	pin []byte
	ctx context.Context
}

// Public returns the key of slot 9C: the one generated in this session,
// or else the one in the slot's certificate (nil when there is neither).
func (s *cardSigner) Public() crypto.PublicKey {
	s.c.knowKey(s.ctx)
	return s.c.pub
}

// Sign verifies the PIN and has the card sign. RSA digests get PKCS #1
// v1.5 padding with their DigestInfo here on the host, since a PIV card
// performs the raw private-key operation; PSS is not supported. ECDSA
// digests are fitted to the curve's 32 bytes, and the card returns the
// DER signature crypto.Signer promises.
func (s *cardSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := s.c.knowKey(s.ctx); err != nil {
		return nil, err
	}
	var input []byte
	switch s.c.pub.(type) {
	case *rsa.PublicKey:
		if _, pss := opts.(*rsa.PSSOptions); pss {
			return nil, fmt.Errorf("%w: RSA-PSS", ErrUnsupportedSignature)
		}
		block, err := pkcs1v15Block(opts.HashFunc(), digest, 256)
		if err != nil {
			return nil, err
		}
		input = block
	case *ecdsa.PublicKey:
		input = fitDigest(digest, 32)
	default:
		return nil, fmt.Errorf("%w: key type %T", ErrUnsupportedSignature, s.c.pub)
	}
	if err := s.c.piv.Verify(s.ctx, s.pin); err != nil {
		return nil, err
	}
	return s.c.piv.Sign(s.ctx, cardio.SlotSignature, s.c.alg, input)
}

// digestOIDs are the hash algorithms a DigestInfo may name here.
var digestOIDs = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA256: {2, 16, 840, 1, 101, 3, 4, 2, 1},
	crypto.SHA384: {2, 16, 840, 1, 101, 3, 4, 2, 2},
	crypto.SHA512: {2, 16, 840, 1, 101, 3, 4, 2, 3},
}

// pkcs1v15Block builds the k-byte block 00 01 FF…FF 00 DigestInfo of
// RFC 8017, section 9.2. With hash 0 the digest is signed as given.
func pkcs1v15Block(hash crypto.Hash, digest []byte, k int) ([]byte, error) {
	t := digest
	if hash != 0 {
		oid, ok := digestOIDs[hash]
		if !ok {
			return nil, fmt.Errorf("%w: hash %v", ErrUnsupportedSignature, hash)
		}
		if len(digest) != hash.Size() {
			return nil, fmt.Errorf("keygen: %v digest of %d bytes", hash, len(digest))
		}
		var err error
		t, err = asn1.Marshal(struct {
			Algorithm pkix.AlgorithmIdentifier
			Digest    []byte
		}{pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue}, digest})
		if err != nil {
			return nil, err
		}
	}
	if len(t)+11 > k {
		return nil, fmt.Errorf("keygen: %d bytes to sign do not fit a %d-byte block", len(t), k)
	}
	block := bytes.Repeat([]byte{0xFF}, k)
	block[0], block[1] = 0x00, 0x01
	block[k-len(t)-1] = 0x00
	copy(block[k-len(t):], t)
	return block, nil
}

// fitDigest truncates a longer digest to its leftmost n bytes, as ECDSA
// does, or pads a shorter one with leading zeros.
func fitDigest(digest []byte, n int) []byte {
	if len(digest) >= n {
		return digest[:n]
	}
	out := make([]byte, n)
	copy(out[n-len(digest):], digest)
	return out
}
