package keygen_test

import (
	"context"
	"strings"
	"testing"

	"madoguchi/keygen"
)

// FuzzParseRequest checks that any byte string is refused or yields a
// request whose items pass validation, and never panics.
func FuzzParseRequest(f *testing.F) {
	_, r := emulated(f)
	card, _ := open(f, r)
	ctx := context.Background()
	must(f, card.Prepare(ctx, testMaster))
	if _, err := card.GenerateKey(ctx, keygen.AlgP256); err != nil {
		f.Fatal(err)
	}
	csr, err := card.CreateRequest(ctx, testSubject, testItems(f), []byte("123456"))
	must(f, err)
	f.Add(csr)
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		_, items, err := keygen.ParseRequest(der)
		if err != nil {
			return
		}
		if err := items.Validate(); err != nil {
			t.Fatalf("accepted request with invalid items: %v", err)
		}
	})
}

// FuzzCheckPINPolicy checks that an accepted PIN really follows the
// policy, and that no message ever contains the PIN.
func FuzzCheckPINPolicy(f *testing.F) {
	for _, s := range []string{"5A8K27", "123456", "AAAAAA", "ZYXWVU", "1234567", "", "5A8K2\x00"} {
		f.Add([]byte(s), []byte(s))
	}
	f.Fuzz(func(t *testing.T, pin, confirm []byte) {
		err := keygen.CheckPINPolicy(pin, confirm)
		if err == nil {
			if len(pin) < 6 || len(pin) > 8 || string(pin) != string(confirm) {
				t.Fatalf("accepted %q / %q", pin, confirm)
			}
			for _, c := range pin {
				if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
					t.Fatalf("accepted %q with %q", pin, c)
				}
			}
			return
		}
		pe, ok := err.(*keygen.PINPolicyError)
		if !ok {
			t.Fatalf("error of type %T", err)
		}
		if len(pin) >= 6 && (contains(err.Error(), pin) || contains(pe.UserMessage(), pin)) {
			t.Fatalf("message reveals the PIN %q", pin)
		}
	})
}

func contains(s string, b []byte) bool { return strings.Contains(s, string(b)) }
