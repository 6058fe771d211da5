package printing

import (
	"encoding/binary"
	"fmt"

	"madoguchi/forms/jpfont"
)

// Font is a TrueType font ready for printing: its bytes, which fpdf embeds
// as a subset, and the set of characters it can draw. A Font is immutable
// and safe for concurrent use by several renderers.
type Font struct {
	data []byte
	cov  *coverage
	mj   *jpfont.MJ // prints what data lacks, if set (see WithMJ)
}

// ParseFont checks that data is a TrueType font that fpdf can use and reads
// which characters it covers. fpdf reads only the font's Unicode BMP table
// (cmap format 4), so characters outside the BMP count as missing even when
// the font has a glyph for them elsewhere.
func ParseFont(data []byte) (*Font, error) {
	cov, err := parseCoverage(data)
	if err != nil {
		return nil, &FontError{Err: err}
	}
	return &Font{data: data, cov: cov}, nil
}

// LoadFont finds the Japanese font with jpfont.Find (override is a path
// from the configuration, or empty) and parses it.
func LoadFont(override string) (*Font, error) {
	f, err := jpfont.Find(override)
	if err != nil {
		return nil, err
	}
	font, err := ParseFont(f.Data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	return font, nil
}

// Has reports whether the font can draw r.
func (f *Font) Has(r rune) bool { return f.cov.has(r) }

// coverage is a bitmap of the BMP code points that map to a glyph.
type coverage [0x10000 / 64]uint64

func (c *coverage) has(r rune) bool {
	if r < 0 || r > 0xFFFF {
		return false
	}
	return c[r>>6]&(1<<(uint(r)&63)) != 0
}

func (c *coverage) set(r int) { c[r>>6] |= 1 << (uint(r) & 63) }

// sfnt reads big-endian values from a font file, bounds-checked.
type sfnt []byte

func (b sfnt) u16(off int) (int, bool) {
	if off < 0 || off+2 > len(b) {
		return 0, false
	}
	return int(binary.BigEndian.Uint16(b[off:])), true
}

func (b sfnt) u32(off int) (int, bool) {
	if off < 0 || off+4 > len(b) {
		return 0, false
	}
	return int(binary.BigEndian.Uint32(b[off:])), true
}

// table returns the offset and length of the table tagged tag.
func (b sfnt) table(tag string) (off, length int, err error) {
	n, ok := b.u16(4)
	if !ok {
		return 0, 0, errTruncated
	}
	for i := 0; i < n; i++ {
		rec := 12 + 16*i
		if rec+16 > len(b) {
			return 0, 0, errTruncated
		}
		if string(b[rec:rec+4]) != tag {
			continue
		}
		off, _ = b.u32(rec + 8)
		length, _ = b.u32(rec + 12)
		if off+length > len(b) || off+length < off {
			return 0, 0, fmt.Errorf("table %q lies outside the file", tag)
		}
		return off, length, nil
	}
	return 0, 0, fmt.Errorf("no %q table", tag)
}

var errTruncated = fmt.Errorf("font file is truncated")

// parseCoverage reads the sfnt header, the glyph count and the cmap
// subtable that fpdf uses: the first Unicode (platform 0, or platform 3
// encoding 1) subtable of format 4.
func parseCoverage(data []byte) (*coverage, error) {
	b := sfnt(data)
	magic, ok := b.u32(0)
	if !ok {
		return nil, errTruncated
	}
	if magic != 0x00010000 && magic != 0x74727565 { // 1.0 or "true"
		return nil, fmt.Errorf("not a TrueType font (magic %#08x)", magic)
	}
	if _, _, err := b.table("glyf"); err != nil {
		return nil, err
	}
	maxp, _, err := b.table("maxp")
	if err != nil {
		return nil, err
	}
	numGlyphs, ok := b.u16(maxp + 4)
	if !ok {
		return nil, errTruncated
	}
	cmap, cmapLen, err := b.table("cmap")
	if err != nil {
		return nil, err
	}
	cm := b[cmap : cmap+cmapLen]
	n, ok := cm.u16(2)
	if !ok {
		return nil, errTruncated
	}
	for i := 0; i < n; i++ {
		platform, ok1 := cm.u16(4 + 8*i)
		encoding, ok2 := cm.u16(6 + 8*i)
		off, ok3 := cm.u32(8 + 8*i)
		if !ok1 || !ok2 || !ok3 {
			return nil, errTruncated
		}
		if !(platform == 0 || platform == 3 && encoding == 1) {
			continue
		}
		if format, ok := cm.u16(off); ok && format == 4 {
			return parseFormat4(cm[off:], numGlyphs)
		}
	}
	return nil, fmt.Errorf("no Unicode cmap subtable of format 4")
}

// parseFormat4 decodes a cmap format 4 subtable (segment mapping to delta
// values) into a coverage bitmap.
func parseFormat4(t sfnt, numGlyphs int) (*coverage, error) {
	segX2, ok := t.u16(6)
	if !ok || segX2%2 != 0 {
		return nil, fmt.Errorf("bad cmap format 4 header")
	}
	segs := segX2 / 2
	ends := 14
	starts := ends + segX2 + 2
	deltas := starts + segX2
	rangeOffs := deltas + segX2
	if rangeOffs+segX2 > len(t) {
		return nil, errTruncated
	}
	cov := new(coverage)
	for s := 0; s < segs; s++ {
		end, _ := t.u16(ends + 2*s)
		start, _ := t.u16(starts + 2*s)
		delta, _ := t.u16(deltas + 2*s)
		ro, _ := t.u16(rangeOffs + 2*s)
		if start > end {
			continue
		}
		for c := start; c <= end; c++ {
			var g int
			if ro == 0 {
				g = (c + delta) & 0xFFFF
			} else {
				// idRangeOffset counts from its own position.
				pos := rangeOffs + 2*s + ro + 2*(c-start)
				v, ok := t.u16(pos)
				if !ok || v == 0 {
					continue
				}
				g = (v + delta) & 0xFFFF
			}
			if g != 0 && g < numGlyphs && c != 0xFFFF {
				cov.set(c)
			}
		}
	}
	return cov, nil
}
