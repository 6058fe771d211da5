package printing

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Placeholder is printed where the font has no glyph for a character. The
// geta mark 〓 is the customary sign for a character that cannot be printed.
const Placeholder = "〓"

// MissingChar is one occurrence of a character that the font cannot draw.
// The PDF shows Printed in its place; the stored text itself is unchanged.
type MissingChar struct {
	Char    string // the character as stored, with its variation selector if any
	Code    string // its code points, e.g. "U+20BB7"
	Where   string // where it occurs, in Japanese, e.g. "氏名" or "12行目 氏名"
	Page    int    // the page it is printed on, from 1
	Printed string // what the PDF shows instead: Placeholder, or the base character of a variation sequence
}

// String describes the occurrence for a log line or a list on screen.
func (m MissingChar) String() string {
	return fmt.Sprintf("%s (%s) %s, p.%d", m.Char, m.Code, m.Where, m.Page)
}

// Result describes a rendered document.
type Result struct {
	Pages   int           // number of pages
	Missing []MissingChar // characters the font lacks, in the order printed
}

// Notice is a Japanese sentence for the clerk when some characters could not
// be printed, or "" when everything was printed.
func (r Result) Notice() string {
	if len(r.Missing) == 0 {
		return ""
	}
	return fmt.Sprintf("フォントにない文字が%d箇所あり、%sなどで印字しました（文書末尾に一覧があります）。該当箇所は手書きで補ってください。",
		len(r.Missing), Placeholder)
}

// isVariationSelector reports whether r selects a glyph variant of the
// character before it (standardized variants and ideographic variation
// sequences, IVS).
func isVariationSelector(r rune) bool {
	return r >= 0xFE00 && r <= 0xFE0F || r >= 0xE0100 && r <= 0xE01EF
}

// codePoints formats s as "U+XXXX U+YYYY".
func codePoints(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "U+%04X", r)
	}
	return b.String()
}

// printable rewrites s into text that the font can draw. Each character
// the font lacks becomes placeholder; a variation sequence whose base the
// font has prints as its base character. Line breaks and tabs become spaces
// (every field prints on one line). Each substitution is passed to report
// with the stored character and what is printed instead.
func printable(font *Font, placeholder, s string, report func(char, printed string)) string {
	// Fast path: most text is fully covered.
	clean := true
	for _, r := range s {
		if !font.Has(r) || r < ' ' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		j := i + n
		for j < len(s) {
			vs, m := utf8.DecodeRuneInString(s[j:])
			if !isVariationSelector(vs) {
				break
			}
			j += m
		}
		char := s[i:j]
		i = j
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r == utf8.RuneError && n <= 1:
			// Invalid UTF-8: say so rather than print garbage.
			b.WriteString(placeholder)
			report(char, placeholder)
		case font.Has(r) && len(char) == n:
			b.WriteString(char)
		case font.mjPrints(char):
			// Drawn from the MJ font (see runs.go).
			b.WriteString(char)
		case font.Has(r) && !isVariationSelector(r):
			// The base character prints; its variant glyph cannot.
			b.WriteRune(r)
			report(char, string(r))
		default:
			b.WriteString(placeholder)
			report(char, placeholder)
		}
	}
	return b.String()
}
