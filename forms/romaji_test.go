package forms

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRomajiToHiragana(t *testing.T) {
	tests := []struct{ in, want string }{
		{"takahashi", "たかはし"},
		{"sakiko", "さきこ"},
		{"kyouko", "きょうこ"},
		{"kyōko", "きょうこ"},
		{"kyôko", "きょうこ"},
		{"ōno", "おうの"},
		{"oono", "おおの"},
		{"satō", "さとう"},
		{"nn", "ん"},
		{"n", "ん"},
		{"ttsu", "っつ"},
		{"kko", "っこ"},
		{"matcha", "まっちゃ"},
		{"shinnosuke", "しんのすけ"},
		{"shinnnosuke", "しんのすけ"},
		{"kan'ichi", "かんいち"},
		{"kanichi", "かにち"},
		{"junichirou", "じゅにちろう"},
		{"jun'ichirou", "じゅんいちろう"},
		{"honda", "ほんだ"},
		{"homma", "ほんま"},
		{"shimbun", "しんぶん"},
		{"kenji", "けんじ"},
		{"shin'ya", "しんや"},
		{"shinya", "しにゃ"},
		{"tsuchiya", "つちや"},
		{"tuchiya", "つちや"},
		{"sizuka", "しずか"},
		{"fujita", "ふじた"},
		{"huzita", "ふじた"},
		{"chou", "ちょう"},
		{"tyou", "ちょう"},
		{"jun", "じゅん"},
		{"zyun", "じゅん"},
		{"ryuuji", "りゅうじ"},
		{"wo", "を"},
		{"vu", "ゔ"},
		{"fa", "ふぁ"},
		{"thi", "てぃ"},
		{"xtu", "っ"},
		{"lya", "ゃ"},
		{"di", "ぢ"},
		{"du", "づ"},
		{"sa-ya", "さーや"},
		{"TAKAHASHI", "たかはし"},
		{"Takahashi Sakiko", "たかはし さきこ"},
		{"  takahashi   sakiko ", "たかはし さきこ"},
		{"ｔａｋａｈａｓｈｉ", "たかはし"},
		{"takaはし", "たかはし"},
		{"nnn'a", "んんあ"}, // nn, then n'
		{"タカhashi", "たかはし"},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := RomajiToHiragana(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("RomajiToHiragana(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestRomajiToHiraganaRejects(t *testing.T) {
	tests := []struct {
		in  string
		pos int
	}{
		{"abc", 1},       // "bc" is no syllable
		{"taka1", 4},     // a digit
		{"高橋", 0},        // kanji
		{"q", 0},         //
		{"tak", 2},       // a dangling consonant
		{"kan'", 3},      // n' then nothing: the ' is used, so that is fine…
		{"ka'na", 2},     // ' only after n
		{"sakiko!", 6},   //
		{"ōx", 1},        // the position counts runes of the input
		{"xyz", 0},       //
		{"kyōkox", 5},    //
		{"ttt", 2},       // っっ then a lone t
		{"\xffka", 0},    // broken bytes
		{"ka\u3099", 2},  // combining mark
		{"hhh", 2},       //
		{"sakiko.", 6},   //
		{"tch", 1},       //
		{"vyu", 0},       //
		{"cchi'", 4},     //
		{"ヷ", 0},         // katakana with no hiragana
		{"oh", 1},        // passport-style long vowels are not guessed
		{"ohno", 1},      //
		{"shi n ya!", 8}, //
	}
	for _, tt := range tests {
		got, err := RomajiToHiragana(tt.in)
		if tt.in == "kan'" {
			// n' at the end is ん: accepted.
			if err != nil || got != "かん" {
				t.Errorf("RomajiToHiragana(%q) = %q, %v", tt.in, got, err)
			}
			continue
		}
		var re *RomajiError
		if !errors.As(err, &re) || !errors.Is(err, ErrRomaji) {
			t.Errorf("RomajiToHiragana(%q) = %q, %v; want a *RomajiError", tt.in, got, err)
			continue
		}
		if re.Pos != tt.pos {
			t.Errorf("RomajiToHiragana(%q) stopped at %d, want %d", tt.in, re.Pos, tt.pos)
		}
		if !strings.Contains(re.UserMessage(), "ローマ字") {
			t.Errorf("UserMessage = %q", re.UserMessage())
		}
	}
}

// FuzzRomajiToHiragana checks that conversion never panics, that an error
// points inside the input, and that a result is hiragana, ー and spaces.
func FuzzRomajiToHiragana(f *testing.F) {
	for _, s := range []string{"takahashi", "kyōko", "nn", "ttsu", "kan'ichi", "Ｔａｋａ", "abc", "n'", "tch"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := RomajiToHiragana(s)
		if err != nil {
			var re *RomajiError
			if !errors.As(err, &re) || re.Pos < 0 || re.Pos >= utf8.RuneCountInString(s) {
				t.Fatalf("RomajiToHiragana(%q) error %v", s, err)
			}
			return
		}
		for _, r := range got {
			if !(r >= 0x3041 && r <= 0x3096) && r != 'ー' && r != ' ' && r != 'ゝ' && r != 'ゞ' && r != 'ゟ' {
				t.Fatalf("RomajiToHiragana(%q) = %q holds %q", s, got, r)
			}
		}
	})
}

func BenchmarkRomajiToHiragana(b *testing.B) {
	for b.Loop() {
		if _, err := RomajiToHiragana("takahashi sakiko"); err != nil {
			b.Fatal(err)
		}
	}
}
