package ui

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/audit"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/session"
	"madoguchi/forms"
	"madoguchi/forms/printing"
)

// recordsLimit is how many records the screen lists at most; a search
// that finds more says so and asks for narrower conditions.
const recordsLimit = 1000

// recordsColumns are the table's columns: title, and a sample of a wide
// value, measured with the theme's font for the column's width.
var recordsColumns = []struct {
	title, sample string
}{
	{"日時", "2026/11/25 23:59"},
	{"住民コード", "00000000000"},
	{"氏名", "長谷川　さゆり"},
	{"種別", "暗証番号初期化"},
	{"シリアル", "9d9d9d9d9d9d9d9d"},
	{"結果", "エラー"},
	{"担当者", "監督 花子（super01）"},
	{"証明書の状態", "失効（新たな証明書 9d9d9d9d の発行による）"},
}

// recordsResults are the choices of the 結果 filter and the outcome each
// one asks for (nil: any).
var recordsResults = []struct {
	label   string
	outcome *records.Outcome
}{
	{"すべて", nil},
	{"交付・完了", records.OutcomeFilter(records.OutcomeCompleted)},
	{"中止", records.OutcomeFilter(records.OutcomeAbandoned)},
	{"エラー", records.OutcomeFilter(records.OutcomeFailed)},
	{"処理中", records.OutcomeFilter(records.OutcomeOpen)},
}

// The screen reads and shows dates in the municipality's zone (config
// time_zone), as the façade's daily summary and the printed record book
// do, so that what the list shows for a day is what the printed pages
// count for it, whatever the machine's zone.

// recordsInputError is a filter the supervisor typed that cannot be used.
type recordsInputError struct{ msg string }

func (e *recordsInputError) Error() string { return "ui: records filter: " + e.msg }

// UserMessage says what is wrong in Japanese.
func (e *recordsInputError) UserMessage() string { return e.msg }

// recordsEntry is a filter entry: Enter searches (OnSubmitted), Esc goes
// back to the home screen (keyEntry).
type recordsEntry struct {
	keyEntry
}

func newRecordsEntry(placeholder string, onSubmit, onEscape func()) *recordsEntry {
	e := &recordsEntry{}
	e.ExtendBaseWidget(e)
	e.SetPlaceHolder(placeholder)
	e.onEscape = onEscape
	e.OnSubmitted = func(string) { onSubmit() }
	return e
}

// recordsSelect is the result filter: Enter searches, Esc goes back to
// the home screen.
type recordsSelect struct {
	widget.Select
	onSubmit, onEscape func()
}

// TypedKey searches on Enter, leaves the screen on Esc and works the
// select otherwise (Space or the arrows open its choices).
func (s *recordsSelect) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyEscape:
		s.onEscape()
	case fyne.KeyReturn, fyne.KeyEnter:
		s.onSubmit()
	default:
		s.Select.TypedKey(k)
	}
}

// recordsTable is the list of records: the arrow keys move, Enter (or
// Space) opens the row's audit trail, Esc goes back to the home screen.
type recordsTable struct {
	widget.Table
	onEscape func()
	cols     columnFit // see records_fit.go
}

// TypedKey opens the focused row on Enter, leaves on Esc, and moves
// otherwise.
func (t *recordsTable) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyEscape:
		t.onEscape()
	case fyne.KeyReturn, fyne.KeyEnter:
		t.Table.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	default:
		t.Table.TypedKey(k)
	}
}

// recordsScreen is the supervisor's records screen (交付記録): the counter
// sessions filtered by period, clerk, result and resident; the audit
// trail of the session opened; the audit chain's check; and the printing
// of the record book (交付記録簿) and the daily summary (日計表).
// It is the window's content while on show, so tests find it there.
type recordsScreen struct {
	widget.BaseWidget
	s *Shell

	from, to, clerk, resident *recordsEntry
	printedHead               *recordsEntry // a head printed earlier, typed back to check against
	result                    *recordsSelect
	table                     *recordsTable
	count                     *widget.Label // how many records, and for which period
	status                    *widget.Label // input problems and refusals
	verify                    *widget.Label // the audit chain's check
	trailTitle                *widget.Label
	trail                     *fyne.Container // lines of the opened session's trail
	trailScroll               *container.Scroll
	box                       fyne.CanvasObject

	loc     *time.Location    // the municipality's zone
	names   map[string]string // staff ID → display name, read with each search
	found   []records.Record
	rows    [][]string // the table's cells, one row per record
	opened  string     // the session whose trail is shown
	printed string     // the last printout's file
}

// CreateRenderer shows the screen's layout.
func (r *recordsScreen) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.box)
}

// showRecords opens the supervisor's records screen with today's records.
// The façade refuses the data to anyone but a supervisor; the screen then
// says so.
func (s *Shell) showRecords() {
	r := newRecordsScreen(s)
	s.show("records", r)
	s.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			s.showHome()
		}
	})
	s.win.Canvas().Focus(r.from)
	r.search()
}

func newRecordsScreen(s *Shell) *recordsScreen {
	r := &recordsScreen{s: s, loc: s.counter.Config().Location()}
	r.ExtendBaseWidget(r)
	home := s.showHome
	today := forms.DateOf(time.Now().In(r.loc)).String()
	r.from = newRecordsEntry("開始日（2026-11-25、R8.11.25）", r.search, home)
	r.from.SetText(today)
	r.to = newRecordsEntry("終了日", r.search, home)
	r.to.SetText(today)
	r.clerk = newRecordsEntry("職員ID（空欄：全員）", r.search, home)
	r.resident = newRecordsEntry("住民コード（空欄：全員）", r.search, home)
	r.printedHead = newRecordsEntry("日計表・記録簿に印刷した照合コード（任意。例 No.123 3f2a-9c1b-77e0-4d21 c5）", r.verifyAudit, home)

	r.result = &recordsSelect{onSubmit: r.search, onEscape: home}
	for _, c := range recordsResults {
		r.result.Options = append(r.result.Options, c.label)
	}
	r.result.ExtendBaseWidget(r.result)
	r.result.SetSelected(recordsResults[0].label)
	// Choosing a result searches at once (set after the first choice, so
	// that opening the screen searches only once).
	r.result.OnChanged = func(string) { r.search() }

	r.table = r.newTable(home)
	r.count = widget.NewLabel("")
	r.status = widget.NewLabel("")
	r.status.Importance = widget.DangerImportance
	r.status.Wrapping = fyne.TextWrapWord
	r.status.Hide()
	r.verify = widget.NewLabel("")
	r.verify.Wrapping = fyne.TextWrapWord
	r.verify.Hide()

	r.trailTitle = boldLabel("監査証跡")
	r.trailTitle.Wrapping = fyne.TextWrapWord
	r.trail = container.NewVBox(widget.NewLabel("一覧の行を選ぶ（↑↓で移動し Enter）と、その手続の記録と監査ログを表示します。"))
	r.trailScroll = container.NewVScroll(r.trail)

	search := widget.NewButton("検索", r.search)
	search.Importance = widget.HighImportance
	verify := widget.NewButton("監査証跡の検証", r.verifyAudit)
	book := widget.NewButton("交付記録簿を印刷", r.printRecordBook)
	daily := widget.NewButton("日計表を印刷", r.printDailySummary)
	back := widget.NewButton("ホームに戻る (Esc)", home)

	labelled := func(label string, o fyne.CanvasObject) fyne.CanvasObject {
		return container.NewBorder(nil, nil, widget.NewLabel(label), nil, o)
	}
	filters := container.NewVBox(
		labelled("期間", container.NewBorder(nil, nil, nil, widget.NewLabel("まで"),
			container.NewGridWithColumns(2, container.NewBorder(nil, nil, nil, widget.NewLabel("から"), r.from), r.to))),
		container.NewGridWithColumns(3, labelled("担当者", r.clerk), labelled("結果", r.result), labelled("住民コード", r.resident)),
	)
	hint := widget.NewLabel("結果を選ぶとすぐに、入力欄では Enter で検索します。交付記録簿は期間内の全記録を、日計表は終了日の1日分を印刷します。")
	hint.Wrapping = fyne.TextWrapWord
	top := container.NewVBox(
		boldLabel("交付記録"),
		filters,
		container.NewHBox(search, r.count),
		r.status,
	)
	bottom := container.NewVBox(
		r.verify,
		hint,
		container.NewBorder(nil, nil, nil, verify, r.printedHead),
		container.NewHBox(book, daily, back),
	)
	split := container.NewVSplit(r.table, container.NewBorder(r.trailTitle, nil, nil, nil, r.trailScroll))
	split.Offset = 0.5
	r.box = container.NewBorder(top, bottom, nil, nil, split)
	return r
}

// newTable builds the table of records with a header row.
func (r *recordsScreen) newTable(home func()) *recordsTable {
	t := &recordsTable{onEscape: home}
	t.Length = func() (int, int) { return len(r.rows), len(recordsColumns) }
	t.CreateCell = func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}
	t.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) {
		text := ""
		if id.Row >= 0 && id.Row < len(r.rows) && id.Col >= 0 && id.Col < len(recordsColumns) {
			text = r.rows[id.Row][id.Col]
		}
		o.(*widget.Label).SetText(text)
	}
	t.ShowHeaderRow = true
	t.ShowHeaderColumn = false
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		if id.Row < 0 && id.Col >= 0 && id.Col < len(recordsColumns) {
			l.SetText(recordsColumns[id.Col].title)
		} else {
			l.SetText("")
		}
	}
	t.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(r.found) {
			r.openRow(id.Row)
		}
	}
	t.ExtendBaseWidget(t)
	for i, c := range recordsColumns {
		value := widget.NewLabel(c.sample).MinSize().Width
		title := widget.NewLabelWithStyle(c.title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true}).MinSize().Width
		t.SetColumnWidth(i, max(value, title)+theme.Padding())
		t.cols.add(max(value, title)+theme.Padding(), title+theme.Padding())
	}
	return t
}

// period reads the typed dates: an empty one takes the other's day, both
// empty mean today.
func (r *recordsScreen) period() (from, to forms.Date, err error) {
	read := func(e *recordsEntry) (forms.Date, error) {
		text := strings.TrimSpace(e.Text)
		if text == "" {
			return forms.Date{}, nil
		}
		return forms.ParseDate(text)
	}
	if from, err = read(r.from); err != nil {
		return from, to, err
	}
	if to, err = read(r.to); err != nil {
		return from, to, err
	}
	switch {
	case from.IsZero() && to.IsZero():
		from = forms.DateOf(time.Now().In(r.loc))
		to = from
	case from.IsZero():
		from = to
	case to.IsZero():
		to = from
	}
	if to.Before(from) {
		return from, to, &recordsInputError{"終了日が開始日より前になっています。期間を確かめてください。"}
	}
	return from, to, nil
}

// filter is the search the typed conditions ask for.
func (r *recordsScreen) filter() (records.Filter, forms.Date, forms.Date, error) {
	from, to, err := r.period()
	if err != nil {
		return records.Filter{}, from, to, err
	}
	start, _ := records.DayRange(from, r.loc)
	_, end := records.DayRange(to, r.loc)
	f := records.Filter{
		From:  start,
		To:    end,
		Clerk: strings.TrimSpace(r.clerk.Text),
		Limit: recordsLimit + 1,
	}
	if code := strings.TrimSpace(r.resident.Text); code != "" {
		f.ResidentCode = registry.NormalizeCode(code)
	}
	for _, c := range recordsResults {
		if c.label == r.result.Selected {
			f.Outcome = c.outcome
		}
	}
	return f, from, to, nil
}

// setStatus shows msg under the filters, or hides the line when msg is "".
func (r *recordsScreen) setStatus(msg string) {
	if msg == r.status.Text && (msg == "") == r.status.Hidden {
		return
	}
	r.status.SetText(msg)
	if msg == "" {
		r.status.Hide()
	} else {
		r.status.Show()
	}
	r.relayout()
}

// relayout lays the screen out again after a message line appeared,
// disappeared or changed its number of lines.
func (r *recordsScreen) relayout() {
	if c, ok := r.box.(*fyne.Container); ok {
		c.Refresh()
	}
}

// search lists the records the filters ask for.
func (r *recordsScreen) search() {
	f, from, to, err := r.filter()
	if err != nil {
		r.setStatus(userMessage(err, "検索条件を読み取れません。"))
		return
	}
	desk := r.s.desk
	var list []records.Record
	var names map[string]string
	r.s.runner.Run("交付記録を検索しています…", false, func(ctx context.Context) error {
		var err error
		if list, err = desk.Records(ctx, f); err != nil {
			return err
		}
		names, err = desk.StaffNames(ctx)
		return err
	}, func(err error) {
		if err != nil {
			r.setFound(nil)
			r.count.SetText("")
			r.setStatus(userMessage(err, "交付記録を読み込めませんでした。"))
			return
		}
		r.setStatus("")
		r.names = names
		more := len(list) > recordsLimit
		if more {
			list = list[:recordsLimit]
		}
		r.setFound(list)
		span := from.Wareki()
		if to != from {
			span += "～" + to.Wareki()
		}
		switch {
		case more:
			r.count.SetText(fmt.Sprintf("%s：%d件以上あります。先頭の%d件を表示しています。条件を絞ってください。", span, recordsLimit, recordsLimit))
		case len(list) == 0:
			r.count.SetText(span + "：該当する記録はありません。")
		default:
			r.count.SetText(fmt.Sprintf("%s：%d件", span, len(list)))
		}
	})
}

// setFound shows list in the table and clears the trail panel.
func (r *recordsScreen) setFound(list []records.Record) {
	r.found = list
	r.rows = r.rows[:0]
	for _, rec := range list {
		r.rows = append(r.rows, recordsCells(rec, r.loc, r.names))
	}
	r.table.UnselectAll()
	r.table.Refresh()
	r.opened = ""
	r.trailTitle.SetText("監査証跡")
	r.trail.Objects = []fyne.CanvasObject{widget.NewLabel("一覧の行を選ぶ（↑↓で移動し Enter）と、その手続の記録と監査ログを表示します。")}
	r.trail.Refresh()
}

// recordsCells are the table's cells of one record, in recordsColumns
// order. The time is when the session ended, or started if it is open,
// in loc; the clerk is named with the ID.
func recordsCells(rec records.Record, loc *time.Location, names map[string]string) []string {
	return []string{
		rec.At().In(loc).Format("2006/01/02 15:04"),
		rec.ResidentCode,
		rec.ResidentName,
		rec.Kind.String(),
		rec.Serial,
		rec.Result(),
		records.StaffLabel(rec.Clerk, names),
		rec.Cert.Label(),
	}
}

// openRow shows the audit trail of the i-th record's session: its journal
// (steps with times and staff) and its audit log entries.
func (r *recordsScreen) openRow(i int) {
	rec := r.found[i]
	if rec.SessionID == r.opened {
		return
	}
	desk := r.s.desk
	var steps []session.Step
	var entries []audit.Entry
	r.s.runner.Run("監査証跡を読み込んでいます…", false, func(ctx context.Context) error {
		var err error
		if steps, err = desk.Steps(ctx, rec.SessionID); err != nil {
			return err
		}
		entries, err = desk.Audit(ctx, audit.Filter{SessionID: rec.SessionID, Limit: 10000})
		return err
	}, func(err error) {
		if err != nil {
			r.s.showError("監査証跡を読み込めませんでした", err, nil)
			return
		}
		r.showTrail(rec, steps, entries)
	})
}

// showTrail fills the trail panel.
func (r *recordsScreen) showTrail(rec records.Record, steps []session.Step, entries []audit.Entry) {
	r.opened = rec.SessionID
	title := fmt.Sprintf("監査証跡：%s　住民コード %s　%s　結果 %s", rec.Kind, rec.ResidentCode, rec.ResidentName, rec.Result())
	if rec.Serial != "" {
		title += "　シリアル " + rec.Serial
	}
	if state := rec.Cert.Label(); state != "" {
		title += "　証明書 " + state
	}
	r.trailTitle.SetText(title + "　（手続ID " + rec.SessionID + "）")
	lines := []fyne.CanvasObject{}
	add := func(text string) {
		l := widget.NewLabel(text)
		l.Wrapping = fyne.TextWrapWord
		lines = append(lines, l)
	}
	if rec.Reason != "" {
		add("中止・エラーの理由：" + rec.Reason)
	}
	lines = append(lines, boldLabel(fmt.Sprintf("手続の記録（%d件）", len(steps))))
	for _, st := range steps {
		line := fmt.Sprintf("%s　%s　担当 %s", st.At.In(r.loc).Format("2006/01/02 15:04:05"), st.State.Label(), records.StaffLabel(st.Staff, r.names))
		if note := audit.DetailTextIn(audit.Entry{Detail: st.Note}, r.loc); note != "" {
			line += "　" + note
		}
		add(line)
	}
	lines = append(lines, boldLabel(fmt.Sprintf("監査ログ（%d件）", len(entries))))
	for _, e := range entries {
		line := fmt.Sprintf("No.%d　%s　%s　%s", e.Seq, e.At.In(r.loc).Format("2006/01/02 15:04:05"), records.StaffLabel(e.Staff, r.names), recordsActionLabel(e.Action))
		if detail := audit.DetailTextIn(e, r.loc); detail != "" {
			line += "　" + detail
		}
		add(line)
	}
	r.trail.Objects = lines
	r.trail.Refresh()
	r.trailScroll.ScrollToTop()
}

// recordsActionLabel names an audit action in Japanese, with the
// action's identifier.
func recordsActionLabel(action string) string {
	if label := audit.ActionLabel(action); label != action {
		return label + "（" + action + "）"
	}
	return action
}

// recordsProblemLabel names a break in the audit chain in Japanese.
func recordsProblemLabel(k audit.ProblemKind) string {
	switch k {
	case audit.Altered:
		return "内容の改変"
	case audit.BrokenLink:
		return "連鎖の不一致"
	case audit.Gap:
		return "行の欠落・順序の乱れ"
	case audit.HeadMismatch:
		return "末尾の不一致"
	}
	return k.String()
}

// verifyAudit checks the audit trail's hash chain and shows 正常 or 異常
// with where the chain breaks. With a head printed earlier typed in, it
// also checks that the log still holds that head: rows deleted from the
// end together with the head would otherwise pass.
func (r *recordsScreen) verifyAudit() {
	desk := r.s.desk
	printed := strings.TrimSpace(r.printedHead.Text)
	var rep audit.Report
	r.s.runner.Run("監査証跡を検証しています…", false, func(ctx context.Context) error {
		var err error
		if printed != "" {
			rep, err = desk.VerifyAuditAgainst(ctx, printed)
		} else {
			rep, err = desk.VerifyAudit(ctx)
		}
		return err
	}, func(err error) {
		var tamper *audit.TamperError
		switch {
		case err == nil:
			head := hex.EncodeToString(rep.HeadHash)
			if len(head) > 16 {
				head = head[:16]
			}
			text := fmt.Sprintf("監査証跡の検証：正常（監査ログ %d 件、改ざん・欠落なし。末尾 %d 行目 %s）",
				rep.Rows, rep.HeadSeq, head)
			if printed != "" {
				text += "\n印刷した照合コード " + printed + " の時点までの記録が残っていることを確認しました。"
			}
			r.verify.SetText(text)
			r.verify.Importance = widget.SuccessImportance
		case errors.As(err, &tamper):
			text := "監査証跡の検証：異常　" + tamper.UserMessage()
			for i, p := range tamper.Report.Problems {
				if i == 5 {
					text += fmt.Sprintf("\nほか %d か所", len(tamper.Report.Problems)-i)
					break
				}
				text += fmt.Sprintf("\n・%d 行目：%s（%s）", p.Seq, recordsProblemLabel(p.Kind), p.Note)
			}
			r.verify.SetText(text)
			r.verify.Importance = widget.DangerImportance
			r.s.showError("監査証跡に異常があります", err, nil)
		default:
			r.verify.SetText("監査証跡を検証できませんでした：" + userMessage(err, "監査ログを読み込めませんでした。"))
			r.verify.Importance = widget.DangerImportance
		}
		r.verify.Show()
		r.verify.Refresh()
		r.relayout()
	})
}

// printRecordBook prints the record book (交付記録簿) of the period typed
// in the filters, with every record of the period.
func (r *recordsScreen) printRecordBook() {
	from, to, err := r.period()
	if err != nil {
		r.setStatus(userMessage(err, "期間を読み取れません。"))
		return
	}
	r.setStatus("")
	desk, office := r.s.desk, r.s.office()
	start, _ := records.DayRange(from, r.loc)
	_, end := records.DayRange(to, r.loc)
	name := "recordbook-" + recordsCompact(from) + "-" + recordsCompact(to)
	r.s.printDocument("交付記録簿", name, func(ctx context.Context, w io.Writer, font *printing.Font) (printing.Result, error) {
		book, err := desk.RecordBook(ctx, start, end, office)
		if err != nil {
			return printing.Result{}, err
		}
		return printing.WriteRecordBook(w, font, book)
	}, r.setPrinted)
}

// printDailySummary prints the daily summary (日計表) of the period's last
// day.
func (r *recordsScreen) printDailySummary() {
	_, day, err := r.period()
	if err != nil {
		r.setStatus(userMessage(err, "日付を読み取れません。"))
		return
	}
	r.setStatus("")
	desk, office := r.s.desk, r.s.office()
	r.s.printDocument("日計表", "daily-"+recordsCompact(day), func(ctx context.Context, w io.Writer, font *printing.Font) (printing.Result, error) {
		sum, err := desk.DailySummary(ctx, day, office)
		if err != nil {
			return printing.Result{}, err
		}
		return printing.WriteDailySummary(w, font, sum)
	}, r.setPrinted)
}

// setPrinted notes the file of the last printout.
func (r *recordsScreen) setPrinted(path string) { r.printed = path }

// recordsCompact writes d as YYYYMMDD for file names.
func recordsCompact(d forms.Date) string {
	return fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day)
}
