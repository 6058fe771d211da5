package ui

import (
	"image"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"madoguchi/forms"
)

// The 代替文字 panel shows the original character enlarged beside each
// candidate, with code points and MJ文字図形名, drawn from the right font.
func TestSubstitutePanelEnlargesTheOriginal(t *testing.T) {
	_, mj := glyphApp(t)
	tests := []struct {
		name, family string
		char         string // the character to substitute
		caption      string // its caption
		candidate    string // a candidate and its caption
		candCaption  string
	}{
		{"beyond the BMP", "𠮷田", "𠮷", "U+20BB7\nMJ032129", "吉", "U+5409\nMJ008064"},
		{"look-alike", "髙橋", "髙", "U+9AD9\nMJ028902", "高", "U+9AD8\nMJ028901"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := forms.Application{FamilyName: tt.family, GivenName: "太郎", Address: "東京都千代田区霞が関二丁目1番2号"}
			p := NewSubstitutePanel(&app, nil)
			w := test.NewWindow(container.NewVScroll(p.Object()))
			defer w.Close()
			w.Resize(fyne.NewSize(1000, 700))

			var big []*GlyphText
			var captions []string
			walk(w.Content(), func(o fyne.CanvasObject) {
				switch v := o.(type) {
				case *GlyphText:
					if v.TextSize == enlargedSize {
						big = append(big, v)
					}
				case *widget.Label:
					captions = append(captions, v.Text)
				}
			})
			if len(big) < 2 || big[0].Text != tt.char {
				t.Fatalf("enlarged characters %v, want %s first and its candidates", glyphTexts(big), tt.char)
			}
			if !contains(glyphTexts(big[1:]), tt.candidate) {
				t.Fatalf("candidate %s not enlarged: %v", tt.candidate, glyphTexts(big))
			}
			for _, c := range []string{tt.caption, tt.candCaption} {
				if !contains(captions, c) {
					t.Errorf("caption %q missing; labels %q", c, captions)
				}
			}
			// The enlarged original on screen is the font's own glyph.
			img := w.Canvas().Capture()
			pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(big[0])
			sz := big[0].Size()
			crop := img.(interface {
				SubImage(image.Rectangle) image.Image
			}).SubImage(image.Rect(int(pos.X), int(pos.Y), int(pos.X+sz.Width), int(pos.Y+sz.Height)))
			ttf := mj.Data
			if !needsGlyphText(tt.char) {
				ttf, _ = jpfontData()
			}
			// Drawn in the theme's grey foreground and scaled from twice the
			// resolution, thin strokes come out lighter than in the black
			// reference: the bar is a clear margin over the candidate's glyph.
			jp, _ := jpfontData()
			mask := inkMask(crop)
			same := overlap(mask, inkMask(referenceAt(t, ttf, tt.char, enlargedSize)))
			other := overlap(mask, inkMask(referenceAt(t, jp, tt.candidate, enlargedSize)))
			t.Logf("enlarged %s: overlap %.2f with its glyph, %.2f with %s", tt.char, same, other, tt.candidate)
			if same < 0.65 || same < other+0.1 {
				t.Errorf("enlarged %s does not match its glyph: overlap %.2f (with %s %.2f)", tt.char, same, tt.candidate, other)
			}
		})
	}
}

// A form field with a character only the MJ font draws shows it exactly
// and keeps it out of the entry until the clerk edits.
func TestGlyphField(t *testing.T) {
	glyphApp(t)
	for _, tt := range []struct {
		value string
		glyph bool
	}{{"𠮷田", true}, {"山田", false}, {"葛\U000E0104西", true}} {
		e := widget.NewEntry()
		f := entryField(e, tt.value)
		w := test.NewWindow(f.Object())
		var shown []string
		walk(f.Object(), func(o fyne.CanvasObject) {
			if g, ok := o.(*GlyphText); ok {
				shown = append(shown, g.Text)
			}
		})
		if f.Text() != tt.value {
			t.Errorf("%s: Text() = %q", tt.value, f.Text())
		}
		if !tt.glyph {
			if e.Text != tt.value || len(shown) != 0 {
				t.Errorf("%s: entry %q, glyph texts %v", tt.value, e.Text, shown)
			}
			w.Close()
			continue
		}
		if e.Text != "" || !contains(shown, tt.value) {
			t.Errorf("%s: entry %q before editing, glyph texts %v", tt.value, e.Text, shown)
		}
		test.Tap(findButtons(w)["修正"])
		if e.Text != tt.value || !e.Visible() {
			t.Errorf("%s: entry %q after 修正", tt.value, e.Text)
		}
		test.Type(e, "子")
		if f.Text() != tt.value+"子" {
			t.Errorf("%s: Text() = %q after typing", tt.value, f.Text())
		}
		w.Close()
	}
}

// entryField is newGlyphField for a widget.Entry.
func entryField(e *widget.Entry, value string) *glyphField {
	return newGlyphField(e, e.SetText, func() string { return e.Text }, value)
}

func glyphTexts(gs []*GlyphText) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Text)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
