package cardio

import (
	"errors"
	"fmt"
)

// ErrMalformedAPDU is returned by ParseCommand for a byte string that is
// not a valid ISO 7816-4 command APDU.
var ErrMalformedAPDU = errors.New("cardio: malformed command APDU")

// Command is an ISO 7816-4 command APDU before encoding.
type Command struct {
	CLA, INS, P1, P2 byte
	// Data is the command data field (Lc bytes); empty for cases 1 and 2.
	Data []byte
	// Ne is the maximum number of response data bytes expected: 0 for
	// none (no Le field), up to 256 for a short Le, up to 65536 for an
	// extended Le.
	Ne int
	// secret marks a data field holding a PIN, PUK or key: the encoded
	// buffers are wiped once sent.
	secret bool
}

// Response is a response APDU: data followed by the status word.
type Response struct {
	Data []byte
	SW   uint16
}

// SW1 returns the first status byte.
func (r Response) SW1() byte { return byte(r.SW >> 8) }

// SW2 returns the second status byte.
func (r Response) SW2() byte { return byte(r.SW) }

// Bytes encodes the response as sent by a card.
func (r Response) Bytes() []byte {
	out := make([]byte, 0, len(r.Data)+2)
	out = append(out, r.Data...)
	return append(out, r.SW1(), r.SW2())
}

// ParseResponse splits a raw response into data and status word.
func ParseResponse(raw []byte) (Response, error) {
	if len(raw) < 2 {
		return Response{}, fmt.Errorf("cardio: response of %d bytes has no status word", len(raw))
	}
	n := len(raw) - 2
	return Response{Data: raw[:n:n], SW: uint16(raw[n])<<8 | uint16(raw[n+1])}, nil
}

// Extended reports whether the command needs the extended length form.
func (c Command) Extended() bool {
	return len(c.Data) > 255 || c.Ne > 256
}

// Bytes encodes the command in the short form when it fits and in the
// extended form otherwise.
func (c Command) Bytes() []byte {
	return c.encode(c.Extended())
}

// encode encodes the command in the short or extended form. The caller
// ensures that a short encoding fits.
func (c Command) encode(extended bool) []byte {
	out := make([]byte, 0, 4+3+len(c.Data)+3)
	out = append(out, c.CLA, c.INS, c.P1, c.P2)
	if !extended {
		if len(c.Data) > 0 {
			out = append(out, byte(len(c.Data)))
			out = append(out, c.Data...)
		}
		if c.Ne > 0 {
			out = append(out, byte(c.Ne)) // 256 encodes as 00
		}
		return out
	}
	if len(c.Data) > 0 {
		out = append(out, 0, byte(len(c.Data)>>8), byte(len(c.Data)))
		out = append(out, c.Data...)
	}
	if c.Ne > 0 {
		if len(c.Data) == 0 {
			out = append(out, 0)
		}
		out = append(out, byte(c.Ne>>8), byte(c.Ne)) // 65536 encodes as 00 00
	}
	return out
}

// ParseCommand decodes a command APDU in any of the seven ISO 7816-4
// cases (1, 2S, 3S, 4S, 2E, 3E, 4E). The data field aliases raw.
func ParseCommand(raw []byte) (Command, bool, error) {
	if len(raw) < 4 {
		return Command{}, false, ErrMalformedAPDU
	}
	c := Command{CLA: raw[0], INS: raw[1], P1: raw[2], P2: raw[3]}
	body := raw[4:]
	switch {
	case len(body) == 0: // case 1
		return c, false, nil
	case len(body) == 1: // case 2S
		c.Ne = shortNe(body[0])
		return c, false, nil
	case body[0] != 0 || len(body) < 3:
		// Short Lc (cases 3S and 4S).
		lc := int(body[0])
		if lc == 0 {
			return Command{}, false, ErrMalformedAPDU
		}
		switch len(body) {
		case 1 + lc:
		case 2 + lc:
			c.Ne = shortNe(body[1+lc])
		default:
			return Command{}, false, ErrMalformedAPDU
		}
		c.Data = body[1 : 1+lc]
		return c, false, nil
	case len(body) == 3: // case 2E
		c.Ne = extendedNe(body[1], body[2])
		return c, true, nil
	default: // cases 3E and 4E
		lc := int(body[1])<<8 | int(body[2])
		if lc == 0 {
			return Command{}, false, ErrMalformedAPDU
		}
		switch len(body) {
		case 3 + lc:
		case 5 + lc:
			c.Ne = extendedNe(body[3+lc], body[4+lc])
		default:
			return Command{}, false, ErrMalformedAPDU
		}
		c.Data = body[3 : 3+lc]
		return c, true, nil
	}
}

func shortNe(le byte) int {
	if le == 0 {
		return 256
	}
	return int(le)
}

func extendedNe(hi, lo byte) int {
	n := int(hi)<<8 | int(lo)
	if n == 0 {
		return 65536
	}
	return n
}
