package cardio

import (
	"errors"
	"strings"
	"testing"

	"github.com/ebfe/scard"
)

// TestNoServiceMessageOnWindows: winscard's "no service" is reported with
// the Windows service's name and the usual cure (attach the reader), not
// pcscd's.
func TestNoServiceMessageOnWindows(t *testing.T) {
	for _, cause := range []error{scard.ErrNoService, scard.ErrServiceStopped} {
		err := pcscErr("list readers", cause)
		var um interface{ UserMessage() string }
		if !errors.As(err, &um) {
			t.Fatalf("%v: no user message", err)
		}
		msg := um.UserMessage()
		if !strings.Contains(msg, "スマート カード サービス") || strings.Contains(msg, "pcscd") {
			t.Errorf("%v: %q", cause, msg)
		}
		if !strings.Contains(err.Error(), "SCardSvr") {
			t.Errorf("%v: %q", cause, err.Error())
		}
	}
}
