package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// enlargedSize is the text size of the enlarged characters in the 代替文字
// panel: large enough to tell 髙 from 高 and 﨑 from 崎.
const enlargedSize = 56

// needsGlyphText reports whether s holds a character drawn from the MJ
// font (one the theme font lacks, or a variation sequence).
func needsGlyphText(s string) bool {
	for _, r := range splitGlyphRuns(s) {
		if r.mj {
			return true
		}
	}
	return false
}

// glyphCaption is a character's code points and, where the MJ font names
// its glyph, its MJ文字図形名: "U+9AD9 MJ028902".
func glyphCaption(char string) string {
	caption := codePoints(char)
	if mj := MJFont(); mj != nil {
		if name := mj.MJName(char); name != "" {
			caption += "\n" + name
		}
	}
	return caption
}

// enlargedChar is one character drawn large over its caption and a title
// ("元の文字", "候補").
func enlargedChar(title, char string) fyne.CanvasObject {
	big := NewGlyphText(char)
	big.TextSize = enlargedSize
	caption := widget.NewLabel(glyphCaption(char))
	caption.Alignment = fyne.TextAlignCenter
	caption.SizeName = theme.SizeNameCaptionText
	head := widget.NewLabel(title)
	head.Alignment = fyne.TextAlignCenter
	head.SizeName = theme.SizeNameCaptionText
	return container.NewVBox(head, container.NewCenter(big), caption)
}

// enlargedCompare shows the original character beside each candidate, all
// enlarged, with their code points and MJ文字図形名.
func enlargedCompare(char string, candidates []string) fyne.CanvasObject {
	row := container.NewHBox(enlargedChar("元の文字", char))
	if len(candidates) > 0 {
		arrow := widget.NewLabel("→")
		row.Add(container.NewCenter(arrow))
	}
	for _, c := range candidates {
		row.Add(enlargedChar("候補", c))
	}
	return row
}
