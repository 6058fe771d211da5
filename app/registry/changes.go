package registry

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/prefecture"
	"madoguchi/app/store"
	"madoguchi/forms"
)

// Shape is the kind of registry file: a full snapshot (one row per
// resident) or a 異動 file (one row per change, with 異動事由 and 異動日).
type Shape int

// Shapes, told apart by the 異動事由 column.
const (
	ShapeSnapshot Shape = iota // 全件: one row per resident
	ShapeChanges               // 異動: one row per change
)

// Label is the shape's Japanese name.
func (s Shape) Label() string {
	if s == ShapeChanges {
		return "異動ファイル"
	}
	return "全件ファイル"
}

// Event is the 異動事由 of a row of a 異動 file.
type Event int

// Events. EventAddress, EventName and EventKana carry the new value in the
// row; EventDeath, EventMovedOut and EventErased change the status;
// EventNew (転入, 出生, 職権記載) carries a whole new record.
const (
	EventAddress  Event = iota + 1 // 転居, 住居表示実施, 町名変更 …
	EventName                      // 氏名変更, 婚姻, 離婚 …
	EventKana                      // ふりがなの変更
	EventDeath                     // 死亡
	EventMovedOut                  // 転出
	EventErased                    // 職権消除
	EventNew                       // 転入, 出生, 職権記載
)

// eventNames maps a normalised 異動事由 (headerKey) to its event.
var eventNames = map[string]Event{}

func init() {
	for e, names := range map[Event][]string{
		EventAddress:  {"転居", "住所変更", "住居表示", "住居表示実施", "住居表示変更", "町名変更", "町名地番変更", "区画整理", "地番変更", "行政区画変更", "address"},
		EventName:     {"氏名変更", "氏変更", "名変更", "氏の変更", "名の変更", "婚姻", "離婚", "養子縁組", "離縁", "name"},
		EventKana:     {"ふりがな変更", "振り仮名変更", "フリガナ変更", "かな変更", "kana"},
		EventDeath:    {"死亡", "失踪宣告", "death"},
		EventMovedOut: {"転出", "国外転出", "movedout"},
		EventErased:   {"消除", "職権消除", "erased"},
		EventNew:      {"転入", "出生", "職権記載", "国外転入", "new", "birth"},
	} {
		for _, n := range names {
			eventNames[headerKey(n)] = e
		}
	}
}

// Change is one row of a 異動 file.
type Change struct {
	Event Event
	Date  forms.Date // 異動日
	// The row's values. Only those the event needs are required; the
	// others are empty.
	Resident Resident
	Has      map[Field]bool // columns the row filled
}

// PlannedNotice is a certificate that an import will have revoked: the
// check step lists them before anything is written, and the import writes
// one outbox row for each.
type PlannedNotice struct {
	Line      int    // the row of the file that changed the holder
	Code      string // 住民コード of the holder
	Name      string // the holder's name before the change, for the screen
	Serial    string // the certificate, lower-case hex
	Kind      prefecture.NoticeKind
	Cause     string     // what changed, e.g. 住所, 氏名・住所, 死亡
	ChangedOn forms.Date // 異動日, if the file gave one
}

// Reason is the revocation reason the CA will record.
func (p PlannedNotice) Reason() prefecture.Reason { return p.Kind.Reason() }

// holder is a resident who holds a valid signing certificate, as the
// registry had them before the import.
type holder struct {
	r       Resident
	serials []string
}

// importState is what an import compares its rows with: a content hash
// of every resident (by 住民コード) and the certificate holders.
type importState struct {
	hashes  map[uint64]uint64
	holders map[string]*holder
}

// contentHash is a hash of everything the registry stores of r, over
// the stored forms of its values (see rowArgs), so that hashRow of the
// stored columns gives the same number.
func contentHash(r Resident) uint64 {
	var b, reg, changed [10]byte
	h := newRowHash()
	h.str(r.Code)
	h.str(r.FamilyName)
	h.str(r.GivenName)
	h.str(r.FamilyKana)
	h.str(r.GivenKana)
	h.bytes(dateBytes(&b, r.Birth))
	h.int(int64(r.Sex))
	h.str(r.Address)
	h.int(int64(r.Status))
	h.bytes(dateBytes(&reg, r.RegisteredOn))
	h.bytes(dateBytes(&changed, r.StatusChangedOn))
	h.int(boolInt(r.AdultWard))
	return uint64(h)
}

// dateBytes writes d as storedDate does (YYYY-MM-DD, empty for the zero
// date) into buf, without allocating.
func dateBytes(buf *[10]byte, d forms.Date) []byte {
	if d.IsZero() {
		return nil
	}
	y, m, day := d.Year, int(d.Month), d.Day
	if y < 0 || y > 9999 {
		return []byte(d.String())
	}
	buf[0], buf[1], buf[2], buf[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	buf[4], buf[5], buf[6] = '-', byte('0'+m/10), byte('0'+m%10)
	buf[7], buf[8], buf[9] = '-', byte('0'+day/10), byte('0'+day%10)
	return buf[:]
}

// rowHash is FNV-1a over the values, each followed by a 0 byte.
type rowHash uint64

func newRowHash() rowHash { return 14695981039346656037 }

func (h *rowHash) bytes(b []byte) {
	x := uint64(*h)
	for _, c := range b {
		x ^= uint64(c)
		x *= 1099511628211
	}
	x *= 1099511628211 // the separator (0)
	*h = rowHash(x)
}

func (h *rowHash) str(s string) {
	x := uint64(*h)
	for i := 0; i < len(s); i++ {
		x ^= uint64(s[i])
		x *= 1099511628211
	}
	x *= 1099511628211
	*h = rowHash(x)
}

func (h *rowHash) int(n int64) {
	var buf [20]byte
	h.bytes(strconv.AppendInt(buf[:0], n, 10))
}

// loadState reads the registry's content hashes and the holders of valid
// certificates that no notice names yet.
func loadState(ctx context.Context, tx *sql.Tx, now time.Time) (*importState, error) {
	st := &importState{hashes: map[uint64]uint64{}, holders: map[string]*holder{}}
	rows, err := tx.QueryContext(ctx, "SELECT "+residentColumns+" FROM residents")
	if err != nil {
		return nil, err
	}
	var code, fam, giv, fkana, gkana, birth, addr, reg, changed sql.RawBytes
	var sex, status, ward int64
	for rows.Next() {
		if err := rows.Scan(&code, &fam, &giv, &fkana, &gkana, &birth, &sex, &addr, &status, &reg, &changed, &ward); err != nil {
			rows.Close()
			return nil, err
		}
		h := newRowHash()
		h.bytes(code)
		h.bytes(fam)
		h.bytes(giv)
		h.bytes(fkana)
		h.bytes(gkana)
		h.bytes(birth)
		h.int(sex)
		h.bytes(addr)
		h.int(status)
		h.bytes(reg)
		h.bytes(changed)
		h.int(ward)
		if n, ok := codeNumber(string(code)); ok {
			st.hashes[n] = uint64(h)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT c.serial, `+prefixed("r.", residentColumns)+`
		FROM certificates c JOIN residents r ON r.code = c.resident_code
		WHERE c.status IN ('issued', 'valid') AND c.not_after > ?
		AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.serial = c.serial)
		ORDER BY c.serial`, store.FormatTime(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var serial string
		var r Resident
		var birth, reg, changed string
		if err := rows.Scan(&serial, &r.Code, &r.FamilyName, &r.GivenName, &r.FamilyKana, &r.GivenKana, &birth, &r.Sex, &r.Address, &r.Status, &reg, &changed, &r.AdultWard); err != nil {
			return nil, err
		}
		h := st.holders[r.Code]
		if h == nil {
			r.Birth, r.RegisteredOn, r.StatusChangedOn = parseStoredDate(birth), parseStoredDate(reg), parseStoredDate(changed)
			h = &holder{r: r}
			st.holders[r.Code] = h
		}
		h.serials = append(h.serials, serial)
	}
	return st, rows.Err()
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// certName is the name as the certificate writes it (the form's
// normalisation, see forms.Application.CertificateName).
func certName(r Resident) string {
	return forms.Application{FamilyName: r.FamilyName, GivenName: r.GivenName}.CertificateName()
}

// detectChange says whether the change from old to r affects what a
// signing certificate carries, and if so which notice it calls for: a
// status that ends the registration (死亡, 転出, 消除) first, then 氏名,
// then 住所, compared as the form normalises them. ふりがな, sex-neutral
// corrections and the other columns revoke nothing.
func detectChange(old, r Resident) (prefecture.NoticeKind, string) {
	if old.Status == StatusResident && r.Status != StatusResident {
		switch r.Status {
		case StatusDeceased:
			return prefecture.NoticeDeath, "死亡"
		case StatusMovedOut:
			return prefecture.NoticeMovedOut, "転出"
		case StatusErased:
			return prefecture.NoticeErased, "消除"
		}
	}
	if old.Status != StatusResident {
		return 0, ""
	}
	nameChanged := certName(old) != certName(r)
	addrChanged := forms.CertificateText(old.Address) != forms.CertificateText(r.Address)
	switch {
	case nameChanged && addrChanged:
		return prefecture.NoticeNameChange, "氏名・住所"
	case nameChanged:
		return prefecture.NoticeNameChange, "氏名"
	case addrChanged:
		return prefecture.NoticeAddressChange, "住所"
	}
	return 0, ""
}

// plan adds the notices for the holder of r's code, if r changes what the
// holder's certificates carry. A holder is planned once per import.
func (st *importState) plan(rep *ImportReport, line int, r Resident, on forms.Date) {
	h := st.holders[r.Code]
	if h == nil {
		return
	}
	kind, cause := detectChange(h.r, r)
	if kind == 0 {
		return
	}
	if on.IsZero() {
		on = r.StatusChangedOn
	}
	for _, s := range h.serials {
		rep.Notices = append(rep.Notices, PlannedNotice{Line: line, Code: r.Code, Name: h.r.Name(), Serial: s, Kind: kind, Cause: cause, ChangedOn: on})
	}
	delete(st.holders, r.Code)
}

// parseEvent reads a 異動事由.
func parseEvent(s string) (Event, bool) {
	e, ok := eventNames[headerKey(s)]
	return e, ok
}

// parseChangeRow turns one row of a 異動 file into a Change.
func parseChangeRow(rec []string, cols map[Field]int) (Change, []Problem) {
	var probs []Problem
	get := func(f Field) (string, bool) {
		i, ok := cols[f]
		if !ok || i >= len(rec) {
			return "", false
		}
		v := rec[i]
		return v, strings.TrimSpace(v) != ""
	}
	for _, v := range rec {
		if strings.ContainsRune(v, '\uFFFD') {
			return Change{}, []Problem{{"", "text not valid in the file's encoding",
				"文字コードが正しくない文字があります（UTF-8 か Shift_JIS か、指定を確認してください）。"}}
		}
	}
	c := Change{Has: map[Field]bool{}}
	for f := range cols {
		_, c.Has[f] = get(f)
		if !c.Has[f] {
			delete(c.Has, f)
		}
	}
	r := &c.Resident
	r.Code, _ = get(FieldCode)
	r.Code = NormalizeCode(r.Code)
	if len(r.Code) != 11 || !isDigits(r.Code) {
		probs = append(probs, Problem{string(FieldCode), "code is not 11 digits", "住民コードは11桁の数字です。"})
	}
	ev, _ := get(FieldEvent)
	var ok bool
	if c.Event, ok = parseEvent(ev); !ok {
		probs = append(probs, Problem{string(FieldEvent), "unknown event " + strconv.Quote(ev),
			fmt.Sprintf("異動事由「%s」を読み取れません（転居・住居表示実施・氏名変更・死亡・転出・職権消除・転入・出生 など）。", ev)})
	}
	if v, ok := get(FieldStatusChangedOn); !ok {
		probs = append(probs, Problem{string(FieldStatusChangedOn), "empty date", "異動日が空です。"})
	} else if d, err := forms.ParseDate(v); err != nil {
		probs = append(probs, Problem{string(FieldStatusChangedOn), "unreadable date " + strconv.Quote(v),
			fmt.Sprintf("異動日「%s」を日付として読み取れません。", v)})
	} else {
		c.Date = d
	}
	readNames(r, get)
	r.Address, _ = get(FieldAddress)
	if v, ok := get(FieldBirth); ok {
		d, err := forms.ParseDate(v)
		if err != nil {
			probs = append(probs, Problem{string(FieldBirth), "unreadable date " + strconv.Quote(v),
				fmt.Sprintf("生年月日「%s」を日付として読み取れません。", v)})
		}
		r.Birth = d
	}
	if v, ok := get(FieldSex); ok {
		if r.Sex, ok = parseSex(v); !ok {
			probs = append(probs, Problem{string(FieldSex), "unknown sex " + strconv.Quote(v),
				fmt.Sprintf("性別「%s」を読み取れません（男・女・1・2）。", v)})
		}
	}
	*r = r.Normalize()
	need := func(f Field, what string, present bool) {
		if !present {
			probs = append(probs, Problem{string(f), "the event needs " + string(f),
				fmt.Sprintf("異動事由「%s」には%sが必要です。", strings.TrimSpace(ev), what)})
		}
	}
	switch c.Event {
	case EventAddress:
		need(FieldAddress, "住所", r.Address != "")
	case EventName:
		need(FieldFamilyName, "氏名", r.FamilyName != "")
	case EventKana:
		need(FieldFamilyKana, "ふりがな", r.FamilyKana != "")
	case EventNew:
		need(FieldFamilyName, "氏名", r.FamilyName != "")
		need(FieldFamilyKana, "ふりがな", r.FamilyKana != "")
		need(FieldBirth, "生年月日", !r.Birth.IsZero())
		need(FieldSex, "性別", r.Sex.Valid())
		need(FieldAddress, "住所", r.Address != "")
	}
	return c, probs
}

// applyChange returns the record after the change, from the record before
// it (cur; nil for a resident the registry does not hold).
func applyChange(cur *Resident, c Change) (Resident, []Problem) {
	if c.Event == EventNew {
		r := c.Resident
		r.Status = StatusResident
		r.RegisteredOn = c.Date
		if cur != nil {
			// 転入 of a resident who had moved out: keep nothing of the old
			// record but the code.
			r.StatusChangedOn = forms.Date{}
		}
		return r, validateRecord(r)
	}
	if cur == nil {
		return Resident{}, []Problem{{string(FieldCode), "no such resident", "この住民コードの住民は台帳にありません（転入・出生は全項目が必要です）。"}}
	}
	r := *cur
	switch c.Event {
	case EventAddress:
		r.Address = c.Resident.Address
	case EventName:
		r.FamilyName, r.GivenName = c.Resident.FamilyName, c.Resident.GivenName
		if c.Resident.FamilyKana != "" {
			r.FamilyKana, r.GivenKana = c.Resident.FamilyKana, c.Resident.GivenKana
		}
	case EventKana:
		r.FamilyKana, r.GivenKana = c.Resident.FamilyKana, c.Resident.GivenKana
	case EventDeath:
		r.Status, r.StatusChangedOn = StatusDeceased, c.Date
	case EventMovedOut:
		r.Status, r.StatusChangedOn = StatusMovedOut, c.Date
	case EventErased:
		r.Status, r.StatusChangedOn = StatusErased, c.Date
	}
	return r, validateRecord(r)
}

func validateRecord(r Resident) []Problem {
	var ve *ValidationError
	if err := r.Validate(); errors.As(err, &ve) {
		return ve.Problems
	}
	return nil
}

// newNoticeID returns a random notice ID, also the CA's idempotency key.
func newNoticeID() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// writeNotices puts the planned notices in the outbox (the notices table)
// with an audit entry each, inside the import's transaction. A certificate
// that already has a notice keeps it.
func writeNotices(ctx context.Context, tx *sql.Tx, by, sha string, ns []PlannedNotice, now time.Time) (int, error) {
	if len(ns) == 0 {
		return 0, nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO notices (id, serial, resident_code, kind, cause, changed_on, import_sha256, state, next_attempt_at, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (serial) DO NOTHING`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	at := store.FormatTime(now)
	written := 0
	sort.SliceStable(ns, func(i, j int) bool { return ns[i].Line < ns[j].Line })
	for _, n := range ns {
		id := newNoticeID()
		res, err := stmt.ExecContext(ctx, id, n.Serial, n.Code, n.Kind.String(), n.Cause, storedDate(n.ChangedOn), sha, at, at, by)
		if err != nil {
			return written, fmt.Errorf("registry: notice for %s: %w", n.Serial, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue
		}
		written++
		if _, err := audit.Append(ctx, tx, audit.Entry{Staff: by, Action: audit.ActionNoticeQueued, Subject: n.Code,
			Detail: fmt.Sprintf("notice %s queued: certificate %s, %s (%s), line %d, import sha256 %s", id, n.Serial, n.Kind, n.Cause, n.Line, sha)}); err != nil {
			return written, err
		}
	}
	return written, nil
}

// boolInt is 1 for true, as SQLite stores a boolean.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
