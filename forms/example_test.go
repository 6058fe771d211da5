package forms_test

import (
	"errors"
	"fmt"

	"madoguchi/forms"
)

func ExampleParseDate() {
	for _, s := range []string{"昭和37年6月17日", "S37.6.17", "1962-06-17", "19620617", "平成元年1月8日", "62/6/17", "昭和64年1月8日"} {
		d, err := forms.ParseDate(s)
		if err != nil {
			fmt.Printf("%s: %v\n", s, err)
			continue
		}
		code, _ := d.CertificateCode()
		fmt.Printf("%s: %s %s %s\n", s, d, d.Wareki(), code)
	}
	// Output:
	// 昭和37年6月17日: 1962-06-17 昭和37年6月17日 319620617
	// S37.6.17: 1962-06-17 昭和37年6月17日 319620617
	// 1962-06-17: 1962-06-17 昭和37年6月17日 319620617
	// 19620617: 1962-06-17 昭和37年6月17日 319620617
	// 平成元年1月8日: 1989-01-08 平成元年1月8日 419890108
	// 62/6/17: forms: date "62/6/17": ambiguous date
	// 昭和64年1月8日: forms: date "昭和64年1月8日": date outside its era
}

func ExampleCheckCharset() {
	app := forms.Application{FamilyName: "髙橋", GivenName: "﨑子"}
	name := app.CertificateName()
	var ce *forms.CharsetError
	if errors.As(forms.CheckCharset(name), &ce) {
		app.Substitutes.Name = map[int]string{}
		for _, p := range ce.Problems {
			cands := forms.Candidates(p.Char)
			fmt.Println(p.Index, p.Char, p.Reason, cands)
			app.Substitutes.Name[p.Index] = cands[0]
		}
	}
	out, positions, err := forms.ApplySubstitutes(name, app.Substitutes.Name)
	fmt.Println(out, positions, err)
	// Output:
	// 0 髙 NEC or IBM extension character, not JIS X 0208 [高]
	// 3 﨑 NEC or IBM extension character, not JIS X 0208 [崎 嵜 埼 碕]
	// 高橋　崎子 10010 <nil>
}

func ExampleRomajiToHiragana() {
	for _, s := range []string{"takahashi", "sakiko", "kyouko", "shinnosuke", "kan'ichi"} {
		h, _ := forms.RomajiToHiragana(s)
		fmt.Println(s, h)
	}
	// Output:
	// takahashi たかはし
	// sakiko さきこ
	// kyouko きょうこ
	// shinnosuke しんのすけ
	// kan'ichi かんいち
}

func ExampleApplication_CertificateItems() {
	app := forms.Application{
		Kind:       forms.KindNew,
		FamilyName: "髙橋", GivenName: "﨑子",
		FamilyKana: "たかはし", GivenKana: "さきこ",
		Birth:       forms.Date{Year: 1962, Month: 6, Day: 17},
		Sex:         forms.SexFemale,
		Address:     "東京都千代田区霞が関1-2-3",
		Substitutes: forms.Substitutes{Name: map[int]string{0: "高", 3: "崎"}},
		AppliedOn:   forms.Date{Year: 2024, Month: 4, Day: 1},
	}
	items, err := app.CertificateItems()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(items.Name, items.NamePositions, items.Sex, items.Birth)
	fmt.Println(items.Address, items.AddressPositions)
	// Output:
	// 高橋　崎子 10010 2 319620617
	// 東京都千代田区霞が関１－２－３ 000000000000000
}
