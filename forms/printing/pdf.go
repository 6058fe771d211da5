package printing

import (
	"fmt"
	"io"
	"time"

	"github.com/go-pdf/fpdf"
)

// fontFamily is the name the embedded Japanese font is registered under.
const fontFamily = "jp"

// pageTotalAlias stands for the total number of pages until the document is
// closed ("n / N" page numbers).
const pageTotalAlias = "{nb}"

// Layout constants shared by the documents, in millimetres and points.
const (
	margin       = 15.0
	bodySize     = 10.0 // pt
	smallSize    = 8.0  // pt
	titleSize    = 16.0 // pt
	minFitSize   = 4.0  // pt: the smallest size a long value shrinks to
	lineWidth    = 0.2
	boldLine     = 0.5
	ptPerMM      = 72 / 25.4
	missingLimit = 30 // occurrences listed at the end of a document
)

// doc is one PDF being built: the fpdf document, the font, and the
// characters found missing so far.
type doc struct {
	pdf     *fpdf.Fpdf
	font    *Font
	title   string
	place   string // what stands for a missing character
	missing []MissingChar
	mjAdded map[string]bool // MJ character fonts registered (runs.go)
}

// newDoc starts a document with the Japanese font selected. orientation is
// "P" or "L"; at is the date written into the PDF's metadata so that the
// same input always gives the same bytes.
func newDoc(font *Font, title, orientation string, at time.Time) *doc {
	pdf := fpdf.New(orientation, "mm", "A4", "")
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetCompression(true)
	pdf.SetTitle(title, true)
	pdf.SetCreator("madoguchi", false)
	pdf.SetProducer("madoguchi", false)
	pdf.SetLang("ja")
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, margin)
	pdf.AliasNbPages(pageTotalAlias)
	pdf.AddUTF8FontFromBytes(fontFamily, "", font.data)
	pdf.SetFont(fontFamily, "", bodySize)
	pdf.SetLineWidth(lineWidth)
	place := Placeholder
	for _, r := range Placeholder {
		if !font.Has(r) {
			place = "?"
		}
	}
	return &doc{pdf: pdf, font: font, title: title, place: place}
}

// text returns s as the font can print it, recording every character it
// cannot print against where and the current page.
func (d *doc) text(s, where string) string {
	return printable(d.font, d.place, s, func(char, printed string) {
		d.missing = append(d.missing, MissingChar{
			Char: char, Code: codePoints(char), Where: where,
			Page: d.pdf.PageNo(), Printed: printed,
		})
	})
}

// textOnce is text for a value repeated on every page (a page header or
// footer): its missing characters are reported once, on the first page.
func (d *doc) textOnce(s, where string) func() string {
	var done bool
	var out string
	return func() string {
		if !done {
			out, done = d.text(s, where), true
		}
		return out
	}
}

// size sets the font size in points.
func (d *doc) size(pt float64) { d.pdf.SetFontSize(pt) }

// cell prints s (checked by text) in a w×h box at the current position and
// moves right. A value too wide for the box is shrunk until it fits, so
// that nothing stored is cut off. border and align are fpdf's ("1", "LR",
// "C", "R", ...).
func (d *doc) cell(w, h float64, s, where, border, align string, pt float64) {
	s = d.text(s, where)
	d.fitCell(w, h, s, border, align, pt)
}

// fitCell prints already checked text, shrinking it to fit the box.
func (d *doc) fitCell(w, h float64, s, border, align string, pt float64) {
	d.size(pt)
	avail := w - 2*d.pdf.GetCellMargin()
	if tw := d.width(s); tw > avail && avail > 0 {
		fit := pt * avail / tw
		if fit < minFitSize {
			fit = minFitSize
		}
		d.size(fit)
	}
	d.drawCell(w, h, s, border, align)
	d.size(pt)
}

// wrap splits printable text into lines that fit a box w wide at the
// current font size. Japanese text breaks between any two characters.
func (d *doc) wrap(s string, w float64) []string {
	avail := w - 2*d.pdf.GetCellMargin()
	var lines []string
	start, width := 0, 0.0
	for i := 0; i < len(s); {
		char, _ := nextChar(s[i:])
		rw := d.width(char)
		if width+rw > avail && i > start {
			lines = append(lines, s[start:i])
			start, width = i, 0
		}
		width += rw
		i += len(char)
	}
	return append(lines, s[start:])
}

// box prints stored text in a w×h box at x, y, wrapped over as many lines
// as needed and shrunk until it fits, vertically centred.
func (d *doc) box(x, y, w, h float64, s, where string, pt float64) {
	s = d.text(s, where)
	for size := pt; ; size -= 0.5 {
		d.size(size)
		lh := size / ptPerMM * 1.25
		lines := d.wrap(s, w)
		n := float64(len(lines))
		if n*lh <= h || size <= minFitSize {
			top := y + (h-n*lh)/2
			if top < y {
				top = y
			}
			for i, l := range lines {
				d.pdf.SetXY(x, top+float64(i)*lh)
				d.drawCell(w, lh, l, "", "L")
			}
			break
		}
	}
	d.size(pt)
}

// label prints fixed text (ours, always printable) at x, y.
func (d *doc) label(x, y, w, h float64, s, align string, pt float64) {
	d.pdf.SetXY(x, y)
	d.size(pt)
	d.pdf.CellFormat(w, h, s, "", 0, align, false, 0, "")
}

// value prints stored text at x, y, shrinking it to fit w.
func (d *doc) value(x, y, w, h float64, s, where, align string, pt float64) {
	d.pdf.SetXY(x, y)
	d.cell(w, h, s, where, "", align, pt)
}

// pageNumber prints "n / N" centred at the bottom of the page.
func (d *doc) pageNumber() {
	pw, ph := d.pdf.GetPageSize()
	d.label(0, ph-10, pw, 5, fmt.Sprintf("%d / %s", d.pdf.PageNo(), pageTotalAlias), "C", smallSize)
}

// missingNote lists the missing characters found so far under the current
// position: their code points and where they are. It adds a page when the
// list does not fit. bottom is the lowest y the list may reach.
func (d *doc) missingNote(bottom float64) {
	if len(d.missing) == 0 {
		return
	}
	lines := []string{fmt.Sprintf("※ %s はフォントにない文字です（%d箇所）。元の文字は次のとおりです。", d.place, len(d.missing))}
	for i, m := range d.missing {
		if i == missingLimit {
			lines = append(lines, fmt.Sprintf("　ほか %d 箇所", len(d.missing)-missingLimit))
			break
		}
		lines = append(lines, fmt.Sprintf("　%s：%s（%dページ、%sと印字）", m.Where, m.Code, m.Page, m.Printed))
	}
	const lh = 4.0
	left, _, _, _ := d.pdf.GetMargins()
	pw, _ := d.pdf.GetPageSize()
	y := d.pdf.GetY() + 2
	for _, l := range lines {
		if y+lh > bottom {
			d.pdf.AddPage()
			y = d.pdf.GetY()
		}
		d.label(left, y, pw-2*left, lh, l, "L", smallSize)
		y += lh
	}
	d.pdf.SetY(y)
}

// finish closes the document and writes it to w.
func (d *doc) finish(w io.Writer) (Result, error) {
	d.pdf.Close()
	res := Result{Pages: d.pdf.PageNo(), Missing: d.missing}
	if err := d.pdf.Output(w); err != nil {
		return res, &RenderError{Document: d.title, Err: err}
	}
	return res, nil
}

// render runs build on a new document and writes it. fpdf panics on some
// malformed input instead of returning an error; such a panic becomes a
// RenderError so that a print job cannot bring the counter down.
func render(w io.Writer, font *Font, title, orientation string, at time.Time, build func(d *doc)) (res Result, err error) {
	if font == nil {
		return Result{}, &FontError{Err: fmt.Errorf("no font given")}
	}
	defer func() {
		if p := recover(); p != nil {
			err = &RenderError{Document: title, Err: fmt.Errorf("fpdf panic: %v", p)}
		}
	}()
	d := newDoc(font, title, orientation, at)
	if err := d.pdf.Error(); err != nil {
		return Result{}, &RenderError{Document: title, Err: err}
	}
	build(d)
	if err := d.pdf.Error(); err != nil {
		return Result{}, &RenderError{Document: title, Err: err}
	}
	return d.finish(w)
}
