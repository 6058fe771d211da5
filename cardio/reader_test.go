package cardio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"madoguchi/cardio"
)

// expectEvent reads one event or fails after a timeout.
func expectEvent(t *testing.T, ch <-chan cardio.Event, present bool) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("event channel closed")
		}
		if ev.Err != nil || ev.Present != present {
			t.Fatalf("event %+v, want present=%v", ev, present)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no event (want present=%v)", present)
	}
}

// testReaderEvents checks insertion and removal through any Reader, with
// insert and remove doing the physical part.
func testReaderEvents(t *testing.T, r cardio.Reader, insert, remove func()) {
	ctx, cancel := context.WithCancel(context.Background())
	events := cardio.Watch(ctx, r)
	expectEvent(t, events, false)
	if _, err := r.Connect(ctx); !errors.Is(err, cardio.ErrNoCard) {
		t.Fatalf("Connect on an empty reader: %v, want ErrNoCard", err)
	}

	insert()
	expectEvent(t, events, true)
	card, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cardio.SelectPIV(ctx, card); err != nil {
		t.Fatal(err)
	}

	remove()
	expectEvent(t, events, false)
	if _, err := cardio.SelectPIV(ctx, card); !errors.Is(err, cardio.ErrCardRemoved) && !errors.Is(err, cardio.ErrNoCard) {
		t.Fatalf("command after removal: %v, want ErrCardRemoved", err)
	}
	var um interface{ UserMessage() string }
	if _, err := cardio.SelectPIV(ctx, card); !errors.As(err, &um) || um.UserMessage() == "" {
		t.Fatalf("removal error has no user message: %v", err)
	}

	insert()
	expectEvent(t, events, true)
	if _, err := cardio.SelectPIV(ctx, card); !cardio.IsCardGone(err) {
		t.Fatalf("old connection after re-insertion: %v, want a card-gone error", err)
	}
	card.Close()

	cancel()
	select {
	case _, ok := <-events:
		if ok {
			// A last event may race with the cancellation; the channel
			// must still close.
			if _, ok := <-events; ok {
				t.Fatal("events after cancel")
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not stop after cancel")
	}
}

func TestEmulatedReaderEvents(t *testing.T) {
	r := cardio.NewEmulatedReader("Emulated Reader 0")
	emu := cardio.NewEmulator(cardio.EmulatorOptions{})
	testReaderEvents(t, r, func() {
		if err := r.Insert(emu); err != nil {
			t.Fatal(err)
		}
	}, func() {
		if got := r.Remove(); got != emu {
			t.Fatal("Remove returned another card")
		}
	})
	if err := r.Insert(cardio.NewEmulator(cardio.EmulatorOptions{})); !errors.Is(err, cardio.ErrReaderOccupied) {
		t.Fatalf("second Insert: %v, want ErrReaderOccupied", err)
	}
	if r.Remove(); r.Remove() != nil {
		t.Fatal("Remove of an empty reader returned a card")
	}
}

func TestRemovalLosesSessionState(t *testing.T) {
	ctx := context.Background()
	_, r, piv := insertNew(t, cardio.EmulatorOptions{})
	if err := piv.Verify(ctx, cardio.DefaultPIN); err != nil {
		t.Fatal(err)
	}
	emu := r.Remove()
	r.Insert(emu)
	card, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	piv, err = cardio.SelectPIV(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	if verified, tries, err := piv.PINStatus(ctx); err != nil || verified || tries != 3 {
		t.Fatalf("after re-insertion: verified %v, %d tries, %v", verified, tries, err)
	}
}

func TestWaitForHonoursContext(t *testing.T) {
	r := cardio.NewEmulatedReader("r")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.WaitFor(ctx, true); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor = %v, want DeadlineExceeded", err)
	}
	if err := r.WaitFor(context.Background(), false); err != nil {
		t.Fatalf("WaitFor an empty reader to be empty: %v", err)
	}
}
