package printing

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A line of stored text is printed in runs: stretches the Japanese font
// draws, and single characters drawn from the MJ font (see mjfont.go).
// Text without MJ characters takes the plain path, byte for byte what it
// was before the MJ fallback existed.

// run is a stretch of printable text drawn with one font.
type run struct {
	text string
	mj   bool // one MJ character, drawn with its own font
}

// nextChar returns the character at the start of s: a code point with the
// variation selectors that follow it.
func nextChar(s string) (char string, base rune) {
	r, n := utf8.DecodeRuneInString(s)
	j := n
	for j < len(s) {
		vs, m := utf8.DecodeRuneInString(s[j:])
		if !isVariationSelector(vs) {
			break
		}
		j += m
	}
	return s[:j], r
}

// isMJ reports whether char, already checked by text, is drawn from the
// MJ font.
func (d *doc) isMJ(char string, base rune) bool {
	if d.font.mj == nil {
		return false
	}
	if len(char) == utf8.RuneLen(base) && d.font.Has(base) {
		return false
	}
	return d.font.mjPrints(char)
}

// hasMJ reports whether s holds a character drawn from the MJ font.
func (d *doc) hasMJ(s string) bool {
	if d.font.mj == nil {
		return false
	}
	for _, r := range s {
		if !d.font.Has(r) {
			for i := 0; i < len(s); {
				char, base := nextChar(s[i:])
				if d.isMJ(char, base) {
					return true
				}
				i += len(char)
			}
			return false
		}
	}
	return false
}

// runs splits s into runs.
func (d *doc) runs(s string) []run {
	var out []run
	start := 0
	for i := 0; i < len(s); {
		char, base := nextChar(s[i:])
		if d.isMJ(char, base) {
			if start < i {
				out = append(out, run{text: s[start:i]})
			}
			out = append(out, run{text: char, mj: true})
			start = i + len(char)
		}
		i += len(char)
	}
	if start < len(s) {
		out = append(out, run{text: s[start:]})
	}
	return out
}

// useFont selects the font of r at the current size and returns the text
// to hand to fpdf: the run itself, or the code its MJ font maps it at.
func (d *doc) useFont(r run) string {
	pt, _ := d.pdf.GetFontSize()
	if !r.mj {
		d.pdf.SetFont(fontFamily, "", pt)
		return r.text
	}
	family := mjFamily(r.text)
	code := mjCode(r.text)
	if !d.mjAdded[family] {
		g, _ := d.font.mjGlyph(r.text)
		data, err := mjSubset(d.font.mj, g, code)
		if err != nil {
			// mjPrints cut this font already; a failure now cannot happen
			// short of memory corruption, and fpdf reports the unknown
			// family as a document error.
			d.pdf.SetError(fmt.Errorf("MJ font for %s: %w", codePoints(r.text), err))
			return ""
		}
		if d.mjAdded == nil {
			d.mjAdded = map[string]bool{}
		}
		d.pdf.AddUTF8FontFromBytes(family, "", data)
		d.mjAdded[family] = true
	}
	d.pdf.SetFont(family, "", pt)
	return string(code)
}

// width is the printed width of checked text s at the current size.
func (d *doc) width(s string) float64 {
	if !d.hasMJ(s) {
		return d.pdf.GetStringWidth(s)
	}
	var w float64
	for _, r := range d.runs(s) {
		w += d.pdf.GetStringWidth(d.useFont(r))
	}
	d.useFont(run{})
	return w
}

// drawCell prints checked text s in a w×h cell at the current position
// and moves right, as fpdf's CellFormat with ln 0, fill off and no link;
// border and align are CellFormat's.
func (d *doc) drawCell(w, h float64, s, border, align string) {
	if !d.hasMJ(s) {
		d.pdf.CellFormat(w, h, s, border, 0, align, false, 0, "")
		return
	}
	x, y := d.pdf.GetXY()
	d.pdf.CellFormat(w, h, "", border, 0, "", false, 0, "")
	tw := d.width(s)
	cm := d.pdf.GetCellMargin()
	cx := x + cm
	switch {
	case strings.Contains(align, "C"):
		cx = x + (w-tw)/2
	case strings.Contains(align, "R"):
		cx = x + w - cm - tw
	}
	var vertical strings.Builder
	for _, c := range align {
		if strings.ContainsRune("TMBA", c) {
			vertical.WriteRune(c)
		}
	}
	d.pdf.SetCellMargin(0)
	for _, r := range d.runs(s) {
		text := d.useFont(r)
		rw := d.pdf.GetStringWidth(text)
		d.pdf.SetXY(cx, y)
		actual := r.mj && text != r.text
		if actual {
			d.pdf.RawWriteStr("/Span <</ActualText " + pdfTextString(r.text) + ">> BDC")
		}
		d.pdf.CellFormat(rw, h, text, "", 0, "L"+vertical.String(), false, 0, "")
		if actual {
			d.pdf.RawWriteStr("EMC")
		}
		cx += rw
	}
	d.pdf.SetCellMargin(cm)
	d.useFont(run{})
	d.pdf.SetXY(x+w, y)
}

// pdfTextString encodes s as a PDF text string: UTF-16BE with a byte
// order mark, written in hex.
func pdfTextString(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}
