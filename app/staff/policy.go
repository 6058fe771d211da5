package staff

import (
	_ "embed"
	"fmt"
	"strings"
	"unicode/utf8"
)

// commonList is the embedded list of common passwords, one a line.
//
//go:embed common-passwords.txt
var commonList string

// common holds commonList's entries.
var common = func() map[string]bool {
	m := make(map[string]bool)
	for _, line := range strings.Split(commonList, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// IsCommonPassword reports whether pw, ignoring case, is on the embedded
// list of common passwords.
func IsCommonPassword(pw string) bool { return common[strings.ToLower(pw)] }

// PasswordRule is the rule of the password policy a password breaks.
type PasswordRule int

// Password rules.
const (
	RuleTooShort PasswordRule = iota + 1 // fewer than MinPasswordLength characters (or not UTF-8)
	RuleCommon                           // a common password, possibly with digits or symbols around it
	RuleSequence                         // 12345678, abcdefgh, 87654321, a keyboard row
	RuleRepeated                         // aaaaaaaa, abababab, 123123123
	RuleStaffID                          // the staff ID, or little more
)

// PasswordError is a password refused by the policy. errors.Is(err,
// ErrWeakPassword) holds for it.
type PasswordError struct{ Rule PasswordRule }

func (e *PasswordError) Error() string {
	switch e.Rule {
	case RuleTooShort:
		return fmt.Sprintf("staff: password shorter than %d characters", MinPasswordLength)
	case RuleCommon:
		return "staff: password is a common password"
	case RuleSequence:
		return "staff: password is a sequence or a keyboard row"
	case RuleRepeated:
		return "staff: password repeats one character or one pattern"
	case RuleStaffID:
		return "staff: password is the staff ID"
	}
	return "staff: password refused"
}

// UserMessage says why in Japanese.
func (e *PasswordError) UserMessage() string {
	switch e.Rule {
	case RuleTooShort:
		return fmt.Sprintf("パスワードは%d文字以上にしてください。", MinPasswordLength)
	case RuleCommon:
		return "よく使われるパスワード（password、qwerty など）やそれに数字・記号を付けただけのものは使用できません。推測されにくいパスワードにしてください。"
	case RuleSequence:
		return "連続した文字や数字（12345678、abcdefgh など）やキーボードの並びはパスワードに使用できません。"
	case RuleRepeated:
		return "同じ文字や同じ並びの繰り返し（aaaaaaaa、abababab など）はパスワードに使用できません。"
	case RuleStaffID:
		return "職員IDと同じパスワードや、職員IDに数文字を加えただけのパスワードは使用できません。"
	}
	return ErrWeakPassword.UserMessage()
}

// Is makes errors.Is(err, ErrWeakPassword) true.
func (e *PasswordError) Is(target error) bool { return target == ErrWeakPassword }

// CheckPassword applies the password policy without a staff ID.
func CheckPassword(pw []byte) error { return CheckPasswordFor("", pw) }

// keyboardRows are the key sequences a password may not be a run of.
var keyboardRows = []string{"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p"}

// CheckPasswordFor applies the password policy to a password for the
// account id: at least MinPasswordLength characters, not a common
// password (ignoring case, digits or symbols before or after, and common
// letter substitutions), not a run of consecutive characters or keys, not
// one character or short pattern repeated, and not the staff ID. It
// returns a *PasswordError.
func CheckPasswordFor(id string, pw []byte) error {
	if !utf8.Valid(pw) || utf8.RuneCount(pw) < MinPasswordLength {
		return &PasswordError{RuleTooShort}
	}
	lower := strings.ToLower(string(pw))
	if id != "" {
		rest := strings.ReplaceAll(lower, strings.ToLower(id), "")
		letters := strings.Map(func(r rune) rune {
			if isDecoration(r) {
				return -1
			}
			return r
		}, rest)
		if rest != lower && utf8.RuneCountInString(letters) < 4 {
			return &PasswordError{RuleStaffID}
		}
	}
	if repeated(lower) {
		return &PasswordError{RuleRepeated}
	}
	if sequence(lower) {
		return &PasswordError{RuleSequence}
	}
	for _, c := range candidates(lower) {
		if common[c] || (utf8.RuneCountInString(c) >= 6 && (sequence(c) || repeated(c))) {
			return &PasswordError{RuleCommon}
		}
	}
	return nil
}

// repeated reports whether s is one pattern of at most half its length
// repeated (the last repetition may be cut short).
func repeated(s string) bool {
	r := []rune(s)
	for p := 1; p <= len(r)/2; p++ {
		ok := true
		for i := p; i < len(r) && ok; i++ {
			ok = r[i] == r[i-p]
		}
		if ok {
			return true
		}
	}
	return false
}

// sequence reports whether s is consecutive characters (each one more, or
// each one less, than the one before) or a run of keys on a keyboard row.
func sequence(s string) bool {
	r := []rune(s)
	if len(r) < 2 {
		return false
	}
	up, down := true, true
	for i := 1; i < len(r); i++ {
		up = up && r[i] == r[i-1]+1
		down = down && r[i] == r[i-1]-1
	}
	if up || down {
		return true
	}
	rev := reverse(s)
	for _, row := range keyboardRows {
		if strings.Contains(row, s) || strings.Contains(row, rev) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// isDecoration reports whether r is an ASCII digit, symbol or space: what
// is added around a word to pass naive rules.
func isDecoration(r rune) bool { return r < 0x80 && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') }

// leet undoes common letter substitutions.
var leet = strings.NewReplacer("@", "a", "4", "a", "0", "o", "1", "i", "!", "i", "3", "e", "$", "s", "5", "s", "7", "t")

// candidates are the forms of a lower-case password compared with the
// common list: as typed, without digits and symbols before and after, and
// with letter substitutions undone.
func candidates(lower string) []string {
	core := strings.TrimFunc(lower, isDecoration)
	out := []string{lower, core, leet.Replace(lower), leet.Replace(core)}
	if l := strings.ReplaceAll(leet.Replace(lower), "i", "l"); l != lower {
		out = append(out, l)
	}
	// A leet-decoded password may still carry trailing digits.
	out = append(out, strings.TrimFunc(leet.Replace(lower), isDecoration))
	var nonEmpty []string
	for _, c := range out {
		if c != "" {
			nonEmpty = append(nonEmpty, c)
		}
	}
	return nonEmpty
}
