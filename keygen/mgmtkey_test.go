package keygen_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"madoguchi/cardio"
	"madoguchi/keygen"
)

// TestMgmtKeyUnsupportedRefused checks that a blank card lacking the
// de-facto SET MANAGEMENT KEY (INS FF) is refused by Prepare, with a
// Japanese message for the clerk, before anything is written to it, while
// a card that has it is prepared.
func TestMgmtKeyUnsupportedRefused(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		opts    cardio.EmulatorOptions
		refused bool
	}{
		{"card with INS FF", cardio.EmulatorOptions{}, false},
		{"card without INS FF", cardio.EmulatorOptions{NoSetMgmtKey: true}, true},
		{"card without INS FF, T=0", cardio.EmulatorOptions{NoSetMgmtKey: true, Protocol: cardio.T0}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			emu := cardio.NewEmulator(tt.opts)
			r := cardio.NewEmulatedReader("r")
			if err := r.Insert(emu); err != nil {
				t.Fatal(err)
			}
			card, _ := open(t, r)
			if st, err := card.State(ctx); err != nil || st != keygen.StateBlank {
				t.Fatalf("State = %v, %v; want blank", st, err)
			}
			err := card.Prepare(ctx, testMaster)
			if !tt.refused {
				must(t, err)
				return
			}
			var se *keygen.StepError
			if !errors.As(err, &se) || !errors.Is(err, keygen.ErrMgmtKeyUnsupported) || se.CardUsable || se.Step != keygen.StepPrepare {
				t.Fatalf("Prepare: %v, want an unusable-card StepError matching ErrMgmtKeyUnsupported", err)
			}
			if !errors.Is(err, cardio.ErrNotSupported) {
				t.Fatalf("Prepare: %v does not keep the card's 6D00", err)
			}
			if m := se.UserMessage(); !strings.Contains(m, "カード管理鍵の変更に対応していない") || !strings.Contains(m, "使用できません") {
				t.Fatalf("message for the clerk: %s", m)
			}
			for _, tag := range []uint32{cardio.ObjCHUID, cardio.ObjCardCapabilities} {
				if _, ok := emu.Object(tag); ok {
					t.Fatalf("Prepare wrote object %06X to a refused card", tag)
				}
			}
			if _, err := card.GenerateKey(ctx, keygen.AlgRSA2048); !errors.Is(err, keygen.ErrNotPrepared) {
				t.Fatalf("GenerateKey on a refused card: %v", err)
			}
		})
	}
}
