package ui

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"madoguchi/forms/jpfont"
)

// glyphApp is a test app with the Japanese theme and the MJ font.
func glyphApp(t *testing.T) (jpfont.Font, *jpfont.MJ) {
	t.Helper()
	font, err := jpfont.Find("")
	if err != nil {
		t.Fatal(err)
	}
	mj, err := jpfont.FindMJ("")
	if err != nil {
		t.Fatalf("%v (make deps installs %s)", err, jpfont.MJDebianPackage)
	}
	a := test.NewApp()
	t.Cleanup(a.Quit)
	a.Settings().SetTheme(NewTheme(font.Path, font.Data))
	if err := UseFonts(font.Data, mj); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { UseFonts(font.Data, nil) })
	return font, mj
}

const glyphTestSize = 64

// inkMask marks the pixels of img with ink: darker than three quarters
// white, so that thin Mincho strokes count however they are anti-aliased.
func inkMask(img image.Image) [][]bool {
	b := img.Bounds()
	m := make([][]bool, b.Dy())
	for y := range m {
		m[y] = make([]bool, b.Dx())
		for x := range m[y] {
			r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			if a == 0 {
				continue
			}
			m[y][x] = r+g+bl < 3*0xC000
		}
	}
	return m
}

// overlap is the intersection over union of two ink masks, each moved so
// that its ink's bounding box starts at the origin.
func overlap(a, b [][]bool) float64 {
	ax, ay := inkOrigin(a)
	bx, by := inkOrigin(b)
	var inter, union int
	h := max(len(a)-ay, len(b)-by)
	for y := 0; y < h; y++ {
		for x := 0; x < 400; x++ {
			pa := at(a, x+ax, y+ay)
			pb := at(b, x+bx, y+by)
			if pa && pb {
				inter++
			}
			if pa || pb {
				union++
			}
		}
	}
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

func at(m [][]bool, x, y int) bool {
	return y >= 0 && y < len(m) && x >= 0 && x < len(m[y]) && m[y][x]
}

func inkOrigin(m [][]bool) (int, int) {
	minX, minY := 1<<30, 1<<30
	for y, row := range m {
		for x, v := range row {
			if v {
				minX, minY = min(minX, x), min(minY, y)
			}
		}
	}
	return minX, minY
}

// reference draws s with the font file's own glyphs through
// golang.org/x/image/font/opentype at glyphTestSize pixels per em.
func reference(t *testing.T, ttf []byte, s string) image.Image {
	return referenceAt(t, ttf, s, glyphTestSize)
}

// referenceAt is reference at size pixels per em.
func referenceAt(t *testing.T, ttf []byte, s string, size float64) image.Image {
	t.Helper()
	f, err := opentype.Parse(ttf)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: xfont.HintingNone})
	if err != nil {
		t.Fatal(err)
	}
	px := int(size)
	img := image.NewRGBA(image.Rect(0, 0, 2*px, 2*px))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := xfont.Drawer{Dst: img, Src: image.Black, Face: face, Dot: fixed.P(4, px+8)}
	d.DrawString(s)
	return img
}

// captured shows s in a GlyphText on a white window and returns the
// pixels of the widget.
func captured(t *testing.T, s string) image.Image {
	t.Helper()
	g := NewGlyphText(s)
	g.TextSize = glyphTestSize
	g.Color = color.Black
	bg := canvas.NewRectangle(color.White)
	w := test.NewWindow(container.NewStack(bg, container.NewWithoutLayout(g)))
	t.Cleanup(w.Close)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(4*glyphTestSize, 2*glyphTestSize))
	g.Resize(g.MinSize())
	img := w.Canvas().Capture()
	sz := g.Size()
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(0, 0, int(sz.Width), int(sz.Height)))
}

func TestGlyphTextDrawsRegistryCharacters(t *testing.T) {
	font, mj := glyphApp(t)
	tests := []struct {
		char string
		mj   bool // drawn from the MJ font, not the theme's
	}{
		{"𠮷", true},
		{"𥑺", true}, // another MJ character beyond the BMP, MJ042760 (IPAex has 𠂉 and 𪚲)
		{"髙", false},
		{"﨑", false},
		{"齋", false},
		{"邊", false},
		{"德", false},
	}
	for _, tt := range tests {
		t.Run(tt.char, func(t *testing.T) {
			runs := splitGlyphRuns(tt.char)
			if len(runs) != 1 || runs[0].mj != tt.mj {
				t.Fatalf("runs %+v, want one run with mj=%v", runs, tt.mj)
			}
			ttf := font.Data
			if tt.mj {
				ttf = mj.Data
			}
			got := inkMask(captured(t, tt.char))
			want := inkMask(reference(t, ttf, tt.char))
			same := overlap(got, want)
			// A look-alike from the same font must match clearly worse:
			// the comparison tells 𠮷 from 吉 and 髙 from 高.
			other := map[string]string{"𠮷": "吉", "𥑺": "石", "髙": "高", "﨑": "崎", "齋": "斎", "邊": "辺", "德": "徳"}[tt.char]
			diff := overlap(got, inkMask(reference(t, font.Data, other)))
			t.Logf("%s: overlap %.2f with its glyph, %.2f with %s", tt.char, same, diff, other)
			if same < 0.75 || same <= diff+0.1 {
				t.Errorf("%s on screen does not match the font's glyph: overlap %.2f (with %s: %.2f)", tt.char, same, other, diff)
			}
		})
	}
}

// A variation sequence is drawn with the variant's glyph, not the base's.
func TestGlyphTextVariationSequence(t *testing.T) {
	glyphApp(t)
	runs := splitGlyphRuns("葛\U000E0104飾")
	if len(runs) != 2 || !runs[0].mj || runs[0].text != "葛\U000E0104" || runs[1].text != "飾" {
		t.Fatalf("runs %+v", runs)
	}
	variant, base := inkMask(captured(t, "葛\U000E0104")), inkMask(captured(t, "葛"))
	if o := overlap(variant, base); o > 0.95 {
		t.Fatalf("葛+U+E0104 looks like plain 葛 (overlap %.2f)", o)
	}
}

// Without the MJ font everything is text, and nothing panics.
func TestGlyphTextWithoutMJ(t *testing.T) {
	font, _ := glyphApp(t)
	if err := UseFonts(font.Data, nil); err != nil {
		t.Fatal(err)
	}
	if runs := splitGlyphRuns("𠮷田"); len(runs) != 1 || runs[0].mj {
		t.Fatalf("runs %+v", runs)
	}
	g := NewGlyphText("𠮷田")
	w := test.NewWindow(g)
	defer w.Close()
	if g.MinSize().Width <= 0 {
		t.Fatal("no size")
	}
}

// jpfontData is the theme font's file.
func jpfontData() ([]byte, error) {
	f, err := jpfont.Find("")
	return f.Data, err
}
