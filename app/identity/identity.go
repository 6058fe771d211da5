// Package identity is the counter's identity check (本人確認): it compares
// an application form with the resident's registry record item by item
// after normalisation, refuses residents who are not current residents,
// and records the identity documents the clerk has seen under the rule
// "one photo ID, or two documents without a photo".
//
// Document numbers are masked before they are kept, and the 個人番号 of a
// マイナンバーカード is never recorded at all.
package identity

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"madoguchi/app/registry"
	"madoguchi/forms"
)

// DocumentType is a kind of identity document.
type DocumentType string

// Document types.
const (
	DocMyNumberCard     DocumentType = "mynumber_card"     // マイナンバーカード
	DocDriversLicense   DocumentType = "drivers_license"   // 運転免許証
	DocPassport         DocumentType = "passport"          // 旅券（パスポート）
	DocResidenceCard    DocumentType = "residence_card"    // 在留カード
	DocSpecialPermanent DocumentType = "special_permanent" // 特別永住者証明書
	DocJukiCardPhoto    DocumentType = "juki_card_photo"   // 写真付き住民基本台帳カード
	DocDisabilityBook   DocumentType = "disability_book"   // 身体障害者手帳（写真付き）
	DocHealthInsurance  DocumentType = "health_insurance"  // 健康保険の資格確認書・被保険者証
	DocPensionBook      DocumentType = "pension_book"      // 年金手帳・基礎年金番号通知書
	DocPensionCert      DocumentType = "pension_cert"      // 年金証書
	DocMedicalAid       DocumentType = "medical_aid"       // 医療受給者証
	DocOtherPhoto       DocumentType = "other_photo"       // その他（官公署発行・写真付き）
	DocOtherNoPhoto     DocumentType = "other_no_photo"    // その他（写真なし）
)

// Kind describes a document type for the clerk's list.
type Kind struct {
	Type  DocumentType
	Label string // Japanese name
	Photo bool   // carries the holder's photo
}

var kinds = []Kind{
	{DocMyNumberCard, "マイナンバーカード", true},
	{DocDriversLicense, "運転免許証", true},
	{DocPassport, "旅券（パスポート）", true},
	{DocResidenceCard, "在留カード", true},
	{DocSpecialPermanent, "特別永住者証明書", true},
	{DocJukiCardPhoto, "写真付き住民基本台帳カード", true},
	{DocDisabilityBook, "身体障害者手帳（写真付き）", true},
	{DocOtherPhoto, "その他の官公署発行の写真付き証明書", true},
	{DocHealthInsurance, "健康保険の資格確認書・被保険者証", false},
	{DocPensionBook, "年金手帳・基礎年金番号通知書", false},
	{DocPensionCert, "年金証書", false},
	{DocMedicalAid, "医療受給者証", false},
	{DocOtherNoPhoto, "その他の写真のない書類", false},
}

// Kinds lists the document types, photo IDs first.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// KindOf returns the description of t.
func KindOf(t DocumentType) (Kind, bool) {
	for _, k := range kinds {
		if k.Type == t {
			return k, true
		}
	}
	return Kind{}, false
}

// Document is one identity document as recorded: its type and a masked
// number, never the full number.
type Document struct {
	Type   DocumentType `json:"type"`
	Photo  bool         `json:"photo"`
	Number string       `json:"number,omitempty"` // masked: only the last 4 characters show
}

// NewDocument records a document of type t whose number the clerk typed;
// the number is masked at once (MaskNumber). For a マイナンバーカード no
// number is recorded: the 個人番号 must not be collected here.
func NewDocument(t DocumentType, number string) Document {
	k, _ := KindOf(t)
	d := Document{Type: t, Photo: k.Photo}
	if t != DocMyNumberCard {
		d.Number = MaskNumber(number)
	}
	return d
}

// Label is the document's Japanese name.
func (d Document) Label() string {
	if k, ok := KindOf(d.Type); ok {
		return k.Label
	}
	return string(d.Type)
}

// MaskNumber keeps the last 4 letters or digits of a document number and
// replaces the others by '*'; numbers of 4 characters or fewer keep only
// their last. Spaces and hyphens are dropped.
func MaskNumber(s string) string {
	var rs []rune
	for _, r := range forms.NormalizeText(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, r)
		}
	}
	keep := 4
	if len(rs) <= 4 {
		keep = 1
	}
	for i := 0; i < len(rs)-keep; i++ {
		rs[i] = '*'
	}
	return string(rs)
}

// CheckDocuments applies the rule: at least one photo ID, or at least two
// documents without a photo of different types. Unknown types are refused.
func CheckDocuments(docs []Document) error {
	photo := 0
	types := map[DocumentType]bool{}
	for _, d := range docs {
		k, ok := KindOf(d.Type)
		if !ok {
			return &CheckError{Documents: fmt.Sprintf("不明な書類の種類「%s」です。", d.Type)}
		}
		if k.Photo {
			photo++
		}
		types[d.Type] = true
	}
	if photo > 0 || len(types) >= 2 {
		return nil
	}
	msg := "本人確認書類が足りません。写真付きの書類1点、または写真のない書類2点（種類の異なるもの）を確認してください。"
	return &CheckError{Documents: msg}
}

// Item is one item compared by the identity check.
type Item string

// Items, in the order they are compared.
const (
	ItemFamilyName Item = "family_name"
	ItemGivenName  Item = "given_name"
	ItemFamilyKana Item = "family_kana"
	ItemGivenKana  Item = "given_kana"
	ItemBirth      Item = "birth"
	ItemSex        Item = "sex"
	ItemAddress    Item = "address"
)

// Label is the item's Japanese name.
func (i Item) Label() string {
	switch i {
	case ItemFamilyName:
		return "氏"
	case ItemGivenName:
		return "名"
	case ItemFamilyKana:
		return "ふりがな（氏）"
	case ItemGivenKana:
		return "ふりがな（名）"
	case ItemBirth:
		return "生年月日"
	case ItemSex:
		return "性別"
	case ItemAddress:
		return "住所"
	}
	return string(i)
}

// Difference is one item where the form and the registry disagree.
type Difference struct {
	Item     Item   `json:"item"`
	Form     string `json:"form"`     // the form's value, as shown
	Registry string `json:"registry"` // the registry's value, as shown
}

// Compare returns every item where app and r disagree after
// normalisation: 氏名 by forms.NormalizeText, ふりがな by
// forms.NormalizeKana, 住所 also ignoring spaces, hyphen variants and
// 漢数字 before 丁目, 生年月日 and 性別 exactly.
func Compare(app forms.Application, r registry.Resident) []Difference {
	var ds []Difference
	text := func(item Item, form, reg string, norm func(string) string) {
		if norm(form) != norm(reg) {
			ds = append(ds, Difference{Item: item, Form: form, Registry: reg})
		}
	}
	text(ItemFamilyName, app.FamilyName, r.FamilyName, forms.NormalizeText)
	text(ItemGivenName, app.GivenName, r.GivenName, forms.NormalizeText)
	text(ItemFamilyKana, app.FamilyKana, r.FamilyKana, kanaKey)
	text(ItemGivenKana, app.GivenKana, r.GivenKana, kanaKey)
	if app.Birth != r.Birth {
		ds = append(ds, Difference{Item: ItemBirth, Form: showDate(app.Birth), Registry: showDate(r.Birth)})
	}
	if app.Sex != r.Sex {
		ds = append(ds, Difference{Item: ItemSex, Form: showSex(app.Sex), Registry: showSex(r.Sex)})
	}
	text(ItemAddress, app.Address, r.Address, NormalizeAddress)
	return ds
}

func showDate(d forms.Date) string {
	if d.IsZero() {
		return "（未記入）"
	}
	return d.Wareki()
}

func showSex(s forms.Sex) string {
	if !s.Valid() {
		return "（未記入）"
	}
	return s.String()
}

func kanaKey(s string) string { return strings.ReplaceAll(forms.NormalizeKana(s), " ", "") }

var chomeRe = regexp.MustCompile(`([一二三四五六七八九十]+)丁目`)

// NormalizeAddress is the comparison form of an address: NormalizeText
// without spaces, every hyphen-like character as '-', and 漢数字 before
// 丁目 as digits (一丁目 = 1丁目).
func NormalizeAddress(s string) string {
	s = forms.NormalizeText(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ':
			return -1
		case '‐', '‑', '–', '—', '―', '−', 'ー', '－', 'ｰ':
			return '-'
		}
		return r
	}, s)
	return chomeRe.ReplaceAllStringFunc(s, func(m string) string {
		return fmt.Sprint(kanjiNumber(strings.TrimSuffix(m, "丁目"))) + "丁目"
	})
}

// kanjiNumber reads 一 … 九十九.
func kanjiNumber(s string) int {
	digit := func(r rune) int { return strings.IndexRune("〇一二三四五六七八九", r) / len("一") }
	n, cur := 0, 0
	for _, r := range s {
		if r == '十' {
			if cur == 0 {
				cur = 1
			}
			n += cur * 10
			cur = 0
			continue
		}
		cur = digit(r)
	}
	return n + cur
}

// Sentinel errors matched by a *CheckError with errors.Is.
var (
	ErrIneligible = errors.New("identity: resident is not a current resident")
	ErrMismatch   = errors.New("identity: form differs from the registry")
	ErrDocuments  = errors.New("identity: identity documents insufficient")
)

// CheckError is a failed identity check: every reason at once.
type CheckError struct {
	Status      registry.Status // the resident's status when not 住民, else 0
	StatusDate  forms.Date      // its 異動日, if known
	Differences []Difference    // items that disagree
	Documents   string          // Japanese description of a document problem, or ""
}

func (e *CheckError) Error() string {
	var parts []string
	if e.Status != 0 {
		parts = append(parts, fmt.Sprintf("status %s", e.Status.Label()))
	}
	for _, d := range e.Differences {
		parts = append(parts, "differs: "+string(d.Item))
	}
	if e.Documents != "" {
		parts = append(parts, "documents insufficient")
	}
	return "identity: check failed: " + strings.Join(parts, ", ")
}

// Is matches ErrIneligible, ErrMismatch and ErrDocuments.
func (e *CheckError) Is(target error) bool {
	switch target {
	case ErrIneligible:
		return e.Status != 0
	case ErrMismatch:
		return len(e.Differences) > 0
	case ErrDocuments:
		return e.Documents != ""
	}
	return false
}

// UserMessage says, in Japanese, every reason the check failed and what
// to do.
func (e *CheckError) UserMessage() string {
	var lines []string
	if e.Status != 0 {
		l := "この方は住民基本台帳上「" + e.Status.Label() + "」"
		if !e.StatusDate.IsZero() {
			l += "（" + e.StatusDate.Wareki() + "）"
		}
		lines = append(lines, l+"のため、申請を受け付けられません。")
	}
	if len(e.Differences) > 0 {
		lines = append(lines, "申請書の記載が住民基本台帳と一致しません。記載を確認し、訂正してください。")
		for _, d := range e.Differences {
			lines = append(lines, fmt.Sprintf("・%s: 申請書「%s」／住民基本台帳「%s」", d.Item.Label(), d.Form, d.Registry))
		}
	}
	if e.Documents != "" {
		lines = append(lines, e.Documents)
	}
	return strings.Join(lines, "\n")
}

// Result is a passed identity check, as recorded with the session.
type Result struct {
	ResidentCode string     `json:"resident_code"`
	Documents    []Document `json:"documents"`
}

// Check runs the whole identity check: the resident must be a current
// resident, the form must agree with the record on every item, and the
// documents must satisfy CheckDocuments. It returns a *CheckError listing
// every failure.
func Check(app forms.Application, r registry.Resident, docs []Document) (Result, error) {
	e := &CheckError{}
	if r.Status != registry.StatusResident {
		e.Status, e.StatusDate = r.Status, r.StatusChangedOn
	}
	e.Differences = Compare(app, r)
	var de *CheckError
	if err := CheckDocuments(docs); errors.As(err, &de) {
		e.Documents = de.Documents
	}
	if e.Status != 0 || len(e.Differences) > 0 || e.Documents != "" {
		return Result{}, e
	}
	return Result{ResidentCode: r.Code, Documents: docs}, nil
}
