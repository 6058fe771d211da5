package forms

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"madoguchi/assets/substitutes"
)

// The certificate carries the characters of JIS X 0208 and JIS X 0212
// (補助漢字) only. Membership is decided with golang.org/x/text's EUC-JP
// encoder plus a row check: that encoder also accepts the NEC special
// characters (row 13: ①, Ⅲ, ㈱) and the NEC-selected IBM extensions
// (rows 89–92: 髙, 﨑), which CP932 registry exports carry but which are not
// JIS X 0208. JIS X 0208 proper is rows 1–8 and 16–84; JIS X 0212 is what
// EUC-JP writes behind the 0x8F prefix.
//
// Some JIS X 0208 characters have two common Unicode mappings (the JIS
// standard's and Microsoft's). x/text uses the Microsoft one (～ U+FF5E,
// － U+FF0D); the JIS ones (〜 U+301C, − U+2212, ‖ U+2016, — U+2014,
// ¢ £ ¬) name the same JIS X 0208 characters and are accepted as well.
//
// ASCII and half-width katakana belong to JIS X 0201, not to JIS X 0208:
// they are not carriable as such. CertificateText widens them to their
// JIS X 0208 full-width forms, which is a change of width, not a
// substitute character.

// jisAliases are the JIS-standard Unicode mappings of JIS X 0208
// characters that x/text maps to other code points.
var jisAliases = map[rune]bool{
	'\u2014': true, // — EM DASH, 1-1-29 (x/text: U+2015)
	'\u301C': true, // 〜 WAVE DASH, 1-1-33 (x/text: U+FF5E)
	'\u2016': true, // ‖ DOUBLE VERTICAL LINE, 1-1-34 (x/text: U+2225)
	'\u2212': true, // − MINUS SIGN, 1-1-61 (x/text: U+FF0D)
	'\u00A2': true, // ¢ CENT SIGN, 1-1-81 (x/text: U+FFE0)
	'\u00A3': true, // £ POUND SIGN, 1-1-82 (x/text: U+FFE1)
	'\u00AC': true, // ¬ NOT SIGN, 1-2-44 (x/text: U+FFE2)
}

// Classes of a code point for the certificate, kept in one table over the
// BMP (x/text's Japanese tables hold no supplementary-plane characters).
const (
	classNone   uint8 = iota // not in any Japanese character set x/text knows
	classJIS                 // JIS X 0208 rows 1–8, 16–84, or JIS X 0212
	classVendor              // NEC row 13 or IBM extension rows 89–92 only
	classHalf                // JIS X 0201 half-width katakana
)

var (
	classOnce  sync.Once
	classTable []uint8 // indexed by rune, 0x0000–0xFFFF
)

// buildClasses runs every BMP code point through the EUC-JP encoder and
// classifies the result by row, then adds the JIS X 0212 characters that
// the encoder prefers to write in an IBM extension row.
func buildClasses() {
	classTable = make([]uint8, 0x10000)
	enc := japanese.EUCJP.NewEncoder()
	var src [4]byte
	var dst [8]byte
	for r := rune(0x80); r <= 0xFFFF; r++ {
		if utf8.ValidRune(r) == false {
			continue
		}
		n := utf8.EncodeRune(src[:], r)
		enc.Reset()
		m, _, err := enc.Transform(dst[:], src[:n], true)
		if err != nil || m < 2 {
			continue
		}
		switch {
		case dst[0] == 0x8E:
			classTable[r] = classHalf
		case dst[0] == 0x8F:
			classTable[r] = classJIS
		default:
			row := int(dst[0]) - 0xA0
			if (row >= 1 && row <= 8) || (row >= 16 && row <= 84) {
				classTable[r] = classJIS
			} else {
				classTable[r] = classVendor
			}
		}
	}
	// A character in both JIS X 0212 and an extension row is written by
	// the encoder in the extension row; decode JIS X 0212 to find them.
	dec := japanese.EUCJP.NewDecoder()
	for hi := 0xA1; hi <= 0xFE; hi++ {
		for lo := 0xA1; lo <= 0xFE; lo++ {
			dec.Reset()
			m, _, err := dec.Transform(dst[:], []byte{0x8F, byte(hi), byte(lo)}, true)
			if err != nil || m == 0 {
				continue
			}
			r, _ := utf8.DecodeRune(dst[:m])
			if r != utf8.RuneError && r <= 0xFFFF && classTable[r] == classVendor {
				classTable[r] = classJIS
			}
		}
	}
	for r := range jisAliases {
		classTable[r] = classJIS
	}
}

func classOf(r rune) uint8 {
	if r < 0 || r > 0xFFFF {
		return classNone
	}
	classOnce.Do(buildClasses)
	return classTable[r]
}

// carriableRune reports whether the certificate can carry r.
func carriableRune(r rune) bool { return classOf(r) == classJIS }

// Carriable reports whether the certificate can carry ch, one character.
// ch must be exactly one code point of JIS X 0208 or JIS X 0212; a
// sequence (a base with a variation selector or a combining mark) is never
// carriable, since the certificate cannot hold the selector or the mark.
func Carriable(ch string) bool {
	r, n := utf8.DecodeRuneInString(ch)
	return n == len(ch) && n > 0 && r != utf8.RuneError && carriableRune(r)
}

// Reason tells why the certificate cannot carry a character.
type Reason int

// Reasons for a CharProblem.
const (
	ReasonOutsideJIS        Reason = iota + 1 // not in JIS X 0208 or JIS X 0212 (e.g. 𠮷, 剝, JIS X 0213)
	ReasonVendorExtension                     // NEC special or IBM extension character (e.g. 髙, 﨑, ①)
	ReasonHalfWidth                           // JIS X 0201: ASCII or half-width katakana (e.g. ｶ, A)
	ReasonControl                             // control or format character (tab, newline, U+200B …)
	ReasonReplacement                         // U+FFFD, a character already lost in a conversion
	ReasonInvalidUTF8                         // bytes that are not UTF-8, including encoded lone surrogates
	ReasonCombining                           // a combining mark (e.g. U+3099, U+0301)
	ReasonVariationSelector                   // a variation sequence (IVS or SVS) such as 葛󠄀
	ReasonPrivateUse                          // a private-use code point (外字)
)

var reasonText = map[Reason][2]string{
	ReasonOutsideJIS:        {"not in JIS X 0208 or JIS X 0212", "JIS X 0208・0212 にない文字です"},
	ReasonVendorExtension:   {"NEC or IBM extension character, not JIS X 0208", "機種依存文字（NEC・IBM 拡張文字）です"},
	ReasonHalfWidth:         {"half-width (JIS X 0201) character", "半角文字です"},
	ReasonControl:           {"control or format character", "制御文字です"},
	ReasonReplacement:       {"replacement character U+FFFD", "変換に失敗した文字（U+FFFD）です"},
	ReasonInvalidUTF8:       {"invalid UTF-8 or lone surrogate", "文字コードが壊れています（不正な UTF-8・サロゲート）"},
	ReasonCombining:         {"combining mark", "結合文字を含みます"},
	ReasonVariationSelector: {"variation sequence (the certificate cannot carry the selector)", "異体字セレクタ付きの文字です（証明書には異体字を区別して記録できません）"},
	ReasonPrivateUse:        {"private-use character", "外字（私用領域の文字）です"},
}

// String describes the reason in English.
func (r Reason) String() string {
	if t, ok := reasonText[r]; ok {
		return t[0]
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Japanese describes the reason in Japanese, for the clerk.
func (r Reason) Japanese() string {
	if t, ok := reasonText[r]; ok {
		return t[1]
	}
	return "証明書に記録できない文字です"
}

// CharProblem is one character that the certificate cannot carry.
type CharProblem struct {
	Index  int    // rune index of the character's first code point in the checked text
	Char   string // the character: one code point, or a base with its selectors and marks
	Reason Reason
}

// CharsetError lists every character of a text that the certificate cannot
// carry, in order.
type CharsetError struct {
	Problems []CharProblem
}

func (e *CharsetError) Error() string {
	var b strings.Builder
	b.WriteString("forms: characters the certificate cannot carry:")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %+q at %d (%v)", p.Char, p.Index, p.Reason)
	}
	return b.String()
}

// UserMessage lists the characters for the clerk, in Japanese.
func (e *CharsetError) UserMessage() string {
	var b strings.Builder
	b.WriteString("証明書に記録できない文字があります。")
	for _, p := range e.Problems {
		b.WriteString(p.describe())
	}
	b.WriteString("代替文字を指定してください。")
	return b.String()
}

// describe returns "「髙」（1文字目）は機種依存文字（…）です。".
func (p CharProblem) describe() string {
	return fmt.Sprintf("「%s」（%d文字目）は%s。", displayChar(p.Char), p.Index+1, p.Reason.Japanese())
}

// displayChar makes an invisible or broken character visible in a message.
func displayChar(ch string) string {
	r, n := utf8.DecodeRuneInString(ch)
	if !utf8.ValidString(ch) || (n == len(ch) && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r))) {
		return fmt.Sprintf("%+q", ch)
	}
	return ch
}

// CheckCharset returns nil if the certificate can carry every character of
// s, and otherwise a *CharsetError listing each character it cannot carry
// with its rune index. A character is a code point with any variation
// selectors and combining marks that follow it; an invalid byte sequence
// (such as a CESU-8 lone surrogate) is one character spanning as many rune
// indexes as it has bytes, as in utf8.RuneCountInString. The check is
// done on s as given: use CertificateText first to widen ASCII and
// half-width kana and to compose combining marks.
func CheckCharset(s string) error {
	var probs []CharProblem
	for c := range characters(s) {
		if r, ok := c.problem(); ok {
			probs = append(probs, CharProblem{Index: c.index, Char: c.text, Reason: r})
		}
	}
	if probs != nil {
		return &CharsetError{Problems: probs}
	}
	return nil
}

// character is one unit of text for the charset check.
type character struct {
	index int    // rune index of its first code point
	runes int    // how many rune indexes it spans
	text  string // its bytes
}

// characters yields the characters of s: each code point with the
// variation selectors and combining marks that follow it, and each broken
// byte sequence.
func characters(s string) func(yield func(character) bool) {
	return func(yield func(character) bool) {
		index := 0
		for i := 0; i < len(s); {
			start, startIndex := i, index
			if n := brokenLen(s[i:]); n > 0 {
				i += n
				index += n
			} else {
				_, n := utf8.DecodeRuneInString(s[i:])
				i += n
				index++
				for i < len(s) {
					r, n := utf8.DecodeRuneInString(s[i:])
					if r == utf8.RuneError && n <= 1 || !isVariationSelector(r) && !isMark(r) {
						break
					}
					i += n
					index++
				}
			}
			if !yield(character{startIndex, index - startIndex, s[start:i]}) {
				return
			}
		}
	}
}

// brokenLen returns how many bytes at the start of s are not UTF-8: three
// for an encoded surrogate (CESU-8, ED A0–BF xx), one for another invalid
// byte, zero if s starts with a valid code point.
func brokenLen(s string) int {
	r, n := utf8.DecodeRuneInString(s)
	if r != utf8.RuneError || n != 1 {
		return 0
	}
	if len(s) >= 3 && s[0] == 0xED && s[1] >= 0xA0 && s[1] <= 0xBF && s[2] >= 0x80 && s[2] <= 0xBF {
		return 3
	}
	return 1
}

func isVariationSelector(r rune) bool {
	return (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0xE0100 && r <= 0xE01EF) || (r >= 0x180B && r <= 0x180D) || r == 0x180F
}

func isMark(r rune) bool { return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) }

// problem tells whether the certificate cannot carry c, and why.
func (c character) problem() (Reason, bool) {
	r, n := utf8.DecodeRuneInString(c.text)
	switch {
	case r == utf8.RuneError && n <= 1:
		return ReasonInvalidUTF8, true
	case n < len(c.text):
		// A base followed by selectors or marks.
		rest := c.text[n:]
		for _, m := range rest {
			if isVariationSelector(m) {
				return ReasonVariationSelector, true
			}
		}
		return ReasonCombining, true
	case carriableRune(r):
		return 0, false
	case r == utf8.RuneError:
		return ReasonReplacement, true
	case isVariationSelector(r):
		return ReasonVariationSelector, true
	case isMark(r):
		return ReasonCombining, true
	case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029':
		return ReasonControl, true
	case unicode.Is(unicode.Co, r):
		return ReasonPrivateUse, true
	case r < 0x80 || classOf(r) == classHalf || r == '\u00A5' || r == '\u203E':
		return ReasonHalfWidth, true
	case classOf(r) == classVendor:
		return ReasonVendorExtension, true
	}
	return ReasonOutsideJIS, true
}

// Candidates returns substitute candidates for ch, best first, each one
// the certificate can carry. They come from the substitute-character table
// in assets (the MJ 縮退マップ, filtered to JIS X 0208 and JIS X 0212),
// then from Unicode's own equivalences: the canonical form of a CJK
// compatibility ideograph or of a base with combining marks, the
// full-width form of a half-width character, the compatibility form of a
// NEC special character (① → １), and the base character of a variation
// sequence (the certificate cannot carry the selector, so 葛󠄀 offers 葛).
// It returns nil for a carriable character and for one with no candidate;
// the clerk may then type a substitute, in かな as a last resort.
func Candidates(ch string) []string {
	if ch == "" || Carriable(ch) {
		return nil
	}
	var out []string
	add := func(c string) {
		if c == ch || !carriableText(c) {
			return
		}
		for _, o := range out {
			if o == c {
				return
			}
		}
		out = append(out, c)
	}
	for _, c := range substitutes.Lookup(ch) {
		add(c)
	}
	base, n := utf8.DecodeRuneInString(ch)
	if n < len(ch) {
		// A sequence: what the table has for the base, then the base.
		for _, c := range substitutes.Lookup(ch[:n]) {
			add(c)
		}
	}
	add(widen(norm.NFC.String(ch)))
	add(widen(norm.NFKC.String(ch)))
	if n < len(ch) && base != utf8.RuneError {
		add(string(base))
	}
	return out
}

// carriableText reports whether s is non-empty and every code point of it
// is carriable.
func carriableText(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !carriableRune(r) {
			return false
		}
	}
	return true
}

// widen maps ASCII, ¥, ‾ and half-width katakana to their full-width
// JIS X 0208 forms, composing half-width voiced marks (ｶﾞ → ガ).
func widen(s string) string {
	if !needsWiden(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == ' ':
			b.WriteRune('\u3000')
		case r == '-':
			b.WriteRune('－')
		case r == '\'':
			b.WriteRune('’') // ＇ U+FF07 is an IBM extension; JIS X 0208 has ’
		case r == '"':
			b.WriteRune('”') // likewise ＂ U+FF02
		case r == '\u00A5':
			b.WriteRune('￥')
		case r == '\u203E':
			b.WriteRune('￣')
		case r == 'ﾞ', r == '\u3099':
			b.WriteRune('゛')
		case r == 'ﾟ', r == '\u309A':
			b.WriteRune('゜')
		case r < 0x80 || (r >= 0xFF61 && r <= 0xFF9F):
			b.WriteString(width.Widen.String(string(r)))
		default:
			b.WriteRune(r)
		}
	}
	return composeVoiced(b.String())
}

func needsWiden(s string) bool {
	for _, r := range s {
		if r < 0x80 || r == '\u00A5' || r == '\u203E' || (r >= 0xFF61 && r <= 0xFF9F) || r == '\u3099' || r == '\u309A' {
			return true
		}
	}
	return false
}

// composeVoiced joins a kana with a following spacing voiced or
// semi-voiced sound mark (゛ U+309B, ゜ U+309C) into one character where
// Unicode has one: カ゛ → ガ, ハ゜ → パ, ウ゛ → ヴ.
func composeVoiced(s string) string {
	if !strings.ContainsAny(s, "\u309B\u309C") {
		return s
	}
	rs := []rune(s)
	out := rs[:0]
	for _, r := range rs {
		if (r == '\u309B' || r == '\u309C') && len(out) > 0 {
			mark := '\u3099'
			if r == '\u309C' {
				mark = '\u309A'
			}
			c := norm.NFC.String(string([]rune{out[len(out)-1], mark}))
			if utf8.RuneCountInString(c) == 1 {
				out[len(out)-1], _ = utf8.DecodeRuneInString(c)
				continue
			}
		}
		out = append(out, r)
	}
	return string(out)
}
