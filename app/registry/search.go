package registry

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"madoguchi/forms"
)

// Query is a registry search. Set fields are combined with AND.
type Query struct {
	// Code is a 住民コード: all 11 digits for one resident, or its first
	// 4 to 10 digits. Full-width digits, spaces and hyphens are accepted.
	Code string
	// Kana is ふりがな or romaji (converted by forms.RomajiToHiragana),
	// matched as a prefix of 氏+名. With a space, the first word is the
	// whole 氏 and the second a prefix of the 名 ("takahashi hana").
	Kana string
	// Birth is the exact 生年月日.
	Birth forms.Date
	// Name is a prefix of 氏名 (spaces ignored, variant characters folded:
	// 高橋 finds 髙橋, 渡辺 finds 渡邊).
	Name string
	// Limit caps the results: DefaultLimit if 0, at most MaxLimit.
	Limit int
}

// Result limits.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Result is the outcome of a search.
type Result struct {
	Residents []Resident // ranked, at most Limit
	More      bool       // more residents matched than were returned
}

// QueryError is a search the registry cannot run.
type QueryError struct {
	Reason  string // English
	Message string // Japanese
	Err     error  // the underlying error, if any (a *forms.RomajiError …)
}

func (e *QueryError) Error() string { return "registry: search: " + e.Reason }

// Unwrap returns the underlying error.
func (e *QueryError) Unwrap() error { return e.Err }

// UserMessage says what is wrong in Japanese.
func (e *QueryError) UserMessage() string { return e.Message }

// compiled is a query in the form the SQL needs.
type compiled struct {
	code            string
	codeExact       bool
	kana, kanaGiven string // prefixes of kana_key and given_kana_key
	// kanaAlts and givenAlts replace kana and kanaGiven for romaji: every
	// spelling of the long vowels (see longVowelVariants).
	kanaAlts, givenAlts []string
	longVowels          bool   // kanaWord is folded (foldLongVowels)
	kanaTyped           string // the romaji's kana before folding
	birth               string
	name                string // prefix of name_key
	limit               int
	kanaWord, nameWord  string // for ranking
	nameRaw             string // the name as typed, normalised, not folded
}

func (q Query) compile() (compiled, error) {
	var c compiled
	if s := NormalizeCode(q.Code); s != "" {
		if !isDigits(s) || len(s) < 4 || len(s) > 11 {
			return c, &QueryError{Reason: "code must be 4 to 11 digits", Message: "住民コードは4桁から11桁の数字で入力してください。"}
		}
		c.code, c.codeExact = s, len(s) == 11
	}
	if s := strings.TrimSpace(q.Kana); s != "" {
		var kana string
		romaji := hasASCIILetter(forms.NormalizeText(s))
		if romaji {
			k, err := forms.RomajiToHiragana(dropRomajiH(forms.NormalizeText(s)))
			if err != nil {
				msg := "ふりがなをかなに変換できません。"
				if um, ok := err.(interface{ UserMessage() string }); ok {
					msg = um.UserMessage()
				}
				return c, &QueryError{Reason: "romaji not convertible", Message: msg, Err: err}
			}
			kana = k
		} else {
			kana = forms.NormalizeKana(s)
		}
		kana = forms.NormalizeKana(kana)
		words := strings.Fields(kana)
		for _, w := range words {
			if !isKanaText(w) {
				return c, &QueryError{Reason: "kana query holds other characters", Message: "ふりがなは、かなかローマ字で入力してください。"}
			}
		}
		switch len(words) {
		case 1:
			c.kana = words[0]
		default:
			c.kanaGiven = strings.Join(words[1:], "")
			c.kana = words[0] + c.kanaGiven
		}
		c.kanaWord = strings.Join(words, "")
		if romaji {
			c.longVowels, c.kanaTyped = true, c.kanaWord
			for i, w := range words {
				words[i] = foldLongVowels(w)
			}
			c.kanaWord = strings.Join(words, "")
			c.kanaAlts = longVowelVariants(c.kanaWord, true)
			if len(words) > 1 {
				c.givenAlts = longVowelVariants(strings.Join(words[1:], ""), true)
			}
		}
	}
	if !q.Birth.IsZero() {
		if !q.Birth.Valid() {
			return c, &QueryError{Reason: "invalid birth date", Message: "生年月日が正しくありません。"}
		}
		c.birth = q.Birth.String()
	}
	if s := strings.TrimSpace(q.Name); s != "" {
		c.name = nameKey(s)
		c.nameWord = c.name
		c.nameRaw = strings.ReplaceAll(forms.NormalizeText(s), " ", "")
	}
	if c.code == "" && c.kana == "" && c.birth == "" && c.name == "" {
		return c, &QueryError{Reason: "empty query", Message: "住民コード、ふりがな、生年月日、氏名のいずれかを入力してください。"}
	}
	c.limit = q.Limit
	if c.limit <= 0 {
		c.limit = DefaultLimit
	}
	c.limit = min(c.limit, MaxLimit)
	return c, nil
}

func hasASCIILetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i] | 0x20; b >= 'a' && b <= 'z' {
			return true
		}
	}
	return false
}

// upper is an exclusive upper bound of the strings starting with p, in
// SQLite's byte order.
func upper(p string) string { return p + string(utf8.MaxRune) }

// sql builds the statement: WHERE from every condition, ORDER BY the
// column of the most selective one so that an index gives the order and
// the LIMIT stops the scan early.
func (c compiled) sql() (string, []any) {
	var where []string
	var args []any
	if c.codeExact {
		where, args = append(where, "code = ?"), append(args, c.code)
	} else if c.code != "" {
		where, args = append(where, "code >= ? AND code < ?"), append(args, c.code, c.code+":")
	}
	switch {
	case len(c.kanaAlts) > 0:
		// The range around every spelling lets the index seek rather
		// than scan; the OR then picks the spellings out of it.
		lo, hi := slices.Min(c.kanaAlts), slices.Max(c.kanaAlts)
		where, args = append(where, "kana_key >= ? AND kana_key < ?"), append(args, lo, upper(hi))
		w, a := prefixAny("kana_key", c.kanaAlts)
		where, args = append(where, w), append(args, a...)
		if len(c.givenAlts) > 0 {
			w, a := prefixAny("given_kana_key", c.givenAlts)
			where, args = append(where, w), append(args, a...)
		}
	case c.kana != "":
		where, args = append(where, "kana_key >= ? AND kana_key < ?"), append(args, c.kana, upper(c.kana))
	}
	if c.kanaGiven != "" && len(c.kanaAlts) == 0 {
		where, args = append(where, "given_kana_key >= ? AND given_kana_key < ?"), append(args, c.kanaGiven, upper(c.kanaGiven))
	}
	if c.birth != "" {
		where, args = append(where, "birth = ?"), append(args, c.birth)
	}
	if c.name != "" {
		where, args = append(where, "name_key >= ? AND name_key < ?"), append(args, c.name, upper(c.name))
	}
	order := "kana_key, code"
	switch {
	case c.code != "":
		order = "code"
	case c.birth != "" || c.kana != "":
		order = "kana_key, code"
	case c.name != "":
		order = "name_key, code"
	}
	q := "SELECT " + residentColumns + ", kana_key, name_key FROM residents WHERE " + strings.Join(where, " AND ") +
		" ORDER BY " + order + " LIMIT ?"
	return q, append(args, c.limit+1)
}

// prefixAny is a condition that column starts with one of prefixes.
func prefixAny(column string, prefixes []string) (string, []any) {
	conds := make([]string, len(prefixes))
	args := make([]any, 0, 2*len(prefixes))
	for i, p := range prefixes {
		conds[i] = column + " >= ? AND " + column + " < ?"
		args = append(args, p, upper(p))
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

// Search finds residents. Results are ranked: an exact 住民コード first,
// then exact ふりがな or 氏名 matches (whole name, then whole 氏), then
// current residents before 転出/死亡/消除, then ふりがな order. At most
// Limit are returned; More says whether there were others.
func (g *Registry) Search(ctx context.Context, q Query) (Result, error) {
	c, err := q.compile()
	if err != nil {
		return Result{}, err
	}
	stmt, args := c.sql()
	rows, err := g.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return Result{}, fmt.Errorf("registry: search: %w", err)
	}
	defer rows.Close()
	type hit struct {
		r     Resident
		score int
	}
	var hits []hit
	for rows.Next() {
		var r Resident
		var birth, reg, changed, kk, nk string
		if err := rows.Scan(&r.Code, &r.FamilyName, &r.GivenName, &r.FamilyKana, &r.GivenKana, &birth, &r.Sex, &r.Address, &r.Status, &reg, &changed, &r.AdultWard, &kk, &nk); err != nil {
			return Result{}, err
		}
		r.Birth, r.RegisteredOn, r.StatusChangedOn = parseStoredDate(birth), parseStoredDate(reg), parseStoredDate(changed)
		hits = append(hits, hit{r, c.score(r, kk, nk)})
	}
	if err := rows.Err(); err != nil {
		return Result{}, err
	}
	res := Result{}
	if len(hits) > c.limit {
		hits, res.More = hits[:c.limit], true
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	res.Residents = make([]Resident, len(hits))
	for i, h := range hits {
		res.Residents[i] = h.r
	}
	return res, nil
}

// score ranks one hit; higher is better.
func (c compiled) score(r Resident, kanaKey, nameKey string) int {
	s := 0
	if c.codeExact && r.Code == c.code {
		s += 1000
	}
	if c.kanaWord != "" {
		family := strings.ReplaceAll(r.FamilyKana, " ", "")
		if c.longVowels && strings.HasPrefix(kanaKey, c.kanaTyped) {
			s += 5 // spelt as typed, not only with another long vowel
		}
		if c.longVowels {
			kanaKey, family = foldLongVowels(kanaKey), foldLongVowels(forms.NormalizeKana(family))
		}
		switch {
		case kanaKey == c.kanaWord:
			s += 100
		case c.kanaGiven == "" && len(c.givenAlts) == 0 && family == c.kanaWord:
			s += 50
		}
	}
	if c.nameWord != "" {
		switch {
		case nameKey == c.nameWord:
			s += 100
		case foldVariants(strings.ReplaceAll(forms.NormalizeText(r.FamilyName), " ", "")) == c.nameWord:
			s += 50
		}
		if strings.HasPrefix(strings.ReplaceAll(forms.NormalizeText(r.FamilyName+r.GivenName), " ", ""), c.nameRaw) {
			s += 5 // the very characters typed, not only a variant
		}
	}
	if r.Status == StatusResident {
		s += 10
	}
	return s
}
