package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/prefecture"
	"madoguchi/app/session"
)

// mayHoldCertificate reports whether a certificate may have been issued to
// the session, so that its 中止 revokes one.
func mayHoldCertificate(s *session.Session) bool {
	return s.CertSerial != "" || s.State == session.Requesting
}

// abandonDialog asks the clerk to confirm the 中止 of sess with a reason
// and, where a certificate was issued to it, the revocation reason. It is
// the only way the screens abandon a session; Esc and 続ける close it and
// change nothing.
type abandonDialog struct {
	pop     *widget.PopUp
	note    *escEntry
	reasons *widget.RadioGroup // nil when no certificate is concerned
	yes, no *widget.Button
	problem *widget.Label
}

// revocationChoices are the reasons a clerk may give the CA, in order.
var revocationChoices = []prefecture.Reason{prefecture.ReasonResidentRequest, prefecture.ReasonKeyCompromise}

// confirmAbandonSession opens the 中止 dialog for sess; done runs after the
// session was abandoned (on the UI goroutine).
func (s *Shell) confirmAbandonSession(sess *session.Session, done func()) *abandonDialog {
	d := &abandonDialog{}
	issued := mayHoldCertificate(sess)
	text := "この申請（" + sess.Kind.String() + "、状態：" + sess.State.Label() + "）を中止します。"
	if issued {
		text += "\nこの申請で発行した署名用電子証明書"
		if sess.CertSerial != "" {
			text += "（シリアル " + sess.CertSerial + "）"
		}
		text += "を失効させます。取り消せません。失効の理由を選んでください。"
	}
	head := widget.NewLabel(text)
	head.Wrapping = fyne.TextWrapWord
	d.note = newEscEntry(func() { d.pop.Hide() })
	d.note.SetPlaceHolder("中止の理由（例：お客様の申出により中止）")
	d.problem = widget.NewLabel("")
	d.problem.Importance = widget.DangerImportance
	parts := []fyne.CanvasObject{head, widget.NewForm(widget.NewFormItem("中止の理由", d.note))}
	if issued {
		var labels []string
		for _, r := range revocationChoices {
			labels = append(labels, r.Japanese())
		}
		d.reasons = widget.NewRadioGroup(labels, nil)
		parts = append(parts, widget.NewLabel("失効の理由"), d.reasons)
	}
	d.no = widget.NewButton("続ける（中止しない） (Esc)", func() { d.pop.Hide() })
	d.yes = widget.NewButton("中止する", func() {
		note := strings.TrimSpace(d.note.Text)
		if note == "" {
			d.problem.SetText("中止の理由を入力してください。")
			return
		}
		reason := prefecture.Reason(0)
		if d.reasons != nil {
			for i, l := range d.reasons.Options {
				if l == d.reasons.Selected {
					reason = revocationChoices[i]
				}
			}
			if reason == 0 {
				d.problem.SetText("失効の理由を選んでください。")
				return
			}
		} else {
			reason = prefecture.ReasonResidentRequest // nothing to revoke: not sent
		}
		d.pop.Hide()
		s.runner.Run("申請を中止しています…", false, func(ctx context.Context) error {
			return s.desk.AbandonIssued(ctx, sess.ID, note, reason)
		}, func(err error) {
			if err != nil {
				s.showError("中止できませんでした", err, nil)
				return
			}
			done()
		})
	})
	d.yes.Importance = widget.DangerImportance
	parts = append(parts, d.problem, container.NewHBox(d.no, d.yes))
	d.pop = widget.NewModalPopUp(container.NewPadded(container.NewVBox(parts...)), s.win.Canvas())
	d.pop.Resize(fyne.NewSize(640, d.pop.MinSize().Height))
	d.note.OnSubmitted = func(string) { d.yes.OnTapped() }
	d.pop.Show()
	s.win.Canvas().Focus(d.note)
	return d
}

// escEntry is an entry on which Esc runs onEsc (a focused entry keeps
// the key from the window otherwise).
type escEntry struct {
	widget.Entry
	onEsc func()
}

func newEscEntry(onEsc func()) *escEntry {
	e := &escEntry{onEsc: onEsc}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey runs onEsc on Esc and passes other keys to the entry.
func (e *escEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		e.onEsc()
		return
	}
	e.Entry.TypedKey(k)
}
