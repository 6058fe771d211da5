package forms

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madoguchi/forms/jpkicert"
)

// ApplicationKind is the procedure an application asks for.
type ApplicationKind int

// Application kinds.
const (
	KindNew        ApplicationKind = 1 // 新規発行
	KindRenewal    ApplicationKind = 2 // 更新
	KindRevocation ApplicationKind = 3 // 失効
	KindPINReset   ApplicationKind = 4 // 暗証番号初期化
)

// String returns the kind's Japanese name, e.g. "新規発行".
func (k ApplicationKind) String() string {
	switch k {
	case KindNew:
		return "新規発行"
	case KindRenewal:
		return "更新"
	case KindRevocation:
		return "失効"
	case KindPINReset:
		return "暗証番号初期化"
	}
	return fmt.Sprintf("ApplicationKind(%d)", int(k))
}

// IssuesCertificate reports whether the procedure issues a certificate,
// so that its text must fit the certificate's character set.
func (k ApplicationKind) IssuesCertificate() bool { return k == KindNew || k == KindRenewal }

// Sex is the certificate's sex code.
type Sex int

// Sex codes, as the certificate writes them.
const (
	SexMale    Sex = 1 // 男
	SexFemale  Sex = 2 // 女
	SexUnknown Sex = 3 // 不明
)

// String returns the Japanese name: 男, 女 or 不明.
func (s Sex) String() string {
	switch s {
	case SexMale:
		return "男"
	case SexFemale:
		return "女"
	case SexUnknown:
		return "不明"
	}
	return fmt.Sprintf("Sex(%d)", int(s))
}

// Code returns the certificate's code, "1", "2" or "3".
func (s Sex) Code() string { return strconv.Itoa(int(s)) }

// Valid reports whether s is one of the three codes.
func (s Sex) Valid() bool { return s >= SexMale && s <= SexUnknown }

// Application is one application form (申請書). Its text fields hold the
// registry's text; CertificateName and CertificateItems turn it into the
// certificate's form.
type Application struct {
	Kind ApplicationKind

	FamilyName, GivenName string // 氏, 名 (registry text, may hold uncarriable characters)
	FamilyKana, GivenKana string // ふりがな of 氏 and 名

	Birth   Date
	Sex     Sex
	Address string // 住所, from the prefecture on

	Substitutes Substitutes // 代替文字 chosen for the name and the address
	AppliedOn   Date        // 申請日
}

// Substitutes holds the clerk's 指定代替文字: for the name and for the
// address, the rune index of a character in the certificate text
// (CertificateName for the name, CertificateText of Address for the
// address) maps to the substitute chosen for it.
type Substitutes struct {
	Name, Address map[int]string
}

// Any reports whether any substitute is chosen (代替文字 有).
func (s Substitutes) Any() bool { return len(s.Name) > 0 || len(s.Address) > 0 }

// Field names a field of the form, for FieldProblem.
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

// Label returns the field's Japanese label, e.g. "氏".
func (f Field) Label() string {
	switch f {
	case FieldKind:
		return "申請の種類"
	case FieldFamilyName:
		return "氏"
	case FieldGivenName:
		return "名"
	case FieldFamilyKana:
		return "ふりがな（氏）"
	case FieldGivenKana:
		return "ふりがな（名）"
	case FieldBirth:
		return "生年月日"
	case FieldSex:
		return "性別"
	case FieldAddress:
		return "住所"
	case FieldSubstitutes:
		return "代替文字"
	case FieldAppliedOn:
		return "申請日"
	}
	return string(f)
}

// FieldProblem is one problem of one field.
type FieldProblem struct {
	Field   Field
	Message string // Japanese, for the clerk
}

// ValidationError lists every problem of a form, in field order.
type ValidationError struct {
	Problems []FieldProblem
}

func (e *ValidationError) Error() string {
	fields := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		fields[i] = string(p.Field)
	}
	return fmt.Sprintf("forms: application has %d problems (%s)", len(e.Problems), strings.Join(fields, ", "))
}

// UserMessage lists the problems for the clerk, one a line.
func (e *ValidationError) UserMessage() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return "申請書に次の問題があります。\n" + strings.Join(msgs, "\n")
}

// For returns the problems of one field.
func (e *ValidationError) For(f Field) []FieldProblem {
	var out []FieldProblem
	for _, p := range e.Problems {
		if p.Field == f {
			out = append(out, p)
		}
	}
	return out
}

// prefectures are the 47 都道府県, with which an address must start.
var prefectures = [...]string{
	"北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
	"茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
	"新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
	"静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
	"奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
	"徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
	"熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
}

func startsWithPrefecture(addr string) bool {
	for _, p := range prefectures {
		if strings.HasPrefix(addr, p) {
			return true
		}
	}
	return false
}

// CertificateName returns the name as the certificate writes it before
// substitution: CertificateText of 氏, U+3000, CertificateText of 名 (just
// 氏 when 名 is empty, as for some foreign residents). Substitutes.Name
// indexes this text.
func (a Application) CertificateName() string {
	given := CertificateText(a.GivenName)
	if given == "" {
		return CertificateText(a.FamilyName)
	}
	return CertificateText(a.FamilyName) + "\u3000" + given
}

// CertificateAddress returns the address as the certificate writes it
// before substitution. Substitutes.Address indexes this text.
func (a Application) CertificateAddress() string { return CertificateText(a.Address) }

// Validate checks the whole form and returns nil or a *ValidationError
// with every problem at once, each tied to its field with a Japanese
// message:
//
//   - the kind is one of the four procedures;
//   - 氏, ふりがな (氏), 生年月日, 性別, 住所 and 申請日 are present (名 and
//     its ふりがな may be empty together, for a one-part name);
//   - ふりがな is kana (katakana and half-width kana are accepted and
//     normalised by NormalizeKana);
//   - 生年月日 is a real day from 明治 on, not after 申請日;
//   - 住所 starts with a prefecture and has at most 200 characters;
//   - for 新規発行 and 更新, every character of 氏名 and 住所 that the
//     certificate cannot carry has a carriable substitute, and every
//     substitute stands on such a character.
func (a Application) Validate() error {
	var probs []FieldProblem
	add := func(f Field, format string, args ...any) {
		probs = append(probs, FieldProblem{Field: f, Message: fmt.Sprintf(format, args...)})
	}

	if a.Kind < KindNew || a.Kind > KindPINReset {
		add(FieldKind, "申請の種類（新規発行・更新・失効・暗証番号初期化）を選んでください。")
	}

	family, given := CertificateText(a.FamilyName), CertificateText(a.GivenName)
	if family == "" {
		add(FieldFamilyName, "氏を入力してください。")
	}
	familyKana, givenKana := NormalizeKana(a.FamilyKana), NormalizeKana(a.GivenKana)
	switch {
	case familyKana == "":
		add(FieldFamilyKana, "ふりがな（氏）を入力してください。")
	case !isFuriganaText(familyKana):
		add(FieldFamilyKana, "ふりがな（氏）「%s」はかなで入力してください（漢字・英数字は使えません）。", a.FamilyKana)
	}
	switch {
	case given != "" && givenKana == "":
		add(FieldGivenKana, "ふりがな（名）を入力してください。")
	case givenKana != "" && given == "":
		add(FieldGivenName, "名を入力してください（ふりがな（名）だけが入力されています）。")
	case givenKana != "" && !isFuriganaText(givenKana):
		add(FieldGivenKana, "ふりがな（名）「%s」はかなで入力してください（漢字・英数字は使えません）。", a.GivenKana)
	}

	applied := a.AppliedOn
	switch {
	case applied.IsZero():
		add(FieldAppliedOn, "申請日を入力してください。")
	case !applied.Valid():
		add(FieldAppliedOn, "申請日 %s は暦にない日です。", applied)
	}
	switch {
	case a.Birth.IsZero():
		add(FieldBirth, "生年月日を入力してください。")
	case !a.Birth.Valid():
		add(FieldBirth, "生年月日 %s は暦にない日です。", a.Birth)
	case a.Birth.Before(Meiji.First()):
		add(FieldBirth, "生年月日 %s は明治より前のため、証明書に記録できません。", a.Birth)
	case applied.Valid() && applied.Before(a.Birth):
		add(FieldBirth, "生年月日（%s）が申請日（%s）より後になっています。", a.Birth.Wareki(), applied.Wareki())
	}

	if !a.Sex.Valid() {
		add(FieldSex, "性別（男・女・不明）を選んでください。")
	}

	addr := CertificateText(a.Address)
	switch {
	case addr == "":
		add(FieldAddress, "住所を入力してください。")
	case !startsWithPrefecture(addr):
		add(FieldAddress, "住所は都道府県名から入力してください（例: 東京都千代田区…）。")
	}

	if a.Kind.IssuesCertificate() {
		// Name: problems before the separator belong to 氏, after it to 名.
		name := a.CertificateName()
		familyLen := utf8.RuneCountInString(family)
		probs = append(probs, textProblems(name, a.Substitutes.Name, "氏名", func(index int) (Field, int) {
			if index < familyLen || given == "" {
				return FieldFamilyName, index
			}
			return FieldGivenName, index - familyLen - 1
		})...)
		out, _, _, _ := applySubstitutes(addr, a.Substitutes.Address)
		if n := utf8.RuneCountInString(out); n > jpkicert.MaxAddressLength {
			add(FieldAddress, "住所が%d文字あり、証明書に記録できる%d文字を超えています。", n, jpkicert.MaxAddressLength)
		}
		probs = append(probs, textProblems(addr, a.Substitutes.Address, "住所", func(index int) (Field, int) {
			return FieldAddress, index
		})...)
	} else if n := utf8.RuneCountInString(addr); n > jpkicert.MaxAddressLength {
		add(FieldAddress, "住所が%d文字あり、%d文字を超えています。", n, jpkicert.MaxAddressLength)
	}

	if probs == nil {
		return nil
	}
	sortProblems(probs)
	return &ValidationError{Problems: probs}
}

// fieldOrder is the order of the fields on the paper form.
var fieldOrder = map[Field]int{
	FieldKind: 0, FieldFamilyName: 1, FieldGivenName: 2, FieldFamilyKana: 3, FieldGivenKana: 4,
	FieldBirth: 5, FieldSex: 6, FieldAddress: 7, FieldSubstitutes: 8, FieldAppliedOn: 9,
}

// sortProblems orders problems by field, keeping the order within a field.
func sortProblems(probs []FieldProblem) {
	for i := 1; i < len(probs); i++ {
		for j := i; j > 0 && fieldOrder[probs[j].Field] < fieldOrder[probs[j-1].Field]; j-- {
			probs[j], probs[j-1] = probs[j-1], probs[j]
		}
	}
}

// textProblems checks one certificate text with its substitutes. locate
// maps a rune index of text to the field and the index within it.
func textProblems(text string, choices map[int]string, label string, locate func(int) (Field, int)) []FieldProblem {
	_, _, subErrs, _ := applySubstitutes(text, choices)
	var probs []FieldProblem
	for _, e := range subErrs {
		probs = append(probs, FieldProblem{Field: FieldSubstitutes, Message: label + "の" + e.UserMessage()})
	}
	for _, p := range uncarried(text, choices) {
		f, i := locate(p.Index)
		msg := fmt.Sprintf("%sの「%s」（%d文字目）は%s。", f.Label(), displayChar(p.Char), i+1, p.Reason.Japanese())
		if c := Candidates(p.Char); len(c) > 0 {
			msg += "代替文字を選んでください（候補: " + strings.Join(c, "、") + "）。"
		} else {
			msg += "代替文字を指定してください。"
		}
		probs = append(probs, FieldProblem{Field: f, Message: msg})
	}
	return probs
}

// uncarried returns the characters of text that the certificate cannot
// carry and that have no substitute chosen, indexed in text.
func uncarried(text string, choices map[int]string) []CharProblem {
	var out []CharProblem
	for c := range characters(text) {
		if r, bad := c.problem(); bad {
			if _, chosen := choices[c.index]; !chosen {
				out = append(out, CharProblem{Index: c.index, Char: c.text, Reason: r})
			}
		}
	}
	return out
}

// CertificateItems returns what the certificate carries about the holder:
// 氏名 and 住所 with the substitutes applied and their position strings, the
// sex code and the birth code. The form must pass Validate (the error is
// then its *ValidationError); the items pass jpkicert's Validate.
func (a Application) CertificateItems() (jpkicert.Items, error) {
	if err := a.Validate(); err != nil {
		return jpkicert.Items{}, err
	}
	name, namePos, err := ApplySubstitutes(a.CertificateName(), a.Substitutes.Name)
	if err != nil {
		return jpkicert.Items{}, err
	}
	addr, addrPos, err := ApplySubstitutes(a.CertificateAddress(), a.Substitutes.Address)
	if err != nil {
		return jpkicert.Items{}, err
	}
	birth, err := a.Birth.CertificateCode()
	if err != nil {
		return jpkicert.Items{}, err
	}
	it := jpkicert.Items{
		Name:             name,
		NamePositions:    namePos,
		Sex:              a.Sex.Code(),
		Birth:            birth,
		Address:          addr,
		AddressPositions: addrPos,
	}
	if err := it.Validate(); err != nil {
		return jpkicert.Items{}, fmt.Errorf("forms: certificate items: %w", err)
	}
	return it, nil
}

// Today returns today's date in Japan Standard Time, for AppliedOn.
func Today() Date { return DateOf(time.Now().In(jst)) }

var jst = time.FixedZone("JST", 9*60*60)
