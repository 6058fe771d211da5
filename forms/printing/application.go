package printing

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"madoguchi/forms"
)

// kinds lists the application kinds in printing order.
var kinds = []forms.ApplicationKind{forms.KindNew, forms.KindRenewal, forms.KindRevocation, forms.KindPINReset}

// ApplicationInfo is what the printed application form shows besides the
// form itself.
type ApplicationInfo struct {
	Municipality string    // the addressee, e.g. 千代田区 (printed as 千代田区長 様)
	Office       string    // the counter, e.g. 本庁舎 区民課
	Reference    string    // the session's reference number, printed for the office; may be empty
	PrintedAt    time.Time // printed in the footer and the PDF metadata
}

// applicationTitle is the form's title for a kind.
func applicationTitle(k forms.ApplicationKind) string {
	switch k {
	case forms.KindRevocation:
		return "公的個人認証サービス 電子証明書失効申請書"
	case forms.KindPINReset:
		return "公的個人認証サービス 暗証番号初期化申請書"
	}
	return "公的個人認証サービス 電子証明書発行申請書"
}

// substitution is one chosen substitute character, for printing.
type substitution struct {
	field      string // 氏名 or 住所
	pos        int    // character position, from 1
	original   string // the registry character
	substitute string
}

// substitutions lists the chosen substitutes of a in the order of the
// certificate text: the name first, then the address.
func substitutions(a forms.Application) []substitution {
	var out []substitution
	add := func(field, text string, choices map[int]string) {
		runes := []rune(text)
		idx := make([]int, 0, len(choices))
		for i := range choices {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		for _, i := range idx {
			orig := ""
			if i >= 0 && i < len(runes) {
				orig = string(runes[i])
				for j := i + 1; j < len(runes) && isVariationSelector(runes[j]); j++ {
					orig += string(runes[j])
				}
			}
			out = append(out, substitution{field, i + 1, orig, choices[i]})
		}
	}
	add("氏名", a.CertificateName(), a.Substitutes.Name)
	add("住所", a.CertificateAddress(), a.Substitutes.Address)
	return out
}

// WriteApplication prints the application form (申請書) for the resident
// to check and sign: the kind of application, 氏名 with ふりがな, the birth
// date in 和暦, 性別, 住所, whether substitute characters are used and which,
// the text the certificate will carry, boxes for the applicant's signature
// and date, and a box for the counter's use. Stored text is printed as it is;
// characters the font lacks are listed in the result and on the form.
func WriteApplication(w io.Writer, font *Font, a forms.Application, info ApplicationInfo) (Result, error) {
	// What the certificate will carry. A character still lacking its
	// substitute is said in place of the text rather than refused: a
	// revocation or PIN-reset form must print whatever the name holds.
	const unsettled = "（代替文字が指定されていない文字があります）"
	certName, _, err := forms.ApplySubstitutes(a.CertificateName(), a.Substitutes.Name)
	if err != nil {
		certName = unsettled
	}
	certAddr, _, err := forms.ApplySubstitutes(a.CertificateAddress(), a.Substitutes.Address)
	if err != nil {
		certAddr = unsettled
	}
	title := applicationTitle(a.Kind)
	return render(w, font, "申請書", "P", info.PrintedAt, func(d *doc) {
		d.pdf.AddPage()
		p := d.pdf
		left := margin
		width := 210 - 2*margin
		labelW := 38.0
		valueX := left + labelW
		valueW := width - labelW

		d.label(left, 14, width, 10, title, "C", titleSize)
		d.value(left, 28, 100, 7, info.Municipality+"長 様", "宛先", "L", 12)
		d.label(left+100, 28, width-100, 7, "申請日　"+wareki(a.AppliedOn), "R", 11)
		statement := map[forms.ApplicationKind]string{
			forms.KindRevocation: "署名用電子証明書の失効を申請します。",
			forms.KindPINReset:   "署名用電子証明書の暗証番号の初期化を申請します。",
		}[a.Kind]
		if statement == "" {
			statement = "公的個人認証サービスによる署名用電子証明書の発行を申請します。"
		}
		d.label(left, 37, width, 6, statement, "L", bodySize)

		y := 45.0
		row := func(label string, h float64, draw func(y, h float64)) {
			p.Rect(left, y, labelW, h, "D")
			p.Rect(valueX, y, valueW, h, "D")
			d.label(left, y, labelW, h, label, "C", bodySize)
			draw(y, h)
			y += h
		}
		row("申請の種類", 10, func(y, h float64) {
			var b strings.Builder
			for _, k := range kinds {
				b.WriteString(check(k == a.Kind) + k.String() + "　　")
			}
			d.label(valueX+2, y, valueW-4, h, b.String(), "L", 11)
		})
		row("ふりがな", 9, func(y, h float64) {
			d.value(valueX+2, y, valueW-4, h, joinName(a.FamilyKana, a.GivenKana, " "), "ふりがな", "L", 11)
		})
		row("氏名", 16, func(y, h float64) {
			d.value(valueX+2, y, valueW-4, h, joinName(a.FamilyName, a.GivenName, "　"), "氏名", "L", 18)
		})
		row("生年月日", 10, func(y, h float64) {
			s := wareki(a.Birth)
			if !a.Birth.IsZero() {
				s += fmt.Sprintf("　（%d年）", a.Birth.Year)
			}
			d.label(valueX+2, y, valueW-4, h, s, "L", 12)
		})
		row("性別", 10, func(y, h float64) {
			s := check(a.Sex == forms.SexMale) + "男　　" + check(a.Sex == forms.SexFemale) + "女"
			if a.Sex == forms.SexUnknown {
				s += "　　■不明"
			}
			d.label(valueX+2, y, valueW-4, h, s, "L", 12)
		})
		row("住所", 20, func(y, h float64) {
			d.box(valueX+2, y+1, valueW-4, h-2, a.Address, "住所", 12)
		})
		subs := substitutions(a)
		row("代替文字", 10, func(y, h float64) {
			d.label(valueX+2, y, valueW-4, h, check(a.Substitutes.Any())+"有　　"+check(!a.Substitutes.Any())+"無", "L", 12)
		})
		// 指定代替文字: one line per chosen substitute.
		lines := len(subs)
		if lines == 0 {
			lines = 1
		}
		const sh = 7.0
		row("指定代替文字", sh*float64(lines+1), func(y, h float64) {
			cols := []struct {
				label string
				w     float64
			}{{"項目", 25}, {"位置", 20}, {"登録されている文字", 50}, {"代替文字", valueW - 95}}
			x := valueX
			for _, c := range cols {
				p.SetXY(x, y)
				d.size(smallSize)
				p.CellFormat(c.w, sh, c.label, "B", 0, "C", false, 0, "")
				x += c.w
			}
			if len(subs) == 0 {
				d.label(valueX, y+sh, valueW, sh, "なし", "C", bodySize)
			}
			for i, s := range subs {
				ry := y + sh*float64(i+1)
				where := fmt.Sprintf("指定代替文字 %s %d文字目", s.field, s.pos)
				p.SetXY(valueX, ry)
				d.cell(25, sh, s.field, where, "", "C", bodySize)
				d.cell(20, sh, fmt.Sprintf("%d文字目", s.pos), where, "", "C", bodySize)
				d.cell(50, sh, s.original, where, "", "C", 14)
				d.cell(valueW-95, sh, s.substitute, where, "", "C", 14)
			}
		})
		row("証明書の氏名", 10, func(y, h float64) {
			d.value(valueX+2, y, valueW-4, h, certName, "証明書の氏名", "L", 12)
		})
		row("証明書の住所", 14, func(y, h float64) {
			d.box(valueX+2, y+1, valueW-4, h-2, certAddr, "証明書の住所", 11)
		})
		d.label(left, y+1, width, 5, "※ 証明書の氏名・住所は、代替文字を置き換えた後の、電子証明書に記録される内容です。", "L", smallSize)

		// The applicant's signature and date.
		y += 9
		d.label(left, y, width, 6, "上記の内容に相違ないことを確認し、申請します。", "L", bodySize)
		y += 7
		p.SetLineWidth(boldLine)
		p.Rect(left, y, width, 24, "D")
		p.SetLineWidth(lineWidth)
		p.Line(left+110, y, left+110, y+24)
		d.label(left+2, y+1, 60, 5, "申請者署名（自署）", "L", smallSize)
		d.label(left+112, y+1, 60, 5, "記入日", "L", smallSize)
		d.label(left+112, y+12, width-114, 8, "令和　　　年　　　月　　　日", "C", 11)
		y += 28

		// The counter's box.
		d.label(left, y, width, 5, "（以下は窓口で記入します）", "L", smallSize)
		y += 6
		p.Rect(left, y, width, 30, "D")
		p.Line(left, y+10, left+width, y+10)
		p.Line(left, y+20, left+width, y+20)
		p.Line(left+labelW, y, left+labelW, y+30)
		d.label(left, y, labelW, 10, "本人確認書類", "C", bodySize)
		d.label(valueX+2, y, valueW-4, 10, "□マイナンバーカード　□運転免許証　□旅券　□在留カード　□その他（　　　　　　）", "L", 9)
		d.label(left, y+10, labelW, 10, "受付窓口", "C", bodySize)
		d.value(valueX+2, y+10, valueW-4, 10, strings.TrimSpace(info.Office+"　"+info.Reference), "受付窓口", "L", bodySize)
		d.label(left, y+20, labelW, 10, "担当者", "C", bodySize)
		d.label(valueX+valueW-40, y+20, 38, 10, "確認印", "L", smallSize)
		p.SetY(y + 32)

		d.missingNote(297 - margin - 8)
		d.label(left, 297-margin-3, width, 4, "印刷日時 "+dateTime(info.PrintedAt), "R", smallSize)
		d.pageNumber()
	})
}

// check is a filled or an empty box.
func check(on bool) string {
	if on {
		return "■"
	}
	return "□"
}

// joinName joins family and given names with sep, leaving out an empty one.
func joinName(family, given, sep string) string {
	if family == "" || given == "" {
		return family + given
	}
	return family + sep + given
}

// wareki formats a date in the Japanese calendar, or "" when unset.
func wareki(d forms.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.Wareki()
}

// dateTime formats t as 令和8年4月1日 9:05.
func dateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return forms.DateOf(t).Wareki() + fmt.Sprintf(" %d:%02d", t.Hour(), t.Minute())
}
