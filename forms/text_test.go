package forms

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"高橋　崎子", "高橋 崎子"},
		{"  高橋 \t\u3000 崎子  ", "高橋 崎子"},
		{"ＴＡＫＡＨＡＳＨＩ　Ｓａｋｉｋｏ", "TAKAHASHI Sakiko"},
		{"東京都千代田区霞が関１－２－３", "東京都千代田区霞が関1-2-3"},
		{"ﾀｶﾊｼ ｻｷｺ", "タカハシ サキコ"},
		{"ｶﾞｷﾞｸﾞｹﾞｺﾞ ﾊﾟﾋﾟﾌﾟ ｳﾞ", "ガギグゲゴ パピプ ヴ"},
		{"カ゛", "ガ"},                    // spacing voiced mark joined
		{"か\u3099", "が"},               // combining mark composed (NFC)
		{"ｱﾞ", "ア゛"},                   // nothing to compose: spacing mark
		{"e\u0301", "é"},               // NFC
		{"\uFA19", "\uFA19"},           // 神 kept: NFC would change the code point
		{"\uFA11\u3099", "\uFA11゛"},    // compatibility ideograph kept
		{"髙橋", "髙橋"},                   // uncarriable characters are kept for the check
		{"葛\U000E0100", "葛\U000E0100"}, // IVS kept
		{"", ""},
		{"\u3000", ""},
		{"a\xffb", "a\xffb"}, // broken bytes kept for CheckCharset
	}
	for _, tt := range tests {
		if got := NormalizeText(tt.in); got != tt.want {
			t.Errorf("NormalizeText(%+q) = %+q, want %+q", tt.in, got, tt.want)
		}
	}
}

func TestCertificateText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"高橋", "高橋"},
		{" 高橋  崎子 ", "高橋\u3000崎子"},
		{"東京都千代田区霞が関1-2-3", "東京都千代田区霞が関１－２－３"},
		{"SMITH John", "ＳＭＩＴＨ\u3000Ｊｏｈｎ"},
		{"ﾀｶﾊｼ", "タカハシ"},
		{"ｱﾞ", "ア゛"},
		{"￥100", "￥１００"},
		{"髙橋", "髙橋"},
	}
	for _, tt := range tests {
		got := CertificateText(tt.in)
		if got != tt.want {
			t.Errorf("CertificateText(%+q) = %+q, want %+q", tt.in, got, tt.want)
		}
	}
	// Widening makes ASCII and half-width text carriable.
	for _, s := range []string{"1-2-3 ABC xyz", "ｶﾞｷﾞ ﾀﾞﾝｺﾞ", "ｱﾞ", "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./"} {
		if err := CheckCharset(CertificateText(s)); err != nil {
			t.Errorf("CheckCharset(CertificateText(%q)): %v", s, err)
		}
	}
}

func TestNormalizeKana(t *testing.T) {
	tests := []struct{ in, want string }{
		{"たかはし", "たかはし"},
		{"タカハシ", "たかはし"},
		{"ﾀｶﾊｼ", "たかはし"},
		{"タカハシ　サキコ", "たかはし さきこ"},
		{"ヴァイオリン", "ゔぁいおりん"},
		{"キョウコ", "きょうこ"}, // small kana kept
		{"ッ", "っ"},       // small tsu
		{"ヵヶ", "ゕゖ"},     // small ka and ke
		{"サーシャ", "さーしゃ"}, // ー kept
		{"ｻｰｼｬ", "さーしゃ"}, // half-width ｰ
		{"さ-しゃ", "さーしゃ"}, // hyphen after kana
		{"さ～", "さー"},     // tilde after kana
		{"-さ", "-さ"},     // not after kana: left for validation
		{"ヽヾ", "ゝゞ"},     // iteration marks
		{"ガ", "が"},
		{"ｶﾞ", "が"},
	}
	for _, tt := range tests {
		if got := NormalizeKana(tt.in); got != tt.want {
			t.Errorf("NormalizeKana(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for s, want := range map[string]bool{"たかはし": true, "さーしゃ": true, "たかはし さきこ": true, "高橋": false, "takahashi": false, "": false, "カタカナ": false} {
		if got := isFuriganaText(s); got != want {
			t.Errorf("isFuriganaText(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzNormalizeText checks the normalisers: they are idempotent, keep
// valid UTF-8 valid, leave no doubled or edge spaces, and CertificateText
// leaves only characters that are carriable, or that were uncarriable
// before width folding.
func FuzzNormalizeText(f *testing.F) {
	for _, s := range []string{"高橋　崎子", "ﾀｶﾊｼ ｻｷｺ", "ＡＢＣ１２３", "か\u3099", "ｱﾞ", "\uFA19", "葛\U000E0100", " a  b ", "\xed\xa0\x80", "カ゛゛"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeText(s)
		if again := NormalizeText(n); again != n {
			t.Fatalf("NormalizeText not idempotent on %+q: %+q then %+q", s, n, again)
		}
		if utf8.ValidString(s) && !utf8.ValidString(n) {
			t.Fatalf("NormalizeText(%+q) = %+q, invalid UTF-8", s, n)
		}
		if strings.Contains(n, "  ") || strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") {
			t.Fatalf("NormalizeText(%+q) = %+q keeps extra spaces", s, n)
		}
		c := CertificateText(s)
		if again := CertificateText(c); again != c {
			t.Fatalf("CertificateText not idempotent on %+q: %+q then %+q", s, c, again)
		}
		if strings.ContainsAny(c, " -0123456789ABCZabcz") {
			t.Fatalf("CertificateText(%+q) = %+q keeps ASCII", s, c)
		}
		k := NormalizeKana(s)
		if again := NormalizeKana(k); again != k {
			t.Fatalf("NormalizeKana not idempotent on %+q: %+q then %+q", s, k, again)
		}
		if strings.ContainsAny(k, "アイウエオカキクケコンァッ") {
			t.Fatalf("NormalizeKana(%+q) = %+q keeps katakana", s, k)
		}
	})
}

func BenchmarkNormalizeText(b *testing.B) {
	s := "ﾀｶﾊｼ　ｻｷｺ 東京都千代田区霞が関１－２－３"
	for b.Loop() {
		_ = NormalizeText(s)
	}
}
