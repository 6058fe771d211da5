package forms

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"madoguchi/assets/substitutes"
	"madoguchi/forms/jpkicert"
)

// Era is a Japanese era, numbered as the certificate's era digit.
type Era int

// The eras the certificate can encode.
const (
	Meiji  Era = 1
	Taisho Era = 2
	Showa  Era = 3
	Heisei Era = 4
	Reiwa  Era = 5
)

// Date is a Gregorian calendar date. The zero value means unset.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateError reports a date that could not be read or encoded.
type DateError struct {
	Input  string
	Reason string
}

func (e *DateError) Error() string { return fmt.Sprintf("forms: date %q: %s", e.Input, e.Reason) }

// UserMessage returns a Japanese explanation for the clerk.
func (e *DateError) UserMessage() string {
	return "日付「" + e.Input + "」を読み取れません。例: 昭和37年6月17日、S37.6.17、1962-06-17"
}

// ParseDate reads a date as clerks type it.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return Date{}, &DateError{Input: s, Reason: "unrecognised"}
	}
	return DateOf(t), nil
}

var eraStarts = []Date{{1868, 10, 23}, {1912, 7, 30}, {1926, 12, 25}, {1989, 1, 8}, {2019, 5, 1}}

func (d Date) before(o Date) bool { return d.Time().Before(o.Time()) }

// Era returns the era of d and the year within it.
func (d Date) Era() (Era, int, error) {
	for i := len(eraStarts) - 1; i >= 0; i-- {
		if !d.before(eraStarts[i]) {
			return Era(i + 1), d.Year - eraStarts[i].Year + 1, nil
		}
	}
	return 0, 0, &DateError{Input: d.String(), Reason: "before Meiji"}
}

// Wareki formats d in the Japanese calendar.
func (d Date) Wareki() string {
	e, y, err := d.Era()
	if err != nil {
		return d.String()
	}
	names := []string{"", "明治", "大正", "昭和", "平成", "令和"}
	ys := fmt.Sprint(y)
	if y == 1 {
		ys = "元"
	}
	return fmt.Sprintf("%s%s年%d月%d日", names[e], ys, d.Month, d.Day)
}

// CertificateCode returns the era digit followed by YYYYMMDD.
func (d Date) CertificateCode() (string, error) {
	e, _, err := d.Era()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d%04d%02d%02d", e, d.Year, d.Month, d.Day), nil
}

// ParseCertificateCode is the inverse of CertificateCode.
func ParseCertificateCode(code string) (Date, error) {
	if len(code) != 9 {
		return Date{}, &DateError{Input: code, Reason: "not 9 digits"}
	}
	d, err := ParseDate(code[1:5] + "-" + code[5:7] + "-" + code[7:9])
	if err != nil {
		return Date{}, err
	}
	if c, err := d.CertificateCode(); err != nil || c != code {
		return Date{}, &DateError{Input: code, Reason: "era mismatch"}
	}
	return d, nil
}

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date { return Date{t.Year(), t.Month(), t.Day()} }

// String returns d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// Sex is the certificate's sex code.
type Sex int

// Sex codes.
const (
	SexMale    Sex = 1
	SexFemale  Sex = 2
	SexUnknown Sex = 3
)

// NormalizeText normalises free text.
func NormalizeText(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(width.Fold.String(s))), " ")
}

// NormalizeKana normalises ふりがな.
func NormalizeKana(s string) string {
	s = NormalizeText(s)
	var b strings.Builder
	for _, r := range s {
		if r >= 'ァ' && r <= 'ヶ' {
			r -= 0x60
		}
		b.WriteRune(r)
	}
	return b.String()
}

// RomajiToHiragana converts romaji to hiragana.
func RomajiToHiragana(s string) (string, error) {
	return "", errors.New("forms: romaji conversion not implemented yet")
}

// CharProblem is one character the certificate cannot carry.
type CharProblem struct {
	Index  int
	Char   string
	Reason Reason
}

// Reason tells why a character cannot be carried.
type Reason int

// Reasons.
const (
	ReasonNotInCharset Reason = iota + 1
)

// CharsetError lists the characters the certificate cannot carry.
type CharsetError struct{ Problems []CharProblem }

func (e *CharsetError) Error() string {
	return fmt.Sprintf("forms: %d characters outside JIS X 0208/0212", len(e.Problems))
}

// UserMessage returns a Japanese explanation for the clerk.
func (e *CharsetError) UserMessage() string {
	return "証明書に記録できない文字があります。代替文字を選んでください。"
}

// CheckCharset reports every character the certificate cannot carry.
func CheckCharset(s string) error {
	var probs []CharProblem
	i := 0
	for _, r := range s {
		if !Carriable(string(r)) {
			probs = append(probs, CharProblem{Index: i, Char: string(r), Reason: ReasonNotInCharset})
		}
		i++
	}
	if probs != nil {
		return &CharsetError{Problems: probs}
	}
	return nil
}

// Carriable reports whether the certificate can carry ch.
func Carriable(ch string) bool {
	if utf8.RuneCountInString(ch) != 1 {
		return false
	}
	b, err := japanese.EUCJP.NewEncoder().String(ch)
	return err == nil && len(b) > 1 && b[0] != 0x8e
}

// Candidates returns carriable substitutes for ch.
func Candidates(ch string) []string {
	var out []string
	for _, c := range substitutes.Lookup(ch) {
		if Carriable(c) {
			out = append(out, c)
		}
	}
	return out
}

// ApplicationKind is the procedure the application asks for.
type ApplicationKind int

// Application kinds.
const (
	KindNew ApplicationKind = iota + 1
	KindRenewal
	KindRevocation
	KindPINReset
)

// Application is one application form (申請書).
type Application struct {
	Kind                  ApplicationKind
	FamilyName, GivenName string
	FamilyKana, GivenKana string
	Birth                 Date
	Sex                   Sex
	Address               string
	Substitutes           Substitutes
	AppliedOn             Date
}

// Substitutes holds the clerk's chosen substitute characters.
type Substitutes struct{ Name, Address map[int]string }

// Field names a field of the form.
type Field string

// Fields of the form.
const (
	FieldKind        Field = "Kind"
	FieldFamilyName  Field = "FamilyName"
	FieldGivenName   Field = "GivenName"
	FieldFamilyKana  Field = "FamilyKana"
	FieldGivenKana   Field = "GivenKana"
	FieldBirth       Field = "Birth"
	FieldSex         Field = "Sex"
	FieldAddress     Field = "Address"
	FieldSubstitutes Field = "Substitutes"
	FieldAppliedOn   Field = "AppliedOn"
)

// FieldProblem is one problem with one field.
type FieldProblem struct {
	Field   Field
	Message string
}

// ValidationError lists every problem of a form.
type ValidationError struct{ Problems []FieldProblem }

func (e *ValidationError) Error() string { return fmt.Sprintf("forms: %d problems", len(e.Problems)) }

// UserMessage returns a Japanese explanation for the clerk.
func (e *ValidationError) UserMessage() string {
	var m []string
	for _, p := range e.Problems {
		m = append(m, p.Message)
	}
	return strings.Join(m, "\n")
}

// Validate checks the form.
func (a Application) Validate() error {
	var probs []FieldProblem
	if a.FamilyName == "" {
		probs = append(probs, FieldProblem{FieldFamilyName, "氏を入力してください。"})
	}
	if probs != nil {
		return &ValidationError{probs}
	}
	return nil
}

// CertificateName returns 氏 + U+3000 + 名.
func (a Application) CertificateName() string { return a.FamilyName + "\u3000" + a.GivenName }

// CertificateItems returns the certificate's items.
func (a Application) CertificateItems() (jpkicert.Items, error) {
	name, np, err := ApplySubstitutes(a.CertificateName(), a.Substitutes.Name)
	if err != nil {
		return jpkicert.Items{}, err
	}
	addr, ap, err := ApplySubstitutes(a.Address, a.Substitutes.Address)
	if err != nil {
		return jpkicert.Items{}, err
	}
	birth, err := a.Birth.CertificateCode()
	if err != nil {
		return jpkicert.Items{}, err
	}
	return jpkicert.Items{Name: name, NamePositions: np, Sex: fmt.Sprint(int(a.Sex)), Birth: birth, Address: addr, AddressPositions: ap}, nil
}

// ApplySubstitutes replaces characters of text by the chosen substitutes.
func ApplySubstitutes(text string, choices map[int]string) (string, string, error) {
	var out, pos strings.Builder
	i := 0
	for _, r := range text {
		if c, ok := choices[i]; ok {
			out.WriteString(c)
			pos.WriteByte('1')
		} else {
			out.WriteRune(r)
			pos.WriteByte('0')
		}
		i++
	}
	return out.String(), pos.String(), nil
}
