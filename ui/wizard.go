package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app"
	"madoguchi/app/prefecture"
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

	resident registry.Resident
	form     forms.Application
	valid    []records.Certificate // the resident's certificates in force
	sess     *session.Session
	card     *app.Card
	stopCard context.CancelFunc // stops the card watcher
	target   *records.Certificate

	// Exposed to tests in this package.
	search    *SearchScreen
	subst     *SubstitutePanel
	docs      *documentPicker
	pinScreen *ResidentPIN
	cardState *widget.Label
	onCard    func() // what a usable card inserted now leads to
	onEnter   func() // the primary action of the step on show
	onEscape  func() // going back, where it is safe
	stepName  string
}

func (s *Shell) startWizard(k wizardKind) {
	w := s.newWizard(k)
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
		if w.onEscape != nil {
			w.onEscape()
		}
	case fyne.KeyF2, fyne.KeyF3, fyne.KeyF4:
		if w.stepName == stepCard && w.s.counter.EmulatedReader() != nil {
			map[fyne.KeyName]func(){fyne.KeyF2: w.demoInsertBlank, fyne.KeyF3: w.demoInsertSaved, fyne.KeyF4: w.demoRemove}[k.Name]()
		}
	default:
		if w.docs != nil && w.stepName == stepIdentity {
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
	w.onEnter, w.onEscape = enter, escape
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
	w.message.Importance = widget.DangerImportance
	w.message.SetText(userMessage(err, fallback))
}

// leave stops what the wizard keeps running (card watcher, connection).
func (w *Wizard) leave() {
	if w.stopCard != nil {
		w.stopCard()
		w.stopCard = nil
	}
	w.dropCard()
	if w.pinScreen != nil && w.pinScreen.popup.Visible() {
		w.pinScreen.Cancel()
	}
}

// --- 住民検索 ---

func (w *Wizard) showSearch() {
	w.search = newSearchScreen(w.s.runner, w.s.desk.Search, w.selectResident, !w.s.noBackground)
	w.setStep(stepSearch, w.search.Object(), "", nil, func() { w.leave(); w.s.showHome() })
	w.abandon.Hide()
	w.search.Focus(w.s.win.Canvas())
}

func (w *Wizard) selectResident(r registry.Resident) {
	var form forms.Application
	var valid []records.Certificate
	w.s.runner.Run("住民票を読み込んでいます…", false, func(ctx context.Context) error {
		var err error
		if form, err = w.s.desk.Prefill(ctx, r.Code, w.kind.formKind()); err != nil {
			return err
		}
		valid, err = w.s.desk.ValidCertificates(ctx, r.Code)
		return err
	}, func(err error) {
		if err != nil {
			w.fail(err, "住民票を読み込めませんでした。")
			return
		}
		w.resident, w.form, w.valid = r, form, valid
		w.showForm()
	})
}

// --- 申請書 ---

func (w *Wizard) showForm() {
	f := &w.form
	family, given := widget.NewEntry(), widget.NewEntry()
	familyKana, givenKana := widget.NewEntry(), widget.NewEntry()
	birth, address := widget.NewEntry(), widget.NewEntry()
	family.SetText(f.FamilyName)
	given.SetText(f.GivenName)
	familyKana.SetText(f.FamilyKana)
	givenKana.SetText(f.GivenKana)
	birth.SetText(f.Birth.Wareki())
	address.SetText(f.Address)
	sex := widget.NewRadioGroup([]string{forms.SexMale.String(), forms.SexFemale.String(), forms.SexUnknown.String()}, nil)
	sex.Horizontal = true
	sex.SetSelected(f.Sex.String())

	var panel *SubstitutePanel
	panelBox := container.NewStack()
	rebuildPanel := func() {
		if !w.kind.issues() {
			return
		}
		panel = NewSubstitutePanel(f, nil)
		w.subst = panel
		panelBox.Objects = []fyne.CanvasObject{panel.Object()}
		panelBox.Refresh()
	}
	// Reading the entries back into the form: names and address changes
	// reset the substitutes that no longer stand on the same character.
	read := func() error {
		nameBefore, addrBefore := f.CertificateName(), f.CertificateAddress()
		f.FamilyName, f.GivenName = strings.TrimSpace(family.Text), strings.TrimSpace(given.Text)
		f.FamilyKana, f.GivenKana = strings.TrimSpace(familyKana.Text), strings.TrimSpace(givenKana.Text)
		f.Address = strings.TrimSpace(address.Text)
		for _, sx := range []forms.Sex{forms.SexMale, forms.SexFemale, forms.SexUnknown} {
			if sex.Selected == sx.String() {
				f.Sex = sx
			}
		}
		if f.CertificateName() != nameBefore {
			f.Substitutes.Name = nil
		}
		if f.CertificateAddress() != addrBefore {
			f.Substitutes.Address = nil
		}
		d, err := forms.ParseDate(birth.Text)
		if err != nil {
			return err
		}
		f.Birth = d
		return nil
	}
	for _, e := range []*widget.Entry{family, given, familyKana, givenKana, birth, address} {
		e.OnSubmitted = func(string) { w.onEnter() }
		e.OnChanged = func(string) {
			if read() == nil {
				rebuildPanel()
			}
		}
	}
	rebuildPanel()

	items := widget.NewForm(
		widget.NewFormItem("氏", family), widget.NewFormItem("名", given),
		widget.NewFormItem("ふりがな（氏）", familyKana), widget.NewFormItem("ふりがな（名）", givenKana),
		widget.NewFormItem("生年月日", birth), widget.NewFormItem("性別", sex),
		widget.NewFormItem("住所", address),
		widget.NewFormItem("申請日", widget.NewLabel(f.AppliedOn.Wareki())),
	)
	note := widget.NewLabel("住民票から記入しました。申請書と照らし合わせ、違う箇所があれば直してください。")
	note.Wrapping = fyne.TextWrapWord
	printForm := widget.NewButton("申請書を印刷", func() {
		if read() == nil {
			w.printApplication()
		}
	})
	content := container.NewVScroll(container.NewVBox(
		container.NewHBox(widget.NewLabel(fmt.Sprintf("住民コード %s", w.resident.Code)), printForm),
		note, items, widget.NewSeparator(), panelBox))

	submit := func() {
		if err := read(); err != nil {
			w.fail(err, "生年月日を読み取れません。")
			return
		}
		if err := f.Validate(); err != nil {
			w.fail(err, "申請書に誤りがあります。")
			return
		}
		var sess *session.Session
		w.s.runner.Run("申請を受け付けています…", false, func(ctx context.Context) error {
			var err error
			if w.sess == nil {
				sess, err = w.s.desk.Start(ctx, w.resident.Code, *f)
			} else {
				sess, err = w.s.desk.UpdateApplication(ctx, w.sess.ID, *f)
			}
			return err
		}, func(err error) {
			if err != nil {
				w.fail(err, "申請を受け付けられませんでした。")
				return
			}
			w.sess = sess
			w.showIdentity()
		})
	}
	back := func() {
		if w.sess == nil {
			w.showSearch()
		}
	}
	w.setStep(stepForm, content, "申請受付", submit, back)
	if w.sess != nil {
		w.back.Disable()
	}
	w.abandon.Show()
	w.say("内容を確かめて Enter を押してください。")
}

// --- 本人確認 ---

func (w *Wizard) showIdentity() {
	w.docs = newDocumentPicker()
	var diffs []identityDiff
	w.s.runner.Run("住民票と照合しています…", false, func(ctx context.Context) error {
		ds, err := w.s.desk.Differences(ctx, w.resident.Code, w.form)
		for _, d := range ds {
			diffs = append(diffs, identityDiff{d.Item.Label(), d.Form, d.Registry})
		}
		return err
	}, func(err error) {
		if err != nil {
			w.fail(err, "住民票と照合できませんでした。")
			return
		}
		w.showIdentityWith(diffs)
	})
}

type identityDiff struct{ item, form, registry string }

func (w *Wizard) showIdentityWith(diffs []identityDiff) {
	var parts []fyne.CanvasObject
	status := w.resident.Status
	if status != registry.StatusResident {
		l := widget.NewLabel(fmt.Sprintf("この方は住民基本台帳上「%s」です。電子証明書の手続はできません。", status.Label()))
		l.Importance = widget.DangerImportance
		l.Wrapping = fyne.TextWrapWord
		parts = append(parts, l)
	}
	if len(diffs) > 0 {
		grid := container.NewGridWithColumns(3,
			boldLabel("項目"), boldLabel("申請書"), boldLabel("住民票"))
		for _, d := range diffs {
			grid.Add(widget.NewLabel(d.item))
			f := widget.NewLabel(d.form)
			f.Importance = widget.DangerImportance
			grid.Add(f)
			grid.Add(widget.NewLabel(d.registry))
		}
		warn := widget.NewLabel("申請書と住民票が一致しません。申請書を確かめ、「戻る」で訂正するか中止してください。")
		warn.Importance = widget.DangerImportance
		warn.Wrapping = fyne.TextWrapWord
		parts = append(parts, warn, grid)
	} else {
		parts = append(parts, widget.NewLabel("基本4情報（氏名・生年月日・性別・住所）は住民票と一致しています。"))
	}
	if w.kind.issues() {
		for _, c := range w.valid {
			l := widget.NewLabel(fmt.Sprintf("この方は有効な署名用電子証明書（シリアル %s、%s まで）をお持ちです。新しく発行すると、この証明書は失効します。",
				c.Serial, c.NotAfter.Format("2006-01-02")))
			l.Importance = widget.WarningImportance
			l.Wrapping = fyne.TextWrapWord
			parts = append(parts, l)
		}
	}
	parts = append(parts, widget.NewSeparator(), w.docs.object())
	content := container.NewVScroll(container.NewVBox(parts...))

	check := func() {
		var out *session.IdentityOutcome
		docs := w.docs.documents()
		w.s.runner.Run("本人確認を記録しています…", false, func(ctx context.Context) error {
			var err error
			out, err = w.s.desk.CheckIdentity(ctx, w.sess.ID, docs)
			return err
		}, func(err error) {
			if err != nil {
				w.identityRefused(err)
				return
			}
			w.target = out.Target
			switch w.kind {
			case wizardRevocation:
				w.showRevoke()
			default:
				w.showCard(w.cardInserted)
			}
		})
	}
	w.setStep(stepIdentity, content, "本人確認済み", check, w.showForm)
	if len(diffs) > 0 || status != registry.StatusResident {
		w.primary.Disable()
		w.onEnter = nil
		w.fail(errors.New("mismatch"), "この申請は受け付けられません。")
		return
	}
	w.say("確認した本人確認書類を選んでください（数字キー）。写真付き1点、または写真なし2点です。")
}

// identityRefused shows why the identity check stopped the session; a
// resident who is not a current resident ends it (the session failed).
func (w *Wizard) identityRefused(err error) {
	var fe *session.FailedError
	if errors.As(err, &fe) {
		w.setStep(stepIdentity, widget.NewLabel(userMessage(err, "手続を続けられません。")), "", nil, nil)
		w.fail(err, "手続を続けられません。")
		w.abandon.Hide()
		return
	}
	w.fail(err, "本人確認ができませんでした。")
}

// --- カード ---

// showCard shows the card step and calls onReady, on the UI goroutine,
// with w.card connected each time a usable card is put on the reader.
func (w *Wizard) showCard(onReady func()) {
	w.cardState = widget.NewLabel("カードリーダーを確かめています…")
	w.cardState.TextStyle = fyne.TextStyle{Bold: true}
	w.cardState.Wrapping = fyne.TextWrapWord
	guide := "お客様のカードをカードリーダーに置いてください。カードを認識すると自動で進みます。"
	if w.kind == wizardPINReset {
		guide = "お客様の発行済みカードをカードリーダーに置いてください。"
	}
	parts := []fyne.CanvasObject{widget.NewLabel(guide), w.cardState}
	if emu := w.s.counter.EmulatedReader(); emu != nil {
		parts = append(parts, widget.NewSeparator(), widget.NewLabel("デモ用の模擬カード（キー操作：F2 白紙カード、F3 保管カード、F4 取り出し）"),
			container.NewHBox(
				widget.NewButton("白紙カードを挿入 (F2)", w.demoInsertBlank),
				widget.NewButton("保管したカードを挿入 (F3)", w.demoInsertSaved),
				widget.NewButton("カードを取り出す (F4)", w.demoRemove)))
	}
	w.setStep(stepCard, container.NewVBox(parts...), "", nil, nil)
	w.watchCard(onReady)
}

// watchCard follows the reader and calls onReady with a connected card
// each time a card is inserted (on the UI goroutine).
func (w *Wizard) watchCard(onReady func()) {
	if w.stopCard != nil {
		w.stopCard()
	}
	w.onCard = onReady
	if w.s.noBackground {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stopCard = cancel
	go func() {
		events, err := w.s.counter.WatchCard(ctx)
		if err != nil {
			fyne.Do(func() {
				w.setCardState(userMessage(err, "カードリーダーが見つかりません。接続を確かめてください。"), true)
			})
			return
		}
		for ev := range events {
			switch {
			case ev.Err != nil:
				fyne.Do(func() {
					w.setCardState(userMessage(ev.Err, "カードリーダーが使えなくなりました。接続を確かめてください。"), true)
				})
				return
			case !ev.Present:
				fyne.Do(func() {
					w.dropCard()
					w.setCardState("カードが置かれていません。", false)
				})
			default:
				fyne.Do(func() { w.connectCard(onReady) })
			}
		}
	}()
}

func (w *Wizard) setCardState(text string, bad bool) {
	if w.cardState == nil {
		return
	}
	w.cardState.SetText(text)
	if bad {
		w.cardState.Importance = widget.DangerImportance
	} else {
		w.cardState.Importance = widget.MediumImportance
	}
	w.cardState.Refresh()
}

func (w *Wizard) connectCard(onReady func()) {
	var card *app.Card
	var kind app.CardKind
	w.s.runner.Run("カードを確認しています…", false, func(ctx context.Context) error {
		var err error
		if card, err = w.s.desk.ConnectCard(ctx); err != nil {
			return err
		}
		if kind, err = card.Kind(ctx); err != nil {
			card.Close()
			return err
		}
		if cardRefusal(kind, w.kind) != "" {
			card.Close()
		}
		return nil
	}, func(err error) {
		if err != nil {
			w.setCardState(userMessage(err, "カードを読み取れません。置き直してください。"), true)
			return
		}
		if problem := cardRefusal(kind, w.kind); problem != "" {
			w.setCardState(problem, true)
			return
		}
		w.dropCard()
		w.card = card
		w.setCardState("カードを認識しました："+kind.Label(), false)
		onReady()
	})
}

// cardPresent connects the card in the reader as if the watcher had just
// seen it inserted; widget tests use it (see Shell.noBackground).
func (w *Wizard) cardPresent() { w.connectCard(w.onCard) }

// dropCard forgets the wizard's card connection and closes it off the UI
// goroutine (closing talks to the reader).
func (w *Wizard) dropCard() {
	if c := w.card; c != nil {
		w.card = nil
		go c.Close()
	}
}

// cardInserted takes a usable card on to the next step.
func (w *Wizard) cardInserted() {
	if w.stepName != stepCard {
		return
	}
	if w.kind == wizardPINReset {
		w.askPIN()
		return
	}
	id, card := w.sess.ID, w.card
	w.s.runner.Run("カードを準備しています…", false, func(ctx context.Context) error {
		return w.s.desk.PrepareCard(ctx, id, card)
	}, func(err error) {
		if err != nil {
			w.fail(err, "カードを準備できませんでした。カードを置き直してください。")
			return
		}
		w.askPIN()
	})
}

// The demo's card buttons save and load the emulated cards' files, so
// they run on the Runner like every other card operation.

func (w *Wizard) demoInsertBlank() {
	w.demoCard("模擬カードを挿入しています…", "模擬カードを挿入できません。先にカードを取り出してください。", func() error {
		_, err := w.s.counter.InsertBlankCard()
		return err
	})
}

func (w *Wizard) demoInsertSaved() {
	w.demoCard("保管したカードを挿入しています…", "保管した模擬カードがないか、リーダーにカードが残っています。", func() error {
		names, err := w.s.counter.SavedCards()
		if err == nil && len(names) == 0 {
			err = errors.New("no saved card")
		}
		if err != nil {
			return err
		}
		return w.s.counter.InsertSavedCard(names[len(names)-1])
	})
}

func (w *Wizard) demoRemove() {
	card := w.card
	w.card = nil
	w.demoCard("模擬カードを取り出しています…", "模擬カードを取り出せません。", func() error {
		if card != nil {
			card.Close() // before the card leaves, as a person would end the session first
		}
		_, err := w.s.counter.RemoveCard()
		return err
	})
}

func (w *Wizard) demoCard(label, failure string, op func() error) {
	w.s.runner.Run(label, false, func(context.Context) error { return op() }, func(err error) {
		if err != nil {
			w.fail(err, failure)
		}
	})
}

// --- 暗証番号・鍵生成 ---

func (w *Wizard) askPIN() {
	name := stepPIN
	if w.kind == wizardPINReset {
		name = stepNewPIN
	}
	w.setStep(name, widget.NewLabel("お客様に新しい暗証番号を入力していただいています。\n画面はお客様用の入力画面に切り替わっています。"), "", nil, nil)
	w.pinScreen = ShowResidentPIN(w.s.win.Canvas(), checkPIN, w.pinEntered, func() {
		w.showCard(w.cardInserted)
		w.say("暗証番号の入力が取り消されました。もう一度カードを確認します。")
	})
}

func (w *Wizard) pinEntered(pin []byte) {
	confirm := append([]byte(nil), pin...)
	label, step, next := "カードの中で鍵ペアを生成しています…", w.s.desk.GenerateKey, w.submit
	if w.kind == wizardPINReset {
		label, step = "暗証番号を初期化しています…", w.s.desk.ResetPIN
		next = func() {
			w.showDone("暗証番号を初期化しました。お客様にカードをお返しください。")
		}
	}
	id, card := w.sess.ID, w.card
	w.s.runner.Run(label, false, func(ctx context.Context) error {
		return step(ctx, id, card, pin, confirm)
	}, func(err error) {
		wipe(pin)
		wipe(confirm)
		if err != nil {
			w.cardStepFailed(err)
			return
		}
		next()
	})
}

// cardStepFailed shows a card step's error and goes back to the card
// step, where the clerk can put the card back and try again.
func (w *Wizard) cardStepFailed(err error) {
	w.showCard(w.cardInserted)
	w.fail(err, "カードの処理に失敗しました。カードを置き直してください。")
}

// --- 発行申請・書込 ---

func (w *Wizard) submit() {
	w.setStep(stepSubmit, widget.NewLabel("都道府県知事（証明書発行機関）に発行を申請し、届いた証明書をカードに書き込みます。"), "", nil, nil)
	var cert *records.Certificate
	id := w.sess.ID
	// Cancelling is safe: the session stays in 発行申請中 and the same
	// request is sent again on retry (the CA answers it with the same
	// certificate).
	w.s.runner.Run("都道府県に発行を申請しています…", true, func(ctx context.Context) error {
		var err error
		cert, err = w.s.desk.Request(ctx, id)
		return err
	}, func(err error) {
		if err != nil {
			w.fail(err, "発行申請ができませんでした。")
			w.primary.SetText("再試行 (Enter)")
			w.primary.Show()
			w.onEnter = w.submit
			return
		}
		w.write(cert)
	})
}

func (w *Wizard) write(cert *records.Certificate) {
	again := func() { w.write(cert) }
	if w.card == nil {
		// Resumed without a connection: the card comes first.
		w.showCard(again)
		w.say("証明書は発行済みです。カードを置くと書き込みます。")
		return
	}
	id, card := w.sess.ID, w.card
	w.s.runner.Run("証明書をカードに書き込んでいます…", false, func(ctx context.Context) error {
		return w.s.desk.Write(ctx, id, card)
	}, func(err error) {
		if err != nil {
			w.showCard(again)
			w.fail(err, "カードに書き込めませんでした。カードを置き直してください。")
			return
		}
		w.showDeliver(cert)
	})
}

// --- 交付 ---

func (w *Wizard) showDeliver(cert *records.Certificate) {
	if w.stopCard != nil {
		w.stopCard()
		w.stopCard = nil
	}
	info := "証明書をカードに書き込み、読み戻して確かめました。"
	if cert != nil {
		info += fmt.Sprintf("\nシリアル番号：%s\n有効期間：%s から %s まで", cert.Serial,
			cert.NotBefore.In(jst).Format("2006年1月2日"), cert.NotAfter.In(jst).Format("2006年1月2日"))
	}
	deliver := func() {
		w.s.runner.Run("交付を記録しています…", false, func(ctx context.Context) error {
			return w.s.desk.Deliver(ctx, w.sess.ID)
		}, func(err error) {
			if err != nil {
				w.fail(err, "交付を記録できませんでした。")
				return
			}
			w.showDone(info + "\n交付を記録しました。")
		})
	}
	w.setStep(stepDeliver, widget.NewLabel(info+"\nカードをお客様にお渡しして Enter を押してください。"), "交付", deliver, nil)
	w.abandon.Hide()
}

// --- 失効申請 ---

func (w *Wizard) showRevoke() {
	if w.target == nil {
		w.fail(errors.New("no target"), "失効させる証明書がありません。")
		return
	}
	reasons := []struct {
		label  string
		reason prefecture.Reason
	}{
		{"本人の申請（カードの紛失・不要など）", prefecture.ReasonResidentRequest},
		{"鍵の危殆化（暗証番号の漏えい・カードの盗難）", prefecture.ReasonKeyCompromise},
	}
	var labels []string
	for _, r := range reasons {
		labels = append(labels, r.label)
	}
	choice := widget.NewRadioGroup(labels, nil)
	choice.SetSelected(labels[0])
	info := widget.NewLabel(fmt.Sprintf("失効させる証明書：シリアル %s（%s まで有効）", w.target.Serial, w.target.NotAfter.In(jst).Format("2006年1月2日")))
	revoke := func() {
		reason := reasons[0].reason
		for _, r := range reasons {
			if r.label == choice.Selected {
				reason = r.reason
			}
		}
		w.s.runner.Run("都道府県に失効を申請しています…", false, func(ctx context.Context) error {
			return w.s.desk.Revoke(ctx, w.sess.ID, reason)
		}, func(err error) {
			if err != nil {
				w.fail(err, "失効申請ができませんでした。")
				return
			}
			w.showDone(fmt.Sprintf("証明書（シリアル %s）を失効させました。", w.target.Serial))
		})
	}
	w.setStep(stepRevoke, container.NewVBox(info, widget.NewLabel("失効の理由"), choice), "失効を申請", revoke, nil)
}

// --- 完了 ---

func (w *Wizard) showDone(text string) {
	w.leave()
	label := widget.NewLabel(text)
	label.Wrapping = fyne.TextWrapWord
	parts := []fyne.CanvasObject{label}
	if w.kind.issues() {
		parts = append(parts, widget.NewButton("交付通知書を印刷", w.printReceipt))
	}
	last := w.names[len(w.names)-1]
	w.setStep(last, container.NewVBox(parts...), "ホームに戻る", w.s.showHome, nil)
	w.steps.Set(len(w.names)) // every step done
	w.abandon.Hide()
	w.say("手続が完了しました。")
}

// --- 中止 ---

func (w *Wizard) confirmAbandon() {
	if w.sess == nil {
		w.leave()
		w.s.showHome()
		return
	}
	var pop *widget.PopUp
	yes := widget.NewButton("中止する", func() {
		pop.Hide()
		w.leave()
		w.s.runner.Run("申請を中止しています…", false, func(ctx context.Context) error {
			return w.s.desk.Abandon(ctx, w.sess.ID, "窓口で中止")
		}, func(err error) {
			if err != nil {
				w.fail(err, "中止できませんでした。監督者に連絡してください。")
				return
			}
			w.s.showHome()
		})
	})
	yes.Importance = widget.DangerImportance
	no := widget.NewButton("続ける", func() { pop.Hide() })
	text := widget.NewLabel("この申請を中止します。発行済みの証明書があれば失効させます。よろしいですか。")
	text.Wrapping = fyne.TextWrapWord
	pop = widget.NewModalPopUp(container.NewPadded(container.NewVBox(text, container.NewHBox(no, yes))), w.s.win.Canvas())
	pop.Resize(fyne.NewSize(560, pop.MinSize().Height))
	pop.Show()
}

func boldLabel(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}
