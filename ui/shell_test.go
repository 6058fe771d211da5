package ui

import (
	"context"
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

type fakeAuth map[string]StaffMember

func (f fakeAuth) SignIn(_ context.Context, id, password string) (StaffMember, error) {
	if m, ok := f[id]; ok && password == "pw" {
		return m, nil
	}
	return StaffMember{}, errors.New("bad credentials")
}

var staff = fakeAuth{
	"clerk01": {ID: "clerk01", Name: "窓口一郎", Role: RoleClerk},
	"super01": {ID: "super01", Name: "監督花子", Role: RoleSupervisor},
}

func newShell(t *testing.T) (*Shell, fyne.Window) {
	t.Helper()
	a := test.NewApp()
	t.Cleanup(a.Quit)
	w := test.NewWindow(nil)
	return NewShell(w, staff), w
}

func signIn(t *testing.T, s *Shell, w fyne.Window, id, pw string) {
	t.Helper()
	test.Type(s.signInID, id)
	test.Type(s.signInPassword, pw)
	s.signInPassword.OnSubmitted(s.signInPassword.Text)
}

// buttons returns the labels of all buttons on the window.
func buttons(w fyne.Window) map[string]*widget.Button {
	found := map[string]*widget.Button{}
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Button:
			found[v.Text] = v
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		}
	}
	walk(w.Content())
	return found
}

func TestSignInRejectsWrongPassword(t *testing.T) {
	s, w := newShell(t)
	signIn(t, s, w, "clerk01", "wrong")
	if s.Screen() != "signin" {
		t.Fatalf("screen %q after a wrong password", s.Screen())
	}
	if s.signInError.Text == "" || s.signInPassword.Text != "" {
		t.Fatalf("error %q, password left %q", s.signInError.Text, s.signInPassword.Text)
	}
}

func TestNavigation(t *testing.T) {
	tests := []struct {
		id          string
		wantRecords bool
	}{
		{"clerk01", false},
		{"super01", true},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			s, w := newShell(t)
			signIn(t, s, w, tt.id, "pw")
			if s.Screen() != "home" {
				t.Fatalf("screen %q after sign-in", s.Screen())
			}
			b := buttons(w)
			for _, label := range []string{"新規発行", "更新", "失効申請", "暗証番号初期化", "中断中の申請"} {
				if b[label] == nil {
					t.Fatalf("home has no %s button", label)
				}
			}
			if (b["交付記録"] != nil) != tt.wantRecords {
				t.Fatalf("records button present = %v, want %v", b["交付記録"] != nil, tt.wantRecords)
			}
			test.Tap(b["新規発行"])
			if s.Screen() != "issue-new" {
				t.Fatalf("screen %q after 新規発行", s.Screen())
			}
			test.Tap(buttons(w)["ホームに戻る"])
			if s.Screen() != "home" {
				t.Fatalf("screen %q after back", s.Screen())
			}
			test.Tap(buttons(w)["サインアウト"])
			if s.Screen() != "signin" {
				t.Fatalf("screen %q after sign-out", s.Screen())
			}
		})
	}
}
