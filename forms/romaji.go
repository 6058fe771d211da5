package forms

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// ErrRomaji is wrapped by *RomajiError.
var ErrRomaji = errors.New("not convertible romaji")

// RomajiError reports romaji that RomajiToHiragana cannot convert.
type RomajiError struct {
	Input string // the input as given
	Pos   int    // rune index in Input where conversion stopped
}

func (e *RomajiError) Error() string {
	return fmt.Sprintf("forms: romaji %q at %d: %v", e.Input, e.Pos, ErrRomaji)
}

// Unwrap returns ErrRomaji.
func (e *RomajiError) Unwrap() error { return ErrRomaji }

// UserMessage explains the problem to the clerk, in Japanese.
func (e *RomajiError) UserMessage() string {
	return fmt.Sprintf("ローマ字「%s」の%d文字目からをかなに変換できません。ヘボン式か訓令式（例: takahashi, sakiko, kyouko）で入力してください。", e.Input, e.Pos+1)
}

// romajiTable maps a romaji syllable to hiragana. It holds Hepburn
// (shi, chi, tsu, fu, ji), Kunrei-shiki (si, ti, tu, hu, zi) and the
// word-processor spellings (xa, ltu, wi) that Japanese IMEs accept.
var romajiTable = map[string]string{
	"a": "あ", "i": "い", "u": "う", "e": "え", "o": "お",
	"ka": "か", "ki": "き", "ku": "く", "ke": "け", "ko": "こ",
	"kya": "きゃ", "kyi": "きぃ", "kyu": "きゅ", "kye": "きぇ", "kyo": "きょ",
	"ca": "か", "cu": "く", "co": "こ", "qa": "くぁ", "qi": "くぃ", "qe": "くぇ", "qo": "くぉ",
	"kwa": "くぁ",
	"sa":  "さ", "si": "し", "shi": "し", "su": "す", "se": "せ", "so": "そ",
	"sha": "しゃ", "shu": "しゅ", "she": "しぇ", "sho": "しょ",
	"sya": "しゃ", "syu": "しゅ", "sye": "しぇ", "syo": "しょ",
	"ta": "た", "ti": "ち", "chi": "ち", "tu": "つ", "tsu": "つ", "te": "て", "to": "と",
	"cha": "ちゃ", "chu": "ちゅ", "che": "ちぇ", "cho": "ちょ",
	"tya": "ちゃ", "tyu": "ちゅ", "tye": "ちぇ", "tyo": "ちょ",
	"cya": "ちゃ", "cyu": "ちゅ", "cye": "ちぇ", "cyo": "ちょ",
	"tsa": "つぁ", "tsi": "つぃ", "tse": "つぇ", "tso": "つぉ",
	"thi": "てぃ", "thu": "てゅ", "twu": "とぅ",
	"na": "な", "ni": "に", "nu": "ぬ", "ne": "ね", "no": "の",
	"nya": "にゃ", "nyi": "にぃ", "nyu": "にゅ", "nye": "にぇ", "nyo": "にょ",
	"ha": "は", "hi": "ひ", "hu": "ふ", "fu": "ふ", "he": "へ", "ho": "ほ",
	"hya": "ひゃ", "hyi": "ひぃ", "hyu": "ひゅ", "hye": "ひぇ", "hyo": "ひょ",
	"fa": "ふぁ", "fi": "ふぃ", "fe": "ふぇ", "fo": "ふぉ", "fyu": "ふゅ",
	"ma": "ま", "mi": "み", "mu": "む", "me": "め", "mo": "も",
	"mya": "みゃ", "myi": "みぃ", "myu": "みゅ", "mye": "みぇ", "myo": "みょ",
	"ya": "や", "yu": "ゆ", "ye": "いぇ", "yo": "よ",
	"ra": "ら", "ri": "り", "ru": "る", "re": "れ", "ro": "ろ",
	"rya": "りゃ", "ryi": "りぃ", "ryu": "りゅ", "rye": "りぇ", "ryo": "りょ",
	"wa": "わ", "wi": "うぃ", "we": "うぇ", "wo": "を", "wu": "う",
	"ga": "が", "gi": "ぎ", "gu": "ぐ", "ge": "げ", "go": "ご",
	"gya": "ぎゃ", "gyi": "ぎぃ", "gyu": "ぎゅ", "gye": "ぎぇ", "gyo": "ぎょ",
	"za": "ざ", "zi": "じ", "ji": "じ", "zu": "ず", "ze": "ぜ", "zo": "ぞ",
	"ja": "じゃ", "ju": "じゅ", "je": "じぇ", "jo": "じょ",
	"zya": "じゃ", "zyu": "じゅ", "zye": "じぇ", "zyo": "じょ",
	"jya": "じゃ", "jyu": "じゅ", "jye": "じぇ", "jyo": "じょ",
	"da": "だ", "di": "ぢ", "du": "づ", "dzu": "づ", "de": "で", "do": "ど",
	"dya": "ぢゃ", "dyu": "ぢゅ", "dye": "ぢぇ", "dyo": "ぢょ",
	"dhi": "でぃ", "dhu": "でゅ", "dwu": "どぅ",
	"ba": "ば", "bi": "び", "bu": "ぶ", "be": "べ", "bo": "ぼ",
	"bya": "びゃ", "byi": "びぃ", "byu": "びゅ", "bye": "びぇ", "byo": "びょ",
	"pa": "ぱ", "pi": "ぴ", "pu": "ぷ", "pe": "ぺ", "po": "ぽ",
	"pya": "ぴゃ", "pyi": "ぴぃ", "pyu": "ぴゅ", "pye": "ぴぇ", "pyo": "ぴょ",
	"va": "ゔぁ", "vi": "ゔぃ", "vu": "ゔ", "ve": "ゔぇ", "vo": "ゔぉ",
	// Small kana, as typed with an IME.
	"xa": "ぁ", "xi": "ぃ", "xu": "ぅ", "xe": "ぇ", "xo": "ぉ",
	"la": "ぁ", "li": "ぃ", "lu": "ぅ", "le": "ぇ", "lo": "ぉ",
	"xya": "ゃ", "xyu": "ゅ", "xyo": "ょ", "lya": "ゃ", "lyu": "ゅ", "lyo": "ょ",
	"xtu": "っ", "xtsu": "っ", "ltu": "っ", "ltsu": "っ", "xwa": "ゎ", "lwa": "ゎ",
}

// macrons spells Hepburn long vowels (macron or circumflex) as kana
// would: ō is おう, the usual spelling in names (Kyōko → きょうこ); names
// with おお (大野) are typed "oo".
var macrons = map[rune]string{
	'ā': "aa", 'ī': "ii", 'ū': "uu", 'ē': "ee", 'ō': "ou",
	'â': "aa", 'î': "ii", 'û': "uu", 'ê': "ee", 'ô': "ou",
}

func isRomajiVowel(c byte) bool { return c == 'a' || c == 'i' || c == 'u' || c == 'e' || c == 'o' }

// RomajiToHiragana converts romaji search input to hiragana, so that a
// clerk can search by ふりがな without an IME: "takahashi" → "たかはし",
// "sakiko" → "さきこ", "kyouko" → "きょうこ", "kyōko" → "きょうこ",
// "shinnosuke" → "しんのすけ", "nn" → "ん", "kan'ichi" → "かんいち",
// "ttsu" → "っつ", "matcha" → "まっちゃ", "homma" → "ほんま".
//
// It accepts Hepburn, Kunrei-shiki and IME spellings in either case and
// width, macron and circumflex vowels, '-' for ー and spaces (one space is
// kept between words). Kana already in the input is kept, as hiragana.
// Anything else is a *RomajiError giving the position.
func RomajiToHiragana(s string) (string, error) {
	// Fold width and case and spell out long vowels, remembering for each
	// byte of in the rune index in s that it came from.
	var buf strings.Builder
	posOf := make([]int, 0, len(s)+8)
	k := 0
	for _, r := range s {
		t := strings.ToLower(width.Fold.String(string(r)))
		if m, ok := macrons[[]rune(t)[0]]; ok {
			t = m
		}
		buf.WriteString(t)
		for range len(t) {
			posOf = append(posOf, k)
		}
		k++
	}
	in := buf.String()

	var out strings.Builder
	out.Grow(len(in) * 2)
	space := false
	for i := 0; i < len(in); {
		c := in[i]
		if c == ' ' || c == '\t' || c == '\n' {
			space = true
			i++
			continue
		}
		if space && out.Len() > 0 {
			out.WriteByte(' ')
		}
		space = false
		var kana string
		n := 0
		switch {
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(in[i:])
			switch {
			case r == '\u3000':
				space, n = true, size
			case isKana(r):
				if k := NormalizeKana(string(r)); isFuriganaText(k) {
					kana, n = k, size
				}
			}
		case c == '-':
			kana, n = "ー", 1
		case c == 'n' && !(i+1 < len(in) && (isRomajiVowel(in[i+1]) || in[i+1] == 'y')):
			// ん: before a consonant, at the end, or spelt nn or n'.
			kana, n = "ん", 1
			if i+1 < len(in) && in[i+1] == '\'' {
				n = 2
			} else if i+1 < len(in) && in[i+1] == 'n' &&
				!(i+2 < len(in) && (isRomajiVowel(in[i+2]) || in[i+2] == 'y')) {
				n = 2 // "nn" not starting a syllable: one ん
			}
		case c == 'm' && i+1 < len(in) && (in[i+1] == 'b' || in[i+1] == 'm' || in[i+1] == 'p'):
			kana, n = "ん", 1 // Hepburn: shimbun, homma
		case i+1 < len(in) && c == in[i+1] && c >= 'b' && c <= 'z' && !isRomajiVowel(c) && c != 'n':
			kana, n = "っ", 1 // a doubled consonant: ttsu, kko
		case c == 't' && strings.HasPrefix(in[i+1:], "ch"):
			kana, n = "っ", 1 // Hepburn: matcha
		default:
			for l := min(4, len(in)-i); l > 0; l-- {
				if k, ok := romajiTable[in[i:i+l]]; ok {
					kana, n = k, l
					break
				}
			}
		}
		if n == 0 {
			return "", &RomajiError{Input: s, Pos: posOf[i]}
		}
		out.WriteString(kana)
		i += n
	}
	return out.String(), nil
}
