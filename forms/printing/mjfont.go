package printing

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"madoguchi/forms/jpfont"
)

// The MJ font (IPAmj明朝) has a glyph for every registry character, but it
// cannot go to fpdf as it is: fpdf reads only a font's BMP character map
// (so 𠮷 U+20BB7 and variation sequences are out of reach), and it copies
// and subsets the whole 46 MB file for every document. So each MJ
// character printed gets a font of its own, cut here from IPAmj明朝: the
// glyph (and its components), mapped at the character's own code point
// when it is a single BMP character, else at mjPUA. Such a character is
// printed inside an ActualText span that carries the real text, so that
// copying and pdftotext give back 𠮷 rather than a private-use code.

// mjPUA is the private-use code point at which a single-glyph MJ font maps
// a character fpdf cannot address (beyond the BMP, or a variation
// sequence).
const mjPUA = 0xE000

// WithMJ returns a copy of f that prints the characters f lacks with mj
// where mj has them. A nil mj gives f unchanged.
func (f *Font) WithMJ(mj *jpfont.MJ) *Font {
	if mj == nil {
		return f
	}
	g := *f
	g.mj = mj
	return &g
}

// LoadFonts is LoadFont with the MJ font as the fallback: mjOverride is
// mj_font_path from the configuration, or empty for MADOGUCHI_MJ_FONT and
// the install paths. Without an MJ font the documents still print, with
// 〓 for the characters the Japanese font lacks; the error says so and is
// returned beside the usable font.
func LoadFonts(override, mjOverride string) (*Font, error) {
	f, err := LoadFont(override)
	if err != nil {
		return nil, err
	}
	mj, err := jpfont.FindMJ(mjOverride)
	if err != nil {
		return f, err
	}
	return f.WithMJ(mj), nil
}

// MJ returns the fallback font, or nil.
func (f *Font) MJ() *jpfont.MJ { return f.mj }

// mjGlyph reports whether the MJ fallback prints char (a character and
// its variation selectors) that the main font cannot, and with which glyph.
func (f *Font) mjGlyph(char string) (int, bool) {
	if f.mj == nil {
		return 0, false
	}
	r, n := utf8.DecodeRuneInString(char)
	if n == len(char) {
		if f.Has(r) {
			return 0, false
		}
		return f.mj.Glyph(r)
	}
	sel, m := utf8.DecodeRuneInString(char[n:])
	if n+m != len(char) {
		return 0, false // several selectors: not a sequence the font knows
	}
	return f.mj.VariantGlyph(r, sel)
}

// mjPrints reports whether the MJ fallback prints char.
func (f *Font) mjPrints(char string) bool {
	_, ok := f.mjGlyph(char)
	return ok
}

// mjCode is the code point at which char is addressed in its own font.
func mjCode(char string) rune {
	r, n := utf8.DecodeRuneInString(char)
	if n == len(char) && r <= 0xFFFF {
		return r
	}
	return mjPUA
}

// mjFamily is the fpdf family name of char's single-glyph font.
func mjFamily(char string) string {
	var b strings.Builder
	b.WriteString("mj")
	for _, r := range char {
		fmt.Fprintf(&b, "%x", r)
	}
	return b.String()
}

// subsetCache keeps the single-glyph fonts cut so far, per MJ font and
// glyph: they are small (a few kB) and the same characters recur.
var subsetCache struct {
	sync.Mutex
	fonts map[subsetKey][]byte
}

type subsetKey struct {
	mj    *jpfont.MJ
	glyph int
	code  rune
}

// mjSubset returns a TrueType font holding only glyph of mj (with the
// glyphs it is composed of) mapped at code.
func mjSubset(mj *jpfont.MJ, glyph int, code rune) ([]byte, error) {
	key := subsetKey{mj, glyph, code}
	subsetCache.Lock()
	defer subsetCache.Unlock()
	if b, ok := subsetCache.fonts[key]; ok {
		return b, nil
	}
	b, err := cutFont(mj, glyph, code)
	if err != nil {
		return nil, err
	}
	if subsetCache.fonts == nil {
		subsetCache.fonts = map[subsetKey][]byte{}
	}
	subsetCache.fonts[key] = b
	return b, nil
}

// cutFont builds the single-character font: glyph 0 (.notdef), the glyph,
// and any component glyphs, with the tables fpdf reads (head, hhea, maxp,
// OS/2, name, post, cmap, hmtx, loca, glyf) and the hinting tables the
// glyph programs may call (cvt, fpgm, prep, gasp) copied as they are.
func cutFont(mj *jpfont.MJ, glyph int, code rune) ([]byte, error) {
	head, hhea, maxp := mj.Table("head"), mj.Table("hhea"), mj.Table("maxp")
	hmtx, loca, glyf := mj.Table("hmtx"), mj.Table("loca"), mj.Table("glyf")
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 || hmtx == nil || loca == nil || glyf == nil {
		return nil, errors.New("MJ font lacks a table needed to cut a glyph")
	}
	longLoca := binary.BigEndian.Uint16(head[50:]) == 1
	numGlyphs := int(binary.BigEndian.Uint16(maxp[4:]))
	numMetrics := int(binary.BigEndian.Uint16(hhea[34:]))
	glyphData := func(g int) ([]byte, error) {
		if g < 0 || g >= numGlyphs {
			return nil, fmt.Errorf("glyph %d out of range", g)
		}
		var start, end int
		if longLoca {
			if 4*g+8 > len(loca) {
				return nil, errors.New("loca table is short")
			}
			start, end = int(binary.BigEndian.Uint32(loca[4*g:])), int(binary.BigEndian.Uint32(loca[4*g+4:]))
		} else {
			if 2*g+4 > len(loca) {
				return nil, errors.New("loca table is short")
			}
			start, end = 2*int(binary.BigEndian.Uint16(loca[2*g:])), 2*int(binary.BigEndian.Uint16(loca[2*g+2:]))
		}
		if start > end || end > len(glyf) {
			return nil, fmt.Errorf("glyph %d lies outside glyf", g)
		}
		return glyf[start:end], nil
	}
	metrics := func(g int) []byte {
		if g < numMetrics {
			return hmtx[4*g : 4*g+4]
		}
		m := make([]byte, 4)
		copy(m[:2], hmtx[4*(numMetrics-1):])
		if p := 4*numMetrics + 2*(g-numMetrics); p+2 <= len(hmtx) {
			copy(m[2:], hmtx[p:p+2])
		}
		return m
	}
	if 4*numMetrics > len(hmtx) || numMetrics == 0 {
		return nil, errors.New("hmtx table is short")
	}

	// The glyphs to keep, in order: .notdef, the glyph, its components.
	order := []int{0}
	newIndex := map[int]int{0: 0}
	var add func(g int, depth int) error
	add = func(g int, depth int) error {
		if _, ok := newIndex[g]; ok {
			return nil
		}
		if depth > 8 {
			return errors.New("composite glyphs nested too deep")
		}
		newIndex[g] = len(order)
		order = append(order, g)
		data, err := glyphData(g)
		if err != nil {
			return err
		}
		for _, c := range components(data) {
			if err := add(c.glyph, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add(glyph, 0); err != nil {
		return nil, err
	}

	var newGlyf, newLoca, newHmtx []byte
	for _, g := range order {
		data, err := glyphData(g)
		if err != nil {
			return nil, err
		}
		data = append([]byte(nil), data...)
		for _, c := range components(data) {
			binary.BigEndian.PutUint16(data[c.at:], uint16(newIndex[c.glyph]))
		}
		newLoca = binary.BigEndian.AppendUint32(newLoca, uint32(len(newGlyf)))
		newGlyf = append(newGlyf, data...)
		for len(newGlyf)%4 != 0 {
			newGlyf = append(newGlyf, 0)
		}
		newHmtx = append(newHmtx, metrics(g)...)
	}
	newLoca = binary.BigEndian.AppendUint32(newLoca, uint32(len(newGlyf)))

	newHead := append([]byte(nil), head...)
	binary.BigEndian.PutUint32(newHead[8:], 0)  // checkSumAdjustment
	binary.BigEndian.PutUint16(newHead[50:], 1) // long loca
	newHhea := append([]byte(nil), hhea...)
	binary.BigEndian.PutUint16(newHhea[34:], uint16(len(order)))
	newMaxp := append([]byte(nil), maxp...)
	binary.BigEndian.PutUint16(newMaxp[4:], uint16(len(order)))
	post := mj.Table("post")
	if len(post) < 32 {
		return nil, errors.New("MJ font lacks a post table")
	}
	newPost := append([]byte{0, 3, 0, 0}, post[4:32]...) // version 3: no glyph names

	tables := map[string][]byte{
		"head": newHead, "hhea": newHhea, "maxp": newMaxp, "post": newPost,
		"cmap": format4CMap(uint16(code), 1),
		"hmtx": newHmtx, "loca": newLoca, "glyf": newGlyf,
	}
	for _, tag := range []string{"OS/2", "name", "cvt ", "fpgm", "prep", "gasp"} {
		if t := mj.Table(tag); t != nil {
			tables[tag] = t
		}
	}
	return assembleSFNT(tables), nil
}

// component is a reference from a composite glyph: the glyph it uses and
// the offset of that index in the composite's data.
type component struct{ glyph, at int }

// components lists the glyphs a composite glyph is built from (none for a
// simple glyph).
func components(data []byte) []component {
	if len(data) < 10 || int16(binary.BigEndian.Uint16(data)) >= 0 {
		return nil
	}
	var out []component
	for p := 10; p+4 <= len(data); {
		flags := binary.BigEndian.Uint16(data[p:])
		out = append(out, component{int(binary.BigEndian.Uint16(data[p+2:])), p + 2})
		p += 4
		if flags&0x0001 != 0 { // ARG_1_AND_2_ARE_WORDS
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&0x0008 != 0: // WE_HAVE_A_SCALE
			p += 2
		case flags&0x0040 != 0: // WE_HAVE_AN_X_AND_Y_SCALE
			p += 4
		case flags&0x0080 != 0: // WE_HAVE_A_TWO_BY_TWO
			p += 8
		}
		if flags&0x0020 == 0 { // MORE_COMPONENTS
			break
		}
	}
	return out
}

// format4CMap is a cmap table with one Windows Unicode BMP subtable
// (format 4) mapping code to glyph.
func format4CMap(code, glyph uint16) []byte {
	segs := []struct{ start, end, delta uint16 }{{code, code, glyph - code}, {0xFFFF, 0xFFFF, 1}}
	var sub []byte
	u16 := func(v uint16) { sub = binary.BigEndian.AppendUint16(sub, v) }
	n := uint16(len(segs))
	u16(4)
	u16(16 + 8*n) // length
	u16(0)        // language
	u16(2 * n)
	u16(4) // searchRange: 2 × 2^floor(log2 2)
	u16(1) // entrySelector
	u16(0) // rangeShift
	for _, s := range segs {
		u16(s.end)
	}
	u16(0)
	for _, s := range segs {
		u16(s.start)
	}
	for _, s := range segs {
		u16(s.delta)
	}
	for range segs {
		u16(0)
	}
	head := []byte{0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12}
	return append(head, sub...)
}

// assembleSFNT writes a TrueType file from its tables, sorted by tag as
// the format asks, each padded to four bytes and checksummed.
func assembleSFNT(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	sel := 0
	for 1<<(sel+1) <= n {
		sel++
	}
	out := binary.BigEndian.AppendUint32(nil, 0x00010000)
	out = binary.BigEndian.AppendUint16(out, uint16(n))
	out = binary.BigEndian.AppendUint16(out, uint16(16<<sel))
	out = binary.BigEndian.AppendUint16(out, uint16(sel))
	out = binary.BigEndian.AppendUint16(out, uint16(16*n-16<<sel))
	off := 12 + 16*n
	var body []byte
	for _, t := range tags {
		data := tables[t]
		out = append(out, t...)
		out = binary.BigEndian.AppendUint32(out, checksum(data))
		out = binary.BigEndian.AppendUint32(out, uint32(off+len(body)))
		out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
		body = append(body, data...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	return append(out, body...)
}

// checksum is the sfnt table checksum: the sum of big-endian words.
func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
