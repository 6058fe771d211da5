package cardio

import (
	"errors"
	"fmt"
)

// ErrMalformedTLV is returned when BER-TLV data cannot be parsed: a
// truncated tag, length or value, a length form longer than three bytes,
// or a tag longer than three bytes.
var ErrMalformedTLV = errors.New("cardio: malformed BER-TLV")

// TLV is one BER-TLV data object. Tag holds the tag bytes as a big-endian
// number, so the two-byte tag 7F 49 is 0x7F49.
type TLV struct {
	Tag   uint32
	Value []byte
}

// tagBytes returns the encoded form of tag (one to three bytes).
func tagBytes(tag uint32) []byte {
	switch {
	case tag > 0xFFFF:
		return []byte{byte(tag >> 16), byte(tag >> 8), byte(tag)}
	case tag > 0xFF:
		return []byte{byte(tag >> 8), byte(tag)}
	default:
		return []byte{byte(tag)}
	}
}

// AppendTLV appends tag, the BER length of value and value to dst. Lengths
// use the short form below 128 and the 81 or 82 long forms above, so value
// must be shorter than 65536 bytes.
func AppendTLV(dst []byte, tag uint32, value []byte) []byte {
	dst = append(dst, tagBytes(tag)...)
	dst = appendLength(dst, len(value))
	return append(dst, value...)
}

// appendLength appends a BER length (one to three bytes).
func appendLength(dst []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n <= 0xFF:
		return append(dst, 0x81, byte(n))
	case n <= 0xFFFF:
		return append(dst, 0x82, byte(n>>8), byte(n))
	default:
		panic(fmt.Sprintf("cardio: TLV value of %d bytes is too long", n))
	}
}

// TLVs builds the concatenation of several data objects.
func TLVs(objs ...TLV) []byte {
	var out []byte
	for _, o := range objs {
		out = AppendTLV(out, o.Tag, o.Value)
	}
	return out
}

// ReadTLV parses the first data object of data and returns it with the
// bytes that follow it. The value aliases data.
func ReadTLV(data []byte) (obj TLV, rest []byte, err error) {
	if len(data) == 0 {
		return TLV{}, nil, ErrMalformedTLV
	}
	// Tag: the low five bits 11111 announce further bytes, each with
	// bit 8 set while more follow.
	i := 1
	tag := uint32(data[0])
	if data[0]&0x1F == 0x1F {
		for {
			if i >= len(data) || i >= 3 {
				return TLV{}, nil, ErrMalformedTLV
			}
			b := data[i]
			tag = tag<<8 | uint32(b)
			i++
			if b&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(data) {
		return TLV{}, nil, ErrMalformedTLV
	}
	// Length: short form, or 81 xx, or 82 xx xx.
	var n int
	switch l := data[i]; {
	case l < 0x80:
		n = int(l)
		i++
	case l == 0x81:
		if i+1 >= len(data) {
			return TLV{}, nil, ErrMalformedTLV
		}
		n = int(data[i+1])
		i += 2
	case l == 0x82:
		if i+2 >= len(data) {
			return TLV{}, nil, ErrMalformedTLV
		}
		n = int(data[i+1])<<8 | int(data[i+2])
		i += 3
	default:
		return TLV{}, nil, ErrMalformedTLV
	}
	if n > len(data)-i {
		return TLV{}, nil, ErrMalformedTLV
	}
	return TLV{Tag: tag, Value: data[i : i+n]}, data[i+n:], nil
}

// ParseTLVs parses data as a sequence of data objects filling it exactly.
func ParseTLVs(data []byte) ([]TLV, error) {
	var out []TLV
	for len(data) > 0 {
		obj, rest, err := ReadTLV(data)
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
		data = rest
	}
	return out, nil
}

// FindTLV returns the value of the first object with the given tag among
// the objects that fill data, without descending into nested objects.
func FindTLV(data []byte, tag uint32) ([]byte, bool, error) {
	objs, err := ParseTLVs(data)
	if err != nil {
		return nil, false, err
	}
	for _, o := range objs {
		if o.Tag == tag {
			return o.Value, true, nil
		}
	}
	return nil, false, nil
}

// unwrapTLV parses data as exactly one object with the given tag and
// returns its value.
func unwrapTLV(data []byte, tag uint32) ([]byte, error) {
	obj, rest, err := ReadTLV(data)
	if err != nil {
		return nil, err
	}
	if obj.Tag != tag || len(rest) != 0 {
		return nil, fmt.Errorf("%w: expected one object with tag %X, got %X and %d more bytes", ErrMalformedTLV, tag, obj.Tag, len(rest))
	}
	return obj.Value, nil
}
