package ui

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/identity"
	"madoguchi/app/registry"
	"madoguchi/forms"
)

// The records tests make sessions through the app façade as clerk01 (two
// issuances handed over, one abandoned), then work the supervisor's
// records screen through its widgets.

// recordsPIN is the resident PIN of the issuances the tests make.
const recordsPIN = "K8P2M5X9"

// recordsPdftotext returns the path of pdftotext (poppler-utils). Without
// it the test fails on CI and is skipped elsewhere.
func recordsPdftotext(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext (poppler-utils) is needed to read the printed PDFs back")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	return path
}

// recordsPDFText reads a PDF back as text, keeping the layout.
func recordsPDFText(t *testing.T, pdftotext, path string) string {
	t.Helper()
	out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(out)
}

// recordsResidents returns n current demo residents whose name and
// address the certificate carries as they are.
func recordsResidents(t *testing.T, ctx context.Context, s *Shell, n int) []registry.Resident {
	t.Helper()
	var out []registry.Resident
	for _, prefix := range []string{"ta", "ka", "sa", "na", "ha", "ma", "ya", "ra", "wa", "a", "i", "u", "e", "o"} {
		res, err := s.desk.Search(ctx, registry.Query{Kana: prefix, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Residents {
			if r.Status == registry.StatusResident &&
				forms.CheckCharset(forms.CertificateText(r.FamilyName+r.GivenName)) == nil &&
				forms.CheckCharset(forms.CertificateText(r.Address)) == nil {
				out = append(out, r)
				if len(out) == n {
					return out
				}
			}
		}
	}
	t.Fatalf("found %d plain demo residents, want %d", len(out), n)
	return nil
}

// recordsMakeSessions has clerk01 hand a certificate over to the first
// two residents and abandon a session of the third after the identity
// check.
func recordsMakeSessions(t *testing.T, s *Shell) (delivered []registry.Resident, abandoned registry.Resident) {
	t.Helper()
	ctx := context.Background()
	residents := recordsResidents(t, ctx, s, 3)
	desk, err := s.counter.SignIn(ctx, "clerk01", []byte("madoguchi-demo"))
	if err != nil {
		t.Fatal(err)
	}
	license := []identity.Document{identity.NewDocument(identity.DocDriversLicense, "123456789012")}
	start := func(r registry.Resident) string {
		t.Helper()
		a, err := desk.Prefill(ctx, r.Code, forms.KindNew)
		if err != nil {
			t.Fatal(err)
		}
		sess, err := desk.Start(ctx, r.Code, a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := desk.CheckIdentity(ctx, sess.ID, license); err != nil {
			t.Fatalf("identity check of %s: %v", r.Code, err)
		}
		return sess.ID
	}
	for _, r := range residents[:2] {
		id := start(r)
		if _, err := s.counter.InsertBlankCard(); err != nil {
			t.Fatal(err)
		}
		err := func() error {
			card, err := desk.ConnectCard(ctx)
			if err != nil {
				return err
			}
			defer card.Close()
			if err := desk.PrepareCard(ctx, id, card); err != nil {
				return err
			}
			if err := desk.GenerateKey(ctx, id, card, []byte(recordsPIN), []byte(recordsPIN)); err != nil {
				return err
			}
			if _, err := desk.Request(ctx, id); err != nil {
				return err
			}
			if err := desk.Write(ctx, id, card); err != nil {
				return err
			}
			return desk.Deliver(ctx, id)
		}()
		if err != nil {
			t.Fatalf("issuance to %s: %v", r.Code, err)
		}
		if _, err := s.counter.RemoveCard(); err != nil {
			t.Fatal(err)
		}
	}
	if err := desk.Abandon(ctx, start(residents[2]), "住民の申出により中止"); err != nil {
		t.Fatal(err)
	}
	return residents[:2], residents[2]
}

// recordsOn returns the records screen on show.
func recordsOn(t *testing.T, s *Shell, w fyne.Window) *recordsScreen {
	t.Helper()
	r, ok := w.Content().(*recordsScreen)
	if !ok || s.Screen() != "records" {
		t.Fatalf("screen %q is not the records screen", s.Screen())
	}
	return r
}

// recordsColumn returns column col of the listed rows.
func recordsColumn(r *recordsScreen, col int) []string {
	var out []string
	for _, row := range r.rows {
		out = append(out, row[col])
	}
	return out
}

// recordsCount counts the rows whose column col is value.
func recordsCount(r *recordsScreen, col int, value string) int {
	n := 0
	for _, row := range r.rows {
		if row[col] == value {
			n++
		}
	}
	return n
}

// recordsShows reports whether any label on the window contains s.
func recordsShows(w fyne.Window, s string) bool {
	for _, text := range texts(w) {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

// recordsSubmit types text into e (replacing what is there) and presses
// Enter.
func recordsSubmit(s *Shell, e *recordsEntry, text string) {
	e.SetText("")
	test.Type(e, text)
	e.OnSubmitted(e.Text)
	s.runner.Wait()
}

// recordsResult chooses a result in the filter and presses Enter on it.
func recordsResult(s *Shell, r *recordsScreen, label string) {
	r.result.SetSelected(label)
	r.result.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	s.runner.Wait()
}

// recordsClosePopups hides the notices and errors the screen showed.
func recordsClosePopups(w fyne.Window) {
	for _, o := range w.Canvas().Overlays().List() {
		o.Hide()
	}
}

const (
	colName   = 2
	colCode   = 1
	colResult = 5
	colClerk  = 6
	colState  = 7
)

func TestRecordsScreen(t *testing.T) {
	pdftotext := recordsPdftotext(t)
	// The machine is in UTC (TestMain); the municipality works in JST.
	s, w := testShell(t)
	signInAs(t, s, "super01")
	delivered, abandoned := recordsMakeSessions(t, s)

	test.Tap(findButtons(w)["6  交付記録"])
	s.runner.Wait()
	r := recordsOn(t, s, w)

	// Today's records: the two issuances and the abandoned session.
	if len(r.rows) != 3 {
		t.Fatalf("%d rows, want 3: %v (%s %s)", len(r.rows), r.rows, r.count.Text, r.status.Text)
	}
	if n := recordsCount(r, colResult, "交付"); n != 2 {
		t.Errorf("%d rows 交付, want 2: %v", n, recordsColumn(r, colResult))
	}
	if n := recordsCount(r, colResult, "中止"); n != 1 {
		t.Errorf("%d rows 中止, want 1: %v", n, recordsColumn(r, colResult))
	}
	for _, c := range recordsColumn(r, colClerk) {
		if !strings.HasSuffix(c, "（clerk01）") || len(c) <= len("（clerk01）") {
			t.Errorf("clerks %v, want clerk01's name and ID everywhere", recordsColumn(r, colClerk))
			break
		}
	}
	for _, res := range append(append([]registry.Resident{}, delivered...), abandoned) {
		if recordsCount(r, colName, res.Name()) != 1 || recordsCount(r, colCode, res.Code) != 1 {
			t.Errorf("%s %s not listed once: %v", res.Code, res.Name(), r.rows)
		}
		if !recordsShows(w, res.Name()) {
			t.Errorf("the table does not show %s", res.Name())
		}
	}
	for _, row := range r.rows {
		if (row[colResult] == "交付") != (row[4] != "") {
			t.Errorf("row %v: a serial exactly where a certificate was handed over", row)
		}
	}
	if !strings.Contains(r.count.Text, "3件") {
		t.Errorf("count %q, want 3件", r.count.Text)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	for i, rec := range r.found {
		if got, want := r.rows[i][0], rec.At().In(tokyo).Format("2006/01/02 15:04"); got != want || got == rec.At().UTC().Format("2006/01/02 15:04") {
			t.Errorf("row %d shows %q, want %q (JST, not the machine's UTC)", i, got, want)
		}
		if i > 0 && rec.At().Before(r.found[i-1].At()) {
			t.Errorf("row %d is before row %d", i, i-1)
		}
		if want := map[string]string{"交付": "交付", "中止": ""}[r.rows[i][colResult]]; r.rows[i][colState] != want {
			t.Errorf("row %d: certificate state %q, want %q", i, r.rows[i][colState], want)
		}
	}

	// Choosing a result searches at once, without Enter.
	r.result.SetSelected("中止")
	s.runner.Wait()
	if len(r.rows) != 1 || r.rows[0][colCode] != abandoned.Code {
		t.Fatalf("choosing 中止 lists %v, want %s only", r.rows, abandoned.Code)
	}
	r.result.SetSelected("すべて")
	s.runner.Wait()
	if len(r.rows) != 3 {
		t.Fatalf("choosing すべて lists %d rows", len(r.rows))
	}

	// Filters: result, resident, clerk.
	recordsResult(s, r, "中止")
	if len(r.rows) != 1 || r.rows[0][colCode] != abandoned.Code {
		t.Fatalf("中止 lists %v, want %s only", r.rows, abandoned.Code)
	}
	recordsResult(s, r, "交付・完了")
	if len(r.rows) != 2 || recordsCount(r, colResult, "交付") != 2 {
		t.Fatalf("交付・完了 lists %v", r.rows)
	}
	recordsResult(s, r, "エラー")
	if len(r.rows) != 0 || !strings.Contains(r.count.Text, "該当する記録はありません") {
		t.Fatalf("エラー lists %v (%s)", r.rows, r.count.Text)
	}
	recordsResult(s, r, "すべて")
	recordsSubmit(s, r.resident, delivered[1].Code)
	if len(r.rows) != 1 || r.rows[0][colCode] != delivered[1].Code || r.rows[0][colResult] != "交付" {
		t.Fatalf("住民コード %s lists %v", delivered[1].Code, r.rows)
	}
	recordsSubmit(s, r.resident, "")
	recordsSubmit(s, r.clerk, "super01")
	if len(r.rows) != 0 {
		t.Fatalf("担当者 super01 lists %v", r.rows)
	}
	recordsSubmit(s, r.clerk, "clerk01")
	if len(r.rows) != 3 {
		t.Fatalf("担当者 clerk01 lists %d rows", len(r.rows))
	}

	// Dates the screen cannot use are explained, not searched.
	recordsSubmit(s, r.to, "2026-13-40")
	if r.status.Hidden || r.status.Text == "" {
		t.Fatalf("no message for a bad date")
	}
	recordsSubmit(s, r.to, "2001-01-01")
	if !strings.Contains(r.status.Text, "終了日が開始日より前") {
		t.Fatalf("status %q for an end before the start", r.status.Text)
	}
	recordsSubmit(s, r.to, r.from.Text)
	if !r.status.Hidden || len(r.rows) != 3 {
		t.Fatalf("status %q, %d rows after correcting the date", r.status.Text, len(r.rows))
	}

	// Opening a row shows the session's journal and audit entries.
	row := -1
	for i, cells := range r.rows {
		if cells[colCode] == delivered[0].Code {
			row = i
		}
	}
	r.table.Select(widget.TableCellID{Row: row, Col: 0})
	s.runner.Wait()
	if !strings.Contains(r.trailTitle.Text, delivered[0].Code) {
		t.Fatalf("trail title %q, want %s", r.trailTitle.Text, delivered[0].Code)
	}
	for _, want := range []string{"申請受付", "本人確認", "カード準備", "鍵生成", "書込", "交付", "（clerk01）", "session.delivered", "手続の記録（8件）",
		"本人確認書類：運転免許証", "交付：シリアル"} {
		if !recordsShows(w, want) {
			t.Errorf("the trail does not show %q: %v", want, texts(w))
		}
	}
	// The keyboard: Down (or Up) moves to the next row, Enter opens it.
	next, key := row+1, fyne.KeyDown
	if next == len(r.rows) {
		next, key = row-1, fyne.KeyUp
	}
	r.table.TypedKey(&fyne.KeyEvent{Name: key})
	r.table.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	s.runner.Wait()
	want := r.rows[next][colCode]
	if !strings.Contains(r.trailTitle.Text, want) {
		t.Fatalf("trail title %q after selecting row %d, want %s", r.trailTitle.Text, next, want)
	}
	for i := range r.rows {
		if r.rows[i][colCode] == abandoned.Code {
			r.table.Select(widget.TableCellID{Row: i, Col: 0})
		}
	}
	s.runner.Wait()
	for _, want := range []string{"中止", "住民の申出により中止", "session.abandoned"} {
		if !recordsShows(w, want) {
			t.Errorf("the abandoned session's trail does not show %q", want)
		}
	}

	// The audit chain is intact.
	test.Tap(findButtons(w)["監査証跡の検証"])
	s.runner.Wait()
	if !strings.Contains(r.verify.Text, "正常") || r.verify.Hidden {
		t.Fatalf("verification says %q", r.verify.Text)
	}

	// The record book of the period and the day's summary.
	day := forms.DateOf(time.Now().In(s.counter.Config().Location()))
	jobs := spooled.count()
	test.Tap(findButtons(w)["交付記録簿を印刷"])
	s.runner.Wait()
	if !recordsShows(w, "交付記録簿をtest-queueに送りました（ジョブ ID test-queue-") {
		t.Fatalf("no notice with the job after printing the record book: %v", texts(w))
	}
	recordsClosePopups(w)
	if got := spooled.since(jobs); len(got) != 1 || got[0] != r.printed {
		t.Fatalf("printed %v, screen says %q", got, r.printed)
	}
	book := recordsPDFText(t, pdftotext, r.printed)
	for _, want := range []string{"交付記録簿", "記録件数 3件", "交付 2件", "中止 1件", "正常", delivered[0].Code, "clerk01", "super01", "監査ログの末尾"} {
		if !strings.Contains(book, want) {
			t.Errorf("the record book does not show %q:\n%s", want, book)
		}
	}
	// The header names the municipality once: not "窓口 窓口市 窓口".
	if m := s.counter.Config().Municipality; !strings.Contains(book, m) || strings.Contains(book, "窓口 "+m) || strings.Contains(book, m+" 窓口") {
		t.Errorf("the header does not name %s once:\n%s", m, book)
	}
	// pdftotext may render the ideographic space between 氏 and 名 as a space.
	if name := delivered[0].FamilyName; !strings.Contains(book, name) {
		t.Errorf("the record book does not show %s:\n%s", name, book)
	}

	test.Tap(findButtons(w)["日計表を印刷"])
	s.runner.Wait()
	recordsClosePopups(w)
	firstDaily := r.printed
	daily := recordsPDFText(t, pdftotext, firstDaily)
	for _, want := range []string{"日計表", day.Wareki(), "clerk01", "交付", "中止", "super01", "新規 2件", "中止 1件", "監査ログの末尾"} {
		if !strings.Contains(daily, want) {
			t.Errorf("the daily summary does not show %q:\n%s", want, daily)
		}
	}
	if got := recordsDailyTotals(daily); got["交付"] != "2" || got["中止"] != "1" || got["計"] != "3" {
		t.Errorf("the daily summary counts %v, want 交付 2, 中止 1, 計 3:\n%s", got, daily)
	}
	// Printing again makes a new file; the first stays as it was.
	before, err := os.ReadFile(firstDaily)
	if err != nil {
		t.Fatal(err)
	}
	test.Tap(findButtons(w)["日計表を印刷"])
	s.runner.Wait()
	recordsClosePopups(w)
	if r.printed == firstDaily || r.printed == "" {
		t.Fatalf("the second 日計表 went to %q, the first was %q", r.printed, firstDaily)
	}
	if after, err := os.ReadFile(firstDaily); err != nil || string(after) != string(before) {
		t.Fatalf("the first 日計表 changed or vanished: %v", err)
	}

	// Esc goes home, from an entry as from the window.
	w.Canvas().Focus(r.clerk)
	r.clerk.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if s.Screen() != "home" {
		t.Fatalf("screen %q after Esc", s.Screen())
	}
}

// recordsDailyTotals reads the daily summary's first table: the result
// columns of its header line and the numbers of its 合計 line.
func recordsDailyTotals(text string) map[string]string {
	var head []string
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 1 && f[0] == "申請種別" && head == nil:
			head = f[1:]
		case len(f) > 1 && f[0] == "合計" && head != nil:
			out := map[string]string{}
			for i, n := range f[1:] {
				if i < len(head) {
					out[head[i]] = n
				}
			}
			return out
		}
	}
	return nil
}

func TestRecordsRefusedToAClerk(t *testing.T) {
	s, w := testShell(t)
	signInAs(t, s, "clerk01")
	if findButtons(w)["6  交付記録"] != nil {
		t.Fatal("the home screen offers the records to a clerk")
	}
	s.showRecords()
	s.runner.Wait()
	r := recordsOn(t, s, w)
	if len(r.rows) != 0 || !strings.Contains(r.status.Text, "監督者の権限が必要です") || r.status.Hidden {
		t.Fatalf("a clerk sees %d rows, status %q", len(r.rows), r.status.Text)
	}
	test.Tap(findButtons(w)["交付記録簿を印刷"])
	s.runner.Wait()
	if !recordsShows(w, "監督者の権限が必要です") {
		t.Fatalf("printing the record book as a clerk: %v", texts(w))
	}
	recordsClosePopups(w)
	test.Tap(findButtons(w)["監査証跡の検証"])
	s.runner.Wait()
	if strings.Contains(r.verify.Text, "正常") || !strings.Contains(r.verify.Text, "監督者の権限が必要です") {
		t.Fatalf("verification as a clerk says %q", r.verify.Text)
	}
	dir, err := s.printDir()
	if err != nil {
		t.Fatal(err)
	}
	if pdfs, _ := filepath.Glob(filepath.Join(dir, "*.pdf")); len(pdfs) != 0 {
		t.Fatalf("a clerk printed %v", pdfs)
	}
}

func TestRecordsVerificationFindsATamperedTrail(t *testing.T) {
	s, w := testShell(t)
	signInAs(t, s, "super01")
	// Someone with the database file rewrites a row of the audit log.
	db, err := sql.Open("sqlite", s.counter.Config().DatabasePath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET detail = 'rewritten' WHERE seq = 1"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.showRecords()
	s.runner.Wait()
	r := recordsOn(t, s, w)
	test.Tap(findButtons(w)["監査証跡の検証"])
	s.runner.Wait()
	for _, want := range []string{"異常", "1 行目", "内容の改変"} {
		if !strings.Contains(r.verify.Text, want) {
			t.Errorf("verification says %q, want %q", r.verify.Text, want)
		}
	}
	if !recordsShows(w, "監査証跡に異常があります") {
		t.Errorf("no alert for a tampered trail")
	}
}

// A head printed earlier and typed back catches rows deleted from the end
// together with the head, which the chain alone cannot see.
func TestRecordsVerificationAgainstAPrintedHead(t *testing.T) {
	s, w := testShell(t)
	signInAs(t, s, "super01")
	ctx := context.Background()
	printed, err := s.desk.AuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.showRecords()
	s.runner.Wait()
	r := recordsOn(t, s, w)
	verify := func(code string) {
		t.Helper()
		r.printedHead.SetText(code)
		test.Tap(findButtons(w)["監査証跡の検証"])
		s.runner.Wait()
	}
	verify(printed)
	if !strings.Contains(r.verify.Text, "正常") || !strings.Contains(r.verify.Text, printed) {
		t.Fatalf("the current head typed back: %q", r.verify.Text)
	}
	verify("No.1 0000-0000-0000-0000 zz")
	if strings.Contains(r.verify.Text, "正常") {
		t.Fatalf("a mistyped code passed: %q", r.verify.Text)
	}

	// Someone deletes the last rows and the head row with them.
	db, err := sql.Open("sqlite", s.counter.Config().DatabasePath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var last int64
	if err := db.QueryRow("SELECT max(seq) FROM audit_log").Scan(&last); err != nil {
		t.Fatal(err)
	}
	var triggers []string
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit_log', 'audit_head')")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		triggers = append(triggers, n)
	}
	rows.Close()
	for _, n := range triggers {
		if _, err := db.Exec("DROP TRIGGER " + n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("DELETE FROM audit_log WHERE seq > ?", last-3); err != nil {
		t.Fatal(err)
	}
	db.Exec("DELETE FROM audit_head")
	verify(printed)
	if strings.Contains(r.verify.Text, "正常") {
		t.Fatalf("rows deleted after the printed head passed: %q", r.verify.Text)
	}
}
