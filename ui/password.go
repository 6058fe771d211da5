package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// passwordChange is the screen a staff member meets after signing in with
// a temporary password from a supervisor's reset: home opens only once
// they have chosen their own. Esc signs out.
type passwordChange struct {
	s                      *Shell
	current, next, confirm *keyEntry
	message                *widget.Label
}

func (s *Shell) showPasswordChange() *passwordChange {
	p := &passwordChange{s: s}
	p.current = newKeyPasswordEntry("仮パスワード")
	p.next = newKeyPasswordEntry("新しいパスワード（8文字以上）")
	p.confirm = newKeyPasswordEntry("新しいパスワード（確認）")
	for _, e := range []*keyEntry{p.current, p.next, p.confirm} {
		e.onEscape = s.showSignIn // Esc signs out from any field, as from the screen
	}
	p.current.OnSubmitted = func(string) { s.win.Canvas().Focus(p.next) }
	p.next.OnSubmitted = func(string) { s.win.Canvas().Focus(p.confirm) }
	p.confirm.OnSubmitted = func(string) { p.submit() }
	p.message = widget.NewLabel("")
	p.message.Importance = widget.DangerImportance
	p.message.Wrapping = fyne.TextWrapWord
	hint := widget.NewLabel("監督者が発行した仮パスワードでサインインしました。自分のパスワードを決めてください。よく使われるもの、連続した文字、同じ文字の繰り返し、職員IDと同じものは使えません。")
	hint.Wrapping = fyne.TextWrapWord
	change := widget.NewButton("変更", p.submit)
	change.Importance = widget.HighImportance
	signOut := widget.NewButton("サインアウト (Esc)", s.showSignIn)
	form := container.NewVBox(boldLabel("パスワードの変更"), hint, p.current, p.next, p.confirm,
		container.NewHBox(change, signOut), p.message)
	s.show("password-change", container.NewCenter(container.NewGridWrap(fyne.NewSize(640, 480), form)))
	s.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			s.showSignIn()
		}
	})
	s.win.Canvas().Focus(p.current)
	return p
}

func (p *passwordChange) submit() {
	current, next := []byte(p.current.Text), []byte(p.next.Text)
	same := p.next.Text == p.confirm.Text
	p.current.SetText("")
	p.next.SetText("")
	p.confirm.SetText("")
	if !same {
		wipe(current)
		wipe(next)
		p.message.SetText("新しいパスワードと確認の入力が一致しません。")
		p.s.win.Canvas().Focus(p.current)
		return
	}
	p.s.runner.Run("パスワードを変更しています…", false, func(ctx context.Context) error {
		defer wipe(current)
		defer wipe(next)
		return p.s.desk.ChangePassword(ctx, current, next)
	}, func(err error) {
		if err != nil {
			p.message.SetText(userMessage(err, "パスワードを変更できませんでした。"))
			p.s.win.Canvas().Focus(p.current)
			return
		}
		p.s.showHome()
		p.s.showNotice("パスワードの変更", "パスワードを変更しました。")
	})
}
