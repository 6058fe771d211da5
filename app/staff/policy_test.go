package staff

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordPolicy(t *testing.T) {
	tests := []struct {
		id, pw string
		rule   PasswordRule // 0: accepted
	}{
		{"", "madoguchi-demo", 0},
		{"", "correct horse battery", 0},
		{"", "短いけど八文字以上です", 0},
		{"clerk07", "Tr0ub4dor&3x", 0},
		{"clerk07", "kumo-no-ue-42", 0},
		{"", "short", RuleTooShort},
		{"", "1234567", RuleTooShort},
		{"", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", RuleTooShort},
		{"", "12345678", RuleSequence},
		{"", "87654321", RuleSequence},
		{"", "abcdefgh", RuleSequence},
		{"", "ABCDEFGHIJ", RuleSequence},
		{"", "qwertyui", RuleSequence},
		{"", "lkjhgfdsa", RuleSequence},
		{"", "aaaaaaaa", RuleRepeated},
		{"", "aaaaaaaaaaaa", RuleRepeated},
		{"", "abababab", RuleRepeated},
		{"", "123123123", RuleRepeated},
		{"", "password", RuleCommon},
		{"", "Password", RuleCommon},
		{"", "PASSWORD1", RuleCommon},
		{"", "password-1", RuleCommon},
		{"", "P@ssw0rd!", RuleCommon},
		{"", "p@ssw0rd2024", RuleCommon},
		{"", "iloveyou", RuleCommon},
		{"", "sunshine99", RuleCommon},
		{"", "1qaz2wsx", RuleSequence},
		{"", "!!abcdefg!!", RuleCommon},
		{"", "dragon2026", RuleCommon},
		{"", "sakura123", RuleCommon},
		{"", "11223344", RuleCommon},
		{"kanri001", "kanri001", RuleStaffID},
		{"super01", "super01-kumo-no-ue", 0},
		{"clerk07", "CLERK07!", RuleStaffID},
		{"kanri01", "kanri01kanri01", RuleStaffID},
		{"super01", "super01-2026", RuleStaffID},
	}
	for _, tt := range tests {
		err := CheckPasswordFor(tt.id, []byte(tt.pw))
		if tt.rule == 0 {
			if err != nil {
				t.Errorf("CheckPasswordFor(%q, %q) = %v, want accepted", tt.id, tt.pw, err)
			}
			continue
		}
		var pe *PasswordError
		if !errors.As(err, &pe) || pe.Rule != tt.rule {
			t.Errorf("CheckPasswordFor(%q, %q) = %v, want rule %d", tt.id, tt.pw, err, tt.rule)
			continue
		}
		if !errors.Is(err, ErrWeakPassword) {
			t.Errorf("%q: not ErrWeakPassword", tt.pw)
		}
		if m := pe.UserMessage(); m == "" || !strings.ContainsAny(m, "。") {
			t.Errorf("%q: message %q", tt.pw, m)
		}
	}
}

func TestCommonListIsLoaded(t *testing.T) {
	if len(common) < 300 {
		t.Fatalf("%d common passwords embedded, want at least 300", len(common))
	}
	for _, pw := range []string{"password", "123456", "qwerty", "letmein", "sakura", "madoguchi"} {
		if !IsCommonPassword(pw) {
			t.Errorf("%q not on the list", pw)
		}
	}
	if IsCommonPassword("madoguchi-demo") {
		t.Error("the demo password is on the list: the demo could not create its accounts")
	}
}

func FuzzCheckPasswordFor(f *testing.F) {
	for _, s := range []string{"password", "12345678", "短いけど八文字以上です", "\xff\xfe"} {
		f.Add("clerk01", s)
	}
	f.Fuzz(func(t *testing.T, id, pw string) {
		err := CheckPasswordFor(id, []byte(pw))
		if err != nil && !errors.Is(err, ErrWeakPassword) {
			t.Fatalf("unexpected error type %T", err)
		}
	})
}
