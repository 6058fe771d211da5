package printing

import (
	"encoding/binary"
	"errors"
	"testing"
)

// seg is one cmap format 4 segment. With ids set, the segment maps through
// the glyph array (idRangeOffset); otherwise by delta.
type seg struct {
	start, end rune
	delta      int
	ids        []uint16
}

// buildFont makes a minimal TrueType file with a glyf, a maxp and a cmap
// table whose Unicode subtable has the given segments.
func buildFont(numGlyphs int, segs []seg) []byte {
	segs = append(segs, seg{start: 0xFFFF, end: 0xFFFF, delta: 1})
	n := len(segs)
	be := binary.BigEndian
	u16 := func(b []byte, v int) []byte { return be.AppendUint16(b, uint16(v)) }

	// Glyph ids referenced through idRangeOffset follow the offsets array.
	var glyphArray []uint16
	rangeOff := make([]int, n)
	for i, s := range segs {
		if s.ids != nil {
			// Offset from this segment's idRangeOffset entry to its first id.
			rangeOff[i] = 2*(n-i) + 2*len(glyphArray)
			glyphArray = append(glyphArray, s.ids...)
		}
	}
	var sub []byte
	sub = u16(sub, 4)
	sub = u16(sub, 16+8*n+2*len(glyphArray))
	sub = u16(sub, 0)
	sub = u16(sub, 2*n)
	sub = u16(sub, 0)
	sub = u16(sub, 0)
	sub = u16(sub, 0)
	for _, s := range segs {
		sub = u16(sub, int(s.end))
	}
	sub = u16(sub, 0)
	for _, s := range segs {
		sub = u16(sub, int(s.start))
	}
	for _, s := range segs {
		sub = u16(sub, s.delta&0xFFFF)
	}
	for i := range segs {
		sub = u16(sub, rangeOff[i])
	}
	for _, g := range glyphArray {
		sub = u16(sub, int(g))
	}
	var cmap []byte
	cmap = u16(cmap, 0)
	cmap = u16(cmap, 1)
	cmap = u16(cmap, 3)
	cmap = u16(cmap, 1)
	cmap = be.AppendUint32(cmap, 12)
	cmap = append(cmap, sub...)

	maxp := be.AppendUint32(nil, 0x00005000)
	maxp = u16(maxp, numGlyphs)

	tables := []struct {
		tag  string
		data []byte
	}{{"cmap", cmap}, {"glyf", []byte{0, 0, 0, 0}}, {"maxp", maxp}}
	out := be.AppendUint32(nil, 0x00010000)
	out = u16(out, len(tables))
	out = append(out, make([]byte, 6)...)
	off := 12 + 16*len(tables)
	for _, t := range tables {
		out = append(out, t.tag...)
		out = be.AppendUint32(out, 0)
		out = be.AppendUint32(out, uint32(off))
		out = be.AppendUint32(out, uint32(len(t.data)))
		off += len(t.data)
	}
	for _, t := range tables {
		out = append(out, t.data...)
	}
	return out
}

// tinyFont covers A–C by delta, あ and ぃ through the glyph array (い maps
// to glyph 0, so it is missing), and 漢 by delta onto a glyph the font does
// not have.
func tinyFont() []byte {
	return buildFont(6, []seg{
		{start: 'A', end: 'C', delta: 1 - 'A'},
		{start: 'あ', end: 'い', ids: []uint16{4, 5, 0}},
		{start: '漢', end: '漢', delta: 100 - '漢'},
	})
}

func TestParseFontCoverage(t *testing.T) {
	f, err := ParseFont(tinyFont())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r    rune
		want bool
	}{
		{'A', true}, {'B', true}, {'C', true}, {'D', false}, {'@', false},
		{'あ', true}, {'ぃ', true}, {'い', false}, {'う', false},
		{'漢', false},     // glyph id beyond numGlyphs
		{0xFFFF, false},  // the terminal segment is not a character
		{0x20BB7, false}, // outside the BMP: fpdf cannot print it
		{-1, false},
	} {
		if got := f.Has(c.r); got != c.want {
			t.Errorf("Has(%U) = %v, want %v", c.r, got, c.want)
		}
	}
}

func TestParseFontErrors(t *testing.T) {
	good := tinyFont()
	noCmap := append([]byte(nil), good...)
	copy(noCmap[12:16], "xxxx")
	otf := append([]byte("OTTO"), good[4:]...)
	notUnicode := append([]byte(nil), good...)
	// The cmap subtable record's platform (at the cmap table start + 4):
	cmapOff := int(binary.BigEndian.Uint32(good[12+8:]))
	binary.BigEndian.PutUint16(notUnicode[cmapOff+4:], 1) // Macintosh
	notFormat4 := append([]byte(nil), good...)
	binary.BigEndian.PutUint16(notFormat4[cmapOff+12:], 6)

	for name, data := range map[string][]byte{
		"empty":       nil,
		"short":       good[:3],
		"opentype":    otf,
		"no cmap":     noCmap,
		"truncated":   good[:len(good)-40],
		"header only": good[:12],
		"not unicode": notUnicode,
		"not format4": notFormat4,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseFont(data)
			if !errors.Is(err, ErrFont) {
				t.Fatalf("err = %v, want ErrFont", err)
			}
			var um interface{ UserMessage() string }
			if !errors.As(err, &um) || um.UserMessage() == "" {
				t.Errorf("%v has no UserMessage", err)
			}
		})
	}
}

// TestParseFontIPAex checks the parser on the machine's Japanese font: the
// characters of the documents are there, and what fpdf cannot print is not.
func TestParseFontIPAex(t *testing.T) {
	f := testFont(t)
	for _, c := range []struct {
		r    rune
		want bool
	}{
		{'A', true}, {'あ', true}, {'ア', true}, {'漢', true}, {'髙', true},
		{'〓', true}, {'■', true}, {'□', true}, {'～', true}, {'　', true},
		{0x20BB7, false}, // 𠮷: outside the BMP
		{0xE0100, false}, // a variation selector
		{0x0007, false},  // a control character
	} {
		if got := f.Has(c.r); got != c.want {
			t.Errorf("Has(%q %U) = %v, want %v", c.r, c.r, got, c.want)
		}
	}
}

// FuzzParseFont feeds arbitrary bytes to the font parser: it must return
// an error or a usable coverage, never panic.
func FuzzParseFont(f *testing.F) {
	f.Add(tinyFont())
	f.Add(buildFont(2, nil))
	f.Add([]byte("true\x00\x01\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		font, err := ParseFont(data)
		if err != nil {
			if !errors.Is(err, ErrFont) {
				t.Fatalf("error %v is not ErrFont", err)
			}
			return
		}
		for _, r := range []rune{0, 'A', 'あ', 0xFFFF, 0x10000} {
			font.Has(r)
		}
	})
}
