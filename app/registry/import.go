package registry

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"

	"madoguchi/app/audit"
	"madoguchi/app/store"
	"madoguchi/forms"
)

// Encoding is the character encoding of an import file.
type Encoding int

// Encodings. EncodingAuto takes UTF-8 when the start of the file is valid
// UTF-8 (or has a byte-order mark) and Shift_JIS otherwise.
const (
	EncodingAuto     Encoding = iota
	EncodingUTF8              // UTF-8, with or without BOM
	EncodingShiftJIS          // Shift_JIS with the Windows (CP932) extensions
)

func (e Encoding) String() string {
	switch e {
	case EncodingAuto:
		return "auto"
	case EncodingUTF8:
		return "UTF-8"
	case EncodingShiftJIS:
		return "Shift_JIS"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// Field is a column of the import file.
type Field string

// Fields. A file has either FieldName or FieldFamilyName (+ FieldGivenName),
// and either FieldKana or FieldFamilyKana (+ FieldGivenKana); the full forms
// split 氏 and 名 at the first space.
const (
	FieldCode            Field = "code"
	FieldName            Field = "name"
	FieldFamilyName      Field = "family_name"
	FieldGivenName       Field = "given_name"
	FieldKana            Field = "kana"
	FieldFamilyKana      Field = "family_kana"
	FieldGivenKana       Field = "given_kana"
	FieldBirth           Field = "birth"
	FieldSex             Field = "sex"
	FieldAddress         Field = "address"
	FieldStatus          Field = "status"
	FieldRegisteredOn    Field = "registered_on"
	FieldStatusChangedOn Field = "status_changed_on"
	FieldAdultWard       Field = "adult_ward" // optional: 成年被後見人 (1/0, 該当/空)
	FieldEvent           Field = "event"      // 異動事由: its presence makes a 異動 file
)

// Label is the field's Japanese column name.
func (f Field) Label() string {
	switch f {
	case FieldCode:
		return "住民コード"
	case FieldName:
		return "氏名"
	case FieldFamilyName:
		return "氏"
	case FieldGivenName:
		return "名"
	case FieldKana:
		return "ふりがな"
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
	case FieldStatus:
		return "状態"
	case FieldRegisteredOn:
		return "住民となった日"
	case FieldStatusChangedOn:
		return "異動日"
	case FieldAdultWard:
		return "成年被後見人"
	case FieldEvent:
		return "異動事由"
	}
	return string(f)
}

// headerAliases maps a normalised header (see headerKey) to its field.
var headerAliases = map[string]Field{}

func init() {
	for f, names := range map[Field][]string{
		FieldCode:            {"住民コード", "住民票コード", "個人コード", "code", "residentcode"},
		FieldName:            {"氏名", "名前", "name", "fullname"},
		FieldFamilyName:      {"氏", "姓", "familyname", "surname", "lastname"},
		FieldGivenName:       {"名", "givenname", "firstname"},
		FieldKana:            {"ふりがな", "かな", "かな氏名", "氏名かな", "氏名ふりがな", "よみ", "kana"},
		FieldFamilyKana:      {"氏ふりがな", "ふりがな氏", "姓ふりがな", "氏かな", "姓かな", "せい", "familykana"},
		FieldGivenKana:       {"名ふりがな", "ふりがな名", "名かな", "めい", "givenkana"},
		FieldBirth:           {"生年月日", "誕生日", "birth", "birthdate", "dateofbirth"},
		FieldSex:             {"性別", "男女", "sex", "gender"},
		FieldAddress:         {"住所", "address"},
		FieldStatus:          {"状態", "住民状態", "住民区分", "異動区分", "status"},
		FieldRegisteredOn:    {"住民となった日", "住定日", "registeredon"},
		FieldStatusChangedOn: {"異動日", "消除日", "異動年月日", "statuschangedon"},
		FieldAdultWard:       {"成年被後見人", "被後見人", "成年後見", "adultward"},
		FieldEvent:           {"異動事由", "異動理由", "事由", "event"},
	} {
		for _, n := range names {
			headerAliases[headerKey(n)] = f
		}
	}
}

// headerKey normalises a header for matching: NormalizeKana, lower case,
// without spaces, brackets, underscores and middle dots.
func headerKey(s string) string {
	s = strings.ToLower(forms.NormalizeKana(s))
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '(', ')', '（', '）', '・', '[', ']', '【', '】', '\ufeff':
			return -1
		}
		return r
	}, s)
}

// ImportOptions control Import.
type ImportOptions struct {
	Encoding Encoding // EncodingAuto to detect
	// Columns maps fields to header names for files whose headers are not
	// recognised. With NoHeader, the values are 1-based column numbers.
	Columns  map[Field]string
	NoHeader bool // the first line is data
	Comma    rune // ',' if zero; '\t' for TSV
	DryRun   bool // check everything, write nothing
	// CheckedSHA256, if set, is the digest of the file that passed the
	// check step (a DryRun): an import of any other content is refused.
	CheckedSHA256 string
}

// RowError is one rejected row (or, on line 1, a problem with the header).
type RowError struct {
	Line     int    // 1-based line in the file where the row starts
	Code     string // the row's 住民コード as read, if any
	Problems []Problem
}

// Message says what is wrong in Japanese, with the line number.
func (e RowError) Message() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d行目", e.Line)
	if e.Code != "" {
		fmt.Fprintf(&b, "（住民コード %s）", e.Code)
	}
	b.WriteString(": ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

func (e RowError) String() string {
	var r []string
	for _, p := range e.Problems {
		r = append(r, p.Field+": "+p.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, strings.Join(r, "; "))
}

// ImportReport describes an import, successful or not.
type ImportReport struct {
	Encoding  Encoding      // the encoding used (detected or given)
	Shape     Shape         // a full snapshot or a 異動 file
	Columns   map[Field]int // 0-based column of each field found
	Rows      int           // data rows read
	Inserted  int           // new residents (rows of a 異動 file: changes)
	Updated   int           // residents already present whose record changed
	Unchanged int           // residents already present with the same record
	Rejected  []RowError    // every rejected row, in file order
	SHA256    string        // hex digest of the file's bytes
	DryRun    bool
	// Notices lists the certificates the import revokes through change
	// notices to the CA (in a DryRun: would revoke), with the reason.
	Notices []PlannedNotice
	// Queued is how many notices the import put in the outbox.
	Queued int
}

// Refused is the number of rejected rows.
func (r *ImportReport) Refused() int { return len(r.Rejected) }

// ImportError is returned when any row is rejected; nothing was written.
type ImportError struct{ Report *ImportReport }

func (e *ImportError) Error() string {
	return fmt.Sprintf("registry: import rejected: %d bad rows, first %s", len(e.Report.Rejected), e.Report.Rejected[0])
}

// UserMessage says what happened in Japanese.
func (e *ImportError) UserMessage() string {
	r := e.Report.Rejected
	msg := fmt.Sprintf("取り込みを中止しました。%d件の問題があるため、住民データは1件も更新していません。内容を修正して、もう一度取り込んでください。\n%s",
		len(r), r[0].Message())
	if len(r) > 1 {
		msg += fmt.Sprintf("\nほか%d件（一覧を確認してください）", len(r)-1)
	}
	return msg
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// detect peeks at the start of the input and picks the encoding.
func detect(br *bufio.Reader) Encoding {
	sample, _ := br.Peek(64 << 10)
	if bytes.HasPrefix(sample, utf8BOM) {
		return EncodingUTF8
	}
	// Allow a character cut at the end of the sample.
	for i := 0; i < utf8.UTFMax && len(sample) > 0; i++ {
		if utf8.Valid(sample) {
			return EncodingUTF8
		}
		sample = sample[:len(sample)-1]
	}
	return EncodingShiftJIS
}

// columnsFor finds the column of each field from the header or options.
func columnsFor(header []string, opt ImportOptions) (map[Field]int, []Problem) {
	cols := map[Field]int{}
	var probs []Problem
	if !opt.NoHeader {
		for i, h := range header {
			if f, ok := headerAliases[headerKey(h)]; ok {
				if _, dup := cols[f]; !dup {
					cols[f] = i
				}
			}
		}
	}
	for f, name := range opt.Columns {
		if opt.NoHeader {
			n, err := strconv.Atoi(name)
			if err != nil || n < 1 {
				probs = append(probs, Problem{string(f), "column number " + name + " is not a number from 1",
					fmt.Sprintf("列の指定「%s」が正しくありません（1から始まる列番号）。", name)})
				continue
			}
			cols[f] = n - 1
			continue
		}
		found := false
		for i, h := range header {
			if strings.TrimSpace(h) == name || headerKey(h) == headerKey(name) {
				cols[f], found = i, true
				break
			}
		}
		if !found {
			probs = append(probs, Problem{string(f), "mapped column " + name + " not in header",
				fmt.Sprintf("指定された列「%s」（%s）が見出し行にありません。", name, f.Label())})
		}
	}
	need := func(alts ...Field) {
		for _, f := range alts {
			if _, ok := cols[f]; ok {
				return
			}
		}
		var labels []string
		for _, f := range alts {
			labels = append(labels, "「"+f.Label()+"」")
		}
		probs = append(probs, Problem{string(alts[0]), "missing column " + string(alts[0]),
			"列" + strings.Join(labels, "または") + "が見つかりません。"})
	}
	need(FieldCode)
	if _, ok := cols[FieldEvent]; ok {
		// A 異動 file: the other columns are needed only by some events.
		need(FieldStatusChangedOn)
		return cols, probs
	}
	need(FieldFamilyName, FieldName)
	need(FieldFamilyKana, FieldKana)
	need(FieldBirth)
	need(FieldSex)
	need(FieldAddress)
	return cols, probs
}

// parseSex reads the registry's 性別.
func parseSex(s string) (forms.Sex, bool) {
	switch strings.ToLower(forms.NormalizeText(s)) {
	case "1", "男", "男性", "m", "male":
		return forms.SexMale, true
	case "2", "女", "女性", "f", "female":
		return forms.SexFemale, true
	case "3", "0", "9", "不明", "u", "unknown":
		return forms.SexUnknown, true
	}
	return 0, false
}

// parseStatus reads the registry's status; empty means 住民.
func parseStatus(s string) (Status, bool) {
	switch forms.NormalizeText(s) {
	case "", "1", "住民", "在住", "現住", "住登":
		return StatusResident, true
	case "2", "転出":
		return StatusMovedOut, true
	case "3", "死亡":
		return StatusDeceased, true
	case "4", "消除", "職権消除":
		return StatusErased, true
	}
	return 0, false
}

// parseAdultWard reads the registry's 成年被後見人 flag; empty means not.
func parseAdultWard(s string) (bool, bool) {
	switch strings.ToLower(forms.NormalizeText(strings.TrimSpace(s))) {
	case "", "0", "否", "非該当", "なし", "no", "false":
		return false, true
	case "1", "該当", "成年被後見人", "被後見人", "あり", "yes", "true":
		return true, true
	}
	return false, false
}

// splitName splits "氏 名" (any white space) at the first space.
func splitName(s string) (string, string) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\u3000", " "))
	family, given, _ := strings.Cut(s, " ")
	return strings.TrimSpace(family), strings.TrimSpace(given)
}

// parseRow turns one CSV record into a resident, or lists its problems.
func parseRow(rec []string, cols map[Field]int) (Resident, []Problem) {
	var probs []Problem
	get := func(f Field) (string, bool) {
		i, ok := cols[f]
		if !ok {
			return "", false
		}
		if i >= len(rec) {
			return "", true
		}
		return rec[i], true
	}
	need := 0
	for _, i := range cols {
		need = max(need, i+1)
	}
	if len(rec) < need {
		probs = append(probs, Problem{"", fmt.Sprintf("row has %d columns, needs %d", len(rec), need),
			fmt.Sprintf("列が足りません（%d列、必要なのは%d列）。", len(rec), need)})
	}
	for _, v := range rec {
		if !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError) {
			probs = append(probs, Problem{"", "text not valid in the file's encoding",
				"文字コードが正しくない文字があります（UTF-8 か Shift_JIS か、指定を確認してください）。"})
			return Resident{}, probs
		}
	}
	var r Resident
	r.Code, _ = get(FieldCode)
	readNames(&r, get)
	date := func(f Field, required bool) forms.Date {
		v, _ := get(f)
		if strings.TrimSpace(v) == "" {
			if required {
				probs = append(probs, Problem{string(f), "empty date", f.Label() + "が空です。"})
			}
			return forms.Date{}
		}
		d, err := forms.ParseDate(v)
		if err != nil {
			probs = append(probs, Problem{string(f), "unreadable date " + strconv.Quote(v),
				fmt.Sprintf("%s「%s」を日付として読み取れません。", f.Label(), v)})
		}
		return d
	}
	r.Birth = date(FieldBirth, true)
	r.RegisteredOn = date(FieldRegisteredOn, false)
	r.StatusChangedOn = date(FieldStatusChangedOn, false)
	sex, _ := get(FieldSex)
	var ok bool
	if r.Sex, ok = parseSex(sex); !ok {
		probs = append(probs, Problem{string(FieldSex), "unknown sex " + strconv.Quote(sex),
			fmt.Sprintf("性別「%s」を読み取れません（男・女・1・2）。", sex)})
		r.Sex = forms.SexUnknown
	}
	st, _ := get(FieldStatus)
	if r.Status, ok = parseStatus(st); !ok {
		probs = append(probs, Problem{string(FieldStatus), "unknown status " + strconv.Quote(st),
			fmt.Sprintf("状態「%s」を読み取れません（住民・転出・死亡・消除）。", st)})
		r.Status = StatusResident
	}
	ward, _ := get(FieldAdultWard)
	if r.AdultWard, ok = parseAdultWard(ward); !ok {
		probs = append(probs, Problem{string(FieldAdultWard), "unknown adult ward flag " + strconv.Quote(ward),
			fmt.Sprintf("成年被後見人「%s」を読み取れません（1・0、該当・空欄）。", ward)})
	}
	r.Address, _ = get(FieldAddress)
	r = r.Normalize()
	if err := r.Validate(); err != nil {
		var ve *ValidationError
		errors.As(err, &ve)
		for _, p := range ve.Problems {
			// An unreadable birth date was reported already, more precisely.
			if p.Field == string(FieldBirth) && r.Birth.IsZero() {
				continue
			}
			probs = append(probs, p)
		}
	}
	return r, probs
}

// codeNumber returns the numeric value of an 11-digit code.
func codeNumber(code string) (uint64, bool) {
	if len(code) != 11 || !isDigits(code) {
		return 0, false
	}
	n, _ := strconv.ParseUint(code, 10, 64)
	return n, true
}

// Parse reads and checks a registry file without touching the database.
// It calls emit (if not nil) with every valid row, in file order, until a
// row is rejected; after that it only checks the remaining rows. The
// report lists every rejected row; if there is any, or if emit fails, Parse
// returns an error (an *ImportError for rejected rows).
func Parse(ctx context.Context, in io.Reader, opt ImportOptions, emit func(line int, r Resident) error) (*ImportReport, error) {
	return parse(ctx, in, opt, emit, nil)
}

// parse is Parse that also reads 異動 files, calling emitChange with each
// valid row of one.
func parse(ctx context.Context, in io.Reader, opt ImportOptions, emit func(line int, r Resident) error, emitChange func(line int, c Change) error) (*ImportReport, error) {
	rep := &ImportReport{Encoding: opt.Encoding, DryRun: opt.DryRun}
	digest := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(in, digest), 256<<10)
	finish := func(err error) (*ImportReport, error) {
		io.Copy(io.Discard, br) // the digest covers the whole file
		rep.SHA256 = hex.EncodeToString(digest.Sum(nil))
		if err == nil && len(rep.Rejected) > 0 {
			err = &ImportError{Report: rep}
		}
		return rep, err
	}
	if rep.Encoding == EncodingAuto {
		rep.Encoding = detect(br)
	}
	var src io.Reader = br
	switch rep.Encoding {
	case EncodingUTF8:
		if b, _ := br.Peek(3); bytes.Equal(b, utf8BOM) {
			br.Discard(3)
		}
	case EncodingShiftJIS:
		src = transform.NewReader(br, japanese.ShiftJIS.NewDecoder())
	default:
		return nil, fmt.Errorf("registry: unknown encoding %v", opt.Encoding)
	}
	cr := csv.NewReader(src)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if opt.Comma != 0 {
		cr.Comma = opt.Comma
	}

	reject := func(line int, code string, probs ...Problem) {
		rep.Rejected = append(rep.Rejected, RowError{Line: line, Code: code, Problems: probs})
	}
	var cols map[Field]int
	if !opt.NoHeader {
		header, err := cr.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				reject(1, "", Problem{"", "empty file", "ファイルが空です。"})
			} else {
				reject(1, "", Problem{"", "unreadable header: " + err.Error(), "見出し行を読み取れません。"})
			}
			return finish(nil)
		}
		header = append([]string(nil), header...)
		var probs []Problem
		cols, probs = columnsFor(header, opt)
		if len(probs) > 0 {
			probs = append(probs, Problem{"", "header not recognised", fmt.Sprintf("見出し行の列名と文字コード（%s として読みました）を確認してください。", rep.Encoding)})
			reject(1, "", probs...)
			return finish(nil)
		}
	} else {
		var probs []Problem
		if cols, probs = columnsFor(nil, opt); len(probs) > 0 {
			reject(1, "", probs...)
			return finish(nil)
		}
	}
	rep.Columns = cols
	if _, ok := cols[FieldEvent]; ok {
		rep.Shape = ShapeChanges
	}

	seen := make(map[uint64]int32)
	for {
		if err := ctx.Err(); err != nil {
			return finish(err)
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var line int
		if err == nil {
			line, _ = cr.FieldPos(0)
		} else {
			// FieldPos panics when the malformed record has no field.
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			rep.Rows++
			reject(line, "", Problem{"", "malformed CSV: " + err.Error(), "CSVの形式が正しくありません（引用符 \" の対応を確認してください）。"})
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		rep.Rows++
		if rep.Shape == ShapeChanges {
			c, probs := parseChangeRow(rec, cols)
			if len(probs) > 0 {
				reject(line, c.Resident.Code, probs...)
				continue
			}
			if emitChange != nil && len(rep.Rejected) == 0 {
				if err := emitChange(line, c); err != nil {
					return finish(fmt.Errorf("registry: line %d: %w", line, err))
				}
			}
			continue
		}
		r, probs := parseRow(rec, cols)
		if n, ok := codeNumber(r.Code); ok {
			if first, dup := seen[n]; dup {
				probs = append(probs, Problem{string(FieldCode), fmt.Sprintf("duplicate code, first on line %d", first),
					fmt.Sprintf("住民コードが%d行目と重複しています。", first)})
			} else {
				seen[n] = int32(line)
			}
		}
		if len(probs) > 0 {
			reject(line, r.Code, probs...)
			continue
		}
		if emit != nil && len(rep.Rejected) == 0 {
			if err := emit(line, r); err != nil {
				return finish(fmt.Errorf("registry: line %d: %w", line, err))
			}
		}
	}
	if rep.Rows == 0 {
		reject(1, "", Problem{"", "no data rows", "データ行がありません。"})
	}
	return finish(nil)
}

// Import reads a registry file (see Parse): a full snapshot, whose rows
// insert or replace residents, or a 異動 file, whose rows change them one
// event at a time. Everything happens in one transaction. If any row is
// rejected (or the header lacks a required column), nothing is written and
// the error is an *ImportError whose report lists every rejected row with
// its line number. by is the staff ID recorded in the audit trail, for
// successful and rejected imports alike.
//
// The report counts new, updated, unchanged and refused rows, and lists the
// certificates whose holder's 氏名, 住所 or status the import changes
// (Notices): with DryRun (the check step) nothing is written; otherwise a
// change notice for each goes into the outbox in the same transaction, for
// the background sender to deliver to the CA.
//
// Reading and checking run on one goroutine and writing on another. Into
// an empty registry (the first import) the secondary indexes are dropped
// and rebuilt after the rows, inside the same transaction, which is much
// faster than growing them row by row. Rows whose record did not change
// are not written again.
func (g *Registry) Import(ctx context.Context, by string, in io.Reader, opt ImportOptions) (*ImportReport, error) {
	nowT := g.now()
	now := store.FormatTime(nowT)
	var rep *ImportReport
	var late []RowError // rows rejected by the writer (a 異動 row naming no resident …)
	err := g.db.BulkTx(ctx, 512, func(tx *sql.Tx) error {
		var before int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM residents").Scan(&before); err != nil {
			return err
		}
		// The parser sends batches of valid rows; the writer below inserts
		// them. A failed write cancels the parser.
		type item struct {
			line   int
			r      Resident
			change *Change
		}
		pctx, cancel := context.WithCancel(ctx)
		defer cancel()
		// Room for a quarter of a million rows: the parser works on while
		// the registry's current state is read.
		batches := make(chan []item, 512)
		var parseErr error
		go func() {
			defer close(batches)
			var batch []item
			send := func(it item) error {
				batch = append(batch, it)
				if len(batch) == 512 {
					select {
					case batches <- batch:
					case <-pctx.Done():
						return pctx.Err()
					}
					batch = make([]item, 0, 512)
				}
				return nil
			}
			rep, parseErr = parse(pctx, in, opt,
				func(line int, r Resident) error { return send(item{line: line, r: r}) },
				func(line int, c Change) error { return send(item{line: line, change: &c}) })
			if parseErr == nil && len(batch) > 0 {
				select {
				case batches <- batch:
				case <-pctx.Done():
				}
			}
		}()
		// However this returns, the parser has stopped before.
		defer func() {
			cancel()
			for range batches {
			}
		}()

		st := &importState{hashes: map[uint64]uint64{}, holders: map[string]*holder{}}
		var rebuild []string
		if before == 0 {
			if !opt.DryRun {
				var err error
				if rebuild, err = dropIndexes(ctx, tx, g.db.Dialect()); err != nil {
					return err
				}
			}
		} else {
			var err error
			if st, err = loadState(ctx, tx, nowT); err != nil {
				return fmt.Errorf("registry: reading the registry before the import: %w", err)
			}
		}
		stmt, err := tx.PrepareContext(ctx, upsertSQL)
		if err != nil {
			return err
		}
		defer stmt.Close()
		// On PostgreSQL the rows go in through COPY, in chunks: straight
		// into the table on the first import (the parser rejects a file
		// with a code twice, so the inserts cannot collide), else into a
		// staging table merged with one upsert per chunk. A chunk never
		// holds a code twice: a 異動 row flushes the chunk before it reads
		// the resident's current record.
		var copied [][]any
		copyRows := !opt.DryRun && g.db.CanCopy(tx)
		copyInto := "residents"
		if copyRows && before > 0 {
			copyInto = "residents_in"
			if _, err := tx.ExecContext(ctx, "CREATE TEMPORARY TABLE residents_in (LIKE residents INCLUDING DEFAULTS) ON COMMIT DROP"); err != nil {
				return err
			}
		}
		flush := func() error {
			if len(copied) == 0 {
				return nil
			}
			if _, err := g.db.CopyFrom(ctx, tx, copyInto, copyColumns, copied); err != nil {
				return fmt.Errorf("registry: COPY: %w", err)
			}
			copied = copied[:0]
			if copyInto == "residents" {
				return nil
			}
			if _, err := tx.ExecContext(ctx, mergeSQL); err != nil {
				return fmt.Errorf("registry: merge: %w", err)
			}
			_, err := tx.ExecContext(ctx, "TRUNCATE residents_in")
			return err
		}

		var counts struct{ inserted, updated, unchanged int }
		var planned []PlannedNotice
		sink := &ImportReport{}
		overlay := map[string]Resident{}
		var writeErr error
		for batch := range batches {
			if writeErr != nil {
				continue // drain
			}
			for _, it := range batch {
				r, on := it.r, forms.Date{}
				if it.change != nil {
					if err := flush(); err != nil {
						writeErr = err
						cancel()
						break
					}
					cur, err := g.current(ctx, tx, it.change.Resident.Code)
					if err != nil {
						writeErr = err
						cancel()
						break
					}
					if o, ok := overlay[it.change.Resident.Code]; ok {
						cur = &o // an earlier row of this file changed it
					}
					var probs []Problem
					if r, probs = applyChange(cur, *it.change); len(probs) > 0 {
						late = append(late, RowError{Line: it.line, Code: it.change.Resident.Code, Problems: probs})
						continue
					}
					on = it.change.Date
				}
				n, _ := codeNumber(r.Code)
				h := contentHash(r)
				old, known := st.hashes[n]
				switch {
				case !known:
					counts.inserted++
				case old == h:
					counts.unchanged++
					continue
				default:
					counts.updated++
				}
				st.hashes[n] = h
				if it.change != nil {
					overlay[r.Code] = r
				}
				st.plan(sink, it.line, r, on)
				if opt.DryRun || len(late) > 0 {
					continue
				}
				if copyRows {
					copied = append(copied, copyArgs(r, now))
					if len(copied) >= copyChunk {
						if writeErr = flush(); writeErr != nil {
							cancel()
							break
						}
					}
					continue
				}
				if _, err := stmt.ExecContext(ctx, rowArgs(r, now)...); err != nil {
					writeErr = fmt.Errorf("registry: resident %s: %w", r.Code, err)
					cancel()
					break
				}
			}
		}
		planned = sink.Notices
		if writeErr == nil && parseErr == nil && !opt.DryRun && len(late) == 0 {
			writeErr = flush()
		}
		if writeErr != nil {
			return writeErr
		}
		if parseErr == nil && len(late) > 0 {
			rep.Rejected = append(rep.Rejected, late...)
			sort.SliceStable(rep.Rejected, func(i, j int) bool { return rep.Rejected[i].Line < rep.Rejected[j].Line })
			parseErr = &ImportError{Report: rep}
		}
		if rep != nil {
			rep.Inserted, rep.Updated, rep.Unchanged = counts.inserted, counts.updated, counts.unchanged
			rep.Notices = planned
		}
		if parseErr != nil || opt.DryRun {
			return parseErr
		}
		if opt.CheckedSHA256 != "" && opt.CheckedSHA256 != rep.SHA256 {
			return ErrNotChecked
		}
		if len(rebuild) > 0 && g.db.Dialect() == store.Postgres {
			// Room to sort each index in memory while it is rebuilt.
			if _, err := tx.ExecContext(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
				return err
			}
		}
		for _, q := range rebuild {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("registry: rebuild index: %w", err)
			}
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Staff: by, Action: audit.ActionRegistryImport,
			Detail: fmt.Sprintf("%s, %d rows: %d inserted, %d updated, %d unchanged; %d change notices; %s; sha256 %s",
				rep.Shape.Label(), rep.Rows, rep.Inserted, rep.Updated, rep.Unchanged, len(planned), rep.Encoding, rep.SHA256)})
		if err != nil {
			return err
		}
		rep.Queued, err = writeNotices(ctx, tx, by, rep.SHA256, planned, nowT)
		return err
	})
	var ie *ImportError
	if errors.As(err, &ie) {
		audit.Record(ctx, g.db, audit.Entry{Staff: by, Action: audit.ActionRegistryImport,
			Detail: fmt.Sprintf("rejected: %d problems in %d rows; nothing written; sha256 %s", len(rep.Rejected), rep.Rows, rep.SHA256)})
	}
	if err != nil {
		return rep, err
	}
	if !opt.DryRun {
		// Refresh the planner's statistics after a large change.
		if g.db.Dialect() == store.Postgres {
			g.db.ExecContext(ctx, "ANALYZE residents")
		} else {
			g.db.ExecContext(ctx, "PRAGMA optimize")
		}
	}
	return rep, nil
}

// ErrNotChecked is returned by Import when ImportOptions.CheckedSHA256 is
// not the digest of the file being imported: the file changed after its
// check, or was never checked.
var ErrNotChecked = &notCheckedError{}

type notCheckedError struct{}

func (*notCheckedError) Error() string {
	return "registry: the file is not the one that passed the check"
}

// UserMessage says what happened in Japanese.
func (*notCheckedError) UserMessage() string {
	return "ファイルの内容が確認したときと異なります。もう一度「確認」を行ってから取り込んでください。住民データは更新していません。"
}

// current returns the stored record of code, or nil.
func (g *Registry) current(ctx context.Context, tx *sql.Tx, code string) (*Resident, error) {
	r, err := scanResident(tx.QueryRowContext(ctx, "SELECT "+residentColumns+" FROM residents WHERE code = ?", code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// dropIndexes drops the secondary indexes of the residents table and
// returns the statements that recreate them.
func dropIndexes(ctx context.Context, tx *sql.Tx, d store.Dialect) ([]string, error) {
	q := "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'residents' AND sql IS NOT NULL"
	if d == store.Postgres {
		// The secondary indexes only: not the primary key's.
		q = `SELECT i.indexname, i.indexdef FROM pg_indexes i
			JOIN pg_index x ON x.indexrelid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
			WHERE i.schemaname = current_schema() AND i.tablename = 'residents' AND NOT x.indisprimary`
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	var names, stmts []string
	for rows.Next() {
		var name, q string
		if err := rows.Scan(&name, &q); err != nil {
			rows.Close()
			return nil, err
		}
		names, stmts = append(names, name), append(stmts, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+n+`"`); err != nil {
			return nil, err
		}
	}
	return stmts, nil
}

// copyChunk is how many rows one COPY loads.
const copyChunk = 20000

// copyColumns are the residents columns that COPY fills, in copyArgs's
// order.
var copyColumns = strings.Split(strings.ReplaceAll(residentColumns+", kana_key, given_kana_key, name_key, updated_at", " ", ""), ",")

// copyArgs is rowArgs for COPY: flags as integers, as the column holds
// them.
func copyArgs(r Resident, now string) []any {
	a := rowArgs(r, now)
	for i, v := range a {
		if b, ok := v.(bool); ok {
			a[i] = 0
			if b {
				a[i] = 1
			}
		}
	}
	return a
}

// mergeSQL moves the staged rows of a PostgreSQL re-import into the
// registry, as upsertSQL does row by row.
var mergeSQL = func() string {
	cols := strings.Join(copyColumns, ", ")
	_, set, _ := strings.Cut(upsertSQL, "ON CONFLICT")
	return "INSERT INTO residents (" + cols + ") SELECT " + cols + " FROM residents_in ON CONFLICT" + set
}()

// readNames fills r's name and kana from a row's columns: one column for
// the whole name (氏と名 split at the space) or one for each part, the
// parts winning where a file has both.
func readNames(r *Resident, get func(Field) (string, bool)) {
	if v, ok := get(FieldName); ok {
		r.FamilyName, r.GivenName = splitName(v)
	}
	if v, ok := get(FieldFamilyName); ok {
		r.FamilyName = v
	}
	if v, ok := get(FieldGivenName); ok {
		r.GivenName = v
	}
	if v, ok := get(FieldKana); ok {
		r.FamilyKana, r.GivenKana = splitName(forms.NormalizeKana(v))
	}
	if v, ok := get(FieldFamilyKana); ok {
		r.FamilyKana = v
	}
	if v, ok := get(FieldGivenKana); ok {
		r.GivenKana = v
	}
}
