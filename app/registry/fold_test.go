package registry

import (
	"context"
	"slices"
	"testing"
)

func TestFoldLongVowels(t *testing.T) {
	tests := []struct{ in, want string }{
		{"かとう", "かと"},
		{"かとお", "かと"},
		{"おおの", "おの"},
		{"おうの", "おの"},
		{"おの", "おの"},
		{"ゆうき", "ゆき"},
		{"おおうち", "おうち"}, // one lengthening kana per vowel
		{"さいとう", "さいと"},
		{"きょうこ", "きょこ"},
		{"たかはし", "たかはし"},
		{"かう", "かう"}, // あ-row: う is a vowel of its own
	}
	for _, tt := range tests {
		if got := foldLongVowels(tt.in); got != tt.want {
			t.Errorf("foldLongVowels(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDropRomajiH(t *testing.T) {
	tests := []struct{ in, want string }{
		{"katoh", "kato"},
		{"ohno", "ono"},
		{"ohashi", "ohashi"}, // h starts the syllable は
		{"shohei", "shohei"},
		{"KATOH", "KATO"},
		{"takahashi", "takahashi"},
		{"ohyama", "ohyama"}, // h starts ひゃ
	}
	for _, tt := range tests {
		if got := dropRomajiH(tt.in); got != tt.want {
			t.Errorf("dropRomajiH(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLongVowelVariants(t *testing.T) {
	got := longVowelVariants("おの", true)
	if want := []string{"おの", "おうの", "おおの"}; !slices.Equal(got, want) {
		t.Fatalf("variants of おの = %v, want %v", got, want)
	}
	if n := len(longVowelVariants("ところともろこほよ", false)); n > maxLongVowelVariants {
		t.Fatalf("%d variants, cap is %d", n, maxLongVowelVariants)
	}
}

// TestSearchRomajiLongVowels: every usual spelling of a long vowel finds
// the resident, and no spelling finds an unrelated one.
func TestSearchRomajiLongVowels(t *testing.T) {
	ctx := context.Background()
	g, _ := openRegistry(t)
	people := []Resident{
		{Code: "99999999911", FamilyName: "加藤", GivenName: "博", FamilyKana: "かとう", GivenKana: "ひろし", Birth: date(1970, 1, 2), Sex: 1, Address: "東京都千代田区本町", Status: StatusResident},
		{Code: "99999999912", FamilyName: "小野", GivenName: "優子", FamilyKana: "おの", GivenKana: "ゆうこ", Birth: date(1971, 3, 4), Sex: 2, Address: "東京都千代田区本町", Status: StatusResident},
		{Code: "99999999913", FamilyName: "大野", GivenName: "洋", FamilyKana: "おおの", GivenKana: "ひろし", Birth: date(1972, 5, 6), Sex: 1, Address: "東京都千代田区本町", Status: StatusResident},
		{Code: "99999999914", FamilyName: "工藤", GivenName: "翔", FamilyKana: "くどう", GivenKana: "しょう", Birth: date(1973, 7, 8), Sex: 1, Address: "東京都千代田区本町", Status: StatusResident},
		{Code: "99999999915", FamilyName: "大内", GivenName: "薫", FamilyKana: "おおうち", GivenKana: "かおる", Birth: date(1974, 9, 10), Sex: 2, Address: "東京都千代田区本町", Status: StatusResident},
	}
	for _, r := range people {
		if err := g.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		kana  string
		want  []string // codes expected, in any order
		first string   // expected first, if set
	}{
		{"kato", []string{"99999999911"}, ""},
		{"katou", []string{"99999999911"}, ""},
		{"katoh", []string{"99999999911"}, ""},
		{"katō", []string{"99999999911"}, ""},
		{"KATOH", []string{"99999999911"}, ""},
		{"kato hiroshi", []string{"99999999911"}, ""},
		{"katoh hi", []string{"99999999911"}, ""},
		{"ono", []string{"99999999912", "99999999913"}, "99999999912"},
		{"oono", []string{"99999999912", "99999999913"}, "99999999913"},
		{"ohno", []string{"99999999912", "99999999913"}, ""},
		{"ōno", []string{"99999999912", "99999999913"}, ""},
		{"ouno", []string{"99999999912", "99999999913"}, ""},
		{"ono yuko", []string{"99999999912"}, ""},
		{"ono hiroshi", []string{"99999999913"}, ""},
		{"kudo", []string{"99999999914"}, ""},
		{"kudoh sho", []string{"99999999914"}, ""},
		{"oouchi", []string{"99999999915"}, ""},
		{"かと", []string{"99999999911"}, ""}, // kana is matched as typed
		{"かとひろし", nil, ""},
	}
	for _, tt := range tests {
		res, err := g.Search(ctx, Query{Kana: tt.kana})
		if err != nil {
			t.Fatalf("%q: %v", tt.kana, err)
		}
		var got []string
		for _, r := range res.Residents {
			got = append(got, r.Code)
		}
		slices.Sort(got)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%q found %v, want %v", tt.kana, got, want)
		}
		if tt.first != "" && (len(res.Residents) == 0 || res.Residents[0].Code != tt.first) {
			t.Errorf("%q: first %v, want %s", tt.kana, got, tt.first)
		}
	}
}
