package cardio_test

import (
	"bytes"
	"testing"
	"time"

	"madoguchi/cardio"
)

// TestCHUIDEncoding checks the two profiles: unsigned without any 3E
// element (middleware and SP 800-73-4 readers reject an empty one), and
// signed with the signature in 3E after the signed elements.
func TestCHUIDEncoding(t *testing.T) {
	base, err := cardio.NewCHUID(time.Date(2035, 3, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	signed := base
	signed.Signature = []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	for _, tt := range []struct {
		name    string
		c       cardio.CHUID
		wantSig []byte
	}{
		{"unsigned", base, nil},
		{"signed", signed, signed.Signature},
	} {
		t.Run(tt.name, func(t *testing.T) {
			content := tt.c.Marshal()
			objs, err := cardio.ParseTLVs(content)
			if err != nil {
				t.Fatal(err)
			}
			var tags []uint32
			for _, o := range objs {
				tags = append(tags, o.Tag)
				if o.Tag == 0x3E && len(o.Value) == 0 {
					t.Fatal("empty issuer signature element")
				}
			}
			want := []uint32{0x30, 0x34, 0x35, 0x3E, 0xFE}
			if tt.wantSig == nil {
				want = []uint32{0x30, 0x34, 0x35, 0xFE}
			}
			if len(tags) != len(want) {
				t.Fatalf("tags %X, want %X", tags, want)
			}
			for i := range want {
				if tags[i] != want[i] {
					t.Fatalf("tags %X, want %X", tags, want)
				}
			}
			if !bytes.HasPrefix(content, tt.c.SignedContent()) {
				t.Fatal("the signed elements are not the start of the CHUID")
			}
			back, err := cardio.ParseCHUID(content)
			if err != nil || back.GUID != tt.c.GUID || !bytes.Equal(back.Signature, tt.wantSig) {
				t.Fatalf("ParseCHUID = %+v, %v", back, err)
			}
			if !bytes.Equal(back.SignedContent(), tt.c.SignedContent()) {
				t.Fatal("the parsed CHUID signs other content")
			}
		})
	}
}

// FuzzParseCHUID feeds card data to ParseCHUID: it never panics, and what
// it accepts keeps its GUID and signature through Marshal and ParseCHUID.
func FuzzParseCHUID(f *testing.F) {
	c, _ := cardio.NewCHUID(time.Date(2035, 3, 31, 0, 0, 0, 0, time.UTC))
	f.Add(c.Marshal())
	c.Signature = []byte{0x30, 0x00}
	f.Add(c.Marshal())
	f.Add([]byte{0x34, 0x10})
	f.Add([]byte{0x3E, 0x00, 0xFE, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := cardio.ParseCHUID(data)
		if err != nil {
			return
		}
		again, err := cardio.ParseCHUID(got.Marshal())
		if err != nil || again.GUID != got.GUID || !bytes.Equal(again.Signature, got.Signature) {
			t.Fatalf("round trip of %+v: %+v, %v", got, again, err)
		}
	})
}
