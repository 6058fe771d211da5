package cardio

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// DefaultVPCDAddr is where vsmartcard's vpcd driver (as configured by
// Debian's vsmartcard-vpcd in /etc/reader.conf.d/vpcd) waits for the card
// of its first reader slot, "Virtual PCD 00 00".
const DefaultVPCDAddr = "127.0.0.1:35963"

// Control messages of the vpcd protocol: a one-byte payload.
const (
	vpcdPowerOff byte = 0x00
	vpcdPowerOn  byte = 0x01
	vpcdReset    byte = 0x02
	vpcdGetATR   byte = 0x04
)

// VPCDLink connects an Emulator to vpcd, the virtual reader driver of
// pcscd: while the link is up, pcscd sees the card in its "Virtual PCD"
// reader and any PC/SC program reaches it as it would a card in a USB
// reader. Closing the link removes the card.
//
// The protocol is vsmartcard's: every message in either direction is a
// two-byte big-endian length and a payload. A payload of one byte is a
// control message from vpcd (power off, power on, reset, get ATR; only the
// last is answered, with the ATR); anything longer is a command APDU,
// answered with the response APDU.
type VPCDLink struct {
	conn  net.Conn
	card  *Emulator
	done  chan struct{}
	err   error
	once  sync.Once
	apdus atomic.Uint64
}

// DialVPCD connects card to the vpcd slot listening at addr and serves it
// until Close or until vpcd hangs up.
func DialVPCD(ctx context.Context, addr string, card *Emulator) (*VPCDLink, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cardio: connect to vpcd at %s: %w", addr, err)
	}
	l := &VPCDLink{conn: conn, card: card, done: make(chan struct{})}
	go l.serve()
	return l, nil
}

// Close takes the card out of the virtual reader and waits until the link
// has stopped.
func (l *VPCDLink) Close() error {
	l.once.Do(func() { l.conn.Close() })
	<-l.done
	return nil
}

// Done is closed when the link has stopped.
func (l *VPCDLink) Done() <-chan struct{} { return l.done }

// Err returns why the link stopped: nil after Close, the failure
// otherwise. It is valid once Done is closed.
func (l *VPCDLink) Err() error {
	<-l.done
	return l.err
}

// APDUs returns the number of command APDUs the card has answered.
func (l *VPCDLink) APDUs() uint64 { return l.apdus.Load() }

func (l *VPCDLink) serve() {
	defer close(l.done)
	err := l.loop()
	closedByUs := false
	l.once.Do(func() { l.conn.Close() })
	if errors.Is(err, net.ErrClosed) {
		closedByUs = true
	}
	if !closedByUs {
		l.err = fmt.Errorf("cardio: vpcd link: %w", err)
	}
	l.card.Reset() // the card leaves the reader
}

func (l *VPCDLink) loop() error {
	var hdr [2]byte
	for {
		quickAck(l.conn)
		if _, err := io.ReadFull(l.conn, hdr[:]); err != nil {
			return err
		}
		msg := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		quickAck(l.conn)
		if _, err := io.ReadFull(l.conn, msg); err != nil {
			return err
		}
		switch len(msg) {
		case 0:
			continue
		case 1:
			switch msg[0] {
			case vpcdPowerOff, vpcdPowerOn, vpcdReset:
				l.card.Reset()
			case vpcdGetATR:
				if err := l.send(l.card.ATR()); err != nil {
					return err
				}
			}
		default:
			l.apdus.Add(1)
			if err := l.send(l.card.Transmit(msg)); err != nil {
				return err
			}
		}
	}
}

// send writes one length-prefixed message.
func (l *VPCDLink) send(payload []byte) error {
	out := make([]byte, 2+len(payload))
	binary.BigEndian.PutUint16(out, uint16(len(payload)))
	copy(out[2:], payload)
	_, err := l.conn.Write(out)
	return err
}
