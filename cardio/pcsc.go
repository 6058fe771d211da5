package cardio

import (
	"context"
	"errors"
	"time"

	"github.com/ebfe/scard"
)

// PCSCReaders lists the readers the PC/SC service (pcscd) knows. No
// readers is not an error: the result is empty.
func PCSCReaders(ctx context.Context) ([]Reader, error) {
	sc, err := establish("list readers")
	if err != nil {
		return nil, err
	}
	defer sc.Release()
	names, err := sc.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	if err != nil {
		return nil, pcscErr("list readers", err)
	}
	out := make([]Reader, len(names))
	for i, n := range names {
		out[i] = PCSCReader(n)
	}
	return out, nil
}

// PCSCReader returns the PC/SC reader with the given name. The name is not
// checked until the reader is used.
func PCSCReader(name string) Reader { return pcscReader{name: name} }

type pcscReader struct{ name string }

func (r pcscReader) Name() string { return r.name }

// establish opens a PC/SC context; every operation uses its own, so that
// cancelling one wait cancels nothing else.
func establish(op string) (*scard.Context, error) {
	sc, err := scard.EstablishContext()
	if err != nil {
		return nil, pcscErr(op, err)
	}
	return sc, nil
}

// pollInterval bounds each blocking status wait, so that a cancellation
// that races with the start of a wait is still seen promptly.
const pollInterval = time.Second

// status waits at most timeout for the reader's state to differ from
// current (StateUnaware returns at once) and returns the new state.
func (r pcscReader) status(sc *scard.Context, current scard.StateFlag, timeout time.Duration) (scard.StateFlag, error) {
	rs := []scard.ReaderState{{Reader: r.name, CurrentState: current}}
	if err := sc.GetStatusChange(rs, timeout); err != nil {
		return 0, err
	}
	ev := rs[0].EventState
	if ev&(scard.StateUnknown|scard.StateUnavailable) != 0 {
		return ev, linkErr("status of "+r.name, ErrReaderGone, nil)
	}
	return ev, nil
}

// cardIn reports whether the state shows a usable card.
func cardIn(ev scard.StateFlag) bool {
	return ev&scard.StatePresent != 0 && ev&scard.StateMute == 0
}

func (r pcscReader) Present(ctx context.Context) (bool, error) {
	sc, err := establish("status of " + r.name)
	if err != nil {
		return false, err
	}
	defer sc.Release()
	ev, err := r.status(sc, scard.StateUnaware, 0)
	if err != nil {
		return false, pcscErr("status of "+r.name, err)
	}
	return cardIn(ev), nil
}

func (r pcscReader) WaitFor(ctx context.Context, present bool) error {
	op := "wait for card in " + r.name
	if !present {
		op = "wait for card removal from " + r.name
	}
	sc, err := establish(op)
	if err != nil {
		return err
	}
	defer sc.Release()
	stop := context.AfterFunc(ctx, func() { sc.Cancel() })
	defer stop()
	current := scard.StateUnaware
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ev, err := r.status(sc, current, pollInterval)
		switch {
		case errors.Is(err, scard.ErrTimeout):
			continue
		case errors.Is(err, scard.ErrCancelled):
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		case err != nil:
			return pcscErr(op, err)
		}
		if cardIn(ev) == present {
			return nil
		}
		current = ev &^ scard.StateChanged
	}
}

func (r pcscReader) Connect(ctx context.Context) (*Card, error) {
	op := "connect to " + r.name
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sc, err := establish(op)
	if err != nil {
		return nil, err
	}
	// Exclusive: no other program can slip commands in between ours and
	// change the card's security status during an issuance.
	h, err := sc.Connect(r.name, scard.ShareExclusive, scard.ProtocolT1|scard.ProtocolT0)
	if err != nil {
		sc.Release()
		return nil, pcscErr(op, err)
	}
	st, err := h.Status()
	if err != nil {
		h.Disconnect(scard.ResetCard)
		sc.Release()
		return nil, pcscErr(op, err)
	}
	proto := T1
	if h.ActiveProtocol() == scard.ProtocolT0 {
		proto = T0
	}
	return NewCard(&pcscConn{sc: sc, h: h, atr: st.Atr, proto: proto}), nil
}

// pcscConn is a connection to a card through pcscd.
type pcscConn struct {
	sc    *scard.Context
	h     *scard.Card
	atr   []byte
	proto Protocol
}

func (c *pcscConn) Transmit(apdu []byte) ([]byte, error) {
	resp, err := c.h.Transmit(apdu)
	if err != nil {
		return nil, pcscErr("transmit", err)
	}
	return resp, nil
}

func (c *pcscConn) ATR() []byte { return c.atr }

func (c *pcscConn) Protocol() Protocol { return c.proto }

func (c *pcscConn) Close() error {
	err := c.h.Disconnect(scard.ResetCard)
	if errors.Is(err, scard.ErrRemovedCard) || errors.Is(err, scard.ErrNoSmartcard) {
		err = nil // nothing left to reset
	}
	c.sc.Release()
	if err != nil {
		return pcscErr("disconnect", err)
	}
	return nil
}

// pcscErr wraps a PC/SC error with the Kind a caller can act on.
func pcscErr(op string, err error) error {
	var code scard.Error
	if !errors.As(err, &code) {
		return err // already one of ours
	}
	var kind *Kind
	switch code {
	case scard.ErrNoService, scard.ErrServiceStopped:
		kind = ErrNoService
	case scard.ErrNoReadersAvailable:
		kind = ErrNoReaders
	case scard.ErrUnknownReader, scard.ErrReaderUnavailable:
		kind = ErrReaderGone
	case scard.ErrNoSmartcard:
		kind = ErrNoCard
	case scard.ErrRemovedCard:
		kind = ErrCardRemoved
	case scard.ErrResetCard:
		kind = ErrCardReset
	case scard.ErrSharingViolation:
		kind = ErrCardInUse
	case scard.ErrUnresponsiveCard, scard.ErrUnpoweredCard, scard.ErrUnsupportedCard,
		scard.ErrProtoMismatch, scard.ErrNotTransacted, scard.ErrCommError:
		kind = ErrUnresponsiveCard
	default:
		kind = ErrReader
	}
	return linkErr(op, kind, err)
}
