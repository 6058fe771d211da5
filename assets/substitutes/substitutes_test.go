package substitutes

import (
	"slices"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		ch    string
		first string // the best candidate
	}{
		{"髙", "高"},           // IBM extension, 住基 J+9AD9
		{"﨑", "崎"},           // U+FA11
		{"𠮷", "吉"},           // U+20BB7, outside the BMP
		{"剝", "剥"},           // JIS X 0213; from the variant pairs
		{"𠮟", "叱"},           // JIS X 0213; from the variant pairs
		{"﨑\U000E0103", "崎"}, // an IVS key (MJ030197)
	}
	for _, tt := range tests {
		got := Lookup(tt.ch)
		if len(got) == 0 || got[0] != tt.first {
			t.Errorf("Lookup(%+q) = %q, want %q first", tt.ch, got, tt.first)
		}
	}
	for _, ch := range []string{"高", "a", "", "\u3000"} {
		if got := Lookup(ch); got != nil {
			t.Errorf("Lookup(%+q) = %q, want nil", ch, got)
		}
	}
}

func TestTableShape(t *testing.T) {
	if n := Len(); n < 20000 {
		t.Fatalf("Len() = %d, want the generated table (over 20000 keys)", n)
	}
	for key, cands := range table {
		if len(cands) == 0 || slices.Contains(cands, key) || strings.ContainsAny(key, " \t") {
			t.Errorf("bad entry %+q: %q", key, cands)
		}
	}
	if !strings.Contains(tableText, "CC BY-SA 2.1 JP") {
		t.Error("the table's header lost its licence notice")
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		load()
	}
}
