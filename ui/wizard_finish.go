package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/records"
)

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
