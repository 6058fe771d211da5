package forms

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestApplySubstitutes(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		choices   map[int]string
		out, pos  string
		remaining []CharProblem // a *CharsetError with these, or nil
	}{
		{"done criterion", "髙橋　﨑子", map[int]string{0: "高", 3: "崎"}, "高橋　崎子", "10010", nil},
		{"nothing to do", "高橋　崎子", nil, "高橋　崎子", "00000", nil},
		{"outside the BMP", "𠮷田", map[int]string{0: "吉"}, "吉田", "10", nil},
		{"IVS keyed by its base", "葛\U000E0100飾", map[int]string{0: "葛"}, "葛飾", "10", nil},
		{"IVS in the middle", "渡邊\U000E0108太郎", map[int]string{1: "邊"}, "渡邊太郎", "0100", nil},
		{"kana as a last resort", "𠮷田", map[int]string{0: "よし"}, "よし田", "110", nil},
		{"address", "東京都千代田区霞が関１－２－３髙橋方", map[int]string{15: "高"},
			"東京都千代田区霞が関１－２－３高橋方", "000000000000000100", nil},
		{"one left", "髙橋　﨑子", map[int]string{0: "高"}, "高橋　﨑子", "10000",
			[]CharProblem{{3, "﨑", ReasonVendorExtension}}},
		{"left after a longer substitute", "𠮷﨑", map[int]string{0: "よし"}, "よし﨑", "110",
			[]CharProblem{{2, "﨑", ReasonVendorExtension}}},
		{"empty text", "", nil, "", "", nil},
	}
	for _, tt := range tests {
		out, pos, err := ApplySubstitutes(tt.text, tt.choices)
		if out != tt.out || pos != tt.pos {
			t.Errorf("%s: ApplySubstitutes = %q, %q; want %q, %q", tt.name, out, pos, tt.out, tt.pos)
		}
		if tt.remaining == nil {
			if err != nil {
				t.Errorf("%s: error %v", tt.name, err)
			}
			continue
		}
		var ce *CharsetError
		if !errors.As(err, &ce) || !slices.Equal(ce.Problems, tt.remaining) {
			t.Errorf("%s: error %v, want remaining %+v", tt.name, err, tt.remaining)
		}
	}
}

func TestApplySubstitutesRejects(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		choices map[int]string
		index   int
		want    error
	}{
		{"carriable character", "髙橋", map[int]string{1: "端"}, 1, ErrSubstituteNotNeeded},
		{"out of range", "髙橋", map[int]string{0: "高", 2: "高"}, 2, ErrSubstituteIndex},
		{"negative", "髙橋", map[int]string{-1: "高"}, -1, ErrSubstituteIndex},
		{"inside an IVS", "葛\U000E0100", map[int]string{1: "葛"}, 1, ErrSubstituteIndex},
		{"uncarriable substitute", "髙橋", map[int]string{0: "﨑"}, 0, ErrSubstituteNotCarriable},
		{"empty substitute", "髙橋", map[int]string{0: ""}, 0, ErrSubstituteNotCarriable},
		{"ASCII substitute", "髙橋", map[int]string{0: "A"}, 0, ErrSubstituteNotCarriable},
		{"space in substitute", "髙橋", map[int]string{0: "た か"}, 0, ErrSubstituteNotCarriable},
		{"lowest index first", "髙﨑", map[int]string{1: "x", 0: "y"}, 0, ErrSubstituteNotCarriable},
	}
	for _, tt := range tests {
		out, pos, err := ApplySubstitutes(tt.text, tt.choices)
		var se *SubstituteError
		if !errors.As(err, &se) || !errors.Is(err, tt.want) || se.Index != tt.index {
			t.Errorf("%s: ApplySubstitutes error = %v, want %v at %d", tt.name, err, tt.want, tt.index)
			continue
		}
		if out != "" || pos != "" {
			t.Errorf("%s: returned %q, %q with the error", tt.name, out, pos)
		}
		if !strings.Contains(se.UserMessage(), "文字目") {
			t.Errorf("%s: UserMessage %q", tt.name, se.UserMessage())
		}
	}
}

// FuzzApplySubstitutes checks, for any text and any choice at any index,
// that the position string has one digit per code point of the output,
// that characters without a choice are copied unchanged, and that a
// success leaves only carriable text.
func FuzzApplySubstitutes(f *testing.F) {
	f.Add("髙橋　﨑子", 0, "高", 3, "崎")
	f.Add("葛\U000E0100飾", 0, "葛", 1, "x")
	f.Add("𠮷田", 0, "よし", 5, "")
	f.Add("\xed\xa0\x80髙", 3, "高", 0, "あ")
	f.Fuzz(func(t *testing.T, text string, i1 int, s1 string, i2 int, s2 string) {
		choices := map[int]string{i1: s1, i2: s2}
		out, pos, err := ApplySubstitutes(text, choices)
		var se *SubstituteError
		if errors.As(err, &se) {
			if out != "" || pos != "" {
				t.Fatalf("output with a SubstituteError")
			}
			return
		}
		if len(pos) != utf8.RuneCountInString(out) || strings.Trim(pos, "01") != "" {
			t.Fatalf("ApplySubstitutes(%+q, %v) = %+q, %q: positions do not match", text, choices, out, pos)
		}
		if strings.Count(pos, "1") == 0 && out != text {
			t.Fatalf("ApplySubstitutes(%+q, %v) changed the text without marking it: %+q", text, choices, out)
		}
		if err == nil {
			if cerr := CheckCharset(out); cerr != nil {
				t.Fatalf("ApplySubstitutes(%+q, %v) = %+q succeeded but: %v", text, choices, out, cerr)
			}
		} else {
			var ce *CharsetError
			if !errors.As(err, &ce) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			// The remaining problems index out and name its characters.
			runes := []rune(out)
			for _, p := range ce.Problems {
				if p.Index < 0 || p.Index >= len(runes) || pos[p.Index] != '0' {
					t.Fatalf("problem %+v does not index the output %+q (%q)", p, out, pos)
				}
			}
		}
	})
}

func BenchmarkApplySubstitutes(b *testing.B) {
	choices := map[int]string{0: "高", 3: "崎"}
	for b.Loop() {
		if _, _, err := ApplySubstitutes("髙橋　﨑子", choices); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSuggestSubstitutes(t *testing.T) {
	tests := []struct {
		text string
		want map[int]string
	}{
		{"髙橋　﨑子", map[int]string{0: "高", 3: "崎"}},
		{"東京都葛\U000E0100飾区𠮷田", map[int]string{3: "葛", 7: "吉"}},
		{"か\u3099ん", map[int]string{0: "が"}},
		{"高橋", nil},
		{"\uFFFD", nil}, // no candidate: left for the clerk
	}
	for _, tt := range tests {
		got := SuggestSubstitutes(tt.text)
		if !maps.Equal(got, tt.want) {
			t.Errorf("SuggestSubstitutes(%+q) = %v, want %v", tt.text, got, tt.want)
			continue
		}
		if out, _, err := ApplySubstitutes(tt.text, got); tt.want != nil && (err != nil || CheckCharset(out) != nil) {
			t.Errorf("suggestions for %+q do not apply: %q, %v", tt.text, out, err)
		}
	}
}
