package forms

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"madoguchi/assets/substitutes"
)

func TestCarriable(t *testing.T) {
	tests := []struct {
		ch   string
		want bool
		why  string
	}{
		{"高", true, "JIS X 0208 level 1"},
		{"崎", true, "JIS X 0208 level 1"},
		{"邊", true, "JIS X 0208 level 2 (row 78)"},
		{"齋", true, "JIS X 0208 level 2"},
		{"叱", true, "JIS X 0208 level 1"},
		{"剥", true, "JIS X 0208"},
		{"丂", true, "JIS X 0212 (0x8F 0xB0 0xA1)"},
		{"鄧", true, "JIS X 0212"},
		{"あ", true, "hiragana"},
		{"ヴ", true, "katakana"},
		{"ー", true, "long vowel mark"},
		{"　", true, "ideographic space (1-1-1)"},
		{"１", true, "full-width digit"},
		{"Ａ", true, "full-width letter"},
		{"－", true, "full-width hyphen-minus, x/text's 1-1-61"},
		{"−", true, "minus sign, JIS's 1-1-61"},
		{"～", true, "full-width tilde, x/text's 1-1-33"},
		{"〜", true, "wave dash, JIS's 1-1-33"},
		{"髙", false, "IBM extension, row 92 in x/text's EUC-JP"},
		{"﨑", false, "IBM extension, row 89"},
		{"①", false, "NEC special, row 13"},
		{"Ⅲ", false, "NEC special, row 13"},
		{"㈱", false, "NEC special, row 13"},
		{"𠮷", false, "outside the BMP, not JIS X 0208/0212"},
		{"剝", false, "JIS X 0213 only"},
		{"𠮟", false, "JIS X 0213 only"},
		{"ｶ", false, "half-width katakana"},
		{"A", false, "ASCII is JIS X 0201"},
		{" ", false, "ASCII space"},
		{"¥", false, "JIS X 0201 yen"},
		{"葛\U000E0100", false, "IVS sequence"},
		{"か\u3099", false, "base with a combining mark"},
		{"\u3099", false, "lone combining mark"},
		{"\uFFFD", false, "replacement character"},
		{"\xed\xa0\x80", false, "CESU-8 lone surrogate"},
		{"\ue000", false, "private use"},
		{"\t", false, "control"},
		{"\u200b", false, "format character"},
		{"", false, "empty"},
		{"高橋", false, "two characters"},
	}
	for _, tt := range tests {
		if got := Carriable(tt.ch); got != tt.want {
			t.Errorf("Carriable(%+q) = %v, want %v (%s)", tt.ch, got, tt.want, tt.why)
		}
	}
}

// TestCarriableCounts pins the size of the carriable set: JIS X 0208 has
// 6879 characters (524 non-kanji, 2965 level 1, 3390 level 2), and the
// whole set adds JIS X 0212's and the JIS-standard aliases.
func TestCarriableCounts(t *testing.T) {
	jis0208 := 0
	total := 0
	for r := rune(0); r <= 0xFFFF; r++ {
		if !carriableRune(r) {
			continue
		}
		total++
		b, err := japanese.EUCJP.NewEncoder().Bytes([]byte(string(r)))
		if err != nil {
			continue
		}
		if row := int(b[0]) - 0xA0; err == nil && len(b) == 2 && (row >= 1 && row <= 8 || row >= 16 && row <= 84) && !jisAliases[r] {
			jis0208++
		}
	}
	if jis0208 != 6879 {
		t.Errorf("JIS X 0208 characters = %d, want 6879", jis0208)
	}
	// JIS X 0212 has 6067 characters; a few share a code point with JIS X
	// 0208 in Unicode (～), so the union is a little under 6879+6067+7.
	if total < 6879+5800 || total > 6879+6067+len(jisAliases) {
		t.Errorf("carriable characters = %d, want about %d", total, 6879+6067)
	}
}

// TestVendorRows shows why the row check is needed: x/text's encoder
// accepts these, but in rows that are not JIS X 0208.
func TestVendorRows(t *testing.T) {
	for ch, row := range map[string]byte{"髙": 92, "﨑": 89, "①": 13} {
		b, err := japanese.EUCJP.NewEncoder().String(ch)
		if err != nil || b[0]-0xA0 != row {
			t.Errorf("x/text encodes %s as % x, %v; want row %d", ch, b, err, row)
		}
		if Carriable(ch) {
			t.Errorf("Carriable(%s) = true for a row-%d character", ch, row)
		}
	}
}

func TestCheckCharset(t *testing.T) {
	tests := []struct {
		in   string
		want []CharProblem
	}{
		{"高橋　崎子", nil},
		{"東京都千代田区霞が関１－２－３", nil},
		{"髙橋　﨑子", []CharProblem{{0, "髙", ReasonVendorExtension}, {3, "﨑", ReasonVendorExtension}}},
		{"𠮷田", []CharProblem{{0, "𠮷", ReasonOutsideJIS}}},
		{"剝", []CharProblem{{0, "剝", ReasonOutsideJIS}}},
		{"ｶﾀｶﾅ", []CharProblem{{0, "ｶ", ReasonHalfWidth}, {1, "ﾀ", ReasonHalfWidth}, {2, "ｶ", ReasonHalfWidth}, {3, "ﾅ", ReasonHalfWidth}}},
		{"高橋 崎子", []CharProblem{{2, " ", ReasonHalfWidth}}},
		{"葛\U000E0100飾", []CharProblem{{0, "葛\U000E0100", ReasonVariationSelector}}},
		{"渡邊\U000E0108", []CharProblem{{1, "邊\U000E0108", ReasonVariationSelector}}},
		{"神\uFE00", []CharProblem{{0, "神\uFE00", ReasonVariationSelector}}},
		{"か\u3099き", []CharProblem{{0, "か\u3099", ReasonCombining}}},
		{"\u0301あ", []CharProblem{{0, "\u0301", ReasonCombining}}},
		{"e\u0301", []CharProblem{{0, "e\u0301", ReasonCombining}}},
		{"a\uFFFDb", []CharProblem{{0, "a", ReasonHalfWidth}, {1, "\uFFFD", ReasonReplacement}, {2, "b", ReasonHalfWidth}}},
		{"高\xed\xa0\x80橋", []CharProblem{{1, "\xed\xa0\x80", ReasonInvalidUTF8}}},
		{"高\xff\xfe橋", []CharProblem{{1, "\xff", ReasonInvalidUTF8}, {2, "\xfe", ReasonInvalidUTF8}}},
		{"高\n橋", []CharProblem{{1, "\n", ReasonControl}}},
		{"高\u200d橋", []CharProblem{{1, "\u200d", ReasonControl}}},
		{"\ue000", []CharProblem{{0, "\ue000", ReasonPrivateUse}}},
		{"①", []CharProblem{{0, "①", ReasonVendorExtension}}},
		{"😀", []CharProblem{{0, "😀", ReasonOutsideJIS}}},
	}
	for _, tt := range tests {
		err := CheckCharset(tt.in)
		if tt.want == nil {
			if err != nil {
				t.Errorf("CheckCharset(%+q) = %v, want nil", tt.in, err)
			}
			continue
		}
		var ce *CharsetError
		if !errors.As(err, &ce) {
			t.Errorf("CheckCharset(%+q) = %v, want a *CharsetError", tt.in, err)
			continue
		}
		if !slices.Equal(ce.Problems, tt.want) {
			t.Errorf("CheckCharset(%+q) problems = %+v, want %+v", tt.in, ce.Problems, tt.want)
		}
		msg := ce.UserMessage()
		if !strings.Contains(msg, "代替文字") || !strings.Contains(msg, "文字目") {
			t.Errorf("UserMessage of %+q = %q", tt.in, msg)
		}
	}
}

func TestCandidates(t *testing.T) {
	tests := []struct {
		ch    string
		first string // nil when ""
	}{
		{"髙", "高"},
		{"﨑", "崎"},
		{"𠮷", "吉"},
		{"剝", "剥"},
		{"𠮟", "叱"},
		{"ｶ", "カ"},
		{"ﾞ", "゛"},
		{"A", "Ａ"},
		{" ", "　"},
		{"①", "１"},
		{"\uFA19", "神"},      // compatibility ideograph 神 → 神 U+795E
		{"葛\U000E0100", "葛"}, // IVS: the base
		{"﨑\U000E0103", "崎"}, // IVS of an uncarriable base: from the table
		{"か\u3099", "が"},     // combining: the composed form
		{"高", ""},            // carriable: no candidate
		{"\uFFFD", ""},       //
		{"\xed\xa0\x80", ""}, //
		{"", ""},             //
	}
	for _, tt := range tests {
		got := Candidates(tt.ch)
		if tt.first == "" {
			if got != nil {
				t.Errorf("Candidates(%+q) = %q, want nil", tt.ch, got)
			}
			continue
		}
		if len(got) == 0 || got[0] != tt.first {
			t.Errorf("Candidates(%+q) = %q, want %q first", tt.ch, got, tt.first)
		}
		for _, c := range got {
			if !carriableText(c) {
				t.Errorf("Candidates(%+q) offers uncarriable %+q", tt.ch, c)
			}
		}
	}
}

func TestReasonText(t *testing.T) {
	for r := ReasonOutsideJIS; r <= ReasonPrivateUse; r++ {
		if strings.HasPrefix(r.String(), "Reason(") || r.Japanese() == "" {
			t.Errorf("reason %d has no text", int(r))
		}
	}
	if Reason(99).String() != "Reason(99)" {
		t.Error("unknown reason")
	}
}

func BenchmarkCheckCharset(b *testing.B) {
	s := "東京都千代田区霞が関一丁目２番３号　髙橋﨑子方"
	for b.Loop() {
		_ = CheckCharset(s)
	}
}

// BenchmarkBuildClasses measures building the carriable-character table,
// done once on first use.
func BenchmarkBuildClasses(b *testing.B) {
	for b.Loop() {
		buildClasses()
	}
}

// TestSubstituteTable checks the generated table against this package's
// rules: every key is uncarriable and every candidate carriable.
func TestSubstituteTable(t *testing.T) {
	n := 0
	for key, cands := range substitutes.All() {
		n++
		if Carriable(key) {
			t.Errorf("table key %+q is carriable", key)
		}
		for _, c := range cands {
			if !Carriable(c) {
				t.Errorf("table candidate %+q of %+q is not carriable", c, key)
			}
		}
	}
	if n != substitutes.Len() || n < 20000 {
		t.Errorf("table has %d keys (Len %d)", n, substitutes.Len())
	}
}
