// Package registry is the counter's copy of the resident registry
// (住民基本台帳): residents with their 住民コード, 氏名 (which may hold characters the
// certificate cannot carry), ふりがな, 生年月日, 性別, 住所 and status.
//
// It imports the registry from the municipal system's CSV export (UTF-8 or
// Shift_JIS/CP932), all or nothing, with a line-numbered report of every
// rejected row; searches it by 住民コード, ふりがな (romaji accepted), 生年月日
// and 氏名; and generates realistic demo residents deterministically.
package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"madoguchi/app/store"
	"madoguchi/forms"
)

// Status is a resident's registry status.
type Status int

// Statuses. Only StatusResident may apply for a certificate.
const (
	StatusResident Status = 1 // 住民: registered and living here
	StatusMovedOut Status = 2 // 転出: moved to another municipality
	StatusDeceased Status = 3 // 死亡
	StatusErased   Status = 4 // 消除: erased by the mayor's authority (職権消除)
)

// Label returns the status's Japanese name.
func (s Status) Label() string {
	switch s {
	case StatusResident:
		return "住民"
	case StatusMovedOut:
		return "転出"
	case StatusDeceased:
		return "死亡"
	case StatusErased:
		return "消除"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s >= StatusResident && s <= StatusErased }

// Resident is one registry record.
type Resident struct {
	Code            string // 住民コード, 11 digits
	FamilyName      string // 氏, as the registry writes it
	GivenName       string // 名 (may be empty for a one-part name)
	FamilyKana      string // ふりがな of 氏, hiragana
	GivenKana       string // ふりがな of 名
	Birth           forms.Date
	Sex             forms.Sex
	Address         string // 住所, from the prefecture on
	Status          Status
	RegisteredOn    forms.Date // 住民となった日 (may be zero)
	StatusChangedOn forms.Date // 異動日 of 転出, 死亡, 消除 (may be zero)
	AdultWard       bool       // 成年被後見人, where the registry carries it (false otherwise)
}

// Name returns 氏 and 名 separated by a full-width space.
func (r Resident) Name() string {
	if r.GivenName == "" {
		return r.FamilyName
	}
	return r.FamilyName + "\u3000" + r.GivenName
}

// Kana returns the ふりがな of 氏 and 名 separated by a full-width space.
func (r Resident) Kana() string {
	if r.GivenKana == "" {
		return r.FamilyKana
	}
	return r.FamilyKana + "\u3000" + r.GivenKana
}

// Application returns an application form of the given kind pre-filled
// from the record. Substitutes are left for the clerk (see
// SuggestSubstitutes).
func (r Resident) Application(kind forms.ApplicationKind, appliedOn forms.Date) forms.Application {
	return forms.Application{
		Kind:       kind,
		FamilyName: r.FamilyName,
		GivenName:  r.GivenName,
		FamilyKana: r.FamilyKana,
		GivenKana:  r.GivenKana,
		Birth:      r.Birth,
		Sex:        r.Sex,
		Address:    r.Address,
		AppliedOn:  appliedOn,
	}
}

// SuggestSubstitutes proposes, for each character of the certificate's
// name and address that it cannot carry, the first candidate substitute.
// Characters without a candidate are left out; the clerk must choose one.
func SuggestSubstitutes(a forms.Application) forms.Substitutes {
	suggest := func(text string) map[int]string {
		var m map[int]string
		i := 0
		for _, r := range text {
			if c := forms.Candidates(string(r)); len(c) > 0 {
				if m == nil {
					m = map[int]string{}
				}
				m[i] = c[0]
			}
			i++
		}
		return m
	}
	return forms.Substitutes{Name: suggest(a.CertificateName()), Address: suggest(a.CertificateAddress())}
}

// Problem is one thing wrong with a record.
type Problem struct {
	Field   string // the CSV field (Field names) or "" for the whole record
	Reason  string // English, for logs
	Message string // Japanese, for the clerk
}

// ValidationError lists the problems of one record.
type ValidationError struct{ Problems []Problem }

func (e *ValidationError) Error() string {
	var s []string
	for _, p := range e.Problems {
		s = append(s, p.Field+": "+p.Reason)
	}
	return "registry: invalid record: " + strings.Join(s, "; ")
}

// UserMessage says what is wrong in Japanese.
func (e *ValidationError) UserMessage() string {
	var s []string
	for _, p := range e.Problems {
		s = append(s, p.Message)
	}
	return strings.Join(s, " ")
}

// NormalizeCode turns typed 住民コード digits into ASCII digits, dropping
// spaces and hyphens.
func NormalizeCode(s string) string {
	s = forms.NormalizeText(s)
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Normalize tidies a record as it is stored: the code as ASCII digits,
// ふりがな as hiragana (NormalizeKana), surrounding space trimmed from the
// name and address. The registry's own characters are kept.
func (r Resident) Normalize() Resident {
	r.Code = NormalizeCode(r.Code)
	r.FamilyName = strings.TrimSpace(strings.Trim(r.FamilyName, "\u3000"))
	r.GivenName = strings.TrimSpace(strings.Trim(r.GivenName, "\u3000"))
	r.FamilyKana = forms.NormalizeKana(r.FamilyKana)
	r.GivenKana = forms.NormalizeKana(r.GivenKana)
	r.Address = strings.TrimSpace(strings.Trim(r.Address, "\u3000"))
	return r
}

// Validate checks a normalised record and returns a *ValidationError with
// every problem.
func (r Resident) Validate() error {
	var ps []Problem
	add := func(field, reason, msg string) { ps = append(ps, Problem{field, reason, msg}) }
	if len(r.Code) != 11 || !isDigits(r.Code) {
		add("code", "code is not 11 digits", "住民コードは11桁の数字です。")
	}
	for _, f := range []struct{ field, val, label string }{
		{"family_name", r.FamilyName, "氏"}, {"given_name", r.GivenName, "名"},
		{"family_kana", r.FamilyKana, "ふりがな（氏）"}, {"given_kana", r.GivenKana, "ふりがな（名）"},
		{"address", r.Address, "住所"},
	} {
		if !utf8.ValidString(f.val) || strings.ContainsRune(f.val, utf8.RuneError) {
			add(f.field, "not valid text (wrong encoding?)", f.label+"に読み取れない文字があります（文字コードが違う可能性があります）。")
		}
	}
	if r.FamilyName == "" {
		add("family_name", "family name is empty", "氏が空です。")
	}
	if r.FamilyKana == "" {
		add("family_kana", "family kana is empty", "ふりがな（氏）が空です。")
	} else if !isKanaText(r.FamilyKana) {
		add("family_kana", "family kana is not kana", "ふりがな（氏）はかなで記入してください。")
	}
	if (r.GivenName == "") != (r.GivenKana == "") {
		add("given_kana", "given name and its kana must both be present or both empty", "名とふりがな（名）の一方だけが空です。")
	} else if r.GivenKana != "" && !isKanaText(r.GivenKana) {
		add("given_kana", "given kana is not kana", "ふりがな（名）はかなで記入してください。")
	}
	if !r.Birth.Valid() {
		add("birth", "birth date missing or invalid", "生年月日が正しくありません。")
	} else if r.Birth.Compare(forms.DateOf(time.Now())) > 0 {
		add("birth", "birth date in the future", "生年月日が未来の日付です。")
	}
	if !r.Sex.Valid() {
		add("sex", "sex is not 1, 2 or 3", "性別は 男・女・不明（1・2・3）のいずれかです。")
	}
	if r.Address == "" {
		add("address", "address is empty", "住所が空です。")
	} else if n := utf8.RuneCountInString(r.Address); n > 200 {
		add("address", "address longer than 200 characters", "住所が200文字を超えています。")
	}
	if !r.Status.Valid() {
		add("status", "unknown status", "状態は 住民・転出・死亡・消除 のいずれかです。")
	}
	for _, d := range []struct {
		field string
		v     forms.Date
		label string
	}{{"registered_on", r.RegisteredOn, "住民となった日"}, {"status_changed_on", r.StatusChangedOn, "異動日"}} {
		if !d.v.IsZero() && !d.v.Valid() {
			add(d.field, "invalid date", d.label+"が正しくありません。")
		}
	}
	if ps != nil {
		return &ValidationError{Problems: ps}
	}
	return nil
}

func isKanaText(s string) bool {
	for _, r := range s {
		switch {
		case r >= 0x3041 && r <= 0x3096, r == 'ー', r == 'ゝ', r == 'ゞ', r == ' ':
		default:
			return false
		}
	}
	return true
}

// stripSpaces removes ASCII spaces: the search key of ふりがな already
// normalised by NormalizeKana.
func stripSpaces(s string) string {
	if !strings.Contains(s, " ") {
		return s
	}
	return strings.ReplaceAll(s, " ", "")
}

// nameKey is the search key of a name: NormalizeText without spaces, with
// variant characters folded (see foldVariants).
func nameKey(s string) string {
	return foldVariants(strings.ReplaceAll(forms.NormalizeText(s), " ", ""))
}

// ErrNotFound is returned for a 住民コード the registry does not hold.
var ErrNotFound = &notFoundError{}

type notFoundError struct{}

func (*notFoundError) Error() string { return "registry: no such resident" }

// UserMessage says what happened in Japanese.
func (*notFoundError) UserMessage() string {
	return "該当する住民が見つかりません。住民コードを確認してください。"
}

// Registry reads and writes the residents table.
type Registry struct {
	db  *store.DB
	Now func() time.Time // for tests; time.Now if nil
}

// New returns a Registry on db.
func New(db *store.DB) *Registry { return &Registry{db: db} }

func (g *Registry) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

const residentColumns = "code, family_name, given_name, family_kana, given_kana, birth, sex, address, status, registered_on, status_changed_on, adult_ward"

type scanner interface{ Scan(dest ...any) error }

func scanResident(s scanner) (Resident, error) {
	var r Resident
	var birth, reg, changed string
	if err := s.Scan(&r.Code, &r.FamilyName, &r.GivenName, &r.FamilyKana, &r.GivenKana, &birth, &r.Sex, &r.Address, &r.Status, &reg, &changed, &r.AdultWard); err != nil {
		return Resident{}, err
	}
	r.Birth = parseStoredDate(birth)
	r.RegisteredOn = parseStoredDate(reg)
	r.StatusChangedOn = parseStoredDate(changed)
	return r, nil
}

func parseStoredDate(s string) forms.Date {
	t, err := time.Parse(store.DateFormat, s)
	if err != nil {
		return forms.Date{}
	}
	return forms.DateOf(t)
}

func storedDate(d forms.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// Get returns the resident with the given 住民コード.
func (g *Registry) Get(ctx context.Context, code string) (Resident, error) {
	r, err := scanResident(g.db.QueryRowContext(ctx, "SELECT "+residentColumns+" FROM residents WHERE code = ?", NormalizeCode(code)))
	if errors.Is(err, sql.ErrNoRows) {
		return Resident{}, ErrNotFound
	}
	return r, err
}

// Count returns the number of residents.
func (g *Registry) Count(ctx context.Context) (int, error) {
	var n int
	err := g.db.QueryRowContext(ctx, "SELECT count(*) FROM residents").Scan(&n)
	return n, err
}

const upsertSQL = `INSERT INTO residents (` + residentColumns + `, kana_key, given_kana_key, name_key, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (code) DO UPDATE SET
		family_name = excluded.family_name, given_name = excluded.given_name,
		family_kana = excluded.family_kana, given_kana = excluded.given_kana,
		birth = excluded.birth, sex = excluded.sex, address = excluded.address,
		status = excluded.status, registered_on = excluded.registered_on,
		status_changed_on = excluded.status_changed_on, adult_ward = excluded.adult_ward,
		kana_key = excluded.kana_key, given_kana_key = excluded.given_kana_key,
		name_key = excluded.name_key, updated_at = excluded.updated_at`

// rowArgs returns the upsert arguments of a normalised (Normalize), valid
// record.
func rowArgs(r Resident, now string) []any {
	return []any{r.Code, r.FamilyName, r.GivenName, r.FamilyKana, r.GivenKana, r.Birth.String(), int(r.Sex), r.Address, int(r.Status),
		storedDate(r.RegisteredOn), storedDate(r.StatusChangedOn), r.AdultWard,
		stripSpaces(r.FamilyKana + r.GivenKana), stripSpaces(r.GivenKana), nameKey(r.FamilyName + r.GivenName), now}
}

// Put inserts or replaces one record in tx after normalising and
// validating it.
func Put(ctx context.Context, tx *sql.Tx, r Resident, now time.Time) error {
	r = r.Normalize()
	if err := r.Validate(); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, upsertSQL, rowArgs(r, store.FormatTime(now))...)
	return err
}

// Put inserts or replaces one record.
func (g *Registry) Put(ctx context.Context, r Resident) error {
	return g.db.Tx(ctx, func(tx *sql.Tx) error { return Put(ctx, tx, r, g.now()) })
}
