package cardio

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"testing"
)

// TestPrivateKeysNeverLeaveTheCard sweeps GET DATA over every tag and every
// instruction with an empty body after generating keys, and checks that no
// answer contains private key material.
func TestPrivateKeysNeverLeaveTheCard(t *testing.T) {
	e := NewEmulator(EmulatorOptions{})
	r := NewEmulatedReader("r")
	r.Insert(e)
	card, _ := r.Connect(context.Background())
	ctx := context.Background()
	piv, err := SelectPIV(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	if err := piv.Authenticate(ctx, DefaultManagementKey()); err != nil {
		t.Fatal(err)
	}
	if _, err := piv.GenerateKey(ctx, SlotSignature, AlgRSA2048); err != nil {
		t.Fatal(err)
	}
	if _, err := piv.GenerateKey(ctx, SlotAuthentication, AlgECCP256); err != nil {
		t.Fatal(err)
	}
	if err := piv.Verify(ctx, DefaultPIN); err != nil {
		t.Fatal(err)
	}
	var secrets [][]byte
	for _, k := range e.st.keys {
		switch k := k.(type) {
		case *rsa.PrivateKey:
			secrets = append(secrets, k.D.Bytes()[:32], k.Primes[0].Bytes()[:32], k.Primes[1].Bytes()[:32])
		case *ecdsa.PrivateKey:
			b, _ := k.Bytes()
			secrets = append(secrets, b)
		}
	}
	check := func(apdu []byte) {
		resp := e.Transmit(apdu)
		for _, s := range secrets {
			if bytes.Contains(resp, s) {
				t.Fatalf("answer to % X contains private key material", apdu)
			}
		}
	}
	for tag := 0x5FC100; tag <= 0x5FC1FF; tag++ {
		check([]byte{0, 0xCB, 0x3F, 0xFF, 5, 0x5C, 3, byte(tag >> 16), byte(tag >> 8), byte(tag), 0})
	}
	for tag := 0; tag <= 0xFF; tag++ {
		check([]byte{0, 0xCB, 0x3F, 0xFF, 3, 0x5C, 1, byte(tag), 0})
	}
	for ins := 0; ins <= 0xFF; ins++ {
		for _, p := range [][2]byte{{0, 0}, {0x3F, 0xFF}, {0, 0x9C}, {0, 0x9A}, {0x07, 0x9C}, {0x11, 0x9A}} {
			check([]byte{0, byte(ins), p[0], p[1], 0})
			check([]byte{0, 0xC0, 0, 0, 0})
		}
	}
}
