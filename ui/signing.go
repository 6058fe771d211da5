package ui

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/sign"
	"madoguchi/forms/jpkicert"
)

// SignWindowTitle is the title of the resident's signing window.
const SignWindowTitle = "電子署名 (署名用電子証明書)"

// SignWindow is the resident's small signing window: pick a file, see the
// card's state, type the signing password on a masked field, sign. The
// signature is made in the card; the signed file is saved beside the
// original (NAME.p7s, or NAME.signed.pdf for a PDF).
type SignWindow struct {
	win    fyne.Window
	runner *Runner
	open   func(ctx context.Context) (*sign.Card, error)
	chain  []*x509.Certificate

	path      string
	fileLabel *widget.Label
	cardLabel *widget.Label
	status    *widget.Label
	pin       *widget.Entry
	signBtn   *widget.Button
}

// NewSignWindow fills w. open connects to the card in the reader (the
// command passes sign.OpenCard on the chosen PC/SC reader); chain is
// included in each signature.
func NewSignWindow(w fyne.Window, open func(ctx context.Context) (*sign.Card, error), chain []*x509.Certificate) *SignWindow {
	s := &SignWindow{
		win: w, runner: NewRunner(w), open: open, chain: chain,
		fileLabel: widget.NewLabel("ファイル: (未選択)"),
		cardLabel: widget.NewLabel("カード: 確認しています…"),
		status:    widget.NewLabel(""),
		pin:       widget.NewPasswordEntry(),
	}
	s.fileLabel.Wrapping = fyne.TextWrapWord
	s.cardLabel.Wrapping = fyne.TextWrapWord
	s.status.Wrapping = fyne.TextWrapWord
	s.pin.SetPlaceHolder("署名用パスワード (6〜8文字)")
	s.pin.OnSubmitted = func(string) { s.Sign() }
	s.signBtn = widget.NewButton("署名する", s.Sign)
	s.signBtn.Importance = widget.HighImportance
	pick := widget.NewButton("ファイルを選ぶ…", func() {
		d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
			if err != nil || rc == nil {
				return
			}
			rc.Close()
			s.SetFile(rc.URI().Path())
		}, w)
		d.Show()
	})
	recheck := widget.NewButton("カードを確認", s.CheckCard)
	w.SetContent(container.NewPadded(container.NewVBox(
		widget.NewLabelWithStyle(SignWindowTitle, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, pick, s.fileLabel),
		container.NewBorder(nil, nil, nil, recheck, s.cardLabel),
		widget.NewForm(widget.NewFormItem("署名用パスワード", s.pin)),
		s.signBtn,
		s.status,
	)))
	s.update()
	return s
}

// SetFile chooses the file to sign.
func (s *SignWindow) SetFile(path string) {
	s.path = path
	s.fileLabel.SetText("ファイル: " + filepath.Base(path))
	s.status.SetText("")
	s.update()
}

// CheckCard reads the card's certificate and shows whose it is.
func (s *SignWindow) CheckCard() {
	s.cardLabel.SetText("カード: 確認しています…")
	var text string
	s.runner.Background(func(ctx context.Context) error {
		card, err := s.open(ctx)
		if err != nil {
			return err
		}
		defer card.Close()
		text = cardText(card.Certificate())
		return nil
	}, func(err error) {
		if err != nil {
			s.cardLabel.SetText("カード: " + userMessage(err, "カードを読み取れません。カードを読取機に置いてください。"))
			return
		}
		s.cardLabel.SetText("カード: " + text)
	})
}

// signZone is Japan Standard Time, in which the resident reads dates.
var signZone = time.FixedZone("JST", 9*60*60)

// cardText describes a signing certificate for the resident.
func cardText(cert *x509.Certificate) string {
	name := "(氏名なし)"
	if it, err := jpkicert.FromExtensions(cert.Extensions); err == nil {
		name = it.Name
	}
	return fmt.Sprintf("%s 様の署名用電子証明書 (有効期限 %s)", name, cert.NotAfter.In(signZone).Format("2006年1月2日"))
}

// update enables signing once a file is chosen.
func (s *SignWindow) update() {
	if s.path == "" {
		s.signBtn.Disable()
	} else {
		s.signBtn.Enable()
	}
}

// Sign signs the chosen file with the card and saves the result. The
// password field is cleared at once; the PIN bytes are wiped after
// signing.
func (s *SignWindow) Sign() {
	if s.path == "" {
		return
	}
	if s.pin.Text == "" {
		s.status.SetText("署名用パスワードを入力してください。")
		return
	}
	pin := []byte(s.pin.Text)
	s.pin.SetText("")
	path := s.path
	var saved string
	s.runner.Run("カードで署名しています…", false, func(ctx context.Context) error {
		defer clear(pin)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		card, err := s.open(ctx)
		if err != nil {
			return err
		}
		defer card.Close()
		out, name, err := sign.Document(path, data, card.Signer(pin, s.chain), sign.PDFInfo{}, false)
		if err != nil {
			return err
		}
		if err := os.WriteFile(name, out, 0o644); err != nil {
			return err
		}
		saved = name
		return nil
	}, func(err error) {
		if err != nil {
			s.status.SetText("署名できませんでした: " + userMessage(err, "カードと署名用パスワードを確かめてください。"))
			return
		}
		s.status.SetText("署名しました。保存先: " + saved)
	})
}
