package cardio

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// CHUID is the Card Holder Unique Identifier object (SP 800-73-4 part 1,
// 3.1.2), reduced to what a non-federal card carries.
//
// Its issuer asymmetric signature (tag 3E) is a CMS SignedData over
// SignedContent, with detached content of type id-PIV-CHUIDSecurityObject;
// the issuer (keygen) makes it. A CHUID without Signature is encoded
// without the 3E element at all rather than with an empty one.
type CHUID struct {
	GUID      [16]byte  // the card's unique identifier
	Expiry    time.Time // the date printed in the object (YYYYMMDD)
	Signature []byte    // DER CMS SignedData, or nil
}

// ID returns the GUID as 32 lower-case hex digits.
func (c CHUID) ID() string { return hex.EncodeToString(c.GUID[:]) }

// NewCHUID returns a CHUID with a fresh random GUID.
func NewCHUID(expiry time.Time) (CHUID, error) {
	var c CHUID
	if _, err := rand.Read(c.GUID[:]); err != nil {
		return CHUID{}, err
	}
	c.GUID[6] = c.GUID[6]&0x0F | 0x40 // RFC 9562 version 4
	c.GUID[8] = c.GUID[8]&0x3F | 0x80 // RFC 9562 variant
	c.Expiry = expiry
	return c, nil
}

// SignedContent returns the elements that the issuer signature covers:
// every element of the CHUID but the signature and the error detection
// code, TLV-encoded, in order.
func (c CHUID) SignedContent() []byte {
	return TLVs(
		TLV{Tag: 0x30, Value: fascn("9999", "9999", "999999", "1", "1", "0000000000", "1", "9999", "1")},
		TLV{Tag: 0x34, Value: c.GUID[:]},
		TLV{Tag: 0x35, Value: []byte(c.Expiry.Format("20060102"))},
	)
}

// Marshal encodes the CHUID content: a FASC-N with agency code 9999 (a
// non-federal issuer, so that middleware identifies the card by its GUID),
// the GUID, the expiry date, the issuer signature when there is one, and
// the error detection code (empty, as SP 800-73-4 has it).
func (c CHUID) Marshal() []byte {
	out := c.SignedContent()
	if len(c.Signature) > 0 {
		out = AppendTLV(out, 0x3E, c.Signature)
	}
	return AppendTLV(out, 0xFE, nil)
}

// ParseCHUID decodes CHUID content. It needs the GUID; the expiry date is
// optional.
func ParseCHUID(content []byte) (CHUID, error) {
	objs, err := ParseTLVs(content)
	if err != nil {
		return CHUID{}, fmt.Errorf("CHUID: %w", err)
	}
	var c CHUID
	var haveGUID bool
	for _, o := range objs {
		switch o.Tag {
		case 0x34:
			if len(o.Value) != 16 {
				return CHUID{}, fmt.Errorf("CHUID: %w: GUID of %d bytes", ErrMalformedTLV, len(o.Value))
			}
			copy(c.GUID[:], o.Value)
			haveGUID = true
		case 0x35:
			if t, err := time.Parse("20060102", string(o.Value)); err == nil {
				c.Expiry = t
			}
		case 0x3E:
			if len(o.Value) > 0 {
				c.Signature = bytes.Clone(o.Value)
			}
		}
	}
	if !haveGUID {
		return CHUID{}, fmt.Errorf("CHUID: %w: no GUID", ErrMalformedTLV)
	}
	return c, nil
}

// ReadCHUID reads and decodes the card's CHUID.
func (p *PIV) ReadCHUID(ctx context.Context) (CHUID, error) {
	content, err := p.GetData(ctx, ObjCHUID)
	if err != nil {
		return CHUID{}, err
	}
	c, err := ParseCHUID(content)
	if err != nil {
		return CHUID{}, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	return c, nil
}

// WriteCHUID writes the CHUID. The management key must have been
// authenticated.
func (p *PIV) WriteCHUID(ctx context.Context, c CHUID) error {
	return p.PutData(ctx, ObjCHUID, c.Marshal())
}

// CCCContent builds a Card Capability Container (SP 800-73-4 part 1,
// 3.1.1) whose card identifier ends with the first 14 bytes of id.
func CCCContent(id [16]byte) []byte {
	cardID := append([]byte{0xA0, 0x00, 0x00, 0x01, 0x16, 0xFF, 0x02}, id[:14]...)
	return TLVs(
		TLV{Tag: 0xF0, Value: cardID},       // card identifier
		TLV{Tag: 0xF1, Value: []byte{0x21}}, // capability container version
		TLV{Tag: 0xF2, Value: []byte{0x21}}, // capability grammar version
		TLV{Tag: 0xF3},                      // applications CardURL
		TLV{Tag: 0xF4, Value: []byte{0x00}}, // PKCS#15
		TLV{Tag: 0xF5, Value: []byte{0x10}}, // registered data model number
		TLV{Tag: 0xF6},                      // access control rule table
		TLV{Tag: 0xF7},                      // card APDUs
		TLV{Tag: 0xFA},                      // redirection tag
		TLV{Tag: 0xFB},                      // capability tuples
		TLV{Tag: 0xFC},                      // status tuples
		TLV{Tag: 0xFD},                      // next CCC
		TLV{Tag: 0xFE},                      // error detection code
	)
}

// fascn encodes a FASC-N (TIG SCEPACS): 40 characters of four data bits,
// least significant first, and an odd-parity bit, packed into 25 bytes.
// Fields are decimal digit strings.
func fascn(agency, system, credential, series, issue, person, class, org, assoc string) []byte {
	const ss, fs, es = 0x0B, 0x0D, 0x0F
	var chars []byte
	add := func(digits string) {
		for _, d := range digits {
			chars = append(chars, byte(d-'0'))
		}
	}
	chars = append(chars, ss)
	for i, f := range []string{agency, system, credential, series, issue} {
		if i > 0 {
			chars = append(chars, fs)
		}
		add(f)
	}
	chars = append(chars, fs)
	add(person)
	add(class)
	add(org)
	add(assoc)
	chars = append(chars, es)
	var lrc byte
	for _, c := range chars {
		lrc ^= c
	}
	chars = append(chars, lrc&0x0F)

	out := make([]byte, (len(chars)*5+7)/8)
	bit := 0
	put := func(v byte) {
		if v != 0 {
			out[bit/8] |= 0x80 >> (bit % 8)
		}
		bit++
	}
	for _, c := range chars {
		ones := 0
		for i := range 4 {
			b := c >> i & 1
			ones += int(b)
			put(b)
		}
		put(byte(1 - ones%2)) // odd parity
	}
	return out
}
