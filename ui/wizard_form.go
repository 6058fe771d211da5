package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/session"
	"madoguchi/forms"
)

// --- 住民検索 ---

func (w *Wizard) showSearch() {
	// Coming back from the form keeps what was typed and found.
	if w.search == nil {
		w.search = newSearchScreen(w.s.runner, w.s.desk.Search, w.selectResident, !w.s.noBackground)
	}
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
	family, given := newKeyEntry(""), newKeyEntry("")
	familyKana, givenKana := newKeyEntry(""), newKeyEntry("")
	birth, address := newKeyEntry(""), newKeyEntry("")
	// Names and the address may hold characters only the MJ font draws.
	familyF := newGlyphField(family, family.SetText, func() string { return family.Text }, f.FamilyName)
	givenF := newGlyphField(given, given.SetText, func() string { return given.Text }, f.GivenName)
	familyKana.SetText(f.FamilyKana)
	givenKana.SetText(f.GivenKana)
	birth.SetText(f.Birth.Wareki())
	addressF := newGlyphField(address, address.SetText, func() string { return address.Text }, f.Address)
	sex := widget.NewRadioGroup([]string{forms.SexMale.String(), forms.SexFemale.String(), forms.SexUnknown.String()}, nil)
	sex.Horizontal = true
	sex.SetSelected(f.Sex.String())
	// A click leaves the focus on the radio, which ignores Enter: give the
	// keys back to the step (Enter submits, Esc goes back).
	sex.OnChanged = func(string) { w.s.win.Canvas().Unfocus() }

	var panel *SubstitutePanel
	panelBox := container.NewStack()
	// 証明書に記録される内容 stays below the scroll, always in view: at
	// the end of the scroll, the address line could fall outside what
	// the scroll measured and never be reached.
	previewBox := container.NewStack()
	// The panel grows and shrinks as the clerk chooses (an error line, a
	// wrapped preview): the scroll must measure it again, or its last
	// lines (the address to be recorded) fall outside what it can scroll.
	var content *container.Scroll
	var step *fyne.Container // the scroll with the preview below it
	refit := func() {
		if step != nil {
			step.Refresh() // lays out again, the scroll measuring anew
		}
	}
	rebuildPanel := func() {
		if !w.kind.issues() {
			return
		}
		panel = NewSubstitutePanel(f, func() {
			// A candidate clicked leaves no field with the focus, so Enter
			// submits; an earlier error no longer applies.
			w.s.win.Canvas().Unfocus()
			w.say("内容を確かめて Enter を押してください。")
			refit()
		})
		panel.onResize = refit
		w.subst = panel
		panelBox.Objects = []fyne.CanvasObject{panel.Choices()}
		panelBox.Refresh()
		previewBox.Objects = []fyne.CanvasObject{panel.Preview()}
		previewBox.Refresh()
		refit()
	}
	// Reading the entries back into the form: names and address changes
	// reset the substitutes that no longer stand on the same character.
	read := func() error {
		nameBefore, addrBefore := f.CertificateName(), f.CertificateAddress()
		f.FamilyName, f.GivenName = strings.TrimSpace(familyF.Text()), strings.TrimSpace(givenF.Text())
		f.FamilyKana, f.GivenKana = strings.TrimSpace(familyKana.Text), strings.TrimSpace(givenKana.Text)
		f.Address = strings.TrimSpace(addressF.Text())
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
	for _, e := range []*keyEntry{family, given, familyKana, givenKana, birth, address} {
		e.OnSubmitted = func(string) { w.onEnter() }
		e.OnChanged = func(string) {
			if read() == nil {
				rebuildPanel()
			}
		}
	}
	rebuildPanel()

	items := widget.NewForm(
		widget.NewFormItem("氏", familyF.Object()), widget.NewFormItem("名", givenF.Object()),
		widget.NewFormItem("ふりがな（氏）", familyKana), widget.NewFormItem("ふりがな（名）", givenKana),
		widget.NewFormItem("生年月日", birth), widget.NewFormItem("性別", sex),
		widget.NewFormItem("住所", addressF.Object()),
		widget.NewFormItem("申請日", widget.NewLabel(f.AppliedOn.Wareki())),
	)
	// Not wrapped (it fits 1024 pixels): a wrapped label inside the scroll
	// is measured too late, and the scroll stops short of its end.
	note := widget.NewLabel("住民票から記入しました。申請書と照らし合わせ、違う箇所があれば直してください。")
	printForm := widget.NewButton("申請書を印刷", func() {
		if read() == nil {
			w.printApplication()
		}
	})
	content = container.NewVScroll(container.NewVBox(
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
	step = container.NewBorder(nil, previewBox, nil, nil, content)
	w.setStep(stepForm, step, "申請受付", submit, back)
	if w.sess != nil {
		w.back.Disable()
	}
	w.abandon.Show()
	w.say("内容を確かめて Enter を押してください。")
}
