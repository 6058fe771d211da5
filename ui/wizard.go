package ui

import (
	"context"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/session"
	"madoguchi/forms"
)

// wizardKind is the procedure a wizard runs.
type wizardKind int

const (
	wizardNew        wizardKind = iota // 新規発行
	wizardRenewal                      // 更新
	wizardRevocation                   // 失効申請
	wizardPINReset                     // 暗証番号初期化
)

func (k wizardKind) formKind() forms.ApplicationKind {
	switch k {
	case wizardRenewal:
		return forms.KindRenewal
	case wizardRevocation:
		return forms.KindRevocation
	case wizardPINReset:
		return forms.KindPINReset
	}
	return forms.KindNew
}

func kindOf(k forms.ApplicationKind) wizardKind {
	switch k {
	case forms.KindRenewal:
		return wizardRenewal
	case forms.KindRevocation:
		return wizardRevocation
	case forms.KindPINReset:
		return wizardPINReset
	}
	return wizardNew
}

// issues reports whether the procedure issues a certificate.
func (k wizardKind) issues() bool { return k == wizardNew || k == wizardRenewal }

// Step names as the indicator shows them.
const (
	stepSearch   = "住民検索"
	stepForm     = "申請書"
	stepIdentity = "本人確認"
	stepCard     = "カード"
	stepPIN      = "暗証番号・鍵"
	stepSubmit   = "発行・書込"
	stepDeliver  = "交付"
	stepRevoke   = "失効申請"
	stepNewPIN   = "暗証番号"
	stepDone     = "完了"
)

func (k wizardKind) steps() []string {
	switch k {
	case wizardRevocation:
		return []string{stepSearch, stepForm, stepIdentity, stepRevoke, stepDone}
	case wizardPINReset:
		return []string{stepSearch, stepForm, stepIdentity, stepCard, stepNewPIN, stepDone}
	}
	return []string{stepSearch, stepForm, stepIdentity, stepCard, stepPIN, stepSubmit, stepDeliver}
}

// Wizard is one counter procedure, one screen per step: it drives the
// Desk's session steps and never does domain work itself.
type Wizard struct {
	s     *Shell
	kind  wizardKind
	names []string
	steps *StepIndicator

	body    *fyne.Container
	message *widget.Label
	back    *widget.Button
	abandon *widget.Button
	primary *widget.Button

	resident  registry.Resident
	form      forms.Application
	valid     []records.Certificate // the resident's certificates in force
	sess      *session.Session
	card      *app.Card
	stopCard  context.CancelFunc // stops the card watcher
	stopTrack context.CancelFunc // stops trackCard
	closing   sync.WaitGroup     // card connections being closed
	target    *records.Certificate

	// Exposed to tests in this package.
	search     *SearchScreen
	subst      *SubstitutePanel
	docs       *documentPicker
	pinScreen  *ResidentPIN
	abandonDlg *abandonDialog
	cardState  *widget.Label
	onCard     func()                      // what a usable card inserted now leads to
	freshCard  bool                        // a new session: a card already in the reader is not used
	hold       bool                        // after an error or 取消: wait for the clerk's Enter
	onEnter    func()                      // the primary action of the step on show
	onEscape   func()                      // going back, where it is safe
	onKey      func(k *fyne.KeyEvent) bool // the step's choice keys, if any
	stepName   string
}

func (s *Shell) startWizard(k wizardKind) {
	w := s.newWizard(k)
	w.freshCard = true
	w.trackCard()
	w.showSearch()
}

func (s *Shell) newWizard(k wizardKind) *Wizard {
	w := &Wizard{s: s, kind: k, names: k.steps()}
	w.steps = NewStepIndicator(w.names...)
	w.body = container.NewStack()
	w.message = widget.NewLabel("")
	w.message.Wrapping = fyne.TextWrapWord
	w.back = widget.NewButton("戻る (Esc)", func() {
		if w.onEscape != nil {
			w.onEscape()
		}
	})
	w.abandon = widget.NewButton("中止", w.confirmAbandon)
	w.abandon.Importance = widget.DangerImportance
	w.primary = widget.NewButton("次へ (Enter)", func() {
		if w.onEnter != nil {
			w.onEnter()
		}
	})
	w.primary.Importance = widget.HighImportance
	home := widget.NewButton("ホームに戻る", func() { w.leave(); s.showHome() })

	title := widget.NewLabelWithStyle(k.formKind().String(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	top := container.NewVBox(container.NewHBox(title, home), w.steps.Object(), widget.NewSeparator())
	bottom := container.NewVBox(widget.NewSeparator(), w.message,
		container.NewHBox(w.back, w.abandon, layout.NewSpacer(), w.primary))
	s.wizard = w
	s.show("issue", container.NewBorder(top, bottom, nil, nil, container.NewPadded(w.body)))
	s.win.Canvas().SetOnTypedKey(w.typedKey)
	return w
}

// typedKey handles Enter and Esc when no entry has the focus.
func (w *Wizard) typedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if w.onEnter != nil && !w.primary.Disabled() {
			w.onEnter()
		}
	case fyne.KeyEscape:
		if w.abandonDlg != nil && w.abandonDlg.pop.Visible() {
			w.abandonDlg.pop.Hide()
			return
		}
		if w.onEscape != nil {
			w.onEscape()
		}
	case fyne.KeyF2, fyne.KeyF3, fyne.KeyF4:
		onCardStep := w.stepName == stepCard || w.stepName == stepPIN || w.stepName == stepNewPIN
		if onCardStep && w.s.counter.EmulatedReader() != nil {
			map[fyne.KeyName]func(){fyne.KeyF2: w.demoInsertBlank, fyne.KeyF3: w.demoInsertSaved, fyne.KeyF4: w.demoRemove}[k.Name]()
		}
	default:
		switch {
		case w.onKey != nil:
			w.onKey(k)
		case w.docs != nil && w.stepName == stepIdentity:
			w.docs.typedKey(k)
		}
	}
}

// Step is the name of the step on show.
func (w *Wizard) Step() string { return w.stepName }

// Message is the guidance or error line on show.
func (w *Wizard) Message() string { return w.message.Text }

// setStep shows content as step name, with the primary action's label
// and what Enter and Esc do (nil: nothing).
func (w *Wizard) setStep(name string, content fyne.CanvasObject, primary string, enter, escape func()) {
	for i, n := range w.names {
		if n == name {
			w.steps.Set(i)
		}
	}
	w.stepName = name
	w.body.Objects = []fyne.CanvasObject{content}
	w.body.Refresh()
	w.message.SetText("")
	w.message.Importance = widget.MediumImportance
	w.onEnter, w.onEscape, w.onKey = enter, escape, nil
	if primary == "" {
		w.primary.Hide()
	} else {
		w.primary.SetText(primary + " (Enter)")
		w.primary.Enable()
		w.primary.Show()
	}
	if escape == nil {
		w.back.Disable()
	} else {
		w.back.Enable()
	}
	w.s.win.Canvas().Unfocus()
}

func (w *Wizard) say(msg string) {
	w.message.Importance = widget.MediumImportance
	w.message.SetText(msg)
}

func (w *Wizard) fail(err error, fallback string) {
	w.failText(userMessage(err, fallback))
}

// failText shows a problem on the clerk's screen.
func (w *Wizard) failText(msg string) {
	w.message.Importance = widget.DangerImportance
	w.message.SetText(msg)
}

// trackCard watches the reader from the wizard's start until the card
// step: a card put on or taken out after the start is not a leftover, so
// the card step may use it (see freshCard).
func (w *Wizard) trackCard() {
	if w.s.noBackground {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stopTrack = cancel
	go func() {
		events, err := w.s.counter.WatchCard(ctx)
		if err != nil {
			return
		}
		first := true
		for range events {
			if !first {
				fyne.Do(func() {
					if ctx.Err() == nil {
						w.freshCard = false
					}
				})
			}
			first = false
		}
	}()
}

// leave stops what the wizard keeps running (card watcher, connection).
func (w *Wizard) leave() {
	if w.stopTrack != nil {
		w.stopTrack()
		w.stopTrack = nil
	}
	if w.stopCard != nil {
		w.stopCard()
		w.stopCard = nil
	}
	w.dropCard()
	if w.pinScreen != nil && w.pinScreen.Visible() {
		w.pinScreen.Close()
		w.pinScreen = nil
	}
}

func boldLabel(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}
