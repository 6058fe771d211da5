package keygen

import (
	"crypto/subtle"
	"fmt"
)

// PIN length limits of the product's policy.
const (
	MinPINLength = 6
	MaxPINLength = 8
)

// PINProblem is the reason a PIN breaks the policy.
type PINProblem int

// Policy violations, in the order they are checked.
const (
	PINLength     PINProblem = iota + 1 // not 6 to 8 characters
	PINCharacters                       // a character other than 0-9 and A-Z
	PINAllSame                          // one character repeated
	PINSequence                         // a simple ascending or descending run
	PINMismatch                         // the confirmation differs
)

// PINPolicyError says why a new PIN was refused. It never contains the
// PIN or any part of it.
type PINPolicyError struct {
	Problem PINProblem
}

func (e *PINPolicyError) Error() string {
	switch e.Problem {
	case PINLength:
		return fmt.Sprintf("keygen: PIN must have %d to %d characters", MinPINLength, MaxPINLength)
	case PINCharacters:
		return "keygen: PIN may hold digits and upper-case letters only"
	case PINAllSame:
		return "keygen: PIN repeats one character"
	case PINSequence:
		return "keygen: PIN is a simple ascending or descending run"
	case PINMismatch:
		return "keygen: PIN and confirmation differ"
	}
	return "keygen: PIN breaks the policy"
}

// UserMessage tells the resident what to change.
func (e *PINPolicyError) UserMessage() string {
	switch e.Problem {
	case PINLength:
		return "暗証番号は6文字から8文字で入力してください。"
	case PINCharacters:
		return "暗証番号には数字(0〜9)と英大文字(A〜Z)だけが使えます。"
	case PINAllSame:
		return "同じ文字を並べただけの暗証番号は使えません。別の暗証番号にしてください。"
	case PINSequence:
		return "「1234…」「ABCD…」「9876…」のように1つずつ増える、または減る並びの暗証番号は使えません。別の暗証番号にしてください。"
	case PINMismatch:
		return "確認のために入力した暗証番号が一致しません。もう一度、同じ暗証番号を2回入力してください。"
	}
	return "この暗証番号は使えません。別の暗証番号にしてください。"
}

// CheckPINPolicy checks a new PIN entered twice: 6 to 8 characters,
// digits and upper-case letters only, not one character repeated, not a
// run ascending or descending by one (123456, ABCDEF, 876543), and the
// confirmation equal to the PIN. It returns a *PINPolicyError or nil and
// modifies neither slice.
func CheckPINPolicy(pin, confirm []byte) error {
	if len(pin) < MinPINLength || len(pin) > MaxPINLength {
		return &PINPolicyError{Problem: PINLength}
	}
	for _, c := range pin {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return &PINPolicyError{Problem: PINCharacters}
		}
	}
	same, up, down := true, true, true
	for i := 1; i < len(pin); i++ {
		d := int(pin[i]) - int(pin[i-1])
		same = same && d == 0
		up = up && d == 1
		down = down && d == -1
	}
	switch {
	case same:
		return &PINPolicyError{Problem: PINAllSame}
	case up, down:
		return &PINPolicyError{Problem: PINSequence}
	}
	if subtle.ConstantTimeCompare(pin, confirm) != 1 {
		return &PINPolicyError{Problem: PINMismatch}
	}
	return nil
}

// Wipe overwrites b with zeros; callers use it on PIN buffers once done.
func Wipe(b []byte) { clear(b) }
