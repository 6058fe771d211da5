package keygen

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"

	"madoguchi/cardio"
)

// MinMasterLength is the shortest master secret accepted, in bytes.
const MinMasterLength = 16

// MgmtKeyAlg is the algorithm of the per-card management key.
const MgmtKeyAlg = cardio.MgmtAES256

// HKDF labels: each derived secret has its own, so that knowing one tells
// nothing about another.
const (
	labelMgmtKey = "madoguchi/piv/management-key/v1"
	labelPUK     = "madoguchi/piv/puk/v1"
)

// derive reads n bytes of HKDF-SHA256 output for the card: the master
// secret is the input keying material, the card ID the salt, and the
// label the info.
func derive(master []byte, cardID, label string, n int) ([]byte, error) {
	if len(master) < MinMasterLength {
		return nil, ErrMasterSecret
	}
	if cardID == "" {
		return nil, fmt.Errorf("keygen: derive %s: no card ID", label)
	}
	out := make([]byte, n)
	if _, err := io.ReadFull(hkdf.New(sha256.New, master, []byte(cardID), []byte(label)), out); err != nil {
		return nil, err
	}
	return out, nil
}

// deriveManagementKey returns the card's own management key. The caller
// wipes it.
func deriveManagementKey(master []byte, cardID string) (cardio.ManagementKey, error) {
	key, err := derive(master, cardID, labelMgmtKey, MgmtKeyAlg.KeyLen())
	if err != nil {
		return cardio.ManagementKey{}, err
	}
	return cardio.ManagementKey{Alg: MgmtKeyAlg, Key: key}, nil
}

// derivePUK returns the card's PUK: eight decimal digits. The caller
// wipes it.
func derivePUK(master []byte, cardID string) ([]byte, error) {
	raw, err := derive(master, cardID, labelPUK, 8)
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	// 2^64 is about 1.8e11 times 10^8, so the modulo bias is negligible.
	n := binary.BigEndian.Uint64(raw) % 100_000_000
	puk := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		puk[i] = byte('0' + n%10)
		n /= 10
	}
	return puk, nil
}
