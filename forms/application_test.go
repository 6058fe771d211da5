package forms

import (
	"errors"
	"strings"
	"testing"

	"madoguchi/forms/jpkicert"
)

// takahashi is the issue's example: 髙橋 﨑子, born 昭和37年6月17日.
func takahashi(t testing.TB) Application {
	t.Helper()
	birth, err := ParseDate("昭和37年6月17日")
	if err != nil {
		t.Fatal(err)
	}
	return Application{
		Kind:        KindNew,
		FamilyName:  "髙橋",
		GivenName:   "﨑子",
		FamilyKana:  "タカハシ",
		GivenKana:   "さきこ",
		Birth:       birth,
		Sex:         SexFemale,
		Address:     "東京都千代田区霞が関1-2-3",
		Substitutes: Substitutes{Name: map[int]string{0: "高", 3: "崎"}},
		AppliedOn:   Date{2024, 4, 1},
	}
}

func TestDoneCriterion(t *testing.T) {
	a := takahashi(t)
	if got := a.CertificateName(); got != "髙橋　﨑子" {
		t.Fatalf("CertificateName = %q", got)
	}
	it, err := a.CertificateItems()
	if err != nil {
		t.Fatal(err)
	}
	want := jpkicert.Items{
		Name:             "高橋　崎子",
		NamePositions:    "10010",
		Sex:              "2",
		Birth:            "319620617",
		Address:          "東京都千代田区霞が関１－２－３",
		AddressPositions: "000000000000000",
	}
	if it != want {
		t.Fatalf("CertificateItems =\n%+v\nwant\n%+v", it, want)
	}
	// The items survive the certificate's encoding, and the CA's checks.
	der, err := it.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := jpkicert.Unmarshal(der)
	if err != nil || back != it {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
	if err := CheckCharset(back.Name); err != nil {
		t.Error(err)
	}
	if err := CheckCharset(back.Address); err != nil {
		t.Error(err)
	}
	if d, err := ParseCertificateCode(back.Birth); err != nil || d.Wareki() != "昭和37年6月17日" {
		t.Errorf("birth code reads back as %v, %v", d, err)
	}
	if !a.Substitutes.Any() {
		t.Error("Substitutes.Any() = false with substitutes chosen")
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	a := Application{
		Kind:        0,
		FamilyName:  "髙橋",
		GivenName:   "﨑子",
		FamilyKana:  "高橋",
		GivenKana:   "",
		Birth:       Date{2030, 1, 1},
		Sex:         0,
		Address:     "千代田区霞が関",
		Substitutes: Substitutes{Name: map[int]string{1: "端"}},
		AppliedOn:   Date{2024, 4, 1},
	}
	err := a.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	want := map[Field]int{FieldKind: 1, FieldFamilyKana: 1, FieldGivenKana: 1, FieldBirth: 1, FieldSex: 1, FieldAddress: 1}
	for f, n := range want {
		if got := len(ve.For(f)); got != n {
			t.Errorf("%s: %d problems, want %d: %+v", f, got, n, ve.Problems)
		}
	}
	// Kind 0 does not issue a certificate, so the characters are not checked.
	if len(ve.For(FieldFamilyName)) != 0 || len(ve.For(FieldSubstitutes)) != 0 {
		t.Errorf("charset checked for kind 0: %+v", ve.Problems)
	}
	for i := 1; i < len(ve.Problems); i++ {
		if fieldOrder[ve.Problems[i].Field] < fieldOrder[ve.Problems[i-1].Field] {
			t.Errorf("problems out of field order: %+v", ve.Problems)
		}
	}
	msg := ve.UserMessage()
	for _, s := range []string{"申請の種類", "ふりがな（氏）", "ふりがな（名）", "生年月日", "性別", "都道府県"} {
		if !strings.Contains(msg, s) {
			t.Errorf("UserMessage lacks %q:\n%s", s, msg)
		}
	}
}

func TestValidateCharacters(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Application)
		field  Field
		has    string // in the message
	}{
		{"family without substitute", func(a *Application) { delete(a.Substitutes.Name, 0) }, FieldFamilyName, "「髙」（1文字目）"},
		{"given without substitute", func(a *Application) { delete(a.Substitutes.Name, 3) }, FieldGivenName, "「﨑」（1文字目）"},
		{"candidates listed", func(a *Application) { a.Substitutes.Name = nil }, FieldGivenName, "候補: 崎"},
		{"substitute on a carriable character", func(a *Application) { a.Substitutes.Name[1] = "端" }, FieldSubstitutes, "代替文字は指定できません"},
		{"uncarriable substitute", func(a *Application) { a.Substitutes.Name[0] = "髙" }, FieldSubstitutes, "記録できません"},
		{"substitute past the end", func(a *Application) { a.Substitutes.Name[9] = "高" }, FieldSubstitutes, "位置が合いません"},
		{"address character", func(a *Application) { a.Address = "東京都千代田区𠮷田町1" }, FieldAddress, "「𠮷」（8文字目）"},
		{"address IVS", func(a *Application) { a.Address = "東京都葛\U000E0100飾区" }, FieldAddress, "異体字セレクタ"},
		{"address substitute ok", func(a *Application) {
			a.Address = "東京都千代田区𠮷田町1"
			a.Substitutes.Address = map[int]string{7: "吉"}
		}, "", ""},
		{"address too long", func(a *Application) { a.Address = "東京都" + strings.Repeat("あ", 198) }, FieldAddress, "200文字"},
		{"address at the limit", func(a *Application) { a.Address = "東京都" + strings.Repeat("あ", 197) }, "", ""},
		{"address without prefecture", func(a *Application) { a.Address = "千代田区霞が関1-2-3" }, FieldAddress, "都道府県"},
		{"empty given name", func(a *Application) { a.GivenName, a.GivenKana = "", ""; delete(a.Substitutes.Name, 3) }, "", ""},
		{"stale substitute after the name changed", func(a *Application) { a.GivenName, a.GivenKana = "", "" }, FieldSubstitutes, "位置が合いません"},
		{"given kana without given name", func(a *Application) { a.GivenName = "" }, FieldGivenName, "名を入力"},
		{"katakana furigana", func(a *Application) { a.GivenKana = "ｻｷｺ" }, "", ""},
		{"romaji furigana", func(a *Application) { a.GivenKana = "sakiko" }, FieldGivenKana, "かなで"},
		{"missing family", func(a *Application) { a.FamilyName = "　" }, FieldFamilyName, "氏を入力"},
		{"birth before Meiji", func(a *Application) { a.Birth = Date{1868, 10, 22} }, FieldBirth, "明治より前"},
		{"birth invalid", func(a *Application) { a.Birth = Date{1962, 2, 30} }, FieldBirth, "暦にない"},
		{"birth missing", func(a *Application) { a.Birth = Date{} }, FieldBirth, "入力"},
		{"born on the day", func(a *Application) { a.Birth = a.AppliedOn }, "", ""},
		{"born after applying", func(a *Application) { a.Birth = Date{2024, 4, 2} }, FieldBirth, "申請日"},
		{"no application date", func(a *Application) { a.AppliedOn = Date{} }, FieldAppliedOn, "申請日"},
		{"sex 4", func(a *Application) { a.Sex = 4 }, FieldSex, "性別"},
		{"unknown sex is fine", func(a *Application) { a.Sex = SexUnknown }, "", ""},
		{"revocation ignores charset", func(a *Application) { a.Kind, a.Substitutes.Name = KindRevocation, nil }, "", ""},
		{"renewal checks charset", func(a *Application) { a.Kind, a.Substitutes.Name = KindRenewal, nil }, FieldFamilyName, "髙"},
		{"half-width registry text", func(a *Application) {
			a.FamilyName, a.Substitutes.Name = "ﾀｶﾊｼ", nil
			a.GivenName = "サキコ"
		}, "", ""},
	}
	for _, tt := range tests {
		a := takahashi(t)
		tt.change(&a)
		err := a.Validate()
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s: Validate = %v", tt.name, err)
			}
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: Validate = %v", tt.name, err)
			continue
		}
		found := false
		for _, p := range ve.For(tt.field) {
			found = found || strings.Contains(p.Message, tt.has)
		}
		if !found {
			t.Errorf("%s: no %s problem with %q in %+v", tt.name, tt.field, tt.has, ve.Problems)
		}
		if _, err := a.CertificateItems(); !errors.As(err, &ve) {
			t.Errorf("%s: CertificateItems of an invalid form = %v", tt.name, err)
		}
	}
}

func TestCertificateItemsVariants(t *testing.T) {
	a := takahashi(t)
	a.FamilyName, a.GivenName = "ＳＭＩＴＨ", ""
	a.FamilyKana, a.GivenKana = "すみす", ""
	a.Substitutes = Substitutes{}
	a.Sex = SexMale
	a.Birth = Date{1989, 1, 8}
	it, err := a.CertificateItems()
	if err != nil {
		t.Fatal(err)
	}
	if it.Name != "ＳＭＩＴＨ" || it.NamePositions != "00000" || it.Sex != "1" || it.Birth != "419890108" {
		t.Errorf("items = %+v", it)
	}
}

func TestKindAndSexNames(t *testing.T) {
	names := map[ApplicationKind]string{KindNew: "新規発行", KindRenewal: "更新", KindRevocation: "失効", KindPINReset: "暗証番号初期化"}
	for k, n := range names {
		if k.String() != n {
			t.Errorf("%d.String() = %q, want %q", int(k), k.String(), n)
		}
	}
	if !KindNew.IssuesCertificate() || KindPINReset.IssuesCertificate() {
		t.Error("IssuesCertificate")
	}
	if SexMale.String() != "男" || SexFemale.Code() != "2" || SexUnknown.String() != "不明" || Sex(0).Valid() {
		t.Error("Sex names")
	}
	for f := range fieldOrder {
		if f.Label() == string(f) {
			t.Errorf("field %s has no Japanese label", f)
		}
	}
}

// BenchmarkValidate measures validating one form (target: under 50 µs).
func BenchmarkValidate(b *testing.B) {
	a := takahashi(b)
	if err := a.Validate(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := a.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCertificateItems measures validating a form and building the
// certificate's items from it.
func BenchmarkCertificateItems(b *testing.B) {
	a := takahashi(b)
	for b.Loop() {
		if _, err := a.CertificateItems(); err != nil {
			b.Fatal(err)
		}
	}
}
