package forms

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Sentinel errors wrapped by *SubstituteError, for errors.Is.
var (
	ErrSubstituteIndex        = errors.New("no character starts at this index")
	ErrSubstituteNotNeeded    = errors.New("the character is carriable and needs no substitute")
	ErrSubstituteNotCarriable = errors.New("the substitute is empty or not carriable")
)

// SubstituteError reports a substitute choice that cannot be applied.
type SubstituteError struct {
	Index      int    // the choice's rune index in the text
	Char       string // the character at Index, if any
	Substitute string // the chosen substitute
	Err        error  // one of the ErrSubstitute… sentinels
}

func (e *SubstituteError) Error() string {
	return fmt.Sprintf("forms: substitute %+q at %d for %+q: %v", e.Substitute, e.Index, e.Char, e.Err)
}

// Unwrap returns the sentinel.
func (e *SubstituteError) Unwrap() error { return e.Err }

// UserMessage explains the problem to the clerk, in Japanese.
func (e *SubstituteError) UserMessage() string {
	switch e.Err {
	case ErrSubstituteIndex:
		return fmt.Sprintf("%d文字目の代替文字「%s」は文字の位置が合いません。代替文字を選び直してください。", e.Index+1, e.Substitute)
	case ErrSubstituteNotNeeded:
		return fmt.Sprintf("%d文字目の「%s」は証明書に記録できる文字のため、代替文字は指定できません。", e.Index+1, displayChar(e.Char))
	}
	return fmt.Sprintf("%d文字目の「%s」の代替文字「%s」は証明書に記録できません。候補から選ぶか、JIS第1・第2水準・補助漢字の文字かかなを指定してください。", e.Index+1, displayChar(e.Char), e.Substitute)
}

// ApplySubstitutes replaces the characters of text that the certificate
// cannot carry by the clerk's choices and returns the result with its
// position string: one '0' or '1' per code point of out, '1' where a
// substitute stands.
//
// choices maps the rune index of a character in text (the index that
// CheckCharset reports: a variation sequence is keyed by its base) to its
// substitute: one or more carriable characters, usually a candidate from
// Candidates, or かな as a last resort (each kana is marked '1'). A choice
// for a character the certificate can carry, at an index where no
// character starts, or of an uncarriable substitute is a *SubstituteError,
// the lowest such index first, and out and positions are empty.
//
// If characters the certificate cannot carry remain without a choice, out
// and positions are still returned, with a *CharsetError whose indexes
// refer to out.
func ApplySubstitutes(text string, choices map[int]string) (out string, positions string, err error) {
	out, positions, subErrs, remaining := applySubstitutes(text, choices)
	if len(subErrs) > 0 {
		return "", "", subErrs[0]
	}
	if len(remaining) > 0 {
		return out, positions, &CharsetError{Problems: remaining}
	}
	return out, positions, nil
}

// applySubstitutes does the work of ApplySubstitutes and returns every
// problem: the bad choices sorted by index, and the characters left
// uncarriable (indexed in out).
func applySubstitutes(text string, choices map[int]string) (string, string, []*SubstituteError, []CharProblem) {
	var out, pos strings.Builder
	out.Grow(len(text))
	pos.Grow(len(text) / 2)
	var subErrs []*SubstituteError
	var remaining []CharProblem
	used := 0
	outIndex := 0
	for c := range characters(text) {
		sub, chosen := choices[c.index]
		reason, bad := c.problem()
		switch {
		case chosen && !bad:
			used++
			subErrs = append(subErrs, &SubstituteError{c.index, c.text, sub, ErrSubstituteNotNeeded})
		case chosen && !carriableText(sub):
			used++
			subErrs = append(subErrs, &SubstituteError{c.index, c.text, sub, ErrSubstituteNotCarriable})
		case chosen:
			used++
			n := utf8.RuneCountInString(sub)
			out.WriteString(sub)
			pos.WriteString(strings.Repeat("1", n))
			outIndex += n
			continue
		case bad:
			remaining = append(remaining, CharProblem{Index: outIndex, Char: c.text, Reason: reason})
		}
		out.WriteString(c.text)
		pos.WriteString(strings.Repeat("0", c.runes))
		outIndex += c.runes
	}
	if used < len(choices) {
		// Some keys name no character start: report them.
		starts := map[int]bool{}
		for c := range characters(text) {
			starts[c.index] = true
		}
		for i, sub := range choices {
			if !starts[i] {
				subErrs = append(subErrs, &SubstituteError{Index: i, Substitute: sub, Err: ErrSubstituteIndex})
			}
		}
	}
	slices.SortFunc(subErrs, func(a, b *SubstituteError) int { return cmpInt(a.Index, b.Index) })
	return out.String(), pos.String(), subErrs, remaining
}

// SuggestSubstitutes proposes a substitute for each character of text
// that the certificate cannot carry: its first candidate, keyed by the
// rune index that ApplySubstitutes expects. Characters without a candidate
// are left out (the clerk must type one). Variation sequences and
// combining sequences are handled as one character, so iterate with this
// function or CheckCharset rather than rune by rune.
func SuggestSubstitutes(text string) map[int]string {
	var m map[int]string
	for c := range characters(text) {
		if _, bad := c.problem(); !bad {
			continue
		}
		if cands := Candidates(c.text); len(cands) > 0 {
			if m == nil {
				m = map[int]string{}
			}
			m[c.index] = cands[0]
		}
	}
	return m
}
