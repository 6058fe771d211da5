package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app"
	"madoguchi/app/staff"
)

// WindowTitle is the main window's title.
const WindowTitle = "公的個人認証 窓口"

// Shell is the main window's frame: the sign-in screen, then the home
// screen and the areas it leads to. It holds the signed-in Desk.
type Shell struct {
	win     fyne.Window
	counter *app.Counter
	desk    *app.Desk
	runner  *Runner

	// Exposed to tests in this package.
	signInID, signInPassword *keyEntry
	signInError              *widget.Label
	current                  string // name of the screen on show
	wizard                   *Wizard
	home                     *homeStatus // the home screen's date, reader and counts
	// noBackground stops the screens from starting work on their own
	// (watching the reader, searching as the clerk types): widget tests,
	// which have no UI goroutine of their own, trigger it from the test
	// instead (Wizard.cardPresent, SearchScreen.Submit).
	noBackground bool
	// now replaces the clock where a screen compares with it (tests).
	now func() time.Time
}

// NewShell puts the sign-in screen into win.
func NewShell(win fyne.Window, counter *app.Counter) *Shell {
	s := &Shell{win: win, counter: counter, runner: NewRunner(win)}
	s.showSignIn()
	return s
}

// FocusFirst puts the keyboard focus where the screen on show starts; the
// application calls it once the window is up.
func (s *Shell) FocusFirst() {
	if s.current == "signin" {
		s.win.Canvas().Focus(s.signInID)
	}
}

// Screen is the name of the screen on show ("signin", "home", …).
func (s *Shell) Screen() string { return s.current }

// Runner is the shell's runner for long operations.
func (s *Shell) Runner() *Runner { return s.runner }

func (s *Shell) show(name string, content fyne.CanvasObject) {
	s.current = name
	s.win.Canvas().SetOnTypedKey(nil)
	s.win.Canvas().SetOnTypedRune(nil)
	s.win.SetContent(content)
}

// showError shows err's Japanese message in a dialog-like overlay and
// calls then (may be nil) when the clerk dismisses it.
func (s *Shell) showError(title string, err error, then func()) {
	s.showMessage(title, userMessage(err, "予期しないエラーが起きました。監督者に連絡してください。"), then)
}

// showNotice shows an informational message with an OK button.
func (s *Shell) showNotice(title, msg string) { s.showMessage(title, msg, nil) }

// showMessage shows title and msg over the window with an OK button that
// has the focus; then (may be nil) runs when it is pressed.
func (s *Shell) showMessage(title, msg string, then func()) {
	label := widget.NewLabel(msg)
	label.Wrapping = fyne.TextWrapWord
	var pop *widget.PopUp
	// While the pop-up is up, Enter and Esc close it whatever has the
	// focus; the screen's own keys come back with it closed.
	canvas := s.win.Canvas()
	screenKeys, screenRunes := canvas.OnTypedKey(), canvas.OnTypedRune()
	closed := false
	ok := newKeyButton("OK", true, func() {
		if closed {
			return
		}
		closed = true
		pop.Hide()
		canvas.SetOnTypedKey(screenKeys)
		canvas.SetOnTypedRune(screenRunes)
		if then != nil {
			then()
		}
	})
	ok.Importance = widget.HighImportance
	canvas.SetOnTypedKey(func(k *fyne.KeyEvent) { ok.TypedKey(k) })
	canvas.SetOnTypedRune(func(rune) {})
	pop = widget.NewModalPopUp(container.NewPadded(container.NewVBox(
		widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), label, ok)), s.win.Canvas())
	pop.Resize(fyne.NewSize(720, pop.MinSize().Height))
	pop.Show()
	s.win.Canvas().Focus(ok)
}

func (s *Shell) showSignIn() {
	if s.desk != nil {
		desk := s.desk
		s.desk = nil
		go desk.SignOut(context.Background())
	}
	s.signInID = newKeyEntry("職員ID")
	s.signInPassword = newKeyPasswordEntry("パスワード")
	s.signInError = widget.NewLabel("")
	s.signInError.Importance = widget.DangerImportance
	s.signInError.Wrapping = fyne.TextWrapWord
	s.signInID.OnSubmitted = func(string) { s.win.Canvas().Focus(s.signInPassword) }
	s.signInPassword.OnSubmitted = func(string) { s.trySignIn() }
	button := widget.NewButton("サインイン", s.trySignIn)
	button.Importance = widget.HighImportance

	hint := widget.NewLabel("職員IDとパスワードを入力してください。")
	if s.counter.Config().Demo {
		hint.SetText("デモ環境です。職員ID clerk01（窓口担当者）または super01（監督者）、パスワード madoguchi-demo でサインインできます。")
	}
	hint.Wrapping = fyne.TextWrapWord
	form := container.NewVBox(
		widget.NewLabelWithStyle(WindowTitle, fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		hint, s.signInID, s.signInPassword, button, s.signInError,
	)
	s.show("signin", container.NewCenter(container.NewGridWrap(fyne.NewSize(560, 400), form)))
	s.win.Canvas().Focus(s.signInID)
}

func (s *Shell) trySignIn() {
	id, password := s.signInID.Text, []byte(s.signInPassword.Text)
	s.signInPassword.SetText("")
	var desk *app.Desk
	s.runner.Run("サインインしています…", false, func(ctx context.Context) error {
		defer wipe(password)
		var err error
		desk, err = s.counter.SignIn(ctx, id, password)
		return err
	}, func(err error) {
		if err != nil {
			s.signInError.SetText(userMessage(err, "サインインできませんでした。"))
			s.win.Canvas().Focus(s.signInPassword)
			return
		}
		s.desk = desk
		if desk.Account().MustChangePassword {
			s.showPasswordChange() // a supervisor's temporary password
			return
		}
		s.showHome()
	})
}

// homeAction is one entry of the home screen; key is its shortcut.
type homeAction struct {
	key        fyne.KeyName
	label      string
	supervisor bool
	open       func()
}

func (s *Shell) homeActions() []homeAction {
	return []homeAction{
		{fyne.Key1, "新規発行", false, func() { s.startWizard(wizardNew) }},
		{fyne.Key2, "更新", false, func() { s.startWizard(wizardRenewal) }},
		{fyne.Key3, "失効申請", false, func() { s.startWizard(wizardRevocation) }},
		{fyne.Key4, "暗証番号初期化", false, func() { s.startWizard(wizardPINReset) }},
		{fyne.Key5, "中断中の申請", false, s.showInterrupted},
		{fyne.Key6, "交付記録", true, s.showRecords},
		{fyne.Key7, "住民データ取込", true, s.showRegistryImport},
		{fyne.Key8, "職員管理", true, s.showStaffAdmin},
		{fyne.Key9, "異動通知", true, s.showNotices},
	}
}

func (s *Shell) showHome() {
	acct := s.desk.Account()
	var buttons []fyne.CanvasObject
	var actions []homeAction
	for _, a := range s.homeActions() {
		if a.supervisor && acct.Role != staff.RoleSupervisor {
			continue
		}
		actions = append(actions, a)
		buttons = append(buttons, widget.NewButton(string(a.key)+"  "+a.label, a.open))
	}
	header := widget.NewLabel(acct.DisplayName + "（" + acct.ID + "・" + acct.Role.Label() + "）でサインイン中")
	signOut := widget.NewButton("サインアウト", s.showSignIn)
	hint := widget.NewLabel("数字キーでも選べます。")
	s.home = s.newHomeStatus()
	s.show("home", container.NewBorder(
		container.NewVBox(container.NewHBox(header, signOut), s.home.box), hint, nil, nil,
		container.NewCenter(homeGrid(buttons)),
	))
	// The shortcut acts on the typed rune, which comes after the key event:
	// acting on the key would let the digit land in the next screen's entry.
	s.win.Canvas().SetOnTypedRune(func(r rune) {
		for _, a := range actions {
			if string(a.key) == string(r) {
				a.open()
				return
			}
		}
	})
}

// printDir is where printed documents (PDF) are saved: the demo's data
// folder, or <user documents>/madoguchi.
func (s *Shell) printDir() (string, error) {
	dir := s.counter.Config().DataDir
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, "Documents")
	}
	dir = filepath.Join(dir, "madoguchi-prints")
	return dir, os.MkdirAll(dir, 0o700)
}

// userMessage returns the Japanese message an error carries, or fallback.
func userMessage(err error, fallback string) string {
	var um interface{ UserMessage() string }
	if errors.As(err, &um) {
		return um.UserMessage()
	}
	return fallback
}
