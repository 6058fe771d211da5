package keygen

import (
	"bytes"
	"errors"
	"testing"
)

func TestDerivation(t *testing.T) {
	master := []byte("0123456789abcdef0123456789abcdef")
	k1, err := deriveManagementKey(master, "aa")
	if err != nil {
		t.Fatal(err)
	}
	k1again, _ := deriveManagementKey(master, "aa")
	k2, _ := deriveManagementKey(master, "ab")
	k3, _ := deriveManagementKey(append(bytes.Clone(master), 'x'), "aa")
	if len(k1.Key) != 32 || k1.Alg != MgmtKeyAlg {
		t.Fatalf("management key %v of %d bytes", k1.Alg, len(k1.Key))
	}
	if !bytes.Equal(k1.Key, k1again.Key) {
		t.Fatal("derivation is not deterministic")
	}
	if bytes.Equal(k1.Key, k2.Key) || bytes.Equal(k1.Key, k3.Key) {
		t.Fatal("different card IDs or masters give the same key")
	}
	p1, _ := derivePUK(master, "aa")
	p2, _ := derivePUK(master, "ab")
	if len(p1) != 8 || bytes.Trim(p1, "0123456789") != nil && len(bytes.Trim(p1, "0123456789")) != 0 {
		t.Fatalf("PUK %q is not eight digits", p1)
	}
	if bytes.Equal(p1, p2) {
		t.Fatal("two cards share a PUK")
	}
	// The PUK is not a prefix of the management key's output: the labels
	// separate them.
	raw, _ := derive(master, "aa", labelMgmtKey, 8)
	if bytes.Equal(raw, p1) {
		t.Fatal("PUK and management key come from the same output")
	}
	if _, err := derivePUK([]byte("short"), "aa"); !errors.Is(err, ErrMasterSecret) {
		t.Fatalf("short master: %v", err)
	}
	if _, err := deriveManagementKey(master, ""); err == nil {
		t.Fatal("an empty card ID was accepted")
	}
}

func TestPKCS1v15Block(t *testing.T) {
	digest := bytes.Repeat([]byte{0xAB}, 32)
	block, err := pkcs1v15Block(0, digest, 64)
	if err != nil {
		t.Fatal(err)
	}
	if block[0] != 0 || block[1] != 1 || block[64-33] != 0 || !bytes.Equal(block[64-32:], digest) {
		t.Fatalf("block % X", block)
	}
	for _, b := range block[2 : 64-33] {
		if b != 0xFF {
			t.Fatalf("padding % X", block)
		}
	}
	if _, err := pkcs1v15Block(0, make([]byte, 60), 64); err == nil {
		t.Fatal("data longer than the block allows was accepted")
	}
	if got := fitDigest(make([]byte, 48), 32); len(got) != 32 {
		t.Fatalf("fitDigest truncation gave %d bytes", len(got))
	}
	if got := fitDigest([]byte{1}, 32); len(got) != 32 || got[31] != 1 || got[0] != 0 {
		t.Fatalf("fitDigest padding gave % X", got)
	}
}
