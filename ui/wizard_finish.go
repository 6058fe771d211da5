package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/records"
	"madoguchi/app/session"
)

// --- 交付 ---

func (w *Wizard) showDeliver(cert *records.Certificate) {
	if w.stopCard != nil {
		w.stopCard()
		w.stopCard = nil
	}
	// The name may hold characters only the MJ font has: its own line,
	// drawn by GlyphText (a plain label would make Fyne load a whole
	// fallback font for it).
	nameLine := fmt.Sprintf("%s 様の証明書をカードに書き込み、読み戻して確かめました。", w.resident.Name())
	info := ""
	serial := ""
	if cert != nil {
		serial = cert.Serial
		info += fmt.Sprintf("シリアル番号：%s\n有効期間：%s から %s まで", cert.Serial,
			cert.NotBefore.In(w.s.zone()).Format("2006年1月2日"), cert.NotAfter.In(w.s.zone()).Format("2006年1月2日"))
	}
	var old []string
	for _, c := range w.valid {
		if c.Serial != serial {
			old = append(old, c.Serial)
		}
	}
	deliver := func() {
		w.s.runner.Run("交付を記録しています…", false, func(ctx context.Context) error {
			return w.s.desk.Deliver(ctx, w.sess.ID)
		}, func(err error) {
			if err != nil {
				w.fail(err, "交付を記録できませんでした。")
				return
			}
			done := info + "\n交付を記録しました。"
			for _, o := range old {
				done += fmt.Sprintf("\nこれまでの証明書（シリアル %s）は失効させました。", o)
			}
			if len(old) == 0 {
				done += "\nこれまでに有効な署名用電子証明書はありませんでした（失効させたものはありません）。"
			}
			done += "\n\nカードをカードリーダーから取り出して、お客様にお渡しください。次のお客様の手続は、カードを取り出してから始めてください。"
			w.showDone(nameLine, done)
		})
	}
	w.setStep(stepDeliver, container.NewVBox(NewGlyphText(nameLine),
		widget.NewLabel(info+"\nカードをお客様にお渡しして Enter を押してください。")), "交付", deliver, nil)
	w.abandon.Hide()
}

// --- 完了 ---

// showDone ends the wizard with what was done: head, a line that may hold
// a resident's name (drawn by GlyphText; may be empty), then text.
func (w *Wizard) showDone(head, text string) {
	w.leave()
	label := widget.NewLabel(strings.TrimPrefix(text, "\n"))
	label.Wrapping = fyne.TextWrapWord
	var parts []fyne.CanvasObject
	if head != "" {
		parts = append(parts, NewGlyphText(head))
	}
	parts = append(parts, label)
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
	// The session as stored now: a certificate may have been issued since
	// the wizard last read it.
	var sess *session.Session
	w.s.runner.Run("申請を読み込んでいます…", false, func(ctx context.Context) error {
		var err error
		sess, err = w.s.desk.Session(ctx, w.sess.ID)
		return err
	}, func(err error) {
		if err != nil {
			w.fail(err, "申請を読み込めませんでした。")
			return
		}
		w.abandonDlg = w.s.confirmAbandonSession(sess, func() {
			w.leave()
			w.s.showHome()
		})
	})
}
