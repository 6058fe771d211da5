package cardio

import (
	"context"
	"errors"
)

// Reader is one card reader slot: a PC/SC reader or an emulated one.
type Reader interface {
	// Name is the reader's name as the system reports it.
	Name() string
	// Present reports whether a card is in the reader now.
	Present(ctx context.Context) (bool, error)
	// WaitFor blocks until a card is in the reader (present true) or the
	// reader is empty (present false), or ctx ends. It returns at once
	// when the reader already is in that state.
	WaitFor(ctx context.Context, present bool) error
	// Connect opens a connection to the card in the reader.
	Connect(ctx context.Context) (*Card, error)
}

// Event is a change of a reader's content.
type Event struct {
	Present bool  // true: a card was inserted; false: the card was removed
	Err     error // set when watching failed; the channel closes after it
}

// Watch reports card insertions and removals in r until ctx ends. The
// first event gives the current state. The channel is closed when ctx ends
// or after an event carrying an error (for example the reader was
// unplugged).
func Watch(ctx context.Context, r Reader) <-chan Event {
	ch := make(chan Event, 1)
	go func() {
		defer close(ch)
		present, err := r.Present(ctx)
		for {
			if err != nil {
				if ctx.Err() == nil {
					select {
					case ch <- Event{Err: err}:
					case <-ctx.Done():
					}
				}
				return
			}
			select {
			case ch <- Event{Present: present}:
			case <-ctx.Done():
				return
			}
			present = !present
			err = r.WaitFor(ctx, present)
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return
			}
		}
	}()
	return ch
}
