package jpfont

import (
	"bytes"
	"encoding/binary"
	"os"
	"sort"
	"testing"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"
)

// sfntTables splits a TrueType file into its tables by tag.
func sfntTables(t testing.TB, font []byte) map[string][]byte {
	t.Helper()
	n := int(binary.BigEndian.Uint16(font[4:6]))
	m := map[string][]byte{}
	for i := 0; i < n; i++ {
		rec := font[12+16*i:]
		off, l := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		m[string(rec[:4])] = font[off : off+l]
	}
	return m
}

// buildTTC packs faces (each a map of tables) into a TrueType collection the
// way font tools do: a table with the same bytes in several faces is stored
// once and shared.
func buildTTC(faces []map[string][]byte) []byte {
	var hdr, body bytes.Buffer
	headerLen := 12 + 4*len(faces)
	for _, f := range faces {
		headerLen += 12 + 16*len(f)
	}
	hdr.WriteString("ttcf")
	binary.Write(&hdr, binary.BigEndian, []uint16{1, 0})
	binary.Write(&hdr, binary.BigEndian, uint32(len(faces)))
	faceOff := 12 + 4*len(faces)
	for _, f := range faces {
		binary.Write(&hdr, binary.BigEndian, uint32(faceOff))
		faceOff += 12 + 16*len(f)
	}
	stored := map[string]int{}
	for _, f := range faces {
		tags := make([]string, 0, len(f))
		for tag := range f {
			tags = append(tags, tag)
		}
		sort.Strings(tags)
		n := len(tags)
		sr := 1
		es := 0
		for sr*2 <= n {
			sr *= 2
			es++
		}
		binary.Write(&hdr, binary.BigEndian, uint32(0x00010000))
		binary.Write(&hdr, binary.BigEndian, []uint16{uint16(n), uint16(16 * sr), uint16(es), uint16(16*n - 16*sr)})
		for _, tag := range tags {
			data := f[tag]
			off, ok := stored[string(data)]
			if !ok {
				off = headerLen + body.Len()
				stored[string(data)] = off
				body.Write(data)
				body.Write(make([]byte, (4-len(data)%4)%4))
			}
			hdr.WriteString(tag)
			binary.Write(&hdr, binary.BigEndian, []uint32{checksum(data), uint32(off), uint32(len(data))})
		}
	}
	return append(hdr.Bytes(), body.Bytes()...)
}

func TestExtractTTC(t *testing.T) {
	// Needs fonts-ipaexfont-gothic (make deps), like TestFindDefault.
	ttf, err := os.ReadFile("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
	if err != nil {
		t.Fatalf("the test font: %v", err)
	}
	full := sfntTables(t, ttf)
	// Face 1 lacks the layout and vertical tables and shares the rest
	// (glyf, cmap, ...) with face 0, as faces of Windows' collections do.
	lean := map[string][]byte{}
	for tag, data := range full {
		switch tag {
		case "BASE", "GDEF", "GPOS", "GSUB", "vhea", "vmtx":
		default:
			lean[tag] = data
		}
	}
	ttc := buildTTC([]map[string][]byte{full, lean})
	if len(ttc) > len(ttf)+4096 {
		t.Fatalf("collection of %d bytes: the shared tables were not shared", len(ttc))
	}
	if n, err := CollectionFaces(ttc); n != 2 || err != nil {
		t.Fatalf("CollectionFaces = %d, %v", n, err)
	}
	path := t.TempDir() + "/test.ttc"
	if err := os.WriteFile(path, ttc, 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := load(path)
	if err != nil || !isTrueType(loaded.Data) {
		t.Fatalf("load(.ttc): %v", err)
	}

	tests := []struct {
		face int
		want map[string][]byte
	}{
		{0, full},
		{1, lean},
	}
	for _, tt := range tests {
		out, err := ExtractTTC(ttc, tt.face)
		if err != nil {
			t.Fatalf("face %d: %v", tt.face, err)
		}
		if tt.face == 0 && !bytes.Equal(out, loaded.Data) {
			t.Error("load did not take face 0")
		}
		got := sfntTables(t, out)
		if len(got) != len(tt.want) {
			t.Errorf("face %d: %d tables, want %d", tt.face, len(got), len(tt.want))
		}
		for tag, data := range tt.want {
			if tag == "head" { // checkSumAdjustment differs
				data = append(append([]byte{}, data[:8]...), data[12:]...)
				got[tag] = append(append([]byte{}, got[tag][:8]...), got[tag][12:]...)
			}
			if !bytes.Equal(got[tag], data) {
				t.Errorf("face %d: table %q differs", tt.face, tag)
			}
		}
		if sum := checksum(out); sum != 0xB1B0AFBA {
			t.Errorf("face %d: file checksum %#x, want 0xB1B0AFBA", tt.face, sum)
		}
		// The face is a font the renderers read: x/image's parser finds
		// Japanese glyphs, and fpdf embeds it in a PDF.
		f, err := sfnt.Parse(out)
		if err != nil {
			t.Fatalf("face %d: sfnt.Parse: %v", tt.face, err)
		}
		var buf sfnt.Buffer
		if gi, err := f.GlyphIndex(&buf, '窓'); err != nil || gi == 0 {
			t.Errorf("face %d: no glyph for 窓 (%v)", tt.face, err)
		}
		pdf := fpdf.New("P", "mm", "A4", "")
		pdf.AddUTF8FontFromBytes("jp", "", out)
		pdf.AddPage()
		pdf.SetFont("jp", "", 12)
		pdf.Cell(40, 10, "公的個人認証 窓口")
		var doc bytes.Buffer
		if err := pdf.Output(&doc); err != nil || doc.Len() < 1000 {
			t.Errorf("face %d: fpdf: %v (%d bytes)", tt.face, err, doc.Len())
		}
	}
}

func TestExtractTTCRejects(t *testing.T) {
	small := buildTTC([]map[string][]byte{{"head": make([]byte, 54), "abcd": []byte("xyz")}})
	cff := append([]byte{}, small...)
	copy(cff[16:20], "OTTO") // face 0's sfnt version: CFF outlines
	truncated := small[:len(small)-8]
	tests := []struct {
		name  string
		data  []byte
		index int
	}{
		{"not a collection", []byte("\x00\x01\x00\x00rest"), 0},
		{"face out of range", small, 1},
		{"negative face", small, -1},
		{"CFF face", cff, 0},
		{"truncated table", truncated, 0},
		{"zero faces", []byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x00"), 0},
		{"huge face count", []byte("ttcf\x00\x01\x00\x00\xff\xff\xff\xff"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ExtractTTC(tt.data, tt.index); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if out, err := ExtractTTC(small, 0); err != nil || checksum(out) != 0xB1B0AFBA {
		t.Fatalf("small face: %v", err)
	}
}

func FuzzExtractTTC(f *testing.F) {
	f.Add(buildTTC([]map[string][]byte{{"head": make([]byte, 54), "abcd": []byte("xyz")}}), 0)
	f.Add(buildTTC([]map[string][]byte{{"head": make([]byte, 54)}, {"head": make([]byte, 54), "glyf": []byte("12345")}}), 1)
	f.Fuzz(func(t *testing.T, data []byte, index int) {
		out, err := ExtractTTC(data, index)
		if err != nil {
			return
		}
		if !isTrueType(out) || len(out) > len(data) {
			t.Fatalf("output of %d bytes from %d", len(out), len(data))
		}
		n := int(binary.BigEndian.Uint16(out[4:6]))
		for i := 0; i < n; i++ {
			rec := out[12+16*i:]
			off, l := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
			if uint64(off)+uint64(l) > uint64(len(out)) || off%4 != 0 {
				t.Fatalf("table %d at %d+%d in %d bytes", i, off, l, len(out))
			}
		}
	})
}
