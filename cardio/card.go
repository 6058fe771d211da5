package cardio

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
)

// Protocol is the transmission protocol negotiated with a card.
type Protocol int

// Transmission protocols.
const (
	T1 Protocol = iota // block protocol: case 4 APDUs carry Le
	T0                 // character protocol: case 4 becomes case 3 + GET RESPONSE
)

func (p Protocol) String() string {
	if p == T0 {
		return "T=0"
	}
	return "T=1"
}

// Conn is a raw link to one card: a PC/SC connection or an emulated one.
type Conn interface {
	// Transmit sends one raw command APDU and returns the raw response,
	// status word included.
	Transmit(apdu []byte) ([]byte, error)
	// ATR returns the card's Answer To Reset.
	ATR() []byte
	// Protocol returns the negotiated transmission protocol.
	Protocol() Protocol
	// Close ends the connection and resets the card, so that no security
	// status (verified PIN, management key) outlives the connection.
	Close() error
}

// Card sends commands to a card over a Conn, taking care of the transport
// rules: command chaining or extended length for long data, GET RESPONSE
// after 61xx, a retry with the exact length after 6Cxx, and T=0 case 4.
// A Card is safe for use by several goroutines; each command's exchange is
// atomic.
type Card struct {
	conn     Conn
	mu       sync.Mutex
	extended bool
	count    atomic.Uint64
}

// NewCard wraps conn. Extended length APDUs are used when the card's ATR
// announces them (ISO 7816-4 card capabilities) and the protocol is T=1;
// command chaining otherwise.
func NewCard(conn Conn) *Card {
	return &Card{conn: conn, extended: conn.Protocol() == T1 && atrExtendedLength(conn.ATR())}
}

// ATR returns the card's Answer To Reset.
func (c *Card) ATR() []byte { return c.conn.ATR() }

// ExtendedLength reports whether long commands are sent as extended APDUs
// rather than chained.
func (c *Card) ExtendedLength() bool { return c.extended }

// Transmits returns the number of raw APDUs sent so far, GET RESPONSE and
// chained parts included.
func (c *Card) Transmits() uint64 { return c.count.Load() }

// Close closes the connection.
func (c *Card) Close() error { return c.conn.Close() }

// maxChunk is the largest data field of a short APDU.
const maxChunk = 255

// Do sends cmd and returns the response data when the card answers 9000.
// Any other final status word is returned as a *StatusError (with the data
// the card sent, if any, still returned). ctx is checked before every APDU.
func (c *Card) Do(ctx context.Context, cmd Command) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	resp, err := c.exchange(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if resp.SW != SWOK {
		return resp.Data, &StatusError{INS: cmd.INS, SW: resp.SW}
	}
	return resp.Data, nil
}

// exchange runs the whole transport sequence for one command and returns
// the assembled response.
func (c *Card) exchange(ctx context.Context, cmd Command) (Response, error) {
	t0 := c.conn.Protocol() == T0
	data := cmd.Data
	// Command chaining: every part but the last has CLA bit 0x10 and no Le.
	if len(data) > maxChunk && !c.extended {
		for len(data) > maxChunk {
			part := Command{CLA: cmd.CLA | 0x10, INS: cmd.INS, P1: cmd.P1, P2: cmd.P2, Data: data[:maxChunk]}
			resp, err := c.transmitOnce(ctx, part.encode(false), cmd.secret)
			if err != nil {
				return Response{}, err
			}
			if resp.SW != SWOK {
				return resp, nil
			}
			data = data[maxChunk:]
		}
	}
	last := Command{CLA: cmd.CLA, INS: cmd.INS, P1: cmd.P1, P2: cmd.P2, Data: data, Ne: cmd.Ne}
	if !c.extended && last.Ne > 256 {
		last.Ne = 256 // the rest arrives through GET RESPONSE
	}
	if t0 && len(last.Data) > 0 {
		last.Ne = 0 // T=0 case 4 is sent as case 3; data follows 61xx
	}
	resp, err := c.transmitOnce(ctx, last.encode(c.extended && last.Extended()), cmd.secret)
	if err != nil {
		return Response{}, err
	}
	if resp.SW1() == 0x6C && len(last.Data) == 0 {
		// Wrong Le: send the same command again with the exact length.
		last.Ne = shortNe(resp.SW2())
		if resp, err = c.transmitOnce(ctx, last.encode(false), cmd.secret); err != nil {
			return Response{}, err
		}
	}
	var out bytes.Buffer
	out.Write(resp.Data)
	for resp.SW1() == 0x61 {
		getResp := Command{CLA: cmd.CLA &^ 0x10, INS: insGetResponse, Ne: shortNe(resp.SW2())}
		if resp, err = c.transmit(ctx, getResp.encode(false)); err != nil {
			return Response{}, err
		}
		if resp.SW1() == 0x6C {
			getResp.Ne = shortNe(resp.SW2())
			if resp, err = c.transmit(ctx, getResp.encode(false)); err != nil {
				return Response{}, err
			}
		}
		out.Write(resp.Data)
	}
	return Response{Data: out.Bytes(), SW: resp.SW}, nil
}

// transmitOnce sends one raw APDU and wipes it afterwards when it holds a
// secret.
func (c *Card) transmitOnce(ctx context.Context, raw []byte, secret bool) (Response, error) {
	if secret {
		defer clear(raw)
	}
	return c.transmit(ctx, raw)
}

// transmit sends one raw APDU.
func (c *Card) transmit(ctx context.Context, raw []byte) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	c.count.Add(1)
	rawResp, err := c.conn.Transmit(raw)
	if err != nil {
		return Response{}, err
	}
	resp, err := ParseResponse(rawResp)
	if err != nil {
		return Response{}, linkErr("transmit", ErrProtocol, err)
	}
	return resp, nil
}

// atrExtendedLength reports whether the historical bytes of atr hold a
// card capabilities object (compact-TLV tag 7) announcing extended Lc and
// Le fields (third software function byte, bit 7).
func atrExtendedLength(atr []byte) bool {
	hist := atrHistorical(atr)
	if len(hist) < 1 || hist[0] != 0x80 {
		return false
	}
	for p := hist[1:]; len(p) > 0; {
		tag, n := p[0]>>4, int(p[0]&0x0F)
		if 1+n > len(p) {
			return false
		}
		if tag == 7 && n >= 3 {
			return p[3]&0x40 != 0
		}
		p = p[1+n:]
	}
	return false
}

// atrHistorical returns the historical bytes of an ATR (ISO 7816-3).
func atrHistorical(atr []byte) []byte {
	if len(atr) < 2 {
		return nil
	}
	k := int(atr[1] & 0x0F)
	i := 2
	y := atr[1] // high nibble: which of TA, TB, TC, TD follow
	for {
		for _, bit := range []byte{0x10, 0x20, 0x40} { // TA, TB, TC
			if y&bit != 0 {
				i++
			}
		}
		if y&0x80 == 0 { // no TD
			break
		}
		if i >= len(atr) {
			return nil
		}
		y = atr[i]
		i++
	}
	if i+k > len(atr) {
		return nil
	}
	return atr[i : i+k]
}
