package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// PINPolicy checks a new PIN and its confirmation; its error's
// UserMessage must not reveal the PIN.
type PINPolicy func(pin, confirm []byte) error

// ResidentPIN is the resident-facing PIN screen: it covers the whole
// window, says plainly that it is the resident's screen, and takes the new
// PIN twice in masked entries. The entries are cleared as soon as the PIN
// is read; the PIN is handed over as a byte slice that the receiver wipes.
type ResidentPIN struct {
	popup           *widget.PopUp
	first, second   *pinEntry
	feedback        *widget.Label
	policy          PINPolicy
	onDone          func(pin []byte)
	onCancel        func()
	submit, dismiss *widget.Button

	// OnKey receives the function keys pressed on the screen (the demo's
	// F4 takes the card out); Esc always cancels.
	OnKey func(*fyne.KeyEvent)
}

// pinEntry is a masked entry that lets Esc cancel the screen and hands
// function keys on, since a focused entry otherwise keeps them.
type pinEntry struct {
	widget.Entry
	p *ResidentPIN
}

func newPINEntry(p *ResidentPIN) *pinEntry {
	e := &pinEntry{p: p}
	e.Password = true
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey cancels on Esc, hands F1–F12 to the screen's OnKey, and
// passes other keys to the entry.
func (e *pinEntry) TypedKey(k *fyne.KeyEvent) {
	if e.p.key(k) {
		return
	}
	e.Entry.TypedKey(k)
}

// key handles a key pressed on the screen and reports whether it was used.
func (p *ResidentPIN) key(k *fyne.KeyEvent) bool {
	switch k.Name {
	case fyne.KeyEscape:
		p.Cancel()
		return true
	case fyne.KeyF1, fyne.KeyF2, fyne.KeyF3, fyne.KeyF4, fyne.KeyF5, fyne.KeyF6,
		fyne.KeyF7, fyne.KeyF8, fyne.KeyF9, fyne.KeyF10, fyne.KeyF11, fyne.KeyF12:
		if p.OnKey != nil {
			p.OnKey(k)
		}
		return true
	}
	return false
}

// ShowResidentPIN opens the resident's PIN screen over c. onDone receives
// the accepted PIN (the caller must wipe it after use); onCancel is called
// if the clerk or resident cancels.
func ShowResidentPIN(c fyne.Canvas, policy PINPolicy, onDone func(pin []byte), onCancel func()) *ResidentPIN {
	p := &ResidentPIN{policy: policy, onDone: onDone, onCancel: onCancel}
	p.first = newPINEntry(p)
	p.first.SetPlaceHolder("新しい暗証番号")
	p.second = newPINEntry(p)
	p.second.SetPlaceHolder("もう一度入力")
	p.feedback = widget.NewLabel("")
	p.feedback.Importance = widget.DangerImportance
	p.feedback.Wrapping = fyne.TextWrapWord
	p.first.OnSubmitted = func(string) { c.Focus(p.second) }
	p.second.OnSubmitted = func(string) { p.Submit() }
	p.submit = widget.NewButton("決定", p.Submit)
	p.submit.Importance = widget.HighImportance
	p.dismiss = widget.NewButton("取消", p.Cancel)

	banner := canvas.NewRectangle(color.NRGBA{R: 0x0b, G: 0x6e, B: 0x4f, A: 0xff})
	bannerText := canvas.NewText("お客様ご本人の入力画面です", color.White)
	bannerText.TextSize = 30
	bannerText.TextStyle = fyne.TextStyle{Bold: true}
	bannerText.Alignment = fyne.TextAlignCenter

	// The rules are drawn at a size the resident reads from a step back.
	// No theme override here: every override is a new theme scope, for
	// which Fyne parses and caches the whole font again (tens of MB per
	// PIN screen, never freed); canvas texts share the app theme's faces.
	rules := container.NewVBox()
	for _, line := range residentRules {
		t := canvas.NewText(line, theme.Color(theme.ColorNameForeground))
		t.TextSize = residentTextSize
		rules.Add(t)
	}

	body := container.NewVBox(
		container.NewStack(banner, container.NewPadded(bannerText)),
		rules,
		widget.NewForm(
			widget.NewFormItem("暗証番号", p.first),
			widget.NewFormItem("確認", p.second),
		),
		p.feedback,
		container.NewGridWithColumns(2, p.dismiss, p.submit),
	)
	p.popup = widget.NewModalPopUp(container.NewCenter(container.NewGridWrap(fyne.NewSize(760, 520), body)), c)
	// Cover the whole window: nothing of the clerk's screen shows around it.
	size := c.Size()
	if size.Width < 760 || size.Height < 520 {
		size = fyne.NewSize(760, 520)
	}
	p.popup.Resize(size)
	p.popup.Show()
	c.Focus(p.first)
	return p
}

// Submit checks the two entries against the policy. On success the screen
// closes and onDone gets the PIN; otherwise the entries are cleared and
// the reason is shown.
func (p *ResidentPIN) Submit() {
	if !p.Visible() {
		p.first.SetText("")
		p.second.SetText("")
		return
	}
	pin, confirm := []byte(p.first.Text), []byte(p.second.Text)
	p.first.SetText("")
	p.second.SetText("")
	defer wipe(confirm)
	if err := p.policy(pin, confirm); err != nil {
		wipe(pin)
		p.feedback.SetText(userMessage(err, "この暗証番号は使えません。もう一度入力してください。"))
		fyne.CurrentApp().Driver().CanvasForObject(p.first).Focus(p.first)
		return
	}
	p.popup.Hide()
	p.onDone(pin)
}

// Cancel closes the screen without a PIN and tells onCancel.
func (p *ResidentPIN) Cancel() {
	if !p.Visible() {
		return
	}
	p.Close()
	if p.onCancel != nil {
		p.onCancel()
	}
}

// Close clears the entries and closes the screen without telling anyone,
// for the clerk's side to take over (the card was taken out).
func (p *ResidentPIN) Close() {
	p.first.SetText("")
	p.second.SetText("")
	p.popup.Hide()
}

// Visible reports whether the screen is on show.
func (p *ResidentPIN) Visible() bool { return p.popup.Visible() }

// Feedback is the policy message on show ("" when none).
func (p *ResidentPIN) Feedback() string { return p.feedback.Text }

// wipe overwrites b with zeros.
func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// residentTextSize is the size of the rules on the resident's screen.
const residentTextSize = 24

// residentRules are the lines of guidance on the resident's screen.
var residentRules = []string{
	"6〜8文字の数字と英大文字で、新しい暗証番号を",
	"2回入力してください。",
	"同じ文字だけ、123456 のような連続は使えません。",
	"職員には見えません。入力が終わったら「決定」を押してください。",
}
