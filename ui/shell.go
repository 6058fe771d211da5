package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// WindowTitle is the main window's title.
const WindowTitle = "公的個人認証 窓口"

// Role is what a signed-in staff member may do.
type Role int

// Staff roles.
const (
	RoleClerk      Role = iota + 1 // 窓口担当者
	RoleSupervisor                 // 監督者
)

// StaffMember is the signed-in member of staff as the screens see them.
type StaffMember struct {
	ID   string
	Name string
	Role Role
}

// Authenticator checks a staff ID and password.
type Authenticator interface {
	SignIn(ctx context.Context, id, password string) (StaffMember, error)
}

// Shell is the main window's frame: the sign-in screen, then the home
// screen and the areas it leads to.
type Shell struct {
	win   fyne.Window
	auth  Authenticator
	staff StaffMember

	// Exposed to tests in this package.
	signInID, signInPassword *widget.Entry
	signInError              *widget.Label
	current                  string // name of the screen on show
}

// NewShell puts the sign-in screen into win.
func NewShell(win fyne.Window, auth Authenticator) *Shell {
	s := &Shell{win: win, auth: auth}
	s.showSignIn()
	return s
}

// Screen is the name of the screen on show ("signin", "home", …).
func (s *Shell) Screen() string { return s.current }

func (s *Shell) show(name string, content fyne.CanvasObject) {
	s.current = name
	s.win.SetContent(content)
}

func (s *Shell) showSignIn() {
	s.staff = StaffMember{}
	s.signInID = widget.NewEntry()
	s.signInID.SetPlaceHolder("職員ID")
	s.signInPassword = widget.NewPasswordEntry()
	s.signInPassword.SetPlaceHolder("パスワード")
	s.signInError = widget.NewLabel("")
	s.signInError.Importance = widget.DangerImportance
	submit := func() { s.trySignIn() }
	s.signInID.OnSubmitted = func(string) { s.win.Canvas().Focus(s.signInPassword) }
	s.signInPassword.OnSubmitted = func(string) { submit() }
	button := widget.NewButton("サインイン", submit)
	button.Importance = widget.HighImportance

	form := container.NewVBox(
		widget.NewLabelWithStyle(WindowTitle, fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		widget.NewLabel("職員IDとパスワードを入力してください。"),
		s.signInID, s.signInPassword, button, s.signInError,
	)
	s.show("signin", container.NewCenter(container.NewGridWrap(fyne.NewSize(420, 330), form)))
	s.win.Canvas().Focus(s.signInID)
}

func (s *Shell) trySignIn() {
	staff, err := s.auth.SignIn(context.Background(), s.signInID.Text, s.signInPassword.Text)
	s.signInPassword.SetText("")
	if err != nil {
		s.signInError.SetText(userMessage(err, "サインインできませんでした。"))
		return
	}
	s.staff = staff
	s.showHome()
}

// homeAction is one entry of the home screen.
type homeAction struct {
	label, screen string
	supervisor    bool
}

var homeActions = []homeAction{
	{"新規発行", "issue-new", false},
	{"更新", "issue-renewal", false},
	{"失効申請", "revoke", false},
	{"暗証番号初期化", "pin-reset", false},
	{"中断中の申請", "resume", false},
	{"交付記録", "records", true},
}

func (s *Shell) showHome() {
	var buttons []fyne.CanvasObject
	for _, a := range homeActions {
		if a.supervisor && s.staff.Role != RoleSupervisor {
			continue
		}
		buttons = append(buttons, widget.NewButton(a.label, func() { s.showArea(a) }))
	}
	header := widget.NewLabel(s.staff.Name + "（" + s.staff.ID + "）でサインイン中")
	signOut := widget.NewButton("サインアウト", s.showSignIn)
	s.show("home", container.NewBorder(
		container.NewHBox(header, signOut), nil, nil, nil,
		container.NewCenter(container.NewGridWrap(fyne.NewSize(260, 64), buttons...)),
	))
}

// showArea opens one of the home screen's areas. The areas are filled by
// the wizard and records screens; until then each says so.
func (s *Shell) showArea(a homeAction) {
	back := widget.NewButton("ホームに戻る", s.showHome)
	s.show(a.screen, container.NewBorder(
		widget.NewLabelWithStyle(a.label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		back, nil, nil,
		widget.NewLabel("この画面は準備中です。"),
	))
}

// userMessage returns the Japanese message an error carries, or fallback.
func userMessage(err error, fallback string) string {
	var um interface{ UserMessage() string }
	if errors.As(err, &um) {
		return um.UserMessage()
	}
	return fallback
}
