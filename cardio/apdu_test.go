package cardio

import (
	"bytes"
	"errors"
	"testing"
)

func TestCommandEncodeParse(t *testing.T) {
	data300 := bytes.Repeat([]byte{0x11}, 300)
	tests := []struct {
		name     string
		cmd      Command
		want     []byte
		extended bool
	}{
		{"case 1", Command{INS: 0x20, P2: 0x80}, []byte{0, 0x20, 0, 0x80}, false},
		{"case 2S Le 256", Command{INS: 0xC0, Ne: 256}, []byte{0, 0xC0, 0, 0, 0}, false},
		{"case 2S Le 16", Command{INS: 0xC0, Ne: 16}, []byte{0, 0xC0, 0, 0, 16}, false},
		{"case 3S", Command{INS: 0xDB, P1: 0x3F, P2: 0xFF, Data: []byte{1, 2}}, []byte{0, 0xDB, 0x3F, 0xFF, 2, 1, 2}, false},
		{"case 4S", Command{INS: 0xA4, P1: 4, Data: []byte{0xA0}, Ne: 256}, []byte{0, 0xA4, 4, 0, 1, 0xA0, 0}, false},
		{"case 2E", Command{INS: 0xCB, Ne: 65536}, []byte{0, 0xCB, 0, 0, 0, 0, 0}, true},
		{"case 2E Le 300", Command{INS: 0xCB, Ne: 300}, []byte{0, 0xCB, 0, 0, 0, 1, 0x2C}, true},
		{"case 3E", Command{INS: 0xDB, Data: data300}, append([]byte{0, 0xDB, 0, 0, 0, 1, 0x2C}, data300...), true},
		{"case 4E", Command{INS: 0x87, Data: data300, Ne: 65536}, append(append([]byte{0, 0x87, 0, 0, 0, 1, 0x2C}, data300...), 0, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cmd.Bytes()
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("Bytes() = % X, want % X", got, tt.want)
			}
			back, ext, err := ParseCommand(got)
			if err != nil {
				t.Fatal(err)
			}
			if ext != tt.extended || back.INS != tt.cmd.INS || back.P1 != tt.cmd.P1 || back.P2 != tt.cmd.P2 ||
				!bytes.Equal(back.Data, tt.cmd.Data) || back.Ne != tt.cmd.Ne {
				t.Fatalf("ParseCommand = %+v ext %v, want %+v ext %v", back, ext, tt.cmd, tt.extended)
			}
		})
	}
}

func TestParseCommandRejects(t *testing.T) {
	for name, in := range map[string][]byte{
		"too short":            {0, 0xA4, 4},
		"Lc longer than data":  {0, 0xDB, 0, 0, 5, 1, 2},
		"Lc shorter than data": {0, 0xDB, 0, 0, 1, 1, 2, 3},
		"extended Lc zero":     {0, 0xDB, 0, 0, 0, 0, 0, 1},
		"extended truncated":   {0, 0xDB, 0, 0, 0, 0, 3, 1, 2},
		"extended 1-byte Le":   {0, 0xDB, 0, 0, 0, 0, 1, 9, 0},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := ParseCommand(in); !errors.Is(err, ErrMalformedAPDU) {
				t.Fatalf("ParseCommand(% X) = %v, want ErrMalformedAPDU", in, err)
			}
		})
	}
}

func TestParseResponse(t *testing.T) {
	r, err := ParseResponse([]byte{1, 2, 0x61, 0x10})
	if err != nil || !bytes.Equal(r.Data, []byte{1, 2}) || r.SW != 0x6110 || r.SW1() != 0x61 || r.SW2() != 0x10 {
		t.Fatalf("ParseResponse = %+v, %v", r, err)
	}
	if !bytes.Equal(r.Bytes(), []byte{1, 2, 0x61, 0x10}) {
		t.Fatalf("Bytes() = % X", r.Bytes())
	}
	if _, err := ParseResponse([]byte{0x90}); err == nil {
		t.Fatal("ParseResponse accepted a response without a status word")
	}
}

// FuzzParseCommand checks that parsing never panics and that an accepted
// command encodes back to the same bytes.
func FuzzParseCommand(f *testing.F) {
	f.Add([]byte{0, 0xA4, 4, 0, 5, 0xA0, 0, 0, 3, 8, 0})
	f.Add([]byte{0, 0xCB, 0x3F, 0xFF, 0, 0, 5, 0x5C, 3, 0x5F, 0xC1, 0x0A, 0, 0})
	f.Add([]byte{0, 0x20, 0, 0x80})
	f.Fuzz(func(t *testing.T, raw []byte) {
		cmd, ext, err := ParseCommand(raw)
		if err != nil {
			return
		}
		if got := cmd.encode(ext); !bytes.Equal(got, raw) {
			t.Fatalf("re-encoded % X, input % X", got, raw)
		}
	})
}
