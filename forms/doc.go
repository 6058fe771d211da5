// Package forms is the application form (申請書) and its rules: fields and
// validation, 和暦 dates, かな and width normalisation, the certificate's
// character set (JIS X 0208 and JIS X 0212), substitute characters (代替文字)
// and their position strings. The printed forms live in forms/printing.
//
// # The form
//
// An [Application] holds the registry's text as it is. [Application.Validate]
// returns every problem at once as a [*ValidationError], each tied to its
// [Field] with a Japanese message. [Application.CertificateItems] turns a
// valid form into the certificate's items ([jpkicert.Items]): 氏名 as
// 氏 + U+3000 + 名 and 住所 in their certificate form ([CertificateText]:
// full-width, NFC), substitutes applied, with their position strings, the
// sex code and the birth code (昭和37年6月17日 → "319620617").
//
// # Dates
//
// [ParseDate] reads what clerks type (see its documentation for the list:
// 昭和37年6月17日, S37.6.17, 1962-06-17, 19620617, 元年, full-width digits)
// and rejects ambiguous input (62/6/17, 620617, 17/06/1962). Era boundaries
// are exact: 明治 from 1868-10-23, 大正 1912-07-30, 昭和 1926-12-25, 平成
// 1989-01-08, 令和 2019-05-01; 昭和64年1月7日 is the last 昭和 day.
//
// Before 1873-01-01 (明治6年1月1日) Japan used a lunisolar calendar, so a
// 和暦 month and day before then do not name the Gregorian day with the same
// numbers. A [Date] is always Gregorian. ParseDate therefore rejects 和暦
// input before 明治6年 ([ErrLunarDate]) and asks for the Gregorian date;
// Gregorian dates from 1868-10-23 are accepted and encoded with era digit 1
// (the certificate's code is the era digit plus the Gregorian date), and
// [Date.Wareki] shows them as 明治3年（西暦1870年5月1日）.
//
// # Characters
//
// The certificate carries JIS X 0208 and JIS X 0212 only. [Carriable] and
// [CheckCharset] decide with golang.org/x/text's EUC-JP encoder plus a row
// check, since the encoder also accepts the NEC and IBM extension rows
// (髙 row 92, 﨑 row 89, ① row 13) that CP932 registry exports carry. They
// also reject JIS X 0201 (ASCII, half-width katakana), control and format
// characters, U+FFFD, invalid UTF-8 (lone surrogates), combining marks,
// private-use characters and variation sequences.
//
// A base character followed by a variation selector (an IVS such as 葛󠄀)
// is one character for the check: the certificate cannot carry the
// selector, so the sequence is reported ([ReasonVariationSelector]) at the
// index of its base, and [Candidates] offers the MJ 縮退マップ's candidates
// for that glyph and then the base character itself. Choosing the base is
// a substitution like any other and is marked '1' in the position string:
// the certificate does not silently drop the registry's glyph distinction.
//
// # Substitute characters
//
// The usual flow for 氏名 (and likewise for 住所 with
// [Application.CertificateAddress] and Substitutes.Address):
//
//	name := app.CertificateName()            // 髙橋　﨑子
//	var ce *forms.CharsetError
//	if errors.As(forms.CheckCharset(name), &ce) {
//		for _, p := range ce.Problems {       // {0 髙 …} {3 﨑 …}
//			cands := forms.Candidates(p.Char) // [高], [崎 嵜 埼 碕]
//			app.Substitutes.Name[p.Index] = cands[0] // or the clerk's pick
//		}
//	}
//	items, err := app.CertificateItems()     // 高橋　崎子, "10010"
//
// Candidates come from the table in madoguchi/assets/substitutes, derived
// from the IPA 文字情報基盤 MJ 縮退マップ (CC BY-SA 2.1 JP; show
// substitutes.Attribution where candidates are offered), then from
// Unicode's own equivalences (compatibility ideographs, width, NFKC).
package forms
