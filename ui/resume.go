package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/records"
	"madoguchi/app/session"
	"madoguchi/app/staff"
)

// showInterrupted lists the sessions left open (a crash, a closed window,
// a card taken away): each can be resumed from its step or abandoned.
func (s *Shell) showInterrupted() {
	var open []*session.Session
	s.runner.Run("中断中の申請を探しています…", false, func(ctx context.Context) error {
		var err error
		open, err = s.desk.Interrupted(ctx)
		return err
	}, func(err error) {
		if err != nil {
			s.showError("中断中の申請を読み込めませんでした", err, s.showHome)
			return
		}
		s.showInterruptedList(open)
	})
}

func (s *Shell) showInterruptedList(open []*session.Session) {
	rows := container.NewVBox()
	for i, sess := range open {
		line := fmt.Sprintf("%s  %s  住民コード %s  %s  状態：%s（次：%s）",
			sess.UpdatedAt.In(s.zone()).Format("01/02 15:04"), sess.Kind, sess.ResidentCode,
			sess.Application.CertificateName(), sess.State.Label(), sess.Next().Label())
		resume := widget.NewButton(fmt.Sprintf("%d 再開", i+1), func() { s.resume(sess) })
		resume.Importance = widget.HighImportance
		abandon := widget.NewButton("中止", func() { s.abandonInterrupted(sess) })
		buttons := container.NewHBox(resume, abandon)
		if held := s.heldElsewhere(sess); held != "" {
			// On a shared office database another counter holds it: say
			// which, and let a supervisor take it over.
			line += "　" + held
			if s.desk.Account().Role == staff.RoleSupervisor {
				buttons.Add(widget.NewButton("引継ぎ", func() { s.takeOver(sess) }))
			}
		}
		rows.Add(container.NewBorder(nil, nil, nil, buttons, NewGlyphText(line))) // the name may hold 𠮷
	}
	if len(open) == 0 {
		rows.Add(widget.NewLabel("中断中の申請はありません。"))
	}
	back := widget.NewButton("ホームに戻る (Esc)", s.showHome)
	s.show("resume", container.NewBorder(boldLabel("中断中の申請"), back, nil, nil, container.NewVScroll(rows)))
	s.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			if top := s.win.Canvas().Overlays().Top(); top != nil {
				top.Hide() // the 中止 dialog first: Esc never abandons
				return
			}
			s.showHome()
		}
	})
	s.win.Canvas().SetOnTypedRune(func(r rune) {
		if i := int(r - '1'); r >= '1' && r <= '9' && i < len(open) {
			s.resume(open[i])
		}
	})
}

// heldElsewhere describes another counter's lease on sess ("" when none
// holds it, or this counter does).
func (s *Shell) heldElsewhere(sess *session.Session) string {
	if sess.LeaseTerminal == "" || sess.LeaseTerminal == s.counter.Terminal() || !s.clock().Before(sess.LeaseUntil) {
		return ""
	}
	return fmt.Sprintf("（端末 %s で処理中、%s まで）", sess.LeaseTerminal, sess.LeaseUntil.In(s.zone()).Format("15:04"))
}

// clock is the shell's time (Shell.now in tests).
func (s *Shell) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// takeOver moves another counter's session to this one after the
// supervisor's confirmation, then resumes it here.
func (s *Shell) takeOver(sess *session.Session) {
	dialog.ShowConfirm("手続の引継ぎ",
		fmt.Sprintf("端末 %s で処理中の手続（%s）をこの端末に引き継ぎます。その端末では続けられなくなります。よろしいですか。", sess.LeaseTerminal, sess.ID),
		func(ok bool) {
			if !ok {
				return
			}
			var taken *session.Session
			s.runner.Run("手続を引き継いでいます…", false, func(ctx context.Context) error {
				var err error
				taken, err = s.desk.TakeOverSession(ctx, sess.ID)
				return err
			}, func(err error) {
				if err != nil {
					s.showError("引き継げませんでした", err, s.showInterrupted)
					return
				}
				s.resume(taken)
			})
		}, s.win)
}

// abandonInterrupted asks for confirmation and a reason (and, for a
// session holding a certificate, the revocation reason) before the 中止.
func (s *Shell) abandonInterrupted(sess *session.Session) {
	s.confirmAbandonSession(sess, s.showInterrupted)
}

// resume opens the wizard at the step the session has reached.
func (s *Shell) resume(sess *session.Session) {
	w := s.newWizard(kindOf(sess.Kind))
	w.sess, w.form = sess, sess.Application
	s.runner.Run("申請を読み込んでいます…", false, func(ctx context.Context) error {
		var err error
		w.resident, err = s.desk.Resident(ctx, sess.ResidentCode)
		if err == nil && w.kind.issues() {
			w.valid, err = s.desk.ValidCertificates(ctx, sess.ResidentCode)
		}
		return err
	}, func(err error) {
		if err != nil {
			s.showError("申請を読み込めませんでした", err, s.showHome)
			return
		}
		w.abandon.Show()
		switch sess.State {
		case session.Received:
			w.showIdentity()
		case session.Identified:
			if w.kind == wizardRevocation {
				w.target = &records.Certificate{Serial: sess.TargetSerial}
				w.showRevoke()
				return
			}
			w.showCard(w.cardInserted)
		case session.CardReady:
			w.showCard(w.cardInserted)
		case session.KeyGenerated, session.Requesting:
			w.submit()
		case session.Issued:
			w.write(nil)
		case session.Written:
			w.showDeliver(nil)
		default:
			s.showHome()
		}
	})
}
