package forms

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func d(y, m, day int) Date { return Date{y, time.Month(m), day} }

func TestParseDateAccepted(t *testing.T) {
	tests := []struct {
		in   string
		want Date
	}{
		// 元号 with 年月日.
		{"昭和37年6月17日", d(1962, 6, 17)},
		{"昭和３７年６月１７日", d(1962, 6, 17)},
		{" 昭和 37 年 6 月 17 日 ", d(1962, 6, 17)},
		{"昭37年6月17日", d(1962, 6, 17)},
		{"㍼37年6月17日", d(1962, 6, 17)},
		{"平成元年1月8日", d(1989, 1, 8)},
		{"平成1年1月8日", d(1989, 1, 8)},
		{"昭和64年1月7日", d(1989, 1, 7)},
		{"令和元年5月1日", d(2019, 5, 1)},
		{"㋿元年5月1日", d(2019, 5, 1)},
		{"平成31年4月30日", d(2019, 4, 30)},
		{"大正元年7月30日", d(1912, 7, 30)},
		{"明治45年7月29日", d(1912, 7, 29)},
		{"大正15年12月24日", d(1926, 12, 24)},
		{"昭和元年12月25日", d(1926, 12, 25)},
		{"明治6年1月1日", d(1873, 1, 1)},
		{"平成12年2月29日", d(2000, 2, 29)},
		// Era letter or name with separators.
		{"S37.6.17", d(1962, 6, 17)},
		{"s37.06.17", d(1962, 6, 17)},
		{"Ｓ３７．６．１７", d(1962, 6, 17)},
		{"S37/6/17", d(1962, 6, 17)},
		{"S37-6-17", d(1962, 6, 17)},
		{"H元.1.8", d(1989, 1, 8)},
		{"h1.1.8", d(1989, 1, 8)},
		{"R5.4.1", d(2023, 4, 1)},
		{"T15.12.24", d(1926, 12, 24)},
		{"M45.7.29", d(1912, 7, 29)},
		{"昭和37.6.17", d(1962, 6, 17)},
		// Era letter or digit with YYMMDD, and the certificate code.
		{"S370617", d(1962, 6, 17)},
		{"3370617", d(1962, 6, 17)},
		{"4010108", d(1989, 1, 8)},
		{"319620617", d(1962, 6, 17)},
		// Gregorian with a four-digit year.
		{"1962-06-17", d(1962, 6, 17)},
		{"1962/6/17", d(1962, 6, 17)},
		{"1962.6.17", d(1962, 6, 17)},
		{"1962年6月17日", d(1962, 6, 17)},
		{"１９６２年６月１７日", d(1962, 6, 17)},
		{"19620617", d(1962, 6, 17)},
		{"１９６２０６１７", d(1962, 6, 17)},
		{"1962ー06ー17", d(1962, 6, 17)},
		{"2000-02-29", d(2000, 2, 29)},
		{"1850-01-01", d(1850, 1, 1)}, // a date, even if the certificate cannot encode it
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDateRejected(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrDateSyntax},
		{"   ", ErrDateSyntax},
		{"きのう", ErrDateSyntax},
		{"62/6/17", ErrDateAmbiguous},     // two-digit year without an era
		{"17/06/1962", ErrDateAmbiguous},  // day first
		{"06/17/1962", ErrDateAmbiguous},  // month first
		{"620617", ErrDateAmbiguous},      // six bare digits
		{"1962617", ErrDateInvalid},       // seven digits: read as 明治96年26月17日
		{"S37617", ErrDateAmbiguous},      // era with five digits
		{"12345", ErrDateAmbiguous},       //
		{"1962-6", ErrDateSyntax},         // no day
		{"1962-06-17-01", ErrDateSyntax},  //
		{"1962/06-17", ErrDateSyntax},     // mixed separators
		{"1962-13-01", ErrDateInvalid},    //
		{"1963-02-29", ErrDateInvalid},    // not a leap year
		{"1900-02-29", ErrDateInvalid},    // century rule
		{"昭和37年2月30日", ErrDateInvalid},    //
		{"昭和64年1月8日", ErrEraRange},        // 昭和 ended on 64年1月7日
		{"昭和65年1月1日", ErrEraRange},        //
		{"平成元年1月7日", ErrEraRange},         // 平成 began on 元年1月8日
		{"平成31年5月1日", ErrEraRange},        // 令和元年
		{"令和元年4月30日", ErrEraRange},        //
		{"大正元年7月29日", ErrEraRange},        //
		{"明治45年7月30日", ErrEraRange},       //
		{"昭和0年1月1日", ErrEraRange},         //
		{"S100.1.1", ErrEraRange},         //
		{"明治元年10月23日", ErrLunarDate},      // a lunisolar date
		{"明治5年12月2日", ErrLunarDate},       // the last lunisolar day
		{"M3.5.1", ErrLunarDate},          //
		{"X37.6.17", ErrDateAmbiguous},    // unknown era letter: not an era, and "X…" is no date
		{"昭和元.6.17x", ErrDateSyntax},      //
		{"昭和元6月17日", ErrDateSyntax},       // 元 without 年
		{"319890108", ErrEraRange},        // 1989-01-08 is 平成
		{"619620617", ErrEraRange},        // era digit 6
		{"0000-01-01", ErrDateInvalid},    //
		{"1962-06-17\x00", ErrDateSyntax}, //
	}
	for _, tt := range tests {
		_, err := ParseDate(tt.in)
		var de *DateError
		if !errors.As(err, &de) {
			t.Errorf("ParseDate(%q) error = %v, want a *DateError", tt.in, err)
			continue
		}
		if tt.want == ErrDateAmbiguous && errors.Is(err, ErrDateSyntax) {
			// Either says the input is unusable; what matters is the rejection.
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("ParseDate(%q) error = %v, want %v", tt.in, err, tt.want)
		}
		if de.Input != tt.in || !strings.Contains(de.UserMessage(), "日付") {
			t.Errorf("ParseDate(%q): Input %q, UserMessage %q", tt.in, de.Input, de.UserMessage())
		}
	}
}

func TestEraBoundaries(t *testing.T) {
	tests := []struct {
		date   Date
		era    Era
		year   int
		wareki string
	}{
		{d(1868, 10, 23), Meiji, 1, "明治元年（西暦1868年10月23日）"},
		{d(1872, 12, 31), Meiji, 5, "明治5年（西暦1872年12月31日）"},
		{d(1873, 1, 1), Meiji, 6, "明治6年1月1日"},
		{d(1912, 7, 29), Meiji, 45, "明治45年7月29日"},
		{d(1912, 7, 30), Taisho, 1, "大正元年7月30日"},
		{d(1926, 12, 24), Taisho, 15, "大正15年12月24日"},
		{d(1926, 12, 25), Showa, 1, "昭和元年12月25日"},
		{d(1962, 6, 17), Showa, 37, "昭和37年6月17日"},
		{d(1989, 1, 7), Showa, 64, "昭和64年1月7日"},
		{d(1989, 1, 8), Heisei, 1, "平成元年1月8日"},
		{d(2019, 4, 30), Heisei, 31, "平成31年4月30日"},
		{d(2019, 5, 1), Reiwa, 1, "令和元年5月1日"},
		{d(2024, 2, 29), Reiwa, 6, "令和6年2月29日"},
	}
	for _, tt := range tests {
		e, y, err := tt.date.Era()
		if err != nil || e != tt.era || y != tt.year {
			t.Errorf("%v.Era() = %v, %d, %v; want %v, %d", tt.date, e, y, err, tt.era, tt.year)
		}
		if got := tt.date.Wareki(); got != tt.wareki {
			t.Errorf("%v.Wareki() = %q, want %q", tt.date, got, tt.wareki)
		}
		if !tt.date.Before(gregorianAdoption) {
			// What Wareki prints, ParseDate reads back.
			if back, err := ParseDate(tt.wareki); err != nil || back != tt.date {
				t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.wareki, back, err, tt.date)
			}
		}
	}
	for _, bad := range []Date{d(1868, 10, 22), d(1600, 1, 1), {}, d(1962, 2, 30)} {
		if _, _, err := bad.Era(); err == nil {
			t.Errorf("%v.Era() succeeded", bad)
		}
		if _, err := bad.CertificateCode(); err == nil {
			t.Errorf("%v.CertificateCode() succeeded", bad)
		}
	}
	if got := d(1868, 10, 22).Wareki(); got != "1868-10-22" {
		t.Errorf("Wareki before Meiji = %q", got)
	}
	if Showa.Last() != d(1989, 1, 7) || Heisei.First() != d(1989, 1, 8) || Reiwa.Last() != (Date{}) {
		t.Error("Era First/Last disagree with the boundaries")
	}
	if Showa.String() != "昭和" || Era(9).String() != "Era(9)" {
		t.Error("Era.String")
	}
}

func TestCertificateCode(t *testing.T) {
	tests := []struct {
		date Date
		code string
	}{
		{d(1962, 6, 17), "319620617"},
		{d(1989, 1, 7), "319890107"},
		{d(1989, 1, 8), "419890108"},
		{d(2019, 4, 30), "420190430"},
		{d(2019, 5, 1), "520190501"},
		{d(1912, 7, 29), "119120729"},
		{d(1912, 7, 30), "219120730"},
		{d(1926, 12, 25), "319261225"},
		{d(1868, 10, 23), "118681023"},
	}
	for _, tt := range tests {
		code, err := tt.date.CertificateCode()
		if err != nil || code != tt.code {
			t.Errorf("%v.CertificateCode() = %q, %v; want %q", tt.date, code, err, tt.code)
		}
		back, err := ParseCertificateCode(tt.code)
		if err != nil || back != tt.date {
			t.Errorf("ParseCertificateCode(%q) = %v, %v; want %v", tt.code, back, err, tt.date)
		}
	}
	for _, bad := range []string{"", "31962061", "3196206170", "x19620617", "319620631", "419890107", "219890108",
		"019620617", "618681023", "118681022", "3１9620617", "-19620617", "319620617 "} {
		if got, err := ParseCertificateCode(bad); err == nil {
			t.Errorf("ParseCertificateCode(%q) = %v, want an error", bad, got)
		}
	}
}

func TestDateHelpers(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	if got := DateOf(time.Date(1962, 6, 17, 23, 59, 0, 0, jst)); got != d(1962, 6, 17) {
		t.Errorf("DateOf = %v", got)
	}
	if got := d(1962, 6, 17).String(); got != "1962-06-17" {
		t.Errorf("String = %q", got)
	}
	if !d(1962, 6, 17).Time().Equal(time.Date(1962, 6, 17, 0, 0, 0, 0, time.UTC)) {
		t.Error("Time")
	}
	if !(Date{}).IsZero() || d(1, 1, 1).IsZero() {
		t.Error("IsZero")
	}
	if !d(1962, 6, 17).Before(d(1962, 6, 18)) || d(1962, 6, 17).Before(d(1962, 6, 17)) || d(1963, 1, 1).Before(d(1962, 12, 31)) {
		t.Error("Before")
	}
}

// FuzzParseDate checks that ParseDate never panics, that every error is a
// *DateError with a Japanese message, and that every date it returns is
// valid and comes back from its own ISO and 和暦 forms.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"S37.6.17", "昭和37年6月17日", "1962-06-17", "19620617", "平成元年1月8日",
		"３３７０６１７", "319620617", "62/6/17", "㍼64年1月7日", "H元.1.8", "明治5年12月2日", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDate(s)
		if err != nil {
			var de *DateError
			if !errors.As(err, &de) || de.UserMessage() == "" {
				t.Fatalf("ParseDate(%q) error %v is not a *DateError", s, err)
			}
			return
		}
		if !got.Valid() {
			t.Fatalf("ParseDate(%q) = %v, not a valid date", s, got)
		}
		if back, err := ParseDate(got.String()); err != nil || back != got {
			t.Fatalf("ParseDate(%q) = %v; its ISO form reads back as %v, %v", s, got, back, err)
		}
		if _, _, err := got.Era(); err == nil && !got.Before(gregorianAdoption) {
			w := got.Wareki()
			if back, err := ParseDate(w); err != nil || back != got {
				t.Fatalf("ParseDate(%q) = %v; its 和暦 %q reads back as %v, %v", s, got, w, back, err)
			}
			code, _ := got.CertificateCode()
			if back, err := ParseCertificateCode(code); err != nil || back != got || !utf8.ValidString(code) {
				t.Fatalf("certificate code %q of %v reads back as %v, %v", code, got, back, err)
			}
		}
	})
}

// FuzzParseCertificateCode checks that a code that parses is the code of
// the date it parses to.
func FuzzParseCertificateCode(f *testing.F) {
	for _, s := range []string{"319620617", "419890108", "319890108", "120000101", "000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseCertificateCode(s)
		if err != nil {
			return
		}
		if code, err := got.CertificateCode(); err != nil || code != s {
			t.Fatalf("ParseCertificateCode(%q) = %v, whose code is %q, %v", s, got, code, err)
		}
	})
}

func BenchmarkParseDate(b *testing.B) {
	for b.Loop() {
		if _, err := ParseDate("昭和37年6月17日"); err != nil {
			b.Fatal(err)
		}
	}
}
