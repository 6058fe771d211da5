package ui

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"madoguchi/forms/jpfont"
)

// Fyne draws a text object with one font (and, where the theme font lacks
// a character, whatever font its system scan finds: on a machine without
// IPAmj明朝 installed that is "�", and where it is installed Fyne parses
// the whole 46 MB font into memory, ~100 MB). Registry characters must be
// seen exactly, so GlyphText draws the characters the theme font lacks
// itself, from the MJ font (IPAmj明朝), rasterised here with
// golang.org/x/image; everything else stays a canvas.Text in the theme's
// font.

// glyphFonts are the fonts GlyphText draws with, set by UseFonts.
var glyphFonts struct {
	sync.Mutex
	theme  *sfnt.Font // the theme's font, for its coverage
	mj     *jpfont.MJ // character map and names of the MJ font
	mjFace *sfnt.Font // outlines of the MJ font
	buf    sfnt.Buffer
	has    map[rune]bool         // the theme font's coverage, as looked up
	images map[glyphKey]glyphImg // rasterised MJ glyphs
}

type glyphKey struct {
	char  string
	size  float32
	color color.NRGBA
}

type glyphImg struct {
	img         image.Image
	width, line float32 // in Fyne units
}

// maxGlyphImages bounds the cache of rasterised glyphs; it is emptied when
// full (registry characters recur, and a re-rasterisation is cheap).
const maxGlyphImages = 512

// UseFonts tells GlyphText the theme's font (the TrueType bytes given to
// NewTheme) and the MJ font to draw the characters it lacks. With a nil mj
// GlyphText draws everything as text. Safe to call again (tests do).
func UseFonts(themeTTF []byte, mj *jpfont.MJ) error {
	th, err := sfnt.Parse(themeTTF)
	if err != nil {
		return err
	}
	var face *sfnt.Font
	if mj != nil {
		if face, err = sfnt.Parse(mj.Data); err != nil {
			return err
		}
	}
	glyphFonts.Lock()
	defer glyphFonts.Unlock()
	glyphFonts.theme, glyphFonts.mj, glyphFonts.mjFace = th, mj, face
	glyphFonts.has = map[rune]bool{}
	glyphFonts.images = map[glyphKey]glyphImg{}
	return nil
}

// MJFont is the MJ font set by UseFonts, or nil.
func MJFont() *jpfont.MJ {
	glyphFonts.Lock()
	defer glyphFonts.Unlock()
	return glyphFonts.mj
}

// themeHas reports whether the theme font draws r. Locked by the caller.
func themeHas(r rune) bool {
	if glyphFonts.theme == nil {
		return true
	}
	if v, ok := glyphFonts.has[r]; ok {
		return v
	}
	g, err := glyphFonts.theme.GlyphIndex(&glyphFonts.buf, r)
	v := err == nil && g != 0
	if len(glyphFonts.has) < 1<<16 {
		glyphFonts.has[r] = v
	}
	return v
}

// glyphRun is a stretch of text drawn as text, or one MJ character drawn
// as an image.
type glyphRun struct {
	text string
	mj   bool
}

// splitGlyphRuns splits s into runs: each character (with its variation
// selectors) that the theme font lacks, or that carries a selector, and
// that the MJ font has, becomes an MJ run.
func splitGlyphRuns(s string) []glyphRun {
	glyphFonts.Lock()
	defer glyphFonts.Unlock()
	if glyphFonts.mj == nil {
		return []glyphRun{{text: s}}
	}
	var out []glyphRun
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		j := i + n
		for j < len(s) {
			vs, m := utf8.DecodeRuneInString(s[j:])
			if !(vs >= 0xFE00 && vs <= 0xFE0F || vs >= 0xE0100 && vs <= 0xE01EF) {
				break
			}
			j += m
		}
		char := s[i:j]
		if _, ok := mjGlyph(char); ok && (j > i+n || !themeHas(r)) {
			if start < i {
				out = append(out, glyphRun{text: s[start:i]})
			}
			out = append(out, glyphRun{text: char, mj: true})
			start = j
		}
		i = j
	}
	if start < len(s) {
		out = append(out, glyphRun{text: s[start:]})
	}
	return out
}

// mjGlyph is the MJ glyph of char (a character and at most one variation
// selector). Locked by the caller.
func mjGlyph(char string) (sfnt.GlyphIndex, bool) {
	r, n := utf8.DecodeRuneInString(char)
	var g int
	var ok bool
	if n == len(char) {
		g, ok = glyphFonts.mj.Glyph(r)
	} else {
		sel, m := utf8.DecodeRuneInString(char[n:])
		if n+m != len(char) {
			return 0, false
		}
		g, ok = glyphFonts.mj.VariantGlyph(r, sel)
	}
	return sfnt.GlyphIndex(g), ok
}

// glyphOversample renders MJ glyphs at twice the canvas resolution, so
// they stay sharp on a HiDPI screen and when scaled down.
const glyphOversample = 2

// rasterMJ draws char from the MJ font at size (Fyne units) with its
// baseline at baseline in a box line units high.
func rasterMJ(char string, size, baseline, line float32, col color.Color) (glyphImg, bool) {
	glyphFonts.Lock()
	defer glyphFonts.Unlock()
	key := glyphKey{char, size, color.NRGBAModel.Convert(col).(color.NRGBA)}
	if g, ok := glyphFonts.images[key]; ok {
		return g, true
	}
	gid, ok := mjGlyph(char)
	if !ok || glyphFonts.mjFace == nil {
		return glyphImg{}, false
	}
	scale := float32(glyphOversample)
	ppem := fixed.Int26_6(size * scale * 64)
	adv, err := glyphFonts.mjFace.GlyphAdvance(&glyphFonts.buf, gid, ppem, xfont.HintingNone)
	if err != nil {
		return glyphImg{}, false
	}
	segs, err := glyphFonts.mjFace.LoadGlyph(&glyphFonts.buf, gid, ppem, nil)
	if err != nil {
		return glyphImg{}, false
	}
	w := int(math.Ceil(float64(adv) / 64))
	h := int(math.Ceil(float64(line * scale)))
	if w <= 0 || h <= 0 {
		return glyphImg{}, false
	}
	ox, oy := float32(0), baseline*scale
	pt := func(p fixed.Point26_6) (float32, float32) {
		return ox + float32(p.X)/64, oy + float32(p.Y)/64
	}
	ras := vector.NewRasterizer(w, h)
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			ras.MoveTo(pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			ras.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			ras.QuadTo(x1, y1, x2, y2)
		case sfnt.SegmentOpCubeTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			x3, y3 := pt(s.Args[2])
			ras.CubeTo(x1, y1, x2, y2, x3, y3)
		}
	}
	ras.ClosePath()
	mask := image.NewAlpha(image.Rect(0, 0, w, h))
	ras.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})
	img := image.NewNRGBA(mask.Bounds())
	draw.DrawMask(img, img.Bounds(), image.NewUniform(col), image.Point{}, mask, image.Point{}, draw.Over)
	g := glyphImg{img: img, width: float32(w) / scale, line: line}
	if len(glyphFonts.images) >= maxGlyphImages {
		glyphFonts.images = map[glyphKey]glyphImg{}
	}
	glyphFonts.images[key] = g
	return g, true
}

// GlyphText is one line of registry text: it shows every character as
// stored, drawing those the theme font lacks (𠮷, variation sequences)
// from the MJ font. It lays out like a widget.Label (same inner padding).
type GlyphText struct {
	widget.BaseWidget
	Text      string
	TextStyle fyne.TextStyle
	TextSize  float32     // 0: the theme's text size
	Color     color.Color // nil: the theme's foreground colour
}

// NewGlyphText returns a GlyphText showing text.
func NewGlyphText(text string) *GlyphText {
	g := &GlyphText{Text: text}
	g.ExtendBaseWidget(g)
	return g
}

// SetText changes the text and redraws.
func (g *GlyphText) SetText(text string) {
	g.Text = text
	g.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (g *GlyphText) CreateRenderer() fyne.WidgetRenderer {
	r := &glyphTextRenderer{g: g}
	r.rebuild()
	return r
}

type glyphTextRenderer struct {
	g       *GlyphText
	objects []fyne.CanvasObject
	widths  []float32
	line    float32
	text    string // what objects show
}

func (r *glyphTextRenderer) size() float32 {
	if r.g.TextSize > 0 {
		return r.g.TextSize
	}
	return r.g.Theme().Size(theme.SizeNameText)
}

func (r *glyphTextRenderer) color() color.Color {
	if r.g.Color != nil {
		return r.g.Color
	}
	return r.g.Theme().Color(theme.ColorNameForeground, fyne.CurrentApp().Settings().ThemeVariant())
}

func (r *glyphTextRenderer) rebuild() {
	size, col := r.size(), r.color()
	ref, baseline := fyne.CurrentApp().Driver().RenderedTextSize("あ", size, r.g.TextStyle, nil)
	r.line = ref.Height
	r.objects, r.widths = nil, nil
	for _, run := range splitGlyphRuns(r.g.Text) {
		if run.mj {
			if gi, ok := rasterMJ(run.text, size, baseline, r.line, col); ok {
				img := canvas.NewImageFromImage(gi.img)
				img.FillMode = canvas.ImageFillStretch
				img.ScaleMode = canvas.ImageScaleSmooth
				r.objects = append(r.objects, img)
				r.widths = append(r.widths, gi.width)
				continue
			}
		}
		t := canvas.NewText(run.text, col)
		t.TextSize = size
		t.TextStyle = r.g.TextStyle
		r.objects = append(r.objects, t)
		r.widths = append(r.widths, t.MinSize().Width)
	}
	r.text = r.g.Text
}

func (r *glyphTextRenderer) pad() float32 { return r.g.Theme().Size(theme.SizeNameInnerPadding) }

func (r *glyphTextRenderer) Layout(fyne.Size) {
	x, p := r.pad(), r.pad()
	for i, o := range r.objects {
		o.Move(fyne.NewPos(x, p))
		o.Resize(fyne.NewSize(r.widths[i], r.line))
		x += r.widths[i]
	}
}

func (r *glyphTextRenderer) MinSize() fyne.Size {
	var w float32
	for _, v := range r.widths {
		w += v
	}
	p := r.pad()
	return fyne.NewSize(w+2*p, r.line+2*p)
}

func (r *glyphTextRenderer) Refresh() {
	r.rebuild()
	r.Layout(r.g.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (r *glyphTextRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *glyphTextRenderer) Destroy() {}
