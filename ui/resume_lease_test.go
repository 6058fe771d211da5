package ui

import (
	"strings"
	"testing"
	"time"

	"madoguchi/app/session"
	"madoguchi/forms"
)

// On a shared office database a session another counter holds says which
// counter holds it and until when, and only a supervisor gets 引継ぎ.
func TestInterruptedShowsAnotherCountersLease(t *testing.T) {
	held := &session.Session{ID: "20261202-0001", Kind: forms.KindNew, ResidentCode: "10000000001",
		State: session.Received, UpdatedAt: time.Now(),
		LeaseTerminal: "counter-z", LeaseUntil: time.Date(2026, 12, 2, 1, 30, 0, 0, time.UTC)}
	for _, tt := range []struct {
		id       string
		now      time.Time
		text     string
		takeOver bool
	}{
		{"super01", time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC), "端末 counter-z で処理中、10:30 まで", true},
		{"clerk01", time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC), "端末 counter-z で処理中", false},
		{"super01", time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC), "", false}, // the lease has run out
	} {
		s, w := testShell(t)
		signInAs(t, s, tt.id)
		s.now = func() time.Time { return tt.now }
		if got := s.heldElsewhere(held); !strings.Contains(got, tt.text) || (tt.text == "") != (got == "") {
			t.Errorf("%s at %s: %q, want %q", tt.id, tt.now, got, tt.text)
		}
		s.showInterruptedList([]*session.Session{held})
		if _, ok := findButtons(w)["引継ぎ"]; ok != tt.takeOver {
			t.Errorf("%s at %s: 引継ぎ button %v, want %v", tt.id, tt.now, ok, tt.takeOver)
		}
	}
}
