package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"madoguchi/app"
	"madoguchi/app/config"
	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
)

// The card-reuse and PIN-loop cases again, with the emulated cards behind
// the real PC/SC stack (pcscd + vpcd) and the reader's own events: the
// test reads cardio.Watch as the wizard's watcher does and hands each
// event to the wizard on the test goroutine.

// pcscShell is a shell on the embedded default, its reader the vpcd
// reader of slot.
func pcscShell(t *testing.T, slot *pcsctest.Slot) *Shell {
	t.Helper()
	a := test.NewApp()
	t.Cleanup(a.Quit)
	w := test.NewWindow(nil)
	w.Resize(WindowSize)
	t.Cleanup(w.Close)
	cfg := config.Default(t.TempDir())
	cfg.Reader = config.Reader{Mode: config.ReaderPCSC, Name: slot.Reader.Name()}
	c, err := app.Open(context.Background(), cfg, app.Options{StaffParams: &cheapStaff})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := NewShell(w, c)
	s.noBackground = true
	signInAs(t, s, "clerk01")
	return s
}

// readerEvents is the reader's event stream for one card step, as the
// wizard's watcher sees it (the first event is the card already there).
type readerEvents struct {
	ch     <-chan cardio.Event
	first  bool
	cancel context.CancelFunc
}

func watchReader(t *testing.T, s *Shell) *readerEvents {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := s.counter.WatchCard(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return &readerEvents{ch: ch, first: true, cancel: cancel}
}

// next hands the reader's next event, which must be want, to the wizard.
func (r *readerEvents) next(t *testing.T, s *Shell, wz *Wizard, want bool) {
	t.Helper()
	select {
	case ev := <-r.ch:
		if ev.Err != nil || ev.Present != want {
			t.Fatalf("reader event %+v, want present=%v", ev, want)
		}
		wz.cardEvent(ev.Present, r.first)
		r.first = false
		s.runner.Wait()
	case <-time.After(15 * time.Second):
		t.Fatalf("no reader event (want present=%v)", want)
	}
}

func TestWizardCardSafetyThroughPCSC(t *testing.T) {
	cardA := cardio.NewEmulator(cardio.EmulatorOptions{})
	slot := pcsctest.AttachSlot(t, cardA)
	s := pcscShell(t, slot)
	a, b := twoResidents(t, s)

	// A's issuance; A's card stays in the reader after 交付.
	s.startWizard(wizardNew)
	wz := s.wizard
	toCardStep(t, s, wz, a.Code)
	wz.freshCard = false // A's blank card was put on for this session
	ev := watchReader(t, s)
	ev.next(t, s, wz, true)
	typePIN(s, wz, residentPIN, residentPIN)
	enter(s, wz) // 交付
	if !strings.Contains(wz.Message(), "完了") || !strings.Contains(bodyText(s), "取り出して") {
		t.Fatalf("A's issuance: %q", wz.Message())
	}
	wz.leave()
	ev.cancel()

	// B's issuance: the card left in the reader is not used, and seated
	// again it is refused as A's.
	s.startWizard(wizardNew)
	wz = s.wizard
	toCardStep(t, s, wz, b.Code)
	ev = watchReader(t, s)
	ev.next(t, s, wz, true)
	if wz.pinScreen != nil || !strings.Contains(wz.cardState.Text, "残って") {
		t.Fatalf("leftover card used: %q", wz.cardState.Text)
	}
	slot.Remove()
	ev.next(t, s, wz, false)
	slot.Insert(cardA)
	ev.next(t, s, wz, true)
	if wz.pinScreen != nil || wz.Step() != stepCard || !strings.Contains(wz.cardState.Text, "別の住民の有効な") {
		t.Fatalf("A's card for B: step %q, %q", wz.Step(), wz.cardState.Text)
	}
	slot.Remove()
	ev.next(t, s, wz, false)
	cardB := cardio.NewEmulator(cardio.EmulatorOptions{})
	slot.Insert(cardB)
	ev.next(t, s, wz, true)
	if wz.pinScreen == nil {
		t.Fatalf("B's blank card: %q / %s", wz.cardState.Text, wz.Message())
	}
	typePIN(s, wz, residentPIN, residentPIN)
	enter(s, wz)
	if !strings.Contains(wz.Message(), "完了") {
		t.Fatalf("B's issuance: %q", wz.Message())
	}
	wz.leave()
	ev.cancel()
	// The clerk takes the card out after the wizard has let it go: a
	// disconnect racing the removal through vpcd holds pcscd's reader for
	// longer than the insertion wait.
	wz.closing.Wait()

	// B's PIN reset with A's card: refused, and neither the refusal nor
	// the watcher starting again reopens the resident's screen.
	slot.Remove()
	slot.Insert(cardA)
	s.startWizard(wizardPINReset)
	wz = s.wizard
	pickResident(t, s, wz, b.Code)
	enter(s, wz)
	wz.typedKey(keyEvent("1"))
	enter(s, wz)
	wz.freshCard = false // the resident put their card on during the identity check
	for round := 0; round < 3; round++ {
		ev = watchReader(t, s) // the watcher as each showCard starts it
		ev.next(t, s, wz, true)
		if wz.pinScreen != nil || overlayShown(s) || !strings.Contains(wz.cardState.Text, "別の住民") {
			t.Fatalf("round %d: PIN screen %v, state %q", round, wz.pinScreen != nil, wz.cardState.Text)
		}
		ev.cancel()
	}
	ev = watchReader(t, s)
	ev.next(t, s, wz, true)
	slot.Remove()
	ev.next(t, s, wz, false)
	slot.Insert(cardB)
	ev.next(t, s, wz, true)
	if wz.Step() != stepNewPIN || wz.pinScreen == nil {
		t.Fatalf("B's card: step %q, %q / %s", wz.Step(), wz.cardState.Text, wz.Message())
	}
	test.Tap(wz.pinScreen.dismiss) // 取消
	ev.cancel()
	ev = watchReader(t, s)
	ev.next(t, s, wz, true)
	if wz.pinScreen != nil || overlayShown(s) || wz.Step() != stepCard {
		t.Fatalf("after 取消 the resident's screen reopened: step %q", wz.Step())
	}
	// The card taken out while the resident's screen is up.
	enter(s, wz)
	if wz.pinScreen == nil {
		t.Fatalf("Enter did not reopen the resident's screen: %s", wz.Message())
	}
	slot.Remove()
	ev.next(t, s, wz, false)
	if wz.pinScreen != nil || overlayShown(s) || !strings.Contains(wz.Message(), "取り出された") {
		t.Fatalf("removal with the resident's screen up: %v %q", wz.pinScreen != nil, wz.Message())
	}
	slot.Insert(cardB)
	ev.next(t, s, wz, true)
	typePIN(s, wz, "Q7W3E9R2", "Q7W3E9R2")
	if !strings.Contains(wz.Message(), "完了") {
		t.Fatalf("PIN reset: %q", wz.Message())
	}
	if refused := auditOf(t, s, app.ActionCardRefused); len(refused) < 2 {
		t.Fatalf("refusals audited: %d", len(refused))
	}
	wz.leave()
	wz.closing.Wait() // before the slot's clean-up takes the card out
}
