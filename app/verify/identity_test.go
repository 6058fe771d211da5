package verify_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"madoguchi/app/sign/signtest"
	"madoguchi/app/verify"
)

// TestCompareIdentity compares forms with the test resident's
// certificate items: 高橋　崎子 (positions 1001 0… with 代替文字), the
// address with full-width digits and 高 for 髙.
func TestCompareIdentity(t *testing.T) {
	items := signtest.Items(t, signtest.Form())
	if items.NamePositions != "10010" {
		t.Fatalf("name positions %q; the fixture changed", items.NamePositions)
	}
	tests := []struct {
		name string
		form verify.Form
		bad  []string // items reported as different; nil = match
		note string
	}{
		{name: "registry characters", form: verify.Form{Name: "髙橋 﨑子", Address: "東京都千代田区霞が関1-2-3 髙ハイツ101", Birth: "昭和37年6月17日", Sex: "女"}, note: "氏名 一致 (代替文字 2)"},
		{name: "certificate characters", form: verify.Form{Name: "高橋 崎子"}, note: "氏名 一致"},
		{name: "full-width space and digits", form: verify.Form{Name: "髙橋　﨑子", Address: "東京都千代田区霞が関１－２－３　髙ハイツ１０１"}, note: "住所 一致 (代替文字 1)"},
		{name: "extra spaces", form: verify.Form{Name: "  髙橋   﨑子 "}, note: "氏名 一致"},
		{name: "birth as digits and code", form: verify.Form{Birth: "1962-06-17", Sex: "2"}, note: "生年月日 一致"},
		{name: "no space between 氏 and 名", form: verify.Form{Name: "髙橋﨑子"}, bad: []string{"氏名"}},
		{name: "another name", form: verify.Form{Name: "髙橋 花子"}, bad: []string{"氏名"}},
		{name: "certificate characters in the name, another room", form: verify.Form{Name: "高橋 﨑子", Address: "東京都千代田区霞が関1-2-3 高ハイツ102"}, bad: []string{"住所"}},
		{name: "another birth and sex", form: verify.Form{Birth: "昭和37年6月18日", Sex: "男"}, bad: []string{"生年月日", "性別"}},
		{name: "unparseable birth", form: verify.Form{Birth: "そのうち"}, bad: []string{"生年月日"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			detail, err := verify.CompareIdentity(items, tc.form)
			var ie *verify.IdentityError
			if tc.bad == nil {
				if err != nil {
					t.Fatalf("mismatch: %v (%s)", err, detail)
				}
				if !strings.Contains(detail, tc.note) {
					t.Errorf("detail %q; want %q", detail, tc.note)
				}
				return
			}
			if !errors.As(err, &ie) || !slices.Equal(ie.Items, tc.bad) {
				t.Fatalf("err %v; want the items %v", err, tc.bad)
			}
		})
	}
}

// TestParseForm reads the four items and refuses a form without any.
func TestParseForm(t *testing.T) {
	f, err := verify.ParseForm([]byte(`{"氏名":"山田 太郎","性別":"男","他":[1,2]}`))
	if err != nil || f.Name != "山田 太郎" || f.Sex != "男" {
		t.Fatalf("%+v, %v", f, err)
	}
	for _, bad := range []string{`{}`, `{"申請":"x"}`, `[1]`, `not json`} {
		if _, err := verify.ParseForm([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
