// Command glyphwindow opens a window that draws each argument with
// ui.GlyphText at 64 units, black on white, 100 units apart, for the
// screen test of registry characters (screen_glyph_test.go).
package main

import (
	"fmt"
	"image/color"
	"os"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	"madoguchi/forms/jpfont"
	"madoguchi/ui"
)

func main() {
	font, err := jpfont.Find("")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mj, err := jpfont.FindMJ("")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	a := fyneapp.NewWithID("jp.madoguchi.glyphcheck")
	a.Settings().SetTheme(ui.NewTheme(font.Path, font.Data))
	if err := ui.UseFonts(font.Data, mj); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bg := canvas.NewRectangle(color.White)
	free := container.NewWithoutLayout()
	for i, s := range os.Args[1:] {
		g := ui.NewGlyphText(s)
		g.TextSize = 64
		g.Color = color.Black
		g.Move(fyne.NewPos(float32(100*i), 20))
		g.Resize(g.MinSize())
		free.Add(g)
	}
	w := a.NewWindow("glyph-check")
	w.SetPadded(false)
	w.SetContent(container.NewStack(bg, free))
	w.Resize(fyne.NewSize(float32(100*len(os.Args[1:])+20), 140))
	w.ShowAndRun()
}
