package cardio

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"fmt"
)

// MgmtAlg is a PIV card management key algorithm (SP 800-78-4 table 6-2).
type MgmtAlg byte

// Management key algorithms.
const (
	Mgmt3DES   MgmtAlg = 0x03
	MgmtAES128 MgmtAlg = 0x08
	MgmtAES192 MgmtAlg = 0x0A
	MgmtAES256 MgmtAlg = 0x0C
)

// KeyLen returns the key length in bytes, or 0 for an unknown algorithm.
func (a MgmtAlg) KeyLen() int {
	switch a {
	case Mgmt3DES, MgmtAES192:
		return 24
	case MgmtAES128:
		return 16
	case MgmtAES256:
		return 32
	}
	return 0
}

// String names the algorithm.
func (a MgmtAlg) String() string {
	switch a {
	case Mgmt3DES:
		return "3DES"
	case MgmtAES128:
		return "AES-128"
	case MgmtAES192:
		return "AES-192"
	case MgmtAES256:
		return "AES-256"
	}
	return fmt.Sprintf("alg(%02X)", byte(a))
}

// ManagementKey is a card management key (key reference 9B).
type ManagementKey struct {
	Alg MgmtAlg
	Key []byte
}

// DefaultManagementKey is the well-known management key of a blank PIV
// card: 01 02 … 08 three times, as 3DES.
func DefaultManagementKey() ManagementKey {
	return ManagementKey{Alg: Mgmt3DES, Key: []byte{
		1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
	}}
}

// block returns the block cipher for the key.
func (k ManagementKey) block() (cipher.Block, error) {
	if n := k.Alg.KeyLen(); n == 0 || len(k.Key) != n {
		return nil, fmt.Errorf("cardio: %v management key must be %d bytes, have %d", k.Alg, n, len(k.Key))
	}
	if k.Alg == Mgmt3DES {
		return des.NewTripleDESCipher(k.Key)
	}
	return aes.NewCipher(k.Key)
}

// Wipe overwrites the key bytes.
func (k ManagementKey) Wipe() { clear(k.Key) }

// ecb applies the block cipher to exactly one block.
func ecb(b cipher.Block, in []byte, encrypt bool) ([]byte, bool) {
	if len(in) != b.BlockSize() {
		return nil, false
	}
	out := make([]byte, len(in))
	if encrypt {
		b.Encrypt(out, in)
	} else {
		b.Decrypt(out, in)
	}
	return out, true
}
