package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app"
	"madoguchi/app/records"
)

// --- カード ---

// showCard shows the card step and calls onReady, on the UI goroutine,
// with w.card connected each time a usable card is put on the reader.
func (w *Wizard) showCard(onReady func()) {
	w.hold = false
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

// watchCard follows the reader and hands each insertion and removal to
// cardEvent (on the UI goroutine). The watcher's first event is the card
// already in the reader when the step opened.
func (w *Wizard) watchCard(onReady func()) {
	if w.stopCard != nil {
		w.stopCard()
	}
	if w.stopTrack != nil {
		w.stopTrack()
		w.stopTrack = nil
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
		first := true
		for ev := range events {
			if ctx.Err() != nil {
				return
			}
			if ev.Err != nil {
				fyne.Do(func() {
					w.setCardState(userMessage(ev.Err, "カードリーダーが使えなくなりました。接続を確かめてください。"), true)
				})
				return
			}
			present, already := ev.Present, first
			first = false
			fyne.Do(func() {
				if ctx.Err() == nil {
					w.cardEvent(present, already)
				}
			})
		}
	}()
}

// cardEvent handles a card put on the reader or taken out. already marks
// the card that was in the reader when the card step opened: it is not
// used for a new session (it may be the previous resident's card left
// after 交付) and, after an error or 取消, it waits for the clerk's Enter
// rather than reopening the resident's screen by itself.
func (w *Wizard) cardEvent(present, already bool) {
	if !present {
		w.cardRemoved()
		return
	}
	if w.stepName != stepCard {
		return
	}
	switch {
	case already && w.freshCard:
		w.setCardState("前の方のカードがリーダーに残っている可能性があります。カードをいったん取り出し、この方のカードを置いてください。", true)
		return
	case already && w.hold:
		w.setCardState("カードはリーダーにあります。続けるときは Enter を押してください。", false)
		return
	}
	w.freshCard, w.hold = false, false
	w.connectCard(w.onCard)
}

// cardRemoved forgets the card. Taken out while the resident's screen is
// up, the screen closes and the clerk is told; the session stays open
// (resumable from 中断中の申請).
func (w *Wizard) cardRemoved() {
	w.freshCard = false
	w.dropCard()
	if w.pinScreen != nil && w.pinScreen.Visible() {
		w.pinScreen.Close()
		w.pinScreen = nil
		w.showCardHeld(w.onCard)
		w.failText("カードが取り出されたため、お客様の暗証番号の入力を中断しました。申請はそのまま保存されています。お客様のカードを置き直すと続けられます。")
		return
	}
	if w.stepName == stepCard {
		w.hold = false
		w.setCardState("カードが置かれていません。", false)
	}
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

// connectCard connects to the card in the reader and checks it for the
// session (app.Desk.CheckCard) before anything is written to it: a
// refused card is left as it is and the reason shown on the clerk's screen.
func (w *Wizard) connectCard(onReady func()) {
	var card *app.Card
	var chk app.CardCheck
	id := ""
	if w.sess != nil {
		id = w.sess.ID
	}
	w.s.runner.Run("カードを確認しています…", false, func(ctx context.Context) error {
		var err error
		if card, err = w.s.desk.ConnectCard(ctx); err != nil {
			return err
		}
		if chk, err = w.s.desk.CheckCard(ctx, id, card); err != nil || chk.Refusal != "" {
			card.Close()
		}
		return err
	}, func(err error) {
		if err != nil {
			w.setCardState(userMessage(err, "カードを読み取れません。置き直してください。"), true)
			return
		}
		if chk.Refusal != "" {
			w.setCardState(chk.Refusal, true)
			w.failText("このカードは使用できません。何も書き込んでいません。")
			return
		}
		w.dropCard()
		w.card = card
		w.setCardState("カードを認識しました："+chk.Kind.Label(), false)
		onReady()
	})
}

// cardPresent connects the card in the reader as if the watcher had just
// seen it inserted; widget tests use it (see Shell.noBackground).
func (w *Wizard) cardPresent() { w.cardEvent(true, false) }

// dropCard forgets the wizard's card connection and closes it off the UI
// goroutine (closing talks to the reader).
func (w *Wizard) dropCard() {
	if c := w.card; c != nil {
		w.card = nil
		w.closing.Add(1)
		go func() {
			defer w.closing.Done()
			c.Close()
		}()
	}
}

// showCardHeld goes back to the card step after an error or 取消 without
// going on by itself: the clerk presses Enter to go on with the card in
// the reader, or puts a card in again.
func (w *Wizard) showCardHeld(onReady func()) {
	w.showCard(onReady)
	w.hold = true
	w.primary.SetText("続ける (Enter)")
	w.primary.Show()
	w.primary.Enable()
	w.onEnter = w.continueCard
	w.setCardState("カードを確かめて、続けるときは Enter を押してください。", false)
}

// continueCard goes on with the card in the reader at the clerk's word.
func (w *Wizard) continueCard() {
	if w.stepName != stepCard {
		return
	}
	w.hold = false
	if w.card != nil {
		w.onCard()
		return
	}
	w.connectCard(w.onCard)
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
			w.showCardHeld(w.onCard)
			w.fail(err, "カードを準備できませんでした。カードを確かめてください。")
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
	}, w.cardRemoved)
}

func (w *Wizard) demoCard(label, failure string, op func() error, then ...func()) {
	w.s.runner.Run(label, false, func(context.Context) error { return op() }, func(err error) {
		if err != nil {
			w.fail(err, failure)
			return
		}
		for _, f := range then {
			f()
		}
	})
}

// --- 暗証番号・鍵生成 ---

func (w *Wizard) askPIN() {
	name := stepPIN
	if w.kind == wizardPINReset {
		name = stepNewPIN
	}
	w.setStep(name, widget.NewLabel("お客様に新しい暗証番号を入力していただいています。\n画面はお客様用の入力画面に切り替わっています。"), "", nil, w.cancelPIN)
	w.pinScreen = ShowResidentPIN(w.s.win.Canvas(), checkPIN, w.pinEntered, w.pinCancelled)
	w.pinScreen.OnKey = w.typedKey
}

// cancelPIN closes the resident's screen from the clerk's side (Esc).
func (w *Wizard) cancelPIN() {
	if w.pinScreen != nil {
		w.pinScreen.Cancel()
	}
}

// pinCancelled takes the clerk back to the card step after 取消 or Esc on
// the resident's screen; nothing reopens until the clerk says so.
func (w *Wizard) pinCancelled() {
	w.pinScreen = nil
	w.showCardHeld(w.onCard)
	w.say("暗証番号の入力を取り消しました。カードはそのままで構いません。続けるときは Enter を押してください。")
}

func (w *Wizard) pinEntered(pin []byte) {
	w.pinScreen = nil
	confirm := append([]byte(nil), pin...)
	label, step, next := "カードの中で鍵ペアを生成しています…", w.s.desk.GenerateKey, w.submit
	if w.kind == wizardPINReset {
		label, step = "暗証番号を初期化しています…", w.s.desk.ResetPIN
		next = func() {
			w.showDone("", "暗証番号を初期化しました。カードをリーダーから取り出して、お客様にお返しください。")
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

// cardStepFailed shows a card step's error on the clerk's screen and goes
// back to the card step, where the clerk puts the card back or presses
// Enter to try again; the resident's screen never reopens by itself.
func (w *Wizard) cardStepFailed(err error) {
	w.showCardHeld(w.onCard)
	w.fail(err, "カードの処理に失敗しました。カードを確かめてください。")
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
			w.showCardHeld(again)
			w.fail(err, "カードに書き込めませんでした。カードを確かめてください。")
			return
		}
		w.showDeliver(cert)
	})
}
