package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// BaseTextSize is the body text size in Fyne units (1/96 inch at scale 1):
// 19 units is a little over 14 pt, readable across a counter.
const BaseTextSize = 19

// Theme is Fyne's default theme with a Japanese font and counter-sized text.
type Theme struct {
	font fyne.Resource
}

// NewTheme returns a theme that draws every text style with the given
// TrueType font (a Japanese font: Fyne's own has no Japanese glyphs).
func NewTheme(name string, ttf []byte) *Theme {
	return &Theme{font: fyne.NewStaticResource(name, ttf)}
}

// Color returns the default theme's light colours whatever the desktop's
// preference: counters are bright rooms, and the resident reads the screen
// too.
func (t *Theme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return theme.DefaultTheme().Color(n, theme.VariantLight)
}

// Font returns the Japanese font for every style but monospace, which keeps
// Fyne's font for digits such as serial numbers.
func (t *Theme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace {
		return theme.DefaultTheme().Font(s)
	}
	return t.font
}

// Icon returns the default theme's icon.
func (t *Theme) Icon(n fyne.ThemeIconName) fyne.Resource {
	return theme.DefaultTheme().Icon(n)
}

// Size enlarges text and paddings for the counter.
func (t *Theme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return BaseTextSize
	case theme.SizeNameHeadingText:
		return 28
	case theme.SizeNameSubHeadingText:
		return 23
	}
	return theme.DefaultTheme().Size(n)
}
