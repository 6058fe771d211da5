package registry

import (
	"slices"
	"strings"

	"madoguchi/forms"
)

// variantFold maps variant forms (異体字) common in family names to the
// form a clerk is likely to type, so that a search for 渡辺 also finds 渡邊
// and 渡邉, and one for 高橋 finds 髙橋. It serves the search key only: the
// registry text is never changed. Characters the certificate cannot carry
// are folded to their first substitute candidate as well (foldVariants).
var variantFold = map[rune]rune{
	'髙': '高', '﨑': '崎', '嵜': '崎', '碕': '崎', '𠮷': '吉',
	'邊': '辺', '邉': '辺', '齋': '斎', '齊': '斎', '斉': '斎',
	'濵': '浜', '濱': '浜', '澤': '沢', '廣': '広', '國': '国',
	'櫻': '桜', '邨': '村', '冨': '富', '嶋': '島', '嶌': '島',
	'槇': '槙', '德': '徳', '眞': '真', '藪': '薮', '龍': '竜',
	'瀨': '瀬', '髮': '髪', '曻': '昇', '惠': '恵', '榮': '栄',
	'壽': '寿', '彌': '弥', '藏': '蔵', '實': '実', '條': '条',
	'淺': '浅', '增': '増', '將': '将', '傳': '伝', '營': '営',
	'發': '発', '關': '関', '舘': '館', '峯': '峰', '嶽': '岳',
}

// foldVariants folds every character of s as described at variantFold.
func foldVariants(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if f, ok := variantFold[r]; ok {
			b.WriteRune(f)
			continue
		}
		if r >= 0x3000 && !forms.Carriable(string(r)) {
			if c := forms.Candidates(string(r)); len(c) > 0 {
				b.WriteString(c[0])
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Long vowels in romaji. A clerk types a name as it is spelt in a passport
// or heard at the counter: 加藤 (かとう) as kato, katou, katoh or katō, and
// 大野 (おおの) as ono, oono, ohno or ōno. A romaji query therefore matches
// ふりがな whatever the spelling of its long o and u vowels.

// oRow and uRow are the hiragana ending in o and u: a following う or お
// (after o) or う (after u) lengthens their vowel.
const (
	oRow = "おこごそぞとどのほぼぽもよろをょぉ"
	uRow = "うくぐすずつづぬふぶぷむゆるゅぅゔ"
)

// lengthening returns the kana that may lengthen the vowel of r, if any.
func lengthening(r rune) []string {
	switch {
	case strings.ContainsRune(oRow, r):
		return []string{"う", "お"}
	case strings.ContainsRune(uRow, r):
		return []string{"う"}
	}
	return nil
}

// foldLongVowels drops the kana that lengthens a vowel (かとう → かと,
// おおの → おの, ゆうき → ゆき): at most one after each kana, so that
// おおうち keeps its う (おうち).
func foldLongVowels(kana string) string {
	var b strings.Builder
	b.Grow(len(kana))
	var marks []string
	for _, r := range kana {
		if slices.Contains(marks, string(r)) {
			marks = nil
			continue
		}
		b.WriteRune(r)
		marks = lengthening(r)
	}
	return b.String()
}

// maxLongVowelVariants caps the spellings one query expands to.
const maxLongVowelVariants = 81

// longVowelVariants spells a folded kana word every way its o and u vowels
// may be written long: おの → おの, おうの, おおの, おのう, …. The last kana
// is not lengthened when the word is matched as a prefix (a prefix おの
// already finds おのう). Expansion stops at maxLongVowelVariants.
func longVowelVariants(word string, prefix bool) []string {
	out := []string{""}
	runes := []rune(word)
	for i, r := range runes {
		tails := []string{""}
		if !(prefix && i == len(runes)-1) {
			tails = append(tails, lengthening(r)...)
		}
		if len(out)*len(tails) > maxLongVowelVariants {
			tails = tails[:1]
		}
		next := make([]string, 0, len(out)*len(tails))
		for _, v := range out {
			for _, t := range tails {
				next = append(next, v+string(r)+t)
			}
		}
		out = next
	}
	return out
}

// dropRomajiH removes the h that marks a long o in passport spelling
// (katoh, ohno): an h after o that does not start a syllable.
func dropRomajiH(s string) string {
	b := []byte(s)
	out := b[:0:0]
	for i, c := range b {
		if (c == 'h' || c == 'H') && i > 0 && (b[i-1]|0x20) == 'o' {
			if i+1 == len(b) || !strings.ContainsRune("aiueoyAIUEOY", rune(b[i+1])) {
				continue
			}
		}
		out = append(out, c)
	}
	return string(out)
}
