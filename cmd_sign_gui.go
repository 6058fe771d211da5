package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"madoguchi/app/sign"
	"madoguchi/assets"
	"madoguchi/forms/jpfont"
	"madoguchi/ui"
)

// runSignWindow opens the resident's signing window (`madoguchi sign`
// without a file): the card is looked for in readerName, or in the first
// reader holding one, each time it is needed.
func runSignWindow(readerName string, chain []*x509.Certificate) error {
	setLocale()
	if err := ui.CheckDisplayHere(os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, err.(*ui.DisplayError).UserMessage())
		return err
	}
	font, err := jpfont.Find("")
	if err != nil {
		var nf *jpfont.NotFoundError
		if errors.As(err, &nf) {
			fmt.Fprintln(os.Stderr, nf.UserMessage())
		}
		return err
	}
	open := func(ctx context.Context) (*sign.Card, error) {
		r, err := signReader(ctx, readerName)
		if err != nil {
			return nil, err
		}
		return sign.OpenCard(ctx, r)
	}
	err = ui.RunWindow(func() {
		a := fyneapp.NewWithID(appID)
		a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
		a.Settings().SetTheme(ui.NewTheme(font.Path, font.Data))
		w := a.NewWindow(ui.SignWindowTitle)
		s := ui.NewSignWindow(w, open, chain)
		a.Lifecycle().SetOnStarted(func() { fyne.Do(s.CheckCard) })
		w.Resize(fyne.NewSize(640, 360))
		w.ShowAndRun()
	})
	var de *ui.DisplayError
	if errors.As(err, &de) {
		fmt.Fprintln(os.Stderr, de.UserMessage())
	}
	return err
}
