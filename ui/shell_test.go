package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestSignInRejectsWrongPassword(t *testing.T) {
	s, _ := testShell(t)
	test.Type(s.signInID, "clerk01")
	test.Type(s.signInPassword, "wrong")
	s.signInPassword.OnSubmitted(s.signInPassword.Text)
	s.runner.Wait()
	if s.Screen() != "signin" {
		t.Fatalf("screen %q after a wrong password", s.Screen())
	}
	if !strings.Contains(s.signInError.Text, "パスワード") || s.signInPassword.Text != "" {
		t.Fatalf("error %q, password left %q", s.signInError.Text, s.signInPassword.Text)
	}
}

func TestHomeShowsTheActionsOfTheRole(t *testing.T) {
	tests := []struct {
		id          string
		wantRecords bool
	}{
		{"clerk01", false},
		{"super01", true},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			s, w := testShell(t)
			signInAs(t, s, tt.id)
			b := findButtons(w)
			for _, label := range []string{"1  新規発行", "2  更新", "3  失効申請", "4  暗証番号初期化", "5  中断中の申請"} {
				if b[label] == nil {
					t.Fatalf("home has no %q button; has %v", label, keys(b))
				}
			}
			if (b["6  交付記録"] != nil) != tt.wantRecords {
				t.Fatalf("records button present = %v, want %v", b["6  交付記録"] != nil, tt.wantRecords)
			}
			// The number keys open the areas.
			w.Canvas().OnTypedRune()('1')
			if s.Screen() != "issue" {
				t.Fatalf("screen %q after key 1", s.Screen())
			}
			test.Tap(findButtons(w)["ホームに戻る"])
			if s.Screen() != "home" {
				t.Fatalf("screen %q after ホームに戻る", s.Screen())
			}
			test.Tap(findButtons(w)["サインアウト"])
			if s.Screen() != "signin" {
				t.Fatalf("screen %q after sign-out", s.Screen())
			}
		})
	}
}
