package cardio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
)

// scriptConn answers each transmitted APDU with the next scripted response
// and records what was sent.
type scriptConn struct {
	t       *testing.T
	proto   Protocol
	atr     []byte
	replies [][]byte
	errs    []error
	sent    [][]byte
}

func (c *scriptConn) Transmit(apdu []byte) ([]byte, error) {
	c.sent = append(c.sent, bytes.Clone(apdu))
	i := len(c.sent) - 1
	if i < len(c.errs) && c.errs[i] != nil {
		return nil, c.errs[i]
	}
	if i >= len(c.replies) {
		c.t.Fatalf("unexpected APDU #%d: % X", i+1, apdu)
	}
	return c.replies[i], nil
}
func (c *scriptConn) ATR() []byte        { return c.atr }
func (c *scriptConn) Protocol() Protocol { return c.proto }
func (c *scriptConn) Close() error       { return nil }

func hexAPDU(b []byte) string { return fmt.Sprintf("% X", b) }

func TestCardTransport(t *testing.T) {
	big := bytes.Repeat([]byte{0x22}, 600)
	extATR := NewEmulator(EmulatorOptions{}).ATR()
	tests := []struct {
		name     string
		proto    Protocol
		atr      []byte
		cmd      Command
		replies  [][]byte
		wantSent []string
		wantData []byte
		wantSW   uint16 // 0: success
	}{
		{
			name:     "plain 9000",
			cmd:      Command{INS: 0xCB, P1: 0x3F, P2: 0xFF, Data: []byte{0x5C, 1, 0x7E}, Ne: 256},
			replies:  [][]byte{{1, 2, 0x90, 0}},
			wantSent: []string{"00 CB 3F FF 03 5C 01 7E 00"},
			wantData: []byte{1, 2},
		},
		{
			name:     "61xx then GET RESPONSE",
			cmd:      Command{INS: 0x47, P2: 0x9C, Data: []byte{0xAC}, Ne: maxNe},
			replies:  [][]byte{{1, 0x61, 0x00}, {2, 0x61, 0x02}, {3, 4, 0x90, 0}},
			wantSent: []string{"00 47 00 9C 01 AC 00", "00 C0 00 00 00", "00 C0 00 00 02"},
			wantData: []byte{1, 2, 3, 4},
		},
		{
			name:     "6Cxx resends with the exact Le",
			cmd:      Command{INS: 0xCA, P1: 0x01, Ne: 256},
			replies:  [][]byte{{0x6C, 0x03}, {7, 8, 9, 0x90, 0}},
			wantSent: []string{"00 CA 01 00 00", "00 CA 01 00 03"},
			wantData: []byte{7, 8, 9},
		},
		{
			name:     "6Cxx on GET RESPONSE",
			cmd:      Command{INS: 0xCB, Data: []byte{1}, Ne: 256},
			replies:  [][]byte{{0x61, 0x05}, {0x6C, 0x02}, {5, 6, 0x90, 0}},
			wantSent: []string{"00 CB 00 00 01 01 00", "00 C0 00 00 05", "00 C0 00 00 02"},
			wantData: []byte{5, 6},
		},
		{
			name:    "command chaining for long data",
			cmd:     Command{INS: 0xDB, P1: 0x3F, P2: 0xFF, Data: big},
			replies: [][]byte{{0x90, 0}, {0x90, 0}, {0x90, 0}},
			wantSent: []string{
				hexAPDU(append([]byte{0x10, 0xDB, 0x3F, 0xFF, 0xFF}, big[:255]...)),
				hexAPDU(append([]byte{0x10, 0xDB, 0x3F, 0xFF, 0xFF}, big[255:510]...)),
				hexAPDU(append([]byte{0x00, 0xDB, 0x3F, 0xFF, 90}, big[510:]...)),
			},
		},
		{
			name:     "chaining stops at the first error",
			cmd:      Command{INS: 0xDB, Data: big},
			replies:  [][]byte{{0x69, 0x82}},
			wantSent: []string{hexAPDU(append([]byte{0x10, 0xDB, 0, 0, 0xFF}, big[:255]...))},
			wantSW:   0x6982,
		},
		{
			name:     "extended length when the ATR announces it",
			atr:      extATR,
			cmd:      Command{INS: 0xDB, Data: big, Ne: 0},
			replies:  [][]byte{{0x90, 0}},
			wantSent: []string{hexAPDU(append([]byte{0, 0xDB, 0, 0, 0, 0x02, 0x58}, big...))},
		},
		{
			name:     "extended Le for a large answer",
			atr:      extATR,
			cmd:      Command{INS: 0xCB, Data: []byte{1}, Ne: maxNe},
			replies:  [][]byte{{9, 0x90, 0}},
			wantSent: []string{"00 CB 00 00 00 00 01 01 00 00"},
			wantData: []byte{9},
		},
		{
			name:     "T=0 case 4 is sent without Le",
			proto:    T0,
			atr:      extATR, // ignored on T=0
			cmd:      Command{INS: 0xA4, P1: 4, Data: []byte{0xA0}, Ne: 256},
			replies:  [][]byte{{0x61, 0x02}, {0x61, 0x4F, 0x90, 0}},
			wantSent: []string{"00 A4 04 00 01 A0", "00 C0 00 00 02"},
			wantData: []byte{0x61, 0x4F},
		},
		{
			name:     "error status keeps INS",
			cmd:      Command{INS: 0x20, P2: 0x80, Data: []byte{1, 2, 3, 4, 5, 6, 0xFF, 0xFF}},
			replies:  [][]byte{{0x63, 0xC1}},
			wantSent: []string{"00 20 00 80 08 01 02 03 04 05 06 FF FF"},
			wantSW:   0x63C1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := &scriptConn{t: t, proto: tt.proto, atr: tt.atr, replies: tt.replies}
			card := NewCard(conn)
			data, err := card.Do(context.Background(), tt.cmd)
			if tt.wantSW != 0 {
				var se *StatusError
				if !errors.As(err, &se) || se.SW != tt.wantSW || se.INS != tt.cmd.INS {
					t.Fatalf("err = %v, want status %04X for INS %02X", err, tt.wantSW, tt.cmd.INS)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, tt.wantData) && tt.wantSW == 0 {
				t.Errorf("data = % X, want % X", data, tt.wantData)
			}
			if len(conn.sent) != len(tt.wantSent) {
				t.Fatalf("sent %d APDUs, want %d", len(conn.sent), len(tt.wantSent))
			}
			for i, s := range conn.sent {
				if hexAPDU(s) != tt.wantSent[i] {
					t.Errorf("APDU %d = %s\nwant %s", i+1, hexAPDU(s), tt.wantSent[i])
				}
			}
			if card.Transmits() != uint64(len(tt.wantSent)) {
				t.Errorf("Transmits() = %d, want %d", card.Transmits(), len(tt.wantSent))
			}
		})
	}
}

func TestCardLinkFailures(t *testing.T) {
	removed := linkErr("transmit", ErrCardRemoved, nil)
	conn := &scriptConn{t: t, errs: []error{removed}}
	if _, err := NewCard(conn).Do(context.Background(), Command{INS: 0xA4}); !errors.Is(err, ErrCardRemoved) {
		t.Errorf("removed card: err = %v", err)
	}

	conn = &scriptConn{t: t, replies: [][]byte{{0x90}}}
	if _, err := NewCard(conn).Do(context.Background(), Command{INS: 0xA4}); !errors.Is(err, ErrProtocol) {
		t.Errorf("one-byte response: err = %v, want ErrProtocol", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	conn = &scriptConn{t: t}
	if _, err := NewCard(conn).Do(ctx, Command{INS: 0xA4}); !errors.Is(err, context.Canceled) || len(conn.sent) != 0 {
		t.Errorf("cancelled context: err = %v, sent %d", err, len(conn.sent))
	}
}

func TestSecretCommandsAreWiped(t *testing.T) {
	conn := &scriptConn{t: t, replies: [][]byte{{0x90, 0}}}
	card := NewCard(conn)
	conn.sent = nil
	var seen []byte
	rec := &recordingConn{scriptConn: conn, keep: &seen}
	card.conn = rec
	if _, err := card.Do(context.Background(), Command{INS: 0x20, P2: 0x80, Data: []byte("secret12"), secret: true}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(seen, []byte("secret12")) {
		t.Fatal("the APDU buffer still holds the secret after sending")
	}
}

// recordingConn keeps the very buffer it was given, to see it wiped.
type recordingConn struct {
	*scriptConn
	keep *[]byte
}

func (c *recordingConn) Transmit(apdu []byte) ([]byte, error) {
	*c.keep = apdu
	return c.scriptConn.Transmit(apdu)
}

func TestATRExtendedLength(t *testing.T) {
	for _, tt := range []struct {
		name string
		atr  []byte
		want bool
	}{
		{"emulator", NewEmulator(EmulatorOptions{}).ATR(), true},
		{"emulator short only", NewEmulator(EmulatorOptions{ShortOnly: true}).ATR(), false},
		{"emulator T=0 (no extended length on T=0)", NewEmulator(EmulatorOptions{Protocol: T0}).ATR(), false},
		{"emulator T=0 short only", NewEmulator(EmulatorOptions{Protocol: T0, ShortOnly: true}).ATR(), false},
		{"YubiKey 5 style", []byte{0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15, 0x80, 0x73, 0xC0, 0x21, 0xC0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40}, true},
		{"no historical bytes", []byte{0x3B, 0x00}, false},
		{"proprietary historical bytes", []byte{0x3B, 0x03, 'a', 'b', 'c'}, false},
		{"truncated", []byte{0x3B, 0x8F, 0x01, 0x80}, false},
		{"empty", nil, false},
	} {
		if got := atrExtendedLength(tt.atr); got != tt.want {
			t.Errorf("%s: atrExtendedLength = %v, want %v", tt.name, got, tt.want)
		}
	}
}
