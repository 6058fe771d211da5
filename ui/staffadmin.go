package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/staff"
)

// staffAdmin is the supervisor's screen of staff accounts: each account's
// state (有効・無効・ロック中・要パスワード変更) with ロック解除, 仮パスワード発行
// and 無効にする/有効にする. Every action goes through the Desk, which checks
// the role and records it in the audit trail.
type staffAdmin struct {
	s      *Shell
	list   *fyne.Container
	status *widget.Label
	rows   map[string]*staffRow // by staff ID, for tests
}

// staffRow is one account's line.
type staffRow struct {
	acct   staff.Account
	state  *widget.Label
	unlock *widget.Button
	reset  *widget.Button
	toggle *widget.Button
}

func (s *Shell) showStaffAdmin() { s.openStaffAdmin() }

// openStaffAdmin shows the screen and loads the accounts.
func (s *Shell) openStaffAdmin() *staffAdmin {
	a := &staffAdmin{s: s, list: container.NewVBox(), rows: map[string]*staffRow{}}
	a.status = widget.NewLabel("ロックされたアカウントの解除、仮パスワードの発行、アカウントの無効化・有効化ができます。操作はすべて監査ログに記録されます。")
	a.status.Wrapping = fyne.TextWrapWord
	back := widget.NewButton("ホームに戻る (Esc)", s.showHome)
	s.show("staff-admin", container.NewBorder(
		container.NewVBox(boldLabel("職員アカウント管理"), a.status), back, nil, nil,
		container.NewVScroll(a.list)))
	s.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			s.showHome()
		}
	})
	a.reload()
	return a
}

// reload reads the accounts and rebuilds the list.
func (a *staffAdmin) reload() {
	var accts []staff.Account
	a.s.runner.Run("職員アカウントを読み込んでいます…", false, func(ctx context.Context) error {
		var err error
		accts, err = a.s.desk.StaffList(ctx)
		return err
	}, func(err error) {
		if err != nil {
			a.status.SetText(userMessage(err, "職員アカウントを読み込めませんでした。"))
			return
		}
		a.list.RemoveAll()
		a.rows = map[string]*staffRow{}
		for _, acct := range accts {
			a.list.Add(a.row(acct))
		}
		a.list.Refresh()
	})
}

// stateText is an account's state in Japanese.
func stateText(acct staff.Account, now time.Time) string {
	state := "有効"
	if acct.Disabled {
		state = "無効"
	}
	if now.Before(acct.LockedUntil) {
		state += "・ロック中（" + acct.LockedUntil.In(time.Local).Format("15:04") + "まで）"
	}
	if acct.MustChangePassword {
		state += "・要パスワード変更"
	}
	return state
}

// row builds one account's line.
func (a *staffAdmin) row(acct staff.Account) fyne.CanvasObject {
	r := &staffRow{acct: acct, state: widget.NewLabel(stateText(acct, time.Now()))}
	self := acct.ID == a.s.desk.Account().ID
	r.unlock = widget.NewButton("ロック解除", func() {
		a.act("ロックを解除しています…", func(ctx context.Context) (string, error) {
			return fmt.Sprintf("%s（%s）のロックを解除しました。", acct.DisplayName, acct.ID), a.s.desk.UnlockStaff(ctx, acct.ID)
		})
	})
	if !time.Now().Before(acct.LockedUntil) {
		r.unlock.Disable()
	}
	r.reset = widget.NewButton("仮パスワード発行", func() {
		a.act("仮パスワードを発行しています…", func(ctx context.Context) (string, error) {
			tmp, err := a.s.desk.ResetStaffTemporary(ctx, acct.ID)
			return fmt.Sprintf("%s（%s）の仮パスワードは %s です。本人に伝えてください。次回のサインインの後、本人がパスワードを変更します（ロックも解除しました）。",
				acct.DisplayName, acct.ID, tmp), err
		})
	})
	label, disable := "無効にする", true
	if acct.Disabled {
		label, disable = "有効にする", false
	}
	r.toggle = widget.NewButton(label, func() {
		a.act("アカウントを変更しています…", func(ctx context.Context) (string, error) {
			done := "無効にしました。この職員はサインインできません。"
			if !disable {
				done = "有効にしました。"
			}
			return fmt.Sprintf("%s（%s）を%s", acct.DisplayName, acct.ID, done), a.s.desk.SetStaffDisabled(ctx, acct.ID, disable)
		})
	})
	if self {
		// A supervisor who disables or resets themself may leave nobody
		// able to sign in as supervisor.
		r.toggle.Disable()
		r.reset.Disable()
	}
	a.rows[acct.ID] = r
	name := widget.NewLabel(acct.ID + "　" + acct.DisplayName + "（" + acct.Role.Label() + "）")
	return container.NewBorder(nil, nil, name, container.NewHBox(r.unlock, r.reset, r.toggle), r.state)
}

// act runs one account action, shows its outcome and reloads the list.
func (a *staffAdmin) act(label string, op func(ctx context.Context) (string, error)) {
	var msg string
	a.s.runner.Run(label, false, func(ctx context.Context) error {
		var err error
		msg, err = op(ctx)
		return err
	}, func(err error) {
		if err != nil {
			a.status.SetText(userMessage(err, "操作できませんでした。"))
			return
		}
		a.status.SetText(msg)
		a.reload()
	})
}
