package jpfont

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrBadCollection reports a TrueType collection (.ttc) that cannot be read.
var ErrBadCollection = errors.New("jpfont: malformed TrueType collection")

// maxCollectionFaces bounds the face count read from a collection header;
// real collections hold a handful (msgothic.ttc: 3, meiryo.ttc: 4).
const maxCollectionFaces = 1 << 10

// IsCollection reports whether data starts like a TrueType collection.
func IsCollection(data []byte) bool {
	return len(data) >= 4 && string(data[:4]) == "ttcf"
}

// CollectionFaces returns the number of faces in the collection data.
func CollectionFaces(data []byte) (int, error) {
	if !IsCollection(data) || len(data) < 12 {
		return 0, fmt.Errorf("%w: no ttcf header", ErrBadCollection)
	}
	n := binary.BigEndian.Uint32(data[8:12])
	if n == 0 || n > maxCollectionFaces || uint64(len(data)) < 12+4*uint64(n) {
		return 0, fmt.Errorf("%w: %d faces", ErrBadCollection, n)
	}
	return int(n), nil
}

// ExtractTTC returns face index of the TrueType collection data as a
// standalone TrueType font file: the face's tables copied out (tables the
// faces share are copied into each), 4-byte aligned, with fresh table
// checksums and head.checkSumAdjustment. Windows ships its Japanese fonts
// (Yu Gothic, Meiryo, MS Gothic) only as collections, which neither Fyne's
// renderer nor fpdf reads. Faces with CFF outlines are refused.
func ExtractTTC(data []byte, index int) ([]byte, error) {
	n, err := CollectionFaces(data)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= n {
		return nil, fmt.Errorf("%w: face %d of %d", ErrBadCollection, index, n)
	}
	off := uint64(binary.BigEndian.Uint32(data[12+4*index:]))
	if off+12 > uint64(len(data)) {
		return nil, fmt.Errorf("%w: face %d at %d beyond the end", ErrBadCollection, index, off)
	}
	face := data[off:]
	if !isTrueType(face) {
		return nil, fmt.Errorf("%w: face %d is not TrueType outlines (%q)", ErrBadCollection, index, face[:4])
	}
	numTables := int(binary.BigEndian.Uint16(face[4:6]))
	if numTables == 0 || uint64(len(face)) < 12+16*uint64(numTables) {
		return nil, fmt.Errorf("%w: face %d: %d tables", ErrBadCollection, index, numTables)
	}
	type table struct {
		tag  []byte
		data []byte
	}
	tables := make([]table, numTables)
	size := uint64(12 + 16*numTables)
	for i := range tables {
		rec := face[12+16*i:]
		tOff := uint64(binary.BigEndian.Uint32(rec[8:12]))
		tLen := uint64(binary.BigEndian.Uint32(rec[12:16]))
		if tOff+tLen > uint64(len(data)) {
			return nil, fmt.Errorf("%w: table %q beyond the end", ErrBadCollection, rec[:4])
		}
		tables[i] = table{tag: rec[:4], data: data[tOff : tOff+tLen]}
		size += (tLen + 3) &^ 3
	}
	if size > uint64(len(data)) {
		// Every face fits in its collection unless tables overlap oddly.
		return nil, fmt.Errorf("%w: face %d larger than the collection", ErrBadCollection, index)
	}

	out := make([]byte, size)
	copy(out[:12], face[:12]) // sfnt version, numTables, search fields
	pos := 12 + 16*numTables
	headAt := -1
	for i, t := range tables {
		copy(out[pos:], t.data)
		if string(t.tag) == "head" && len(t.data) >= 12 {
			headAt = pos
			binary.BigEndian.PutUint32(out[pos+8:], 0) // checkSumAdjustment, set below
		}
		rec := out[12+16*i:]
		copy(rec[0:4], t.tag)
		binary.BigEndian.PutUint32(rec[4:8], checksum(out[pos:pos+len(t.data)]))
		binary.BigEndian.PutUint32(rec[8:12], uint32(pos))
		binary.BigEndian.PutUint32(rec[12:16], uint32(len(t.data)))
		pos += (len(t.data) + 3) &^ 3
	}
	if headAt >= 0 {
		binary.BigEndian.PutUint32(out[headAt+8:], 0xB1B0AFBA-checksum(out))
	}
	return out, nil
}

// checksum is the OpenType table checksum: the sum of big-endian uint32s,
// the data padded with zeros to a multiple of four bytes.
func checksum(b []byte) uint32 {
	var sum uint32
	for len(b) >= 4 {
		sum += binary.BigEndian.Uint32(b)
		b = b[4:]
	}
	if len(b) > 0 {
		var last [4]byte
		copy(last[:], b)
		sum += binary.BigEndian.Uint32(last[:])
	}
	return sum
}
