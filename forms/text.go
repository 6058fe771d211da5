package forms

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// NormalizeText puts free text (氏名, 住所, search input) in the form used
// to compare and store it:
//
//   - NFC, except that CJK compatibility ideographs (U+F900–U+FAFF,
//     U+2F800–U+2FA1F) are kept: NFC would replace them with a different
//     code point (神 U+FA19 → 神 U+795E), silently changing a registry
//     character;
//   - full-width ASCII letters, digits and symbols become ASCII (Ａ１－ →
//     A1-), half-width katakana become full-width (ｶﾞ → ガ), as
//     golang.org/x/text/width's Fold does;
//   - a spacing voiced mark after a kana is joined to it (カ゛ → ガ), and a
//     kana voiced mark that cannot be joined is written spacing (ｱﾞ → ア゛);
//   - every run of white space, U+3000 included, becomes one ASCII space,
//     and leading and trailing space is removed.
//
// Invalid UTF-8 is kept as it is, for CheckCharset to report.
func NormalizeText(s string) string {
	s = width.Fold.String(s)
	s = nfcKeepCompat(s)
	// A kana voiced mark that NFC could not compose (ｱﾞ, a lone ﾞ) becomes
	// the spacing mark of JIS X 0208.
	s = spacingMarks.Replace(s)
	s = composeVoiced(s)
	return collapseSpaces(s, " ")
}

var spacingMarks = strings.NewReplacer("\u3099", "\u309B", "\u309A", "\u309C")

// CertificateText puts text in the form the certificate carries: the
// result of NormalizeText with ASCII widened to full width (A1- →
// Ａ１－, ¥ → ￥) and each space as U+3000. The characters that stay
// uncarriable (髙, 𠮷, IVS sequences …) are left for CheckCharset and the
// substitute characters.
func CertificateText(s string) string {
	return widen(NormalizeText(s))
}

// NormalizeKana puts ふりがな in its compared and stored form: the result of
// NormalizeText with katakana turned into hiragana (タカハシ → たかはし,
// ヴ → ゔ, ヽヾ → ゝゞ). The long vowel mark ー and small kana are kept; a
// hyphen, dash or tilde right after a kana becomes ー (ｻｰ, さ- → さー).
func NormalizeKana(s string) string {
	s = NormalizeText(s)
	var b strings.Builder
	b.Grow(len(s))
	prevKana := false
	for _, r := range s {
		switch {
		case r >= 'ァ' && r <= 'ヶ', r == 'ヽ', r == 'ヾ':
			r -= 0x60
		case prevKana && isDashLike(r):
			r = 'ー'
		}
		b.WriteRune(r)
		prevKana = isKana(r)
	}
	return b.String()
}

// isKana reports whether r is hiragana, katakana or the long vowel mark.
func isKana(r rune) bool {
	return (r >= 0x3041 && r <= 0x3096) || (r >= 0x309D && r <= 0x30FF)
}

func isDashLike(r rune) bool {
	switch r {
	case '-', '‐', '‑', '–', '—', '―', '−', '~', '〜', '～', 'ｰ':
		return true
	}
	return false
}

// isFuriganaText reports whether s, normalised by NormalizeKana, holds only
// hiragana, ー, ゝゞ and single spaces.
func isFuriganaText(s string) bool {
	for _, r := range s {
		switch {
		case r >= 0x3041 && r <= 0x3096, r == 'ー', r == 'ゝ', r == 'ゞ', r == ' ':
		default:
			return false
		}
	}
	return s != ""
}

// isCompatIdeograph reports whether r is a CJK compatibility ideograph
// with a canonical decomposition or in the supplementary block.
func isCompatIdeograph(r rune) bool {
	return (r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

// nfcKeepCompat applies NFC to s but keeps CJK compatibility ideographs.
func nfcKeepCompat(s string) string {
	if norm.NFC.IsNormalString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	start := 0
	for i, r := range s {
		if isCompatIdeograph(r) {
			b.WriteString(norm.NFC.String(s[start:i]))
			b.WriteRune(r)
			start = i + utf8.RuneLen(r)
		}
	}
	b.WriteString(norm.NFC.String(s[start:]))
	return b.String()
}

// collapseSpaces replaces each run of white space in s by sep and trims
// the ends.
func collapseSpaces(s, sep string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			space = true
			i += n
			continue
		}
		if space && b.Len() > 0 {
			b.WriteString(sep)
		}
		space = false
		b.WriteString(s[i : i+n]) // keeps invalid bytes as they were
		i += n
	}
	return b.String()
}
