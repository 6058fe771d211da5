package cardio

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// userMessager is what the UI looks for with errors.As.
type userMessager interface{ UserMessage() string }

func TestStatusErrorKinds(t *testing.T) {
	tests := []struct {
		sw    uint16
		kind  *Kind
		tries int
		hasN  bool
	}{
		{0x63C2, ErrWrongPIN, 2, true},
		{0x63C0, ErrWrongPIN, 0, true},
		{0x6983, ErrAuthBlocked, 0, true},
		{0x6982, ErrSecurityStatus, 0, false},
		{0x6985, ErrConditionsOfUse, 0, false},
		{0x6883, ErrConditionsOfUse, 0, false},
		{0x6A82, ErrFileNotFound, 0, false},
		{0x6A80, ErrWrongData, 0, false},
		{0x6700, ErrWrongLength, 0, false},
		{0x6C10, ErrWrongLength, 0, false},
		{0x6A86, ErrWrongP1P2, 0, false},
		{0x6A88, ErrReferenceNotFound, 0, false},
		{0x6D00, ErrNotSupported, 0, false},
		{0x6E00, ErrNotSupported, 0, false},
		{0x6A81, ErrNotSupported, 0, false},
		{0x6A84, ErrNoMemory, 0, false},
		{0x6F00, ErrCardFault, 0, false},
		{0x6581, ErrCardFault, 0, false},
	}
	all := []*Kind{ErrWrongPIN, ErrAuthBlocked, ErrSecurityStatus, ErrConditionsOfUse, ErrFileNotFound,
		ErrWrongData, ErrWrongLength, ErrWrongP1P2, ErrReferenceNotFound, ErrNotSupported, ErrNoMemory, ErrCardFault}
	for _, tt := range tests {
		var err error = &StatusError{INS: 0x20, SW: tt.sw}
		wrapped := errors.Join(errors.New("context"), err)
		for _, k := range all {
			if got := errors.Is(wrapped, k); got != (k == tt.kind) {
				t.Errorf("%04X: errors.Is(%v) = %v", tt.sw, k, got)
			}
		}
		var se *StatusError
		if !errors.As(wrapped, &se) {
			t.Fatalf("%04X: errors.As failed", tt.sw)
		}
		if n, ok := se.TriesLeft(); n != tt.tries || ok != tt.hasN {
			t.Errorf("%04X: TriesLeft = %d %v", tt.sw, n, ok)
		}
		var um userMessager
		if !errors.As(wrapped, &um) || um.UserMessage() == "" {
			t.Errorf("%04X: no user message", tt.sw)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%04X", tt.sw)) {
			t.Errorf("%04X: Error() does not name the status word: %s", tt.sw, err)
		}
	}
	if msg := (&StatusError{SW: 0x63C2}).UserMessage(); !strings.Contains(msg, "あと2回") {
		t.Errorf("wrong-PIN message does not give the tries left: %s", msg)
	}
	if msg := (&StatusError{SW: 0x63C0}).UserMessage(); !strings.Contains(msg, "ロック") {
		t.Errorf("last wrong PIN does not say it is now blocked: %s", msg)
	}
}

func TestLinkErrorMatchesKindAndCause(t *testing.T) {
	cause := errors.New("SCARD_W_REMOVED_CARD")
	err := linkErr("transmit", ErrCardRemoved, cause)
	if !errors.Is(err, ErrCardRemoved) || !errors.Is(err, cause) || errors.Is(err, ErrNoCard) {
		t.Fatalf("kind/cause matching is wrong for %v", err)
	}
	var um userMessager
	if !errors.As(err, &um) || um.UserMessage() != ErrCardRemoved.UserMessage() {
		t.Fatalf("UserMessage not found")
	}
	if !IsCardGone(err) || IsCardGone(&StatusError{SW: 0x6982}) {
		t.Fatal("IsCardGone is wrong")
	}
}
