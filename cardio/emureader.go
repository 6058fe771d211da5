package cardio

import (
	"context"
	"errors"
	"sync"
)

// ErrReaderOccupied is returned by EmulatedReader.Insert when the reader
// already holds a card.
var ErrReaderOccupied = errors.New("cardio: the emulated reader already holds a card")

// EmulatedReader is an in-process reader slot into which an Emulator can
// be inserted and from which it can be removed at will. It implements
// Reader like a PC/SC reader does, insertion and removal events included:
// a connection opened before a removal fails with ErrCardRemoved, even if a
// card is inserted again.
type EmulatedReader struct {
	name    string
	mu      sync.Mutex
	card    *Emulator
	gen     uint64        // counts insertions
	changed chan struct{} // closed and replaced on every change
}

// NewEmulatedReader returns an empty emulated reader.
func NewEmulatedReader(name string) *EmulatedReader {
	return &EmulatedReader{name: name, changed: make(chan struct{})}
}

// Name returns the reader's name.
func (r *EmulatedReader) Name() string { return r.name }

// Insert puts card into the reader and powers it up.
func (r *EmulatedReader) Insert(card *Emulator) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.card != nil {
		return ErrReaderOccupied
	}
	card.Reset()
	r.card = card
	r.gen++
	r.signalLocked()
	return nil
}

// Remove takes the card out of the reader and returns it (nil when the
// reader was empty). Its session state is lost, as on a real card.
func (r *EmulatedReader) Remove() *Emulator {
	r.mu.Lock()
	defer r.mu.Unlock()
	card := r.card
	if card == nil {
		return nil
	}
	card.Reset()
	r.card = nil
	r.signalLocked()
	return card
}

// Card returns the card in the reader, or nil.
func (r *EmulatedReader) Card() *Emulator {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.card
}

func (r *EmulatedReader) signalLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Present reports whether a card is in the reader.
func (r *EmulatedReader) Present(ctx context.Context) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.card != nil, nil
}

// WaitFor blocks until the reader holds a card (present) or is empty.
func (r *EmulatedReader) WaitFor(ctx context.Context, present bool) error {
	for {
		r.mu.Lock()
		now, changed := r.card != nil, r.changed
		r.mu.Unlock()
		if now == present {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Connect opens a connection to the card in the reader.
func (r *EmulatedReader) Connect(ctx context.Context) (*Card, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.card == nil {
		return nil, linkErr("connect to "+r.name, ErrNoCard, nil)
	}
	return NewCard(&emuConn{r: r, card: r.card, gen: r.gen}), nil
}

// emuConn is a connection to an emulated card.
type emuConn struct {
	r    *EmulatedReader
	card *Emulator
	gen  uint64
}

// inserted reports whether the connection's card is still in the reader.
func (c *emuConn) inserted() bool {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	return c.r.card == c.card && c.r.gen == c.gen
}

func (c *emuConn) Transmit(apdu []byte) ([]byte, error) {
	if !c.inserted() {
		return nil, linkErr("transmit", ErrCardRemoved, nil)
	}
	return c.card.Transmit(apdu), nil
}

func (c *emuConn) ATR() []byte { return c.card.ATR() }

func (c *emuConn) Protocol() Protocol { return c.card.opts.Protocol }

func (c *emuConn) Close() error {
	if c.inserted() {
		c.card.Reset()
	}
	return nil
}
