package printing

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"strings"
	"testing"

	"madoguchi/forms/jpfont"
)

// mjSample holds the registry characters every printout must show: some
// IPAex Gothic has (髙, 﨑), some it lacks, two beyond the BMP (𠮷 U+20BB7,
// 𠂉 U+20089) and an ideographic variation sequence (葛 + U+E0104).
var mjSample = []string{"𠮷", "髙", "﨑", "齋", "邊", "德", "𠂉", "𥑺", "葛\U000E0104"}

// mjFont is the test font with the MJ fallback.
func mjFont(tb testing.TB) *Font {
	tb.Helper()
	mj, err := jpfont.FindMJ("")
	if err != nil {
		need(tb, "the MJ font ("+jpfont.MJDebianPackage+"): "+err.Error())
	}
	return testFont(tb).WithMJ(mj)
}

// renderMJ renders the four documents with the MJ sample in their stored
// text: the resident's name and address, the office, the record rows.
func renderMJ(tb testing.TB, font *Font, wantMissing bool) map[string][]byte {
	tb.Helper()
	all := strings.Join(mjSample, "")
	app, info := sampleApplication()
	app.FamilyName, app.GivenName = "𠮷髙﨑", "齋邊德𠂉𥑺葛\U000E0104"
	app.Address = "東京都千代田区" + all + "一丁目１番１号"
	rec := sampleReceipt()
	rec.Name, rec.Office = "𠮷髙﨑　齋邊德𠂉𥑺葛\U000E0104", all+"出張所"
	book := sampleBook(12)
	book.Office = all + "出張所"
	for i := range book.Rows {
		book.Rows[i].Name = "𠮷髙﨑　齋邊德𠂉𥑺葛\U000E0104"
	}
	sum := sampleSummary()
	sum.Office = all + "出張所"
	out := map[string][]byte{}
	for name, job := range map[string]func(*bytes.Buffer) (Result, error){
		"application": func(b *bytes.Buffer) (Result, error) { return WriteApplication(b, font, app, info) },
		"receipt":     func(b *bytes.Buffer) (Result, error) { return WriteReceipt(b, font, rec) },
		"recordbook":  func(b *bytes.Buffer) (Result, error) { return WriteRecordBook(b, font, book) },
		"summary":     func(b *bytes.Buffer) (Result, error) { return WriteDailySummary(b, font, sum) },
	} {
		var b bytes.Buffer
		res, err := job(&b)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		if !wantMissing && len(res.Missing) != 0 {
			tb.Errorf("%s: characters reported missing with the MJ font: %v", name, res.Missing)
		}
		out[name] = b.Bytes()
	}
	return out
}

func TestEveryPDFPrintsMJCharacters(t *testing.T) {
	docs := renderMJ(t, mjFont(t), false)
	for _, name := range []string{"application", "receipt", "recordbook", "summary"} {
		t.Run(name, func(t *testing.T) {
			text := pdfTextMode(t, docs[name], "-raw")
			if strings.Contains(text, Placeholder) {
				t.Errorf("%s printed for a character:\n%s", Placeholder, text)
			}
			for _, c := range mjSample {
				if !strings.Contains(text, c) {
					t.Errorf("%q (%s) not in the text:\n%s", c, codePoints(c), text)
				}
			}
		})
	}
}

// Without the MJ font the characters IPAex lacks still print as 〓.
func TestWithoutMJPlaceholderStays(t *testing.T) {
	docs := renderMJ(t, testFont(t), true)
	text := pdfTextMode(t, docs["receipt"], "-raw")
	if !strings.Contains(text, Placeholder) || strings.Contains(text, "𠮷") {
		t.Fatalf("without MJ: %s", text)
	}
}

// The glyph is really drawn, not only named in the text layer: a receipt
// naming 𠮷𠂉 has more ink than one naming two ideographic spaces.
func TestMJGlyphInked(t *testing.T) {
	font := mjFont(t)
	ink := func(name string) int {
		r := sampleReceipt()
		r.Name = name
		var b bytes.Buffer
		if _, err := WriteReceipt(&b, font, r); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(renderPage1(t, b.Bytes())))
		if err != nil {
			t.Fatal(err)
		}
		return dark(img)
	}
	blank, mj := ink("　　"), ink("𠮷𠂉")
	t.Logf("dark pixels: %d with 𠮷𠂉, %d without", mj, blank)
	if mj-blank < 40 {
		t.Fatalf("dark pixels: %d with 𠮷𠂉, %d without: the MJ glyphs are not drawn", mj, blank)
	}
}

func dark(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r+g+bl < 3*0xF000 { // any ink, thin Mincho strokes included
				n++
			}
		}
	}
	return n
}

func TestCutFont(t *testing.T) {
	font := mjFont(t)
	for _, c := range mjSample {
		g, ok := font.mjGlyph(c)
		if r := []rune(c); len(r) == 1 && font.Has(r[0]) {
			if ok {
				t.Errorf("%s: IPAex has it, yet the MJ font is used", c)
			}
			continue
		}
		if !ok {
			t.Fatalf("%s: no MJ glyph", c)
		}
		data, err := mjSubset(font.mj, g, mjCode(c))
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 64<<10 {
			t.Errorf("%s: %d bytes cut, want a small font", c, len(data))
		}
		sub, err := ParseFont(data)
		if err != nil {
			t.Fatalf("%s: cut font unreadable: %v", c, err)
		}
		if !sub.Has(mjCode(c)) {
			t.Errorf("%s: cut font does not map U+%04X", c, mjCode(c))
		}
	}
}

func TestPDFTextString(t *testing.T) {
	for in, want := range map[string]string{"𠮷": "<FEFFD842DFB7>", "A": "<FEFF0041>", "葛\U000E0104": "<FEFF845BDB40DD04>"} {
		if got := pdfTextString(in); got != want {
			t.Errorf("pdfTextString(%q) = %s, want %s", in, got, want)
		}
	}
}

// BenchmarkReceiptMJ compares a receipt whose name needs the MJ font with
// one that does not (each MJ character adds its one-glyph font).
func BenchmarkReceiptMJ(b *testing.B) {
	font := mjFont(b)
	for _, name := range []string{"髙橋　良子", "𠮷髙﨑　齋邊德𠂉𥑺"} {
		b.Run(name, func(b *testing.B) {
			r := sampleReceipt()
			r.Name = name
			for b.Loop() {
				var buf bytes.Buffer
				if _, err := WriteReceipt(&buf, font, r); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(buf.Len()), "pdf-bytes")
			}
		})
	}
}

// format12CMap is a cmap table with one format 12 subtable mapping r to
// glyph.
func format12CMap(r rune, glyph int) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, 3)
	b = binary.BigEndian.AppendUint16(b, 10)
	b = binary.BigEndian.AppendUint32(b, 12)
	b = binary.BigEndian.AppendUint16(b, 12)
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint32(b, 28)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, uint32(r))
	b = binary.BigEndian.AppendUint32(b, uint32(r))
	return binary.BigEndian.AppendUint32(b, uint32(glyph))
}

// FuzzCutFont cuts glyphs out of arbitrary font files: a malformed MJ font
// file must give an error, never a panic or a runaway.
func FuzzCutFont(f *testing.F) {
	if mj, err := jpfont.FindMJ(""); err == nil {
		// Seed: the single-glyph font of 𠮷, re-mapped with a format 12 cmap.
		g, _ := mj.Glyph('𠮷')
		if cut, err := cutFont(mj, g, mjPUA); err == nil {
			{
				tables := map[string][]byte{}
				sub := jpfont.MJ{Data: cut}
				for _, tag := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "post", "OS/2", "name"} {
					tables[tag] = sub.Table(tag)
				}
				tables["cmap"] = format12CMap('𠮷', 1)
				f.Add(assembleSFNT(tables))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mj, err := jpfont.ParseMJ(data)
		if err != nil {
			return
		}
		for _, r := range []rune{'𠮷', 'A'} {
			if g, ok := mj.Glyph(r); ok {
				// A cut of a broken font may be unusable: it must only not
				// crash, here or in ParseFont.
				if out, err := cutFont(mj, g, mjCode(string(r))); err == nil {
					_, _ = ParseFont(out)
				}
			}
		}
	})
}
