package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"madoguchi/forms"
	"madoguchi/forms/jpkicert"
)

// Form holds the 基本4情報 an application states about its applicant.
// Empty fields are not compared.
type Form struct {
	Name    string `json:"氏名"`   // 氏 and 名, separated by a space
	Address string `json:"住所"`   // from the prefecture on
	Birth   string `json:"生年月日"` // 昭和37年6月17日, 1962-06-17, S37.6.17 …
	Sex     string `json:"性別"`   // 男, 女, 不明, or the code 1, 2, 3
}

// ErrEmptyForm means a form states none of the four items.
var ErrEmptyForm = errors.New("verify: the form states none of 氏名, 住所, 生年月日, 性別")

// ParseForm reads the four items from an application's JSON object (other
// members are ignored).
func ParseForm(data []byte) (*Form, error) {
	var f Form
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("verify: form JSON: %w", err)
	}
	if f == (Form{}) {
		return nil, ErrEmptyForm
	}
	return &f, nil
}

// IdentityError lists the items of a form that the certificate does not
// carry.
type IdentityError struct{ Items []string }

func (e *IdentityError) Error() string {
	return "verify: the certificate's 基本4情報 differ from the form: " + strings.Join(e.Items, ", ")
}

// CompareIdentity compares the form with the certificate's items and
// returns a Japanese detail line; the error is an *IdentityError naming
// every item that differs.
//
// 氏名 and 住所 are compared character by character after the form text
// is put in the certificate's form (forms.CertificateText: full width,
// one U+3000 between words). Where the certificate marks position 1, its
// character matches a form character whose substitute candidates
// (代替文字, e.g. 髙→高) hold it, or any form character the certificate
// cannot carry (a substitute the clerk chose outside the table).
func CompareIdentity(it jpkicert.Items, f Form) (string, error) {
	var bad, notes []string
	if f.Name != "" {
		n, ok := compareText(forms.CertificateText(f.Name), it.Name, it.NamePositions)
		if !ok {
			bad = append(bad, "氏名")
		} else if n > 0 {
			notes = append(notes, fmt.Sprintf("氏名 一致 (代替文字 %d)", n))
		} else {
			notes = append(notes, "氏名 一致")
		}
	}
	if f.Address != "" {
		n, ok := compareText(forms.CertificateText(f.Address), it.Address, it.AddressPositions)
		if !ok {
			bad = append(bad, "住所")
		} else if n > 0 {
			notes = append(notes, fmt.Sprintf("住所 一致 (代替文字 %d)", n))
		} else {
			notes = append(notes, "住所 一致")
		}
	}
	if f.Birth != "" {
		d, err := forms.ParseDate(f.Birth)
		code := ""
		if err == nil {
			code, err = d.CertificateCode()
		}
		if err != nil || code != it.Birth {
			bad = append(bad, "生年月日")
		} else {
			notes = append(notes, "生年月日 一致")
		}
	}
	if f.Sex != "" {
		if sexCode(f.Sex) != it.Sex {
			bad = append(bad, "性別")
		} else {
			notes = append(notes, "性別 一致")
		}
	}
	if len(bad) > 0 {
		return "申請書の " + strings.Join(bad, "・") + " が証明書と一致しません (別人のカードで署名された可能性があります)", &IdentityError{Items: bad}
	}
	if len(notes) == 0 {
		return "", ErrEmptyForm
	}
	return strings.Join(notes, "、"), nil
}

// sexCode maps a form's 性別 to the certificate code.
func sexCode(s string) string {
	switch strings.TrimSpace(forms.NormalizeText(s)) {
	case "1", "男", "男性":
		return "1"
	case "2", "女", "女性":
		return "2"
	case "3", "不明", "その他":
		return "3"
	}
	return "?"
}

// compareText matches form text (certificate form, before substitution)
// with the certificate's text and positions. It returns the number of
// substitutes used.
func compareText(form, cert, positions string) (int, bool) {
	chars := splitChars(form)
	certRunes := []rune(cert)
	if len(chars) != len(certRunes) || len(positions) != len(certRunes) {
		return 0, false
	}
	subs := 0
	for i, f := range chars {
		c := string(certRunes[i])
		if f == c {
			continue
		}
		if positions[i] != '1' {
			return 0, false
		}
		if !slices.Contains(forms.Candidates(f), c) && forms.Carriable(f) {
			return 0, false
		}
		subs++
	}
	return subs, true
}

// splitChars splits text into characters: a base rune with the
// variation selectors and combining marks after it.
func splitChars(s string) []string {
	var out []string
	for len(s) > 0 {
		_, n := utf8.DecodeRuneInString(s)
		for n < len(s) {
			r, m := utf8.DecodeRuneInString(s[n:])
			if !isExtender(r) {
				break
			}
			n += m
		}
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func isExtender(r rune) bool {
	return (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0xE0100 && r <= 0xE01EF) || unicode.Is(unicode.Mn, r)
}
