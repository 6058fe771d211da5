package forms

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Era is a Japanese era (元号), numbered as the certificate's era digit.
type Era int

// The eras the certificate can encode, with their era digits.
const (
	Meiji  Era = 1 // 明治, from 1868-10-23
	Taisho Era = 2 // 大正, from 1912-07-30
	Showa  Era = 3 // 昭和, from 1926-12-25
	Heisei Era = 4 // 平成, from 1989-01-08
	Reiwa  Era = 5 // 令和, from 2019-05-01
)

// eraInfo describes one era: its names and its first day.
type eraInfo struct {
	name   string // 明治
	letter byte   // M
	first  Date   // first day, Gregorian
}

var eras = [...]eraInfo{
	Meiji:  {"明治", 'M', Date{1868, time.October, 23}},
	Taisho: {"大正", 'T', Date{1912, time.July, 30}},
	Showa:  {"昭和", 'S', Date{1926, time.December, 25}},
	Heisei: {"平成", 'H', Date{1989, time.January, 8}},
	Reiwa:  {"令和", 'R', Date{2019, time.May, 1}},
}

// gregorianAdoption is the first day of the Gregorian calendar in Japan
// (明治6年1月1日). Japanese dates before it were lunisolar.
var gregorianAdoption = Date{1873, time.January, 1}

// String returns the era's name, e.g. "昭和".
func (e Era) String() string {
	if e < Meiji || e > Reiwa {
		return fmt.Sprintf("Era(%d)", int(e))
	}
	return eras[e].name
}

// First returns the era's first day. It returns the zero Date for an
// unknown era.
func (e Era) First() Date {
	if e < Meiji || e > Reiwa {
		return Date{}
	}
	return eras[e].first
}

// Last returns the era's last day, or the zero Date for the current era
// (令和) and for an unknown era.
func (e Era) Last() Date {
	if e < Meiji || e >= Reiwa {
		return Date{}
	}
	return DateOf(eras[e+1].first.Time().AddDate(0, 0, -1))
}

// Date is a Gregorian calendar date. The zero value means unset.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// Sentinel errors wrapped by *DateError, for errors.Is.
var (
	ErrDateSyntax    = errors.New("unrecognised date")
	ErrDateAmbiguous = errors.New("ambiguous date")
	ErrDateInvalid   = errors.New("no such calendar day")
	ErrEraRange      = errors.New("date outside its era")
	ErrBeforeMeiji   = errors.New("date before the Meiji era")
	ErrLunarDate     = errors.New("Japanese-calendar date before 1873 (lunisolar calendar)")
)

// DateError reports a date that could not be read, converted or encoded.
// Err is one of the ErrDate… sentinels above.
type DateError struct {
	Input string // what was given, as typed
	Err   error  // the sentinel saying what is wrong
}

func (e *DateError) Error() string { return fmt.Sprintf("forms: date %q: %v", e.Input, e.Err) }

// Unwrap returns the sentinel.
func (e *DateError) Unwrap() error { return e.Err }

// UserMessage explains the problem to the clerk, in Japanese.
func (e *DateError) UserMessage() string {
	in := "「" + e.Input + "」"
	switch e.Err {
	case ErrDateAmbiguous:
		return "日付" + in + "は年・月・日の区切りがあいまいです。4桁の西暦年（例: 1962-06-17、19620617）か元号付き（例: 昭和37年6月17日、S37.6.17）で入力してください。"
	case ErrDateInvalid:
		return "日付" + in + "は暦にない日です。月と日を確かめてください。"
	case ErrEraRange:
		return "日付" + in + "はその元号の期間外です（例: 昭和は64年1月7日まで、平成は元年1月8日から）。元号と年を確かめてください。"
	case ErrBeforeMeiji:
		return "日付" + in + "は明治より前のため、証明書に記録できません。"
	case ErrLunarDate:
		return "日付" + in + "は明治5年以前（旧暦）の和暦日付のため、そのままでは換算できません。西暦（グレゴリオ暦）の日付で入力してください。"
	}
	return "日付" + in + "を読み取れません。例: 昭和37年6月17日、S37.6.17、1962-06-17、19620617 のように入力してください。"
}

func dateErr(input string, err error) error { return &DateError{Input: input, Err: err} }

// Valid reports whether d is a real day of the Gregorian calendar with a
// four-digit year.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return DateOf(d.Time()) == d
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date { return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()} }

// String returns d as YYYY-MM-DD (ISO 8601).
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Before reports whether d comes before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	}
	return cmpInt(d.Day, o.Day)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Era returns the era of d and the year within it (1 for 元年). Era years
// count Gregorian years: 明治元年 is 1868, so 1870-05-01 is 明治3年 even
// though Japan then still used the lunisolar calendar. Dates before
// 1868-10-23 return an error wrapping ErrBeforeMeiji.
func (d Date) Era() (Era, int, error) {
	if !d.Valid() {
		return 0, 0, dateErr(d.String(), ErrDateInvalid)
	}
	for e := Reiwa; e >= Meiji; e-- {
		if !d.Before(eras[e].first) {
			return e, d.Year - eras[e].first.Year + 1, nil
		}
	}
	return 0, 0, dateErr(d.String(), ErrBeforeMeiji)
}

// Wareki formats d in the Japanese calendar, e.g. "昭和37年6月17日" and
// "平成元年1月8日". Before 1873, when Japan's own calendar was lunisolar,
// the Gregorian date is given with the era year, e.g.
// "明治3年（西暦1870年5月1日）". A date before 明治 or an invalid date is
// formatted as YYYY-MM-DD.
func (d Date) Wareki() string {
	e, y, err := d.Era()
	if err != nil {
		return d.String()
	}
	year := strconv.Itoa(y)
	if y == 1 {
		year = "元"
	}
	if d.Before(gregorianAdoption) {
		return fmt.Sprintf("%s%s年（西暦%d年%d月%d日）", e, year, d.Year, int(d.Month), d.Day)
	}
	return fmt.Sprintf("%s%s年%d月%d日", e, year, int(d.Month), d.Day)
}

// CertificateCode returns the certificate's 生年月日 encoding: the era
// digit followed by the Gregorian date as YYYYMMDD, e.g. "319620617".
func (d Date) CertificateCode() (string, error) {
	e, _, err := d.Era()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d%04d%02d%02d", int(e), d.Year, int(d.Month), d.Day), nil
}

// ParseCertificateCode is the inverse of CertificateCode. It accepts
// exactly nine ASCII digits and rejects a code whose era digit is not the
// era of its date (e.g. "319890108": 1989-01-08 is 平成).
func ParseCertificateCode(code string) (Date, error) {
	if len(code) != 9 || !allASCIIDigits(code) {
		return Date{}, dateErr(code, ErrDateSyntax)
	}
	d := Date{atoi(code[1:5]), time.Month(atoi(code[5:7])), atoi(code[7:9])}
	if !d.Valid() {
		return Date{}, dateErr(code, ErrDateInvalid)
	}
	e, _, err := d.Era()
	if err != nil {
		return Date{}, dateErr(code, ErrBeforeMeiji)
	}
	if Era(code[0]-'0') != e {
		return Date{}, dateErr(code, ErrEraRange)
	}
	return d, nil
}

// fromEra converts an era date to the Gregorian calendar, checking that
// the day lies inside the era and is not a lunisolar date.
func fromEra(input string, e Era, year, month, day int) (Date, error) {
	if e < Meiji || e > Reiwa || year < 1 || year > 9999 {
		return Date{}, dateErr(input, ErrEraRange)
	}
	d := Date{eras[e].first.Year + year - 1, time.Month(month), day}
	if !d.Valid() {
		return Date{}, dateErr(input, ErrDateInvalid)
	}
	if d.Before(gregorianAdoption) {
		// 明治元年–5年: month and day were lunisolar, so the Gregorian
		// day cannot be computed from them without a conversion table.
		return Date{}, dateErr(input, ErrLunarDate)
	}
	if got, _, _ := d.Era(); got != e {
		return Date{}, dateErr(input, ErrEraRange)
	}
	return d, nil
}

// ParseDate reads a date as clerks type it. Full-width digits and letters,
// surrounding spaces and spaces between the parts are accepted. The forms
// are:
//
//   - 元号 with 年月日: 昭和37年6月17日, 平成元年1月8日, 令和 5 年 4 月 1 日,
//     also one-kanji (昭37年6月17日) and the squared era signs (㍼37年6月17日);
//   - era letter (M, T, S, H, R, either case) or 元号 with separators:
//     S37.6.17, s37/6/17, H1-1-8, H元.1.8, 昭和37.6.17;
//   - era letter with six digits YYMMDD: S370617;
//   - era digit (1 明治 … 5 令和) with six digits YYMMDD: 3370617;
//   - the certificate code, era digit with YYYYMMDD: 319620617;
//   - Gregorian with a four-digit year: 1962-06-17, 1962/6/17, 1962.6.17,
//     1962年6月17日, and eight digits 19620617.
//
// Two-digit years without an era (62/6/17), six bare digits (620617), day-
// or month-first orders (17/6/1962) and other digit counts are rejected as
// ambiguous. A 元号 date must lie inside its era (昭和64年1月8日 is
// rejected: 昭和 ended on 64年1月7日). 元号 dates before 明治6年 (1873),
// when Japan used the lunisolar calendar, are rejected: give those in the
// Gregorian calendar. Errors are *DateError.
func ParseDate(s string) (Date, error) {
	input := s
	s = foldDateInput(s)
	if s == "" {
		return Date{}, dateErr(input, ErrDateSyntax)
	}

	// Era prefix: a name, a one-kanji abbreviation or a letter.
	era, rest := cutEra(s)
	if era != 0 {
		return parseEraDate(input, era, rest)
	}

	if allASCIIDigits(s) {
		switch len(s) {
		case 8:
			return gregorian(input, atoi(s[:4]), atoi(s[4:6]), atoi(s[6:]))
		case 7:
			e := Era(s[0] - '0')
			if e < Meiji || e > Reiwa {
				return Date{}, dateErr(input, ErrDateSyntax)
			}
			return fromEra(input, e, atoi(s[1:3]), atoi(s[3:5]), atoi(s[5:]))
		case 9:
			d, err := ParseCertificateCode(s)
			if err != nil {
				return Date{}, dateErr(input, err.(*DateError).Err)
			}
			return d, nil
		}
		return Date{}, dateErr(input, ErrDateAmbiguous)
	}

	parts, ok := splitDate(s)
	if !ok {
		return Date{}, dateErr(input, ErrDateSyntax)
	}
	if len(parts[0]) != 4 {
		// 62/6/17 or 17/06/1962: which part is the year is a guess.
		return Date{}, dateErr(input, ErrDateAmbiguous)
	}
	if len(parts[1]) > 2 || len(parts[2]) > 2 {
		return Date{}, dateErr(input, ErrDateSyntax)
	}
	return gregorian(input, atoi(parts[0]), atoi(parts[1]), atoi(parts[2]))
}

func gregorian(input string, y, m, d int) (Date, error) {
	date := Date{y, time.Month(m), d}
	if !date.Valid() {
		return Date{}, dateErr(input, ErrDateInvalid)
	}
	return date, nil
}

// parseEraDate reads what follows an era prefix: 37年6月17日, 37.6.17,
// 元.1.8 or 370617.
func parseEraDate(input string, e Era, rest string) (Date, error) {
	if strings.HasPrefix(rest, "元") {
		rest = "1" + strings.TrimPrefix(rest, "元")
		if !strings.HasPrefix(rest, "1年") && !strings.HasPrefix(rest, "1.") &&
			!strings.HasPrefix(rest, "1/") && !strings.HasPrefix(rest, "1-") {
			return Date{}, dateErr(input, ErrDateSyntax)
		}
	}
	if allASCIIDigits(rest) {
		if len(rest) != 6 {
			return Date{}, dateErr(input, ErrDateAmbiguous)
		}
		return fromEra(input, e, atoi(rest[:2]), atoi(rest[2:4]), atoi(rest[4:]))
	}
	parts, ok := splitDate(rest)
	if !ok || len(parts[0]) > 4 || len(parts[1]) > 2 || len(parts[2]) > 2 {
		return Date{}, dateErr(input, ErrDateSyntax)
	}
	return fromEra(input, e, atoi(parts[0]), atoi(parts[1]), atoi(parts[2]))
}

// splitDate splits "Y年M月D日", "Y.M.D", "Y/M/D" or "Y-M-D" into its three
// digit strings. One style of separator must be used throughout.
func splitDate(s string) ([3]string, bool) {
	var parts [3]string
	if strings.HasSuffix(s, "日") {
		y, rest, ok1 := strings.Cut(strings.TrimSuffix(s, "日"), "年")
		m, d, ok2 := strings.Cut(rest, "月")
		parts = [3]string{y, m, d}
		if !ok1 || !ok2 {
			return parts, false
		}
	} else {
		i := strings.IndexAny(s, "./-")
		if i < 0 {
			return parts, false
		}
		f := strings.Split(s, s[i:i+1])
		if len(f) != 3 {
			return parts, false
		}
		copy(parts[:], f)
	}
	for _, p := range parts {
		if p == "" || !allASCIIDigits(p) {
			return parts, false
		}
	}
	return parts, true
}

// cutEra removes an era prefix from s and returns the era, or 0 and s
// unchanged when s has none.
func cutEra(s string) (Era, string) {
	for e := Meiji; e <= Reiwa; e++ {
		info := eras[e]
		if rest, ok := strings.CutPrefix(s, info.name); ok {
			return e, rest
		}
		// One-kanji abbreviation: 明, 大, 昭, 平, 令.
		if rest, ok := strings.CutPrefix(s, info.name[:3]); ok && rest != "" && (isASCIIDigit(rest[0]) || strings.HasPrefix(rest, "元")) {
			return e, rest
		}
		if len(s) > 1 && (s[0] == info.letter || s[0] == info.letter+'a'-'A') &&
			(isASCIIDigit(s[1]) || strings.HasPrefix(s[1:], "元")) {
			return e, s[1:]
		}
	}
	return 0, s
}

// foldDateInput applies NFKC (full-width digits and letters to ASCII,
// ㍼ to 昭和), unifies the separators clerks use (．／－ー・, and 年月日
// written with spaces) and removes every space.
func foldDateInput(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			continue
		case r == '‐' || r == '‑' || r == '–' || r == '—' || r == '―' || r == '−' || r == 'ー' || r == 'ｰ':
			r = '-'
		case r == '・' || r == '､' || r == '、' || r == ',':
			r = '.'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

func allASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// atoi converts a short string of ASCII digits; callers check the digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
