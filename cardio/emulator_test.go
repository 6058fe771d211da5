package cardio_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"madoguchi/cardio"
)

const selectPIV = "00 A4 04 00 0B A0 00 00 03 08 00 00 10 00 01 00 00"

// TestEmulatorStatusWords drives every status word path of the emulator
// with raw APDUs.
func TestEmulatorStatusWords(t *testing.T) {
	ctx := context.Background()
	auth := func(t *testing.T, piv *cardio.PIV) {
		if err := piv.Authenticate(ctx, cardio.DefaultManagementKey()); err != nil {
			t.Fatal(err)
		}
	}
	withKey := func(t *testing.T, piv *cardio.PIV) {
		auth(t, piv)
		if _, err := piv.GenerateKey(ctx, cardio.SlotSignature, cardio.AlgECCP256); err != nil {
			t.Fatal(err)
		}
		if _, err := piv.GenerateKey(ctx, cardio.SlotCardAuthentication, cardio.AlgECCP256); err != nil {
			t.Fatal(err)
		}
	}
	wrongPIN := func(n int) func(*testing.T, *cardio.PIV) {
		return func(t *testing.T, piv *cardio.PIV) {
			for range n {
				piv.Verify(ctx, []byte("000000"))
			}
		}
	}
	wrongPUK := func(t *testing.T, piv *cardio.PIV) {
		for range 3 {
			piv.ResetRetryCounter(ctx, []byte("00000000"), []byte("123456"))
		}
	}
	digest32 := fmt.Sprintf("%X", sha256.Sum256(nil))
	sign := func(slot string) string { return "00 87 11 " + slot + " 26 7C 24 82 00 81 20 " + digest32 }
	big := bytes.Repeat([]byte{0x55}, 4097)
	putBig := fmt.Sprintf("00 DB 3F FF 00 %04X 5C 03 5F C1 0A 53 82 %04X %X", len(big)+9, len(big), big)
	chunk := fmt.Sprintf("10 DB 3F FF FF %X", bytes.Repeat([]byte{1}, 255))
	var tooLongChain []string
	for range 32 {
		tooLongChain = append(tooLongChain, chunk)
	}

	tests := []struct {
		name  string
		opts  cardio.EmulatorOptions
		setup func(*testing.T, *cardio.PIV)
		pre   []string // raw APDUs sent first, answers ignored
		reset bool     // power the card up again first: nothing selected
		apdu  string
		want  uint16
	}{
		{name: "malformed APDU", apdu: "00 A4 04", want: 0x6700},
		{name: "Lc beyond data", apdu: "00 CB 3F FF 05 5C", want: 0x6700},
		{name: "extended APDU on a short-only card", opts: cardio.EmulatorOptions{ShortOnly: true},
			apdu: "00 CB 3F FF 00 00 05 5C 03 5F C1 02 00 00", want: 0x6700},
		{name: "class not supported", apdu: "80 CB 3F FF 03 5C 01 7E 00", want: 0x6E00},
		{name: "instruction not supported", apdu: "00 FC 00 00 00", want: 0x6D00},
		{name: "GET VERSION", apdu: "00 FD 00 00 00", want: 0x9000},
		{name: "GET VERSION with P1", apdu: "00 FD 01 00 00", want: 0x6A86},
		{name: "GET VERSION before SELECT", reset: true, apdu: "00 FD 00 00 00", want: 0x6985},
		{name: "SET MANAGEMENT KEY on a card without it", opts: cardio.EmulatorOptions{NoSetMgmtKey: true}, setup: auth,
			apdu: "00 FF FF FF 1B 03 9B 18 " + fmt.Sprintf("%X", bytes.Repeat([]byte{9}, 24)), want: 0x6D00},
		{name: "PIV command before SELECT", reset: true, apdu: "00 CB 3F FF 03 5C 01 7E 00", want: 0x6985},
		{name: "unknown instruction before SELECT", reset: true, apdu: "00 FC 00 00", want: 0x6D00},
		{name: "PIV command after a failed SELECT", pre: []string{"00 A4 04 00 08 A0 00 00 05 27 20 01 01"}, apdu: "00 CB 3F FF 03 5C 01 7E 00", want: 0x9000},
		{name: "GET RESPONSE with nothing pending", apdu: "00 C0 00 00 00", want: 0x6985},
		{name: "GET RESPONSE with P1", apdu: "00 C0 01 00 00", want: 0x6A86},
		{name: "SELECT with P1 00", apdu: "00 A4 00 00 02 3F 00", want: 0x6A86},
		{name: "SELECT of another application", apdu: "00 A4 04 00 05 A0 00 00 00 01", want: 0x6A82},
		{name: "GET DATA with P1-P2 0000", apdu: "00 CB 00 00 05 5C 03 5F C1 02 00", want: 0x6A86},
		{name: "GET DATA without tag list", apdu: "00 CB 3F FF 03 53 01 00 00", want: 0x6A80},
		{name: "GET DATA with a two-byte tag", apdu: "00 CB 3F FF 04 5C 02 5F C1 00", want: 0x6A80},
		{name: "GET DATA of an empty object", apdu: "00 CB 3F FF 05 5C 03 5F C1 0A 00", want: 0x6A82},
		{name: "GET DATA of printed information without PIN", apdu: "00 CB 3F FF 05 5C 03 5F C1 09 00", want: 0x6982},
		{name: "GET DATA of discovery", apdu: "00 CB 3F FF 03 5C 01 7E 00", want: 0x9000},
		{name: "PUT DATA without management key", apdu: "00 DB 3F FF 08 5C 03 5F C1 02 53 01 00", want: 0x6982},
		{name: "PUT DATA with P1-P2 0000", setup: auth, apdu: "00 DB 00 00 08 5C 03 5F C1 02 53 01 00", want: 0x6A86},
		{name: "PUT DATA without 53", setup: auth, apdu: "00 DB 3F FF 05 5C 03 5F C1 02", want: 0x6A80},
		{name: "PUT DATA of discovery", setup: auth, apdu: "00 DB 3F FF 06 5C 01 7E 53 01 00", want: 0x6A80},
		{name: "PUT DATA too large", setup: auth, apdu: putBig, want: 0x6A84},
		{name: "chain longer than the card's buffer", setup: auth, pre: tooLongChain, apdu: chunk, want: 0x6A84},
		{name: "chain broken by another command", setup: auth, pre: []string{chunk}, apdu: "00 CB 3F FF 03 5C 01 7E 00", want: 0x6883},
		{name: "VERIFY of the PUK reference", apdu: "00 20 00 81 08 31 32 33 34 35 36 37 38", want: 0x6A88},
		{name: "VERIFY with P1 01", apdu: "00 20 01 80 08 31 32 33 34 35 36 FF FF", want: 0x6A86},
		{name: "VERIFY with 5 bytes", apdu: "00 20 00 80 05 31 32 33 34 35", want: 0x6A80},
		{name: "VERIFY reset with data", apdu: "00 20 FF 80 01 00", want: 0x6A80},
		{name: "VERIFY reset", apdu: "00 20 FF 80", want: 0x9000},
		{name: "VERIFY status, not verified", apdu: "00 20 00 80", want: 0x63C3},
		{name: "VERIFY wrong PIN", apdu: "00 20 00 80 08 30 30 30 30 30 30 FF FF", want: 0x63C2},
		{name: "VERIFY right PIN", apdu: "00 20 00 80 08 31 32 33 34 35 36 FF FF", want: 0x9000},
		{name: "VERIFY third wrong PIN", setup: wrongPIN(2), apdu: "00 20 00 80 08 30 30 30 30 30 30 FF FF", want: 0x63C0},
		{name: "VERIFY blocked", setup: wrongPIN(3), apdu: "00 20 00 80 08 31 32 33 34 35 36 FF FF", want: 0x6983},
		{name: "VERIFY status, blocked", setup: wrongPIN(3), apdu: "00 20 00 80", want: 0x6983},
		{name: "CHANGE REFERENCE of 9B", apdu: "00 24 00 9B 10 31 32 33 34 35 36 FF FF 31 32 33 34 35 37 FF FF", want: 0x6A88},
		{name: "CHANGE REFERENCE with P1 01", apdu: "00 24 01 80 10 31 32 33 34 35 36 FF FF 31 32 33 34 35 37 FF FF", want: 0x6A86},
		{name: "CHANGE REFERENCE to a 5-digit PIN", apdu: "00 24 00 80 10 31 32 33 34 35 36 FF FF 31 32 33 34 35 FF FF FF", want: 0x6A80},
		{name: "CHANGE REFERENCE with wrong PIN", apdu: "00 24 00 80 10 30 30 30 30 30 30 FF FF 31 32 33 34 35 37 FF FF", want: 0x63C2},
		{name: "CHANGE REFERENCE with wrong PUK", apdu: "00 24 00 81 10 30 30 30 30 30 30 30 30 31 32 33 34 35 37 FF FF", want: 0x63C2},
		{name: "CHANGE REFERENCE of a blocked PIN", setup: wrongPIN(3), apdu: "00 24 00 80 10 31 32 33 34 35 36 FF FF 31 32 33 34 35 37 FF FF", want: 0x6983},
		{name: "RESET RETRY COUNTER of the PUK", apdu: "00 2C 00 81 10 31 32 33 34 35 36 37 38 31 32 33 34 35 37 FF FF", want: 0x6A88},
		{name: "RESET RETRY COUNTER with P1 01", apdu: "00 2C 01 80 10 31 32 33 34 35 36 37 38 31 32 33 34 35 37 FF FF", want: 0x6A86},
		{name: "RESET RETRY COUNTER with 8 bytes", apdu: "00 2C 00 80 08 31 32 33 34 35 36 37 38", want: 0x6A80},
		{name: "RESET RETRY COUNTER with wrong PUK", apdu: "00 2C 00 80 10 30 30 30 30 30 30 30 30 31 32 33 34 35 37 FF FF", want: 0x63C2},
		{name: "RESET RETRY COUNTER with a blocked PUK", setup: wrongPUK, apdu: "00 2C 00 80 10 31 32 33 34 35 36 37 38 31 32 33 34 35 37 FF FF", want: 0x6983},
		{name: "GENERAL AUTHENTICATE without 7C", apdu: "00 87 03 9B 02 80 00 00", want: 0x6A80},
		{name: "GENERAL AUTHENTICATE of key 99", apdu: "00 87 07 99 04 7C 02 80 00 00", want: 0x6A86},
		{name: "management key with the wrong algorithm", apdu: "00 87 08 9B 04 7C 02 80 00 00", want: 0x6A86},
		{name: "management response without a witness", apdu: "00 87 03 9B 16 7C 14 80 08 0102030405060708 81 08 0102030405060708 00", want: 0x6985},
		{name: "management response with a wrong witness", pre: []string{"00 87 03 9B 04 7C 02 80 00 00"},
			apdu: "00 87 03 9B 16 7C 14 80 08 0102030405060708 81 08 0102030405060708 00", want: 0x6982},
		{name: "management witness of the wrong length", pre: []string{"00 87 03 9B 04 7C 02 80 00 00"},
			apdu: "00 87 03 9B 12 7C 10 80 04 01020304 81 08 0102030405060708 00", want: 0x6A80},
		{name: "external authentication, challenge", apdu: "00 87 03 9B 04 7C 02 81 00 00", want: 0x9000},
		{name: "external authentication, wrong answer", pre: []string{"00 87 03 9B 04 7C 02 81 00 00"},
			apdu: "00 87 03 9B 0C 7C 0A 82 08 0102030405060708", want: 0x6982},
		{name: "external authentication without challenge", apdu: "00 87 03 9B 0C 7C 0A 82 08 0102030405060708", want: 0x6985},
		{name: "management template with nothing known", apdu: "00 87 03 9B 04 7C 02 85 00 00", want: 0x6A80},
		{name: "signing with an empty slot", apdu: sign("9C"), want: 0x6A88},
		{name: "signing with 9C without PIN", setup: withKey, apdu: sign("9C"), want: 0x6982},
		{name: "signing with 9E needs no PIN", setup: withKey, apdu: sign("9E"), want: 0x9000},
		{name: "signing with the wrong algorithm", setup: withKey, apdu: "00 87 07 9E 26 7C 24 82 00 81 20 " + digest32, want: 0x6A86},
		{name: "signing a 31-byte digest", setup: withKey, apdu: "00 87 11 9E 25 7C 23 82 00 81 1F " + digest32[2:], want: 0x6A80},
		{name: "signing without 82", setup: withKey, apdu: "00 87 11 9E 24 7C 22 81 20 " + digest32, want: 0x6A80},
		{name: "GENERATE without management key", apdu: "00 47 00 9C 05 AC 03 80 01 11 00", want: 0x6982},
		{name: "GENERATE in 9B", setup: auth, apdu: "00 47 00 9B 05 AC 03 80 01 11 00", want: 0x6A86},
		{name: "GENERATE with P1 01", setup: auth, apdu: "00 47 01 9C 05 AC 03 80 01 11 00", want: 0x6A86},
		{name: "GENERATE with an unknown algorithm", setup: auth, apdu: "00 47 00 9C 05 AC 03 80 01 14 00", want: 0x6A80},
		{name: "GENERATE without template", setup: auth, apdu: "00 47 00 9C 03 80 01 11 00", want: 0x6A80},
		{name: "GENERATE P-256", setup: auth, apdu: "00 47 00 9C 05 AC 03 80 01 11 00", want: 0x9000},
		{name: "SET MANAGEMENT KEY without management key", apdu: "00 FF FF FF 1B 03 9B 18 " + fmt.Sprintf("%X", bytes.Repeat([]byte{9}, 24)), want: 0x6982},
		{name: "SET MANAGEMENT KEY with P1 00", setup: auth, apdu: "00 FF 00 FF 1B 03 9B 18 " + fmt.Sprintf("%X", bytes.Repeat([]byte{9}, 24)), want: 0x6A86},
		{name: "SET MANAGEMENT KEY of the wrong length", setup: auth, apdu: "00 FF FF FF 13 03 9B 10 " + fmt.Sprintf("%X", bytes.Repeat([]byte{9}, 16)), want: 0x6A80},
		{name: "SET MANAGEMENT KEY", setup: auth, apdu: "00 FF FF FF 1B 0A 9B 18 " + fmt.Sprintf("%X", bytes.Repeat([]byte{9}, 24)), want: 0x9000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, _, piv := insertNew(t, tt.opts)
			if tt.setup != nil {
				tt.setup(t, piv)
			}
			if tt.reset {
				emu.Reset()
			}
			for _, p := range tt.pre {
				emu.Transmit(hx(p))
			}
			resp, err := cardio.ParseResponse(emu.Transmit(hx(tt.apdu)))
			if err != nil {
				t.Fatal(err)
			}
			if resp.SW != tt.want {
				t.Fatalf("SW = %04X, want %04X", resp.SW, tt.want)
			}
		})
	}
}

// TestEmulatorLongResponses checks 61xx and GET RESPONSE on the card side.
func TestEmulatorLongResponses(t *testing.T) {
	emu, _, piv := insertNew(t, cardio.EmulatorOptions{ShortOnly: true})
	if err := piv.Authenticate(context.Background(), cardio.DefaultManagementKey()); err != nil {
		t.Fatal(err)
	}
	resp, _ := cardio.ParseResponse(emu.Transmit(hx("00 47 00 9C 05 AC 03 80 01 07 00")))
	if resp.SW1() != 0x61 || len(resp.Data) != 256 {
		t.Fatalf("GENERATE RSA: %d bytes, SW %04X; want 256 bytes and 61xx", len(resp.Data), resp.SW)
	}
	rest, _ := cardio.ParseResponse(emu.Transmit([]byte{0, 0xC0, 0, 0, resp.SW2()}))
	if rest.SW != 0x9000 || len(rest.Data) != int(resp.SW2()) {
		t.Fatalf("GET RESPONSE: %d bytes, SW %04X", len(rest.Data), rest.SW)
	}
	if again, _ := cardio.ParseResponse(emu.Transmit(hx("00 C0 00 00 00"))); again.SW != 0x6985 {
		t.Fatalf("second GET RESPONSE: SW %04X, want 6985", again.SW)
	}
}

// TestEmulatorT0 checks the T=0 rules: data through GET RESPONSE only, and
// 6Cxx for a wrong Le.
func TestEmulatorT0(t *testing.T) {
	emu := cardio.NewEmulator(cardio.EmulatorOptions{Protocol: cardio.T0})
	sel, _ := cardio.ParseResponse(emu.Transmit(hx("00 A4 04 00 0B A0 00 00 03 08 00 00 10 00 01 00")))
	if sel.SW&0xFF00 != 0x6100 || len(sel.Data) != 0 {
		t.Fatalf("SELECT on T=0: % X %04X, want no data and 61xx", sel.Data, sel.SW)
	}
	n := int(sel.SW & 0xFF)
	wrong, _ := cardio.ParseResponse(emu.Transmit([]byte{0, 0xC0, 0, 0, byte(n + 5)}))
	if wrong.SW != 0x6C00|uint16(n) {
		t.Fatalf("GET RESPONSE with Le too large: %04X, want 6C%02X", wrong.SW, n)
	}
	right, _ := cardio.ParseResponse(emu.Transmit([]byte{0, 0xC0, 0, 0, byte(n)}))
	if right.SW != 0x9000 || len(right.Data) != n || right.Data[0] != 0x61 {
		t.Fatalf("GET RESPONSE with exact Le: %d bytes %04X", len(right.Data), right.SW)
	}
	if ext, _ := cardio.ParseResponse(emu.Transmit(hx("00 CB 3F FF 00 00 03 5C 01 7E 00 00"))); ext.SW != 0x6700 {
		t.Fatalf("extended APDU on T=0: %04X, want 6700", ext.SW)
	}
}

// TestEmulatorLinkModes runs the whole PIV exercise over T=1 with extended
// length, T=1 with chaining, and T=0, and compares the APDU counts.
func TestEmulatorLinkModes(t *testing.T) {
	counts := map[string]uint64{}
	for _, mode := range []struct {
		name string
		opts cardio.EmulatorOptions
	}{
		{"T=1 extended", cardio.EmulatorOptions{}},
		{"T=1 chaining", cardio.EmulatorOptions{ShortOnly: true}},
		{"T=0", cardio.EmulatorOptions{Protocol: cardio.T0}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			emu := cardio.NewEmulator(mode.opts)
			r := cardio.NewEmulatedReader("r")
			r.Insert(emu)
			card, err := r.Connect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer card.Close()
			if card.ExtendedLength() != (mode.opts == cardio.EmulatorOptions{}) {
				t.Fatalf("ExtendedLength = %v", card.ExtendedLength())
			}
			exercisePIV(t, card)
			counts[mode.name] = card.Transmits()
		})
	}
	t.Logf("APDUs for the PIV exercise: %v", counts)
	if !(counts["T=1 extended"] < counts["T=1 chaining"] && counts["T=1 chaining"] <= counts["T=0"]) {
		t.Fatalf("APDU counts %v: extended length should need fewer APDUs than chaining, and T=0 the most", counts)
	}
}

func TestManagementKeyAlgorithms(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []cardio.MgmtAlg{cardio.Mgmt3DES, cardio.MgmtAES128, cardio.MgmtAES192, cardio.MgmtAES256} {
		t.Run(alg.String(), func(t *testing.T) {
			_, r, piv := insertNew(t, cardio.EmulatorOptions{})
			if err := piv.Authenticate(ctx, cardio.DefaultManagementKey()); err != nil {
				t.Fatal(err)
			}
			key := cardio.ManagementKey{Alg: alg, Key: bytes.Repeat([]byte{0x5A}, alg.KeyLen())}
			key.Key[0] = byte(alg)
			if err := piv.SetManagementKey(ctx, key); err != nil {
				t.Fatal(err)
			}
			// Take the card out and put it back: a new session.
			emu := r.Remove()
			r.Insert(emu)
			card, err := r.Connect(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer card.Close()
			piv, err = cardio.SelectPIV(ctx, card)
			if err != nil {
				t.Fatal(err)
			}
			if err := piv.Authenticate(ctx, cardio.DefaultManagementKey()); !errors.Is(err, cardio.ErrMgmtAuthFailed) {
				t.Fatalf("old key: %v, want ErrMgmtAuthFailed", err)
			}
			wrong := cardio.ManagementKey{Alg: alg, Key: bytes.Repeat([]byte{0x11}, alg.KeyLen())}
			if err := piv.Authenticate(ctx, wrong); !errors.Is(err, cardio.ErrMgmtAuthFailed) {
				t.Fatalf("wrong key of the right algorithm: %v, want ErrMgmtAuthFailed", err)
			}
			if err := piv.Authenticate(ctx, key); err != nil {
				t.Fatalf("new key: %v", err)
			}
			if _, err := piv.GenerateKey(ctx, cardio.SlotSignature, cardio.AlgECCP256); err != nil {
				t.Fatalf("GENERATE after authentication: %v", err)
			}
		})
	}
	if err := (&cardio.PIV{}).Authenticate(ctx, cardio.ManagementKey{Alg: cardio.MgmtAES128, Key: make([]byte, 5)}); err == nil {
		t.Fatal("a 5-byte AES key was accepted")
	}
}

func TestECCSigningAndPINOnceSlots(t *testing.T) {
	ctx := context.Background()
	_, _, piv := insertNew(t, cardio.EmulatorOptions{})
	if err := piv.Authenticate(ctx, cardio.DefaultManagementKey()); err != nil {
		t.Fatal(err)
	}
	pub, err := piv.GenerateKey(ctx, cardio.SlotAuthentication, cardio.AlgECCP256)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("9A"))
	if _, err := piv.Sign(ctx, cardio.SlotAuthentication, cardio.AlgECCP256, digest[:]); !isSW(err, 0x6982) {
		t.Fatalf("9A without PIN: %v, want 6982", err)
	}
	if err := piv.Verify(ctx, cardio.DefaultPIN); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // 9A needs the PIN once per session, not before each use
		sig, err := piv.Sign(ctx, cardio.SlotAuthentication, cardio.AlgECCP256, digest[:])
		if err != nil {
			t.Fatalf("signature %d: %v", i+1, err)
		}
		checkSignature(t, pub, digest[:], sig)
	}
}

func TestPUKBlocksAfterThreeWrongTries(t *testing.T) {
	ctx := context.Background()
	emu, _, piv := insertNew(t, cardio.EmulatorOptions{})
	for want := 2; want >= 0; want-- {
		err := piv.ResetRetryCounter(ctx, []byte("87654321"), []byte("246810"))
		var se *cardio.StatusError
		if !errors.As(err, &se) || !errors.Is(err, cardio.ErrWrongPIN) {
			t.Fatalf("wrong PUK: %v", err)
		}
		if n, _ := se.TriesLeft(); n != want || emu.PUKTriesLeft() != want {
			t.Fatalf("tries left %d (card %d), want %d", n, emu.PUKTriesLeft(), want)
		}
	}
	err := piv.ResetRetryCounter(ctx, cardio.DefaultPUK, []byte("246810"))
	if !errors.Is(err, cardio.ErrAuthBlocked) {
		t.Fatalf("right PUK after blocking: %v, want ErrAuthBlocked", err)
	}
	if err := piv.Verify(ctx, []byte("246810")); !errors.Is(err, cardio.ErrWrongPIN) {
		t.Fatalf("the blocked PUK still set the PIN: %v", err)
	}
}

func TestChangePUKResetsItsCounter(t *testing.T) {
	ctx := context.Background()
	emu, _, piv := insertNew(t, cardio.EmulatorOptions{})
	piv.ChangeReference(ctx, cardio.RefPUK, []byte("00000000"), []byte("11223344"))
	if emu.PUKTriesLeft() != 2 {
		t.Fatalf("PUK tries after a wrong PUK: %d", emu.PUKTriesLeft())
	}
	if err := piv.ChangeReference(ctx, cardio.RefPUK, cardio.DefaultPUK, []byte("11223344")); err != nil {
		t.Fatal(err)
	}
	if emu.PUKTriesLeft() != cardio.DefaultPUKTries {
		t.Fatalf("PUK tries after a change: %d", emu.PUKTriesLeft())
	}
	if err := piv.ResetRetryCounter(ctx, []byte("11223344"), []byte("135790")); err != nil {
		t.Fatalf("new PUK refused: %v", err)
	}
}

func TestEmulatorSaveLoad(t *testing.T) {
	ctx := context.Background()
	emu, r, piv := insertNew(t, cardio.EmulatorOptions{})
	exercisePIV(t, piv.Card())
	piv.Verify(ctx, []byte("000000")) // one wrong try, kept across the save
	cert, err := piv.ReadCertificate(ctx, cardio.SlotSignature)
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/card.json"
	if err := emu.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	r.Remove()
	loaded, err := cardio.LoadEmulatorFile(path, cardio.EmulatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if loaded.PINTriesLeft() != 2 || !loaded.HasKey(cardio.SlotSignature) {
		t.Fatalf("loaded card: %d PIN tries, key in 9C %v", loaded.PINTriesLeft(), loaded.HasKey(cardio.SlotSignature))
	}
	r.Insert(loaded)
	card, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	piv2, err := cardio.SelectPIV(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := piv2.ReadCertificate(ctx, cardio.SlotSignature); err != nil || !bytes.Equal(got, cert) {
		t.Fatalf("certificate after reload: %v", err)
	}
	if verified, _, _ := piv2.PINStatus(ctx); verified {
		t.Fatal("the session's verified PIN survived the reload")
	}
	// The reloaded key still signs for the certificate's public key.
	digest := sha256.Sum256([]byte("reloaded"))
	if err := piv2.Verify(ctx, []byte("482916")); err != nil {
		t.Fatal(err)
	}
	sig, err := piv2.Sign(ctx, cardio.SlotSignature, cardio.AlgRSA2048, pkcs1SHA256(digest[:]))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parseCert(cert)
	if err != nil {
		t.Fatal(err)
	}
	checkSignature(t, parsed.PublicKey, digest[:], sig)
}

func TestLoadEmulatorRejects(t *testing.T) {
	var good bytes.Buffer
	if err := cardio.NewEmulator(cardio.EmulatorOptions{}).Save(&good); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{
		"not JSON":        "card",
		"unknown field":   `{"version":1,"extra":true}`,
		"wrong version":   `{"version":2}`,
		"short PIN":       `{"version":1,"pin":"MTIz////////","pin_tries":3,"pin_max_tries":3,"puk":"MTIzNDU2Nzg=","puk_tries":3,"puk_max_tries":3,"mgmt_alg":3,"mgmt_key":"AQIDBAUGBwgBAgMEBQYHCAECAwQFBgcI"}`,
		"tries above max": `{"version":1,"pin":"MTIzNDU2//8=","pin_tries":4,"pin_max_tries":3,"puk":"MTIzNDU2Nzg=","puk_tries":3,"puk_max_tries":3,"mgmt_alg":3,"mgmt_key":"AQIDBAUGBwgBAgMEBQYHCAECAwQFBgcI"}`,
		"bad mgmt key":    `{"version":1,"pin":"MTIzNDU2//8=","pin_tries":3,"pin_max_tries":3,"puk":"MTIzNDU2Nzg=","puk_tries":3,"puk_max_tries":3,"mgmt_alg":8,"mgmt_key":"AQIDBAUGBwgBAgMEBQYHCAECAwQFBgcI"}`,
		"bad slot":        `{"version":1,"pin":"MTIzNDU2//8=","pin_tries":3,"pin_max_tries":3,"puk":"MTIzNDU2Nzg=","puk_tries":3,"puk_max_tries":3,"mgmt_alg":3,"mgmt_key":"AQIDBAUGBwgBAgMEBQYHCAECAwQFBgcI","keys":{"9b":"AA=="}}`,
		"bad object tag":  `{"version":1,"pin":"MTIzNDU2//8=","pin_tries":3,"pin_max_tries":3,"puk":"MTIzNDU2Nzg=","puk_tries":3,"puk_max_tries":3,"mgmt_alg":3,"mgmt_key":"AQIDBAUGBwgBAgMEBQYHCAECAwQFBgcI","objects":{"7e":"AA=="}}`,
		"unparsable key":  `{"version":1,"pin":"MTIzNDU2//8=","pin_tries":3,"pin_max_tries":3,"puk":"MTIzNDU2Nzg=","puk_tries":3,"puk_max_tries":3,"mgmt_alg":3,"mgmt_key":"AQIDBAUGBwgBAgMEBQYHCAECAwQFBgcI","keys":{"9c":"AA=="}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := cardio.LoadEmulator(bytes.NewReader([]byte(s)), cardio.EmulatorOptions{}); !errors.Is(err, cardio.ErrBadState) {
				t.Fatalf("err = %v, want ErrBadState", err)
			}
		})
	}
	if _, err := cardio.LoadEmulator(&good, cardio.EmulatorOptions{}); err != nil {
		t.Fatalf("a saved blank card does not load: %v", err)
	}
}

// FuzzEmulatorTransmit feeds byte strings to a selected card, one APDU
// or several (split on a length byte), and checks that every answer ends
// with a plausible status word and nothing panics.
func FuzzEmulatorTransmit(f *testing.F) {
	for _, s := range []string{
		selectPIV, "00 CB 3F FF 05 5C 03 5F C1 02 00", "00 20 00 80 08 31 32 33 34 35 36 FF FF",
		"00 87 03 9B 04 7C 02 80 00 00", "10 DB 3F FF 02 5C 03", "00 C0 00 00 00",
		"00 47 00 9C 05 AC 03 80 01 11 00", "00 24 00 81 10 31 32 33 34 35 36 37 38 31 32 33 34 35 36 37 38",
	} {
		f.Add(hx(s), false)
	}
	f.Add(hx("05 00 87 03 9B 02 06 00 20 00 80 00"), true)
	f.Fuzz(func(t *testing.T, data []byte, split bool) {
		emu := cardio.NewEmulator(cardio.EmulatorOptions{})
		emu.Transmit(hx(selectPIV))
		apdus := [][]byte{data}
		if split {
			apdus = nil
			for len(data) > 0 {
				n := min(int(data[0]), len(data)-1)
				apdus = append(apdus, data[1:1+n])
				data = data[1+n:]
			}
		}
		for _, a := range apdus {
			resp := emu.Transmit(a)
			if len(resp) < 2 {
				t.Fatalf("answer % X to % X has no status word", resp, a)
			}
			sw1 := resp[len(resp)-2]
			if !(sw1 == 0x90 && resp[len(resp)-1] == 0 || sw1 >= 0x61 && sw1 <= 0x6F) {
				t.Fatalf("answer % X to % X has an invalid status word", resp, a)
			}
			if sw1 != 0x90 && sw1 != 0x61 && len(resp) != 2 {
				t.Fatalf("error answer % X carries data", resp)
			}
		}
	})
}

// FuzzLoadEmulator checks that any state file is loaded or refused with
// ErrBadState, never with a panic.
func FuzzLoadEmulator(f *testing.F) {
	var good bytes.Buffer
	cardio.NewEmulator(cardio.EmulatorOptions{}).Save(&good)
	f.Add(good.Bytes())
	f.Add([]byte(`{"version":1,"keys":{"9c":"AA=="}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		emu, err := cardio.LoadEmulator(bytes.NewReader(data), cardio.EmulatorOptions{})
		if err != nil {
			if !errors.Is(err, cardio.ErrBadState) {
				t.Fatalf("err = %v, want ErrBadState", err)
			}
			return
		}
		emu.Transmit(hx(selectPIV))
	})
}

// TestFailedSelectKeepsApplication checks the ISO 7816-4 rule that
// yubico-piv-tool relies on: a SELECT of an application the card lacks
// answers 6A82 and leaves PIV selected with its security status (the
// verified PIN, the management key).
func TestFailedSelectKeepsApplication(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		opts cardio.EmulatorOptions
	}{
		{"T=1", cardio.EmulatorOptions{}},
		{"T=0", cardio.EmulatorOptions{Protocol: cardio.T0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			emu, _, piv := insertNew(t, tt.opts)
			if err := piv.Verify(ctx, cardio.DefaultPIN); err != nil {
				t.Fatal(err)
			}
			if err := piv.Authenticate(ctx, cardio.DefaultManagementKey()); err != nil {
				t.Fatal(err)
			}
			// The YubiKey OTP and management AIDs, as yubico-piv-tool probes.
			for _, aid := range []string{"00 A4 04 00 08 A0 00 00 05 27 20 01 01", "00 A4 04 00 08 A0 00 00 05 27 47 11 17"} {
				if resp, _ := cardio.ParseResponse(emu.Transmit(hx(aid))); resp.SW != 0x6A82 {
					t.Fatalf("SELECT %s: %04X, want 6A82", aid, resp.SW)
				}
			}
			if verified, _, err := piv.PINStatus(ctx); err != nil || !verified {
				t.Fatalf("PIN status after a failed SELECT: verified %v, %v", verified, err)
			}
			if err := piv.PutData(ctx, cardio.ObjPrintedInformation, []byte{0x01, 0x00}); err != nil {
				t.Fatalf("PUT DATA after a failed SELECT (management key kept): %v", err)
			}
		})
	}
}

// TestGetVersion checks the answer to GET VERSION (INS FD) on both
// protocols.
func TestGetVersion(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts cardio.EmulatorOptions
		// apdus are sent in turn; the last answer must be the version.
		apdus []string
	}{
		{"T=1", cardio.EmulatorOptions{}, []string{"00 FD 00 00 00"}},
		{"T=0 after 6C03", cardio.EmulatorOptions{Protocol: cardio.T0}, []string{"00 FD 00 00 00", "00 FD 00 00 03"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			emu, _, _ := insertNew(t, tt.opts)
			var resp cardio.Response
			for _, a := range tt.apdus {
				resp, _ = cardio.ParseResponse(emu.Transmit(hx(a)))
			}
			want := cardio.EmulatorVersion
			if resp.SW != 0x9000 || !bytes.Equal(resp.Data, want[:]) {
				t.Fatalf("GET VERSION: % X %04X, want % X 9000", resp.Data, resp.SW, want)
			}
		})
	}
}
