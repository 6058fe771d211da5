package identity

import (
	"errors"
	"strings"
	"testing"

	"madoguchi/app/registry"
	"madoguchi/forms"
)

func resident() registry.Resident {
	return registry.Resident{
		Code: "12345678903", FamilyName: "髙橋", GivenName: "花子", FamilyKana: "たかはし", GivenKana: "はなこ",
		Birth: forms.Date{Year: 1962, Month: 6, Day: 17}, Sex: forms.SexFemale,
		Address: "東京都千代田区本町一丁目２番３号　コーポ本町１０１号室", Status: registry.StatusResident,
	}
}

func TestCompareNormalises(t *testing.T) {
	r := resident()
	app := r.Application(forms.KindNew, forms.Date{Year: 2026, Month: 11, Day: 25})
	if d := Compare(app, r); len(d) != 0 {
		t.Fatalf("pre-filled form differs: %+v", d)
	}
	// What a clerk may type differently without changing the meaning.
	app.FamilyKana = "ﾀｶﾊｼ"
	app.GivenKana = "ハナコ"
	app.GivenName = " 花子 "
	app.Address = "東京都千代田区本町1丁目2番3号 コーポ本町101号室"
	if d := Compare(app, r); len(d) != 0 {
		t.Errorf("normalised equal values differ: %+v", d)
	}
	app.Address = "東京都千代田区本町１丁目２－３"
	r.Address = "東京都千代田区本町一丁目2-3"
	if d := Compare(app, r); len(d) != 0 {
		t.Errorf("hyphen variants differ: %+v", d)
	}
}

func TestCompareFindsEveryDifference(t *testing.T) {
	r := resident()
	app := r.Application(forms.KindNew, forms.Date{})
	app.FamilyName = "高橋" // the variant is a different character
	app.GivenName = "花"
	app.FamilyKana = "たかばし"
	app.GivenKana = "はな"
	app.Birth = forms.Date{Year: 1962, Month: 6, Day: 18}
	app.Sex = forms.SexMale
	app.Address = "東京都千代田区本町二丁目２番３号"
	d := Compare(app, r)
	want := []Item{ItemFamilyName, ItemGivenName, ItemFamilyKana, ItemGivenKana, ItemBirth, ItemSex, ItemAddress}
	if len(d) != len(want) {
		t.Fatalf("differences %+v", d)
	}
	for i, w := range want {
		if d[i].Item != w {
			t.Errorf("difference %d is %s, want %s", i, d[i].Item, w)
		}
	}
	if d[4].Form != "昭和37年6月18日" || d[4].Registry != "昭和37年6月17日" || d[5].Form != "男" {
		t.Errorf("shown values %+v %+v", d[4], d[5])
	}
}

func TestNormalizeAddress(t *testing.T) {
	for in, want := range map[string]string{
		"本町十二丁目":     "本町12丁目",
		"本町二十丁目":     "本町20丁目",
		"本町二十三丁目１－２": "本町23丁目1-2",
		"本町 一丁目":     "本町1丁目",
	} {
		if got := NormalizeAddress(in); got != want {
			t.Errorf("NormalizeAddress(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestDocuments(t *testing.T) {
	tests := []struct {
		name string
		docs []Document
		ok   bool
	}{
		{"one photo ID", []Document{NewDocument(DocDriversLicense, "123456789012")}, true},
		{"my number card", []Document{NewDocument(DocMyNumberCard, "")}, true},
		{"two without photo", []Document{NewDocument(DocHealthInsurance, "1234"), NewDocument(DocPensionBook, "1234-567890")}, true},
		{"one without photo", []Document{NewDocument(DocHealthInsurance, "1234")}, false},
		{"same type twice", []Document{NewDocument(DocHealthInsurance, "1"), NewDocument(DocHealthInsurance, "2")}, false},
		{"none", nil, false},
		{"unknown type", []Document{{Type: "library_card", Photo: true}}, false},
	}
	for _, tt := range tests {
		err := CheckDocuments(tt.docs)
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.name, err)
		}
		if err != nil && (!errors.Is(err, ErrDocuments) || err.(*CheckError).UserMessage() == "") {
			t.Errorf("%s: error %v is not ErrDocuments with a message", tt.name, err)
		}
	}
}

func TestMaskNumber(t *testing.T) {
	for in, want := range map[string]string{
		"123456789012": "********9012",
		"ＴＲ１２３４５６７":    "*****4567",
		"1234-5678":    "****5678",
		"12":           "*2",
		"":             "",
	} {
		if got := MaskNumber(in); got != want {
			t.Errorf("MaskNumber(%q) = %q, want %q", in, got, want)
		}
	}
	if d := NewDocument(DocMyNumberCard, "123456789012"); d.Number != "" || !d.Photo {
		t.Errorf("my number recorded: %+v", d)
	}
	if d := NewDocument(DocPassport, "TR1234567"); d.Number != "*****4567" || !d.Photo || d.Label() != "旅券（パスポート）" {
		t.Errorf("passport %+v", d)
	}
}

func TestCheck(t *testing.T) {
	r := resident()
	app := r.Application(forms.KindNew, forms.Date{})
	photo := []Document{NewDocument(DocDriversLicense, "123456789012")}
	res, err := Check(app, r, photo)
	if err != nil || res.ResidentCode != r.Code || len(res.Documents) != 1 {
		t.Fatalf("Check = %+v, %v", res, err)
	}
	// Every failure at once.
	r.Status = registry.StatusMovedOut
	r.StatusChangedOn = forms.Date{Year: 2024, Month: 4, Day: 1}
	app.Sex = forms.SexMale
	_, err = Check(app, r, nil)
	var ce *CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("Check = %v", err)
	}
	for _, target := range []error{ErrIneligible, ErrMismatch, ErrDocuments} {
		if !errors.Is(err, target) {
			t.Errorf("error does not match %v", target)
		}
	}
	msg := ce.UserMessage()
	for _, frag := range []string{"転出", "令和6年4月1日", "性別", "本人確認書類"} {
		if !strings.Contains(msg, frag) {
			t.Errorf("message lacks %q:\n%s", frag, msg)
		}
	}
	for _, st := range []registry.Status{registry.StatusDeceased, registry.StatusErased} {
		r := resident()
		r.Status = st
		if _, err := Check(r.Application(forms.KindRevocation, forms.Date{}), r, photo); !errors.Is(err, ErrIneligible) || errors.Is(err, ErrMismatch) {
			t.Errorf("status %s: %v", st.Label(), err)
		}
	}
}

// FuzzClerkInput checks the normalisations applied to what a clerk types:
// a masked number shows at most its last 4 characters, and address
// normalisation is idempotent.
func FuzzClerkInput(f *testing.F) {
	f.Add("ＴＲ１２３４５６７", "東京都千代田区本町二十三丁目１－２")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, number, addr string) {
		m := MaskNumber(number)
		visible := 0
		for _, r := range m {
			if r != '*' {
				visible++
			}
		}
		if visible > 4 {
			t.Fatalf("MaskNumber(%q) = %q shows %d characters", number, m, visible)
		}
		n := NormalizeAddress(addr)
		if NormalizeAddress(n) != n {
			t.Fatalf("NormalizeAddress not idempotent on %q: %q then %q", addr, n, NormalizeAddress(n))
		}
	})
}
