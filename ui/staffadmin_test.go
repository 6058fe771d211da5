package ui

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"madoguchi/app/audit"
	"madoguchi/app/staff"
)

// A supervisor reaches the staff screen with key 8 and unlocks, resets
// and disables/enables a clerk there; a clerk has no key 8; each action is
// in the audit trail.
func TestStaffAdminScreen(t *testing.T) {
	ctx := context.Background()
	s, w := testShell(t)
	s.noBackground = true

	// A clerk has no staff screen.
	signInAs(t, s, staff.DemoClerk)
	w.Canvas().OnTypedRune()('8')
	if s.Screen() != "home" {
		t.Fatalf("a clerk opened %q with key 8", s.Screen())
	}
	s.showSignIn()

	// Lock the clerk out.
	for i := 0; i < staff.DefaultPolicy.MaxFailures; i++ {
		s.counter.SignIn(ctx, staff.DemoClerk, []byte("wrong-pass"))
	}
	var le *staff.LockedError
	if _, err := s.counter.SignIn(ctx, staff.DemoClerk, []byte(staff.DemoPassword)); !errors.As(err, &le) {
		t.Fatalf("clerk not locked: %v", err)
	}

	signInAs(t, s, staff.DemoSupervisor)
	w.Canvas().OnTypedRune()('8')
	s.runner.Wait()
	if s.Screen() != "staff-admin" {
		t.Fatalf("screen %q after key 8", s.Screen())
	}
	a := s.openStaffAdmin()
	s.runner.Wait()
	row := func(id string) *staffRow {
		r := a.rows[id]
		if r == nil {
			t.Fatalf("no row for %s; screen:\n%s", id, screenText(w))
		}
		return r
	}
	if !strings.Contains(row(staff.DemoClerk).state.Text, "ロック中") || row(staff.DemoClerk).unlock.Disabled() {
		t.Fatalf("locked clerk shown as %q (unlock disabled: %v)", row(staff.DemoClerk).state.Text, row(staff.DemoClerk).unlock.Disabled())
	}
	if !row(staff.DemoSupervisor).toggle.Disabled() || !row(staff.DemoSupervisor).reset.Disabled() {
		t.Error("a supervisor may disable or reset their own account")
	}

	signIn := func(pw string) error {
		d, err := s.counter.SignIn(ctx, staff.DemoClerk, []byte(pw))
		if err == nil {
			d.SignOut(ctx)
		}
		return err
	}
	var tmp string
	steps := []struct {
		name  string
		tap   func(r *staffRow)
		check func() error
	}{
		{"unlock", func(r *staffRow) { test.Tap(r.unlock) }, func() error { return signIn(staff.DemoPassword) }},
		{"reset", func(r *staffRow) { test.Tap(r.reset) }, func() error {
			m := regexp.MustCompile(`仮パスワードは (\S+) です`).FindStringSubmatch(a.status.Text)
			if m == nil {
				return errors.New("no temporary password shown: " + a.status.Text)
			}
			tmp = m[1]
			if err := signIn(staff.DemoPassword); !errors.Is(err, staff.ErrBadCredentials) {
				return errors.New("old password still works")
			}
			if !strings.Contains(row(staff.DemoClerk).state.Text, "要パスワード変更") {
				return errors.New("state after reset: " + row(staff.DemoClerk).state.Text)
			}
			return signIn(tmp)
		}},
		{"disable", func(r *staffRow) { test.Tap(r.toggle) }, func() error {
			if err := signIn(tmp); !errors.Is(err, staff.ErrDisabled) {
				return errors.New("disabled clerk signed in")
			}
			if row(staff.DemoClerk).toggle.Text != "有効にする" {
				return errors.New("toggle reads " + row(staff.DemoClerk).toggle.Text)
			}
			return nil
		}},
		{"enable", func(r *staffRow) { test.Tap(r.toggle) }, func() error { return signIn(tmp) }},
	}
	for _, st := range steps {
		st.tap(row(staff.DemoClerk))
		s.runner.Wait()
		if err := st.check(); err != nil {
			t.Errorf("%s: %v", st.name, err)
		}
	}
	for _, action := range []string{audit.ActionStaffUnlocked, audit.ActionStaffPasswordReset, audit.ActionStaffDisabled, audit.ActionStaffEnabled} {
		es, err := s.desk.Audit(ctx, audit.Filter{Action: action, Subject: staff.DemoClerk})
		if err != nil || len(es) != 1 || es[0].Staff != staff.DemoSupervisor {
			t.Errorf("%s: audit %+v %v", action, es, err)
		}
	}
	w.Canvas().OnTypedKey()(keyEvent("Escape"))
	if s.Screen() != "home" {
		t.Errorf("Esc left the screen at %q", s.Screen())
	}
}

// After a supervisor's reset the staff member signs in with the temporary
// password and must choose their own, within the policy, before home.
func TestTemporaryPasswordMustBeChanged(t *testing.T) {
	ctx := context.Background()
	s, _ := testShell(t)
	s.noBackground = true
	sup, err := s.counter.SignIn(ctx, staff.DemoSupervisor, []byte(staff.DemoPassword))
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := sup.ResetStaffTemporary(ctx, staff.DemoClerk)
	if err != nil {
		t.Fatal(err)
	}
	signInWith := func(pw string) {
		s.showSignIn()
		test.Type(s.signInID, staff.DemoClerk)
		test.Type(s.signInPassword, pw)
		s.signInPassword.OnSubmitted(s.signInPassword.Text)
		s.runner.Wait()
	}
	signInWith(tmp)
	if s.Screen() != "password-change" {
		t.Fatalf("screen %q after signing in with a temporary password", s.Screen())
	}
	// Esc from a focused password field signs out, as the button says.
	p := s.showPasswordChange()
	p.next.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if s.Screen() != "signin" {
		t.Fatalf("Esc in the new-password field: screen %q, want signin", s.Screen())
	}
	signInWith(tmp)
	p = s.showPasswordChange()
	tries := []struct {
		name, next, confirm, want, screen string
	}{
		{"common", "password", "password", "よく使われる", "password-change"},
		{"sequence", "12345678", "12345678", "連続した", "password-change"},
		{"mismatch", "kumo-no-ue-7", "kumo-no-ue-8", "一致しません", "password-change"},
		{"good", "kumo-no-ue-7", "kumo-no-ue-7", "", "home"},
	}
	for _, tt := range tries {
		test.Type(p.current, tmp)
		test.Type(p.next, tt.next)
		test.Type(p.confirm, tt.confirm)
		p.confirm.OnSubmitted(p.confirm.Text)
		s.runner.Wait()
		if s.Screen() != tt.screen || !strings.Contains(p.message.Text, tt.want) {
			t.Fatalf("%s: screen %q, message %q", tt.name, s.Screen(), p.message.Text)
		}
	}
	signInWith("kumo-no-ue-7")
	if s.Screen() != "home" {
		t.Errorf("own password: screen %q (%s)", s.Screen(), s.signInError.Text)
	}
}
