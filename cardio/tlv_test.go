package cardio

import (
	"bytes"
	"errors"
	"testing"
)

func TestReadTLV(t *testing.T) {
	long := bytes.Repeat([]byte{0xAB}, 300)
	tests := []struct {
		name string
		in   []byte
		tag  uint32
		val  []byte
		rest []byte
	}{
		{"short length", []byte{0x53, 0x02, 0x01, 0x02, 0xFF}, 0x53, []byte{1, 2}, []byte{0xFF}},
		{"empty value", []byte{0xFE, 0x00}, 0xFE, []byte{}, []byte{}},
		{"81 form", append([]byte{0x70, 0x81, 0x80}, long[:128]...), 0x70, long[:128], []byte{}},
		{"82 form", append([]byte{0x70, 0x82, 0x01, 0x2C}, long...), 0x70, long, []byte{}},
		{"two-byte tag", []byte{0x5F, 0x2F, 0x02, 0x40, 0x00}, 0x5F2F, []byte{0x40, 0x00}, []byte{}},
		{"7F49 template", []byte{0x7F, 0x49, 0x01, 0x00}, 0x7F49, []byte{0}, []byte{}},
		{"three-byte tag", []byte{0x5F, 0xC1, 0x0A, 0x00}, 0x5FC10A, []byte{}, []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, rest, err := ReadTLV(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if obj.Tag != tt.tag || !bytes.Equal(obj.Value, tt.val) || !bytes.Equal(rest, tt.rest) {
				t.Fatalf("got tag %X value % X rest % X", obj.Tag, obj.Value, rest)
			}
		})
	}
}

func TestReadTLVRejects(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty":              {},
		"tag only":           {0x53},
		"truncated tag":      {0x5F},
		"four-byte tag":      {0x5F, 0xC1, 0x81, 0x01, 0x00},
		"83 length form":     {0x53, 0x83, 0x00, 0x00, 0x01, 0x00},
		"80 indefinite":      {0x53, 0x80, 0x00, 0x00},
		"truncated 81":       {0x53, 0x81},
		"truncated 82":       {0x53, 0x82, 0x01},
		"value too short":    {0x53, 0x03, 0x01, 0x02},
		"82 value too short": {0x53, 0x82, 0x01, 0x00, 0x00},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := ReadTLV(in); !errors.Is(err, ErrMalformedTLV) {
				t.Fatalf("ReadTLV(% X) = %v, want ErrMalformedTLV", in, err)
			}
		})
	}
}

func TestAppendTLVLengthForms(t *testing.T) {
	for _, tt := range []struct {
		n      int
		header []byte
	}{
		{0, []byte{0x53, 0x00}},
		{127, []byte{0x53, 0x7F}},
		{128, []byte{0x53, 0x81, 0x80}},
		{255, []byte{0x53, 0x81, 0xFF}},
		{256, []byte{0x53, 0x82, 0x01, 0x00}},
		{65535, []byte{0x53, 0x82, 0xFF, 0xFF}},
	} {
		val := bytes.Repeat([]byte{7}, tt.n)
		enc := AppendTLV(nil, 0x53, val)
		if !bytes.HasPrefix(enc, tt.header) || len(enc) != len(tt.header)+tt.n {
			t.Errorf("length %d: header % X, want % X", tt.n, enc[:len(tt.header)], tt.header)
		}
		obj, rest, err := ReadTLV(enc)
		if err != nil || obj.Tag != 0x53 || !bytes.Equal(obj.Value, val) || len(rest) != 0 {
			t.Errorf("length %d: round trip failed: %v", tt.n, err)
		}
	}
}

func TestFindAndUnwrap(t *testing.T) {
	data := TLVs(TLV{Tag: 0x80, Value: []byte{1}}, TLV{Tag: 0x81, Value: []byte{2, 3}})
	v, ok, err := FindTLV(data, 0x81)
	if err != nil || !ok || !bytes.Equal(v, []byte{2, 3}) {
		t.Fatalf("FindTLV 81 = % X %v %v", v, ok, err)
	}
	if _, ok, _ := FindTLV(data, 0x82); ok {
		t.Fatal("FindTLV found an absent tag")
	}
	if _, _, err := FindTLV(append(data, 0x82), 0x80); err == nil {
		t.Fatal("FindTLV accepted trailing garbage")
	}
	if _, err := unwrapTLV(data, 0x80); err == nil {
		t.Fatal("unwrapTLV accepted a second object")
	}
	if v, err := unwrapTLV(AppendTLV(nil, 0x7C, data), 0x7C); err != nil || !bytes.Equal(v, data) {
		t.Fatalf("unwrapTLV = % X, %v", v, err)
	}
}

// FuzzParseTLVs checks that parsing never panics and that every object it
// returns encodes and parses back to itself.
func FuzzParseTLVs(f *testing.F) {
	f.Add([]byte{0x53, 0x02, 0x01, 0x02})
	f.Add([]byte{0x7F, 0x49, 0x82, 0x01, 0x09})
	f.Add(TLVs(TLV{Tag: 0x5F2F, Value: []byte{0x40, 0}}, TLV{Tag: 0x7C, Value: make([]byte, 300)}))
	f.Add([]byte{0x5F, 0xC1, 0x0A, 0x81, 0x01, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := ParseTLVs(data)
		if err != nil {
			if !errors.Is(err, ErrMalformedTLV) {
				t.Fatalf("unexpected error type: %v", err)
			}
			return
		}
		total := 0
		for _, o := range objs {
			enc := AppendTLV(nil, o.Tag, o.Value)
			back, rest, err := ReadTLV(enc)
			if err != nil || back.Tag != o.Tag || !bytes.Equal(back.Value, o.Value) || len(rest) != 0 {
				t.Fatalf("object %X did not survive re-encoding: %v", o.Tag, err)
			}
			total += len(o.Value)
		}
		if total > len(data) {
			t.Fatalf("values longer than the input")
		}
	})
}
