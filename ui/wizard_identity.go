package ui

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/registry"
	"madoguchi/app/session"
)

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
			// GlyphText: the values may hold characters only the MJ font has.
			f := NewGlyphText(d.form)
			f.Color = theme.Color(theme.ColorNameError)
			grid.Add(f)
			grid.Add(NewGlyphText(d.registry))
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
				c.Serial, c.NotAfter.In(w.s.zone()).Format("2006年1月2日")))
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
