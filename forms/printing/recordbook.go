package printing

import (
	"fmt"
	"io"
	"strings"
	"time"

	"madoguchi/forms"
)

// RecordBook is the content of the issuance record book (交付記録簿): the
// issuances of one office over a period, in the order to print them.
type RecordBook struct {
	Office    string    // the office the records belong to, e.g. 千代田区　本庁舎 区民課
	From, To  time.Time // the period; only the dates are printed, both inclusive
	PrintedBy string    // the printing supervisor: name and staff ID
	PrintedAt time.Time // printed on every page and in the PDF metadata
	Audit     AuditCheck
	Head      AuditHead // the audit log's head when printed
	Rows      []RecordRow
}

// AuditHead is the audit log's last sequence number and hash, printed so
// that the log's state is kept outside the database.
type AuditHead struct {
	Seq  int64
	Hash []byte
	// Code is the short form a supervisor types back to check the log
	// later (audit.FormatHead); printed beside the full hash when set.
	Code string
}

// formatHead writes the audit log's head for paper: the sequence number
// and the full hash in hex, in groups of 8 so that it can be read and
// compared by eye.
// Both this form and AuditHead.Code can be typed back into the check
// (audit.ParseHead reads either).
func formatHead(seq int64, head []byte) string {
	h := fmt.Sprintf("%x", head)
	var groups []string
	for len(h) > 8 {
		groups = append(groups, h[:8])
		h = h[8:]
	}
	groups = append(groups, h)
	return fmt.Sprintf("第%d行 %s", seq, strings.Join(groups, " "))
}

// headLine is the printed line of the audit log's head.
func headLine(h AuditHead) string {
	if len(h.Hash) == 0 {
		return ""
	}
	line := "監査ログの末尾　" + formatHead(h.Seq, h.Hash)
	if h.Code != "" {
		line += "　照合コード " + h.Code
	}
	return line
}

// AuditCheck is the result of verifying the audit log's hash chain, as
// printed on the last page.
type AuditCheck struct {
	OK     bool   // the chain is intact
	Detail string // what was checked, or where the chain breaks, in Japanese
}

// RecordRow is one issuance record, with display-ready values.
type RecordRow struct {
	Time         time.Time // when the session ended, in the time zone to print
	ResidentCode string    // 住民コード
	Name         string    // 氏名 as stored in the record
	Kind         string    // 申請種別, e.g. 新規発行 (forms.ApplicationKind.String)
	Serial       string    // the certificate's serial number, or "" when none was issued
	Result       string    // e.g. 交付, 中止, エラー
	Status       string    // the certificate's current state, e.g. 失効（住所変更）; "" when none
	Clerk        string    // the clerk: name and staff ID
}

// recordColumns are the record book's columns: title, width (mm), alignment.
var recordColumns = []struct {
	title string
	w     float64
	align string
}{
	{"No.", 11, "R"},
	{"日時", 34, "C"},
	{"住民コード", 24, "C"},
	{"氏名", 42, "L"},
	{"申請種別", 25, "C"},
	{"証明書シリアル番号", 35, "L"},
	{"結果", 13, "C"},
	{"証明書の現在の状態", 46, "L"},
	{"担当者", 43, "L"},
}

// Record book layout (A4 landscape, millimetres).
const (
	bookMargin   = 12.0
	bookPageW    = 297.0
	bookPageH    = 210.0
	bookTableTop = 31.0
	bookHeadH    = 7.0
	bookRowH     = 6.0
	bookBottom   = bookPageH - 16 // lowest y of the table
	bookCellSize = 9.0            // pt
)

// RecordBookRowsPerPage is how many records fit on one page of the record
// book.
const RecordBookRowsPerPage = int((bookBottom - bookTableTop - bookHeadH) / bookRowH)

// WriteRecordBook prints the issuance record book on A4 landscape pages:
// a page header with the office and the period, a table of the records
// (date and time in 和暦, 住民コード, 氏名, kind, serial, result, the
// certificate's current state, clerk) with its
// column titles repeated on every page, "n / N" page numbers, and on the
// last page the totals, the audit-chain check and the printing supervisor's
// ID.
func WriteRecordBook(w io.Writer, font *Font, b RecordBook) (Result, error) {
	return render(w, font, "交付記録簿", "L", b.PrintedAt, func(d *doc) {
		p := d.pdf
		p.SetMargins(bookMargin, bookMargin, bookMargin)
		period := period(b.From, b.To)
		tableW := 0.0
		for _, c := range recordColumns {
			tableW += c.w
		}
		office := d.textOnce(b.Office, "ページ見出し 窓口")
		printedBy := d.textOnce(b.PrintedBy, "ページ下 印刷者")
		p.SetHeaderFuncMode(func() {
			d.label(bookMargin, 10, 80, 10, "交付記録簿", "L", titleSize)
			d.label(bookMargin+80, 10, tableW-80, 5, "対象期間　"+period, "R", bodySize)
			p.SetXY(bookMargin+80, 15)
			d.fitCell(tableW-80, 5, office(), "", "R", bodySize)
			p.SetLineWidth(boldLine)
			p.Line(bookMargin, 22, bookMargin+tableW, 22)
			p.SetLineWidth(lineWidth)
			d.label(bookMargin, 23.5, tableW, 5, fmt.Sprintf("記録件数 %d件", len(b.Rows)), "L", smallSize)
		}, false)
		p.SetFooterFunc(func() {
			d.label(bookMargin, bookPageH-11, 120, 5, "印刷日時 "+dateTime(b.PrintedAt)+"　印刷者 "+printedBy(), "L", smallSize)
			d.pageNumber()
		})
		tableHead := func() {
			p.SetFillColor(230, 230, 230)
			p.SetXY(bookMargin, bookTableTop)
			d.size(bookCellSize)
			for _, c := range recordColumns {
				p.CellFormat(c.w, bookHeadH, c.title, "1", 0, "C", true, 0, "")
			}
		}
		p.AddPage()
		tableHead()
		y := bookTableTop + bookHeadH
		if len(b.Rows) == 0 {
			d.label(bookMargin, y, tableW, 12, "対象期間に記録はありません。", "C", 11)
			y += 12
		}
		for i, r := range b.Rows {
			if y+bookRowH > bookBottom {
				p.AddPage()
				tableHead()
				y = bookTableTop + bookHeadH
			}
			n := i + 1
			values := []string{
				fmt.Sprint(n), dateTime(r.Time), r.ResidentCode,
				r.Name, r.Kind, r.Serial, r.Result, r.Status, r.Clerk,
			}
			if r.Time.IsZero() {
				values[1] = ""
			}
			if n%2 == 0 {
				p.SetFillColor(245, 245, 245)
				p.Rect(bookMargin, y, tableW, bookRowH, "F")
			}
			p.SetXY(bookMargin, y)
			for j, c := range recordColumns {
				d.cell(c.w, bookRowH, values[j], fmt.Sprintf("%d行目 %s", n, c.title), "LRB", c.align, bookCellSize)
			}
			y += bookRowH
		}
		p.SetY(y + 2)
		d.missingNote(bookBottom)

		// Totals, the audit check and the supervisor: kept together on the
		// last page.
		kindCounts, kindOrder := countBy(b.Rows, func(r RecordRow) string { return r.Kind }, kindLabels())
		resultCounts, resultOrder := countBy(b.Rows, func(r RecordRow) string { return r.Result }, nil)
		const blockH = 56.0
		y = p.GetY() + 3
		if y+blockH > bookPageH-16 {
			p.AddPage()
			y = bookTableTop
		}
		p.SetLineWidth(boldLine)
		p.Line(bookMargin, y, bookMargin+tableW, y)
		p.SetLineWidth(lineWidth)
		y += 2
		d.label(bookMargin, y, 40, 7, "合計", "L", 12)
		d.label(bookMargin+40, y, 60, 7, fmt.Sprintf("%d件", len(b.Rows)), "L", 12)
		y += 8
		d.label(bookMargin, y, 40, 6, "申請種別ごと", "L", bodySize)
		d.value(bookMargin+40, y, tableW-40, 6, tallyLine(kindOrder, kindCounts), "合計 申請種別", "L", bodySize)
		y += 6
		d.label(bookMargin, y, 40, 6, "結果ごと", "L", bodySize)
		d.value(bookMargin+40, y, tableW-40, 6, tallyLine(resultOrder, resultCounts), "合計 結果", "L", bodySize)
		y += 9
		status := "正常　監査ログの連鎖は損なわれていません。"
		if !b.Audit.OK {
			status = "異常　監査ログの改ざんまたは欠落が検出されました。管理者に報告してください。"
		}
		d.label(bookMargin, y, 40, 6, "監査ログの検証", "L", bodySize)
		d.label(bookMargin+40, y, tableW-40, 6, status, "L", bodySize)
		y += 6
		if b.Audit.Detail != "" {
			d.value(bookMargin+40, y, tableW-40, 6, b.Audit.Detail, "監査ログの検証", "L", smallSize+1)
			y += 6
		}
		if line := headLine(b.Head); line != "" {
			d.label(bookMargin+40, y, tableW-40, 6, line, "L", smallSize+1)
			y += 6
		}
		y += 3
		d.label(bookMargin, y, 40, 6, "印刷者（監督者）", "L", bodySize)
		d.value(bookMargin+40, y, 100, 6, b.PrintedBy, "印刷者", "L", bodySize)
		d.label(bookMargin+40, y+6, 100, 6, "印刷日時　"+dateTime(b.PrintedAt), "L", bodySize)
		p.Rect(bookMargin+tableW-25, y-1, 25, 18, "D")
		d.label(bookMargin+tableW-25, y-1, 25, 5, "確認印", "C", smallSize)
	})
}

// period formats a date range in 和暦.
func period(from, to time.Time) string {
	f, t := "", ""
	if !from.IsZero() {
		f = forms.DateOf(from).Wareki()
	}
	if !to.IsZero() {
		t = forms.DateOf(to).Wareki()
	}
	if f == t {
		return f
	}
	return f + " ～ " + t
}

// kindLabels lists the application kinds' labels in printing order.
func kindLabels() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.String()
	}
	return out
}

// countBy counts rows by key. The order lists first the keys of known that
// occur, then the other keys in the order they first occur.
func countBy(rows []RecordRow, key func(RecordRow) string, known []string) (map[string]int, []string) {
	counts := map[string]int{}
	var seen []string
	for _, r := range rows {
		k := key(r)
		if counts[k] == 0 {
			seen = append(seen, k)
		}
		counts[k]++
	}
	return counts, orderKeys(seen, known)
}

// orderKeys puts the keys of known first, in their order, then the rest of
// seen in its order.
func orderKeys(seen, known []string) []string {
	present := map[string]bool{}
	for _, k := range seen {
		present[k] = true
	}
	var out []string
	for _, k := range known {
		if present[k] {
			out = append(out, k)
			delete(present, k)
		}
	}
	for _, k := range seen {
		if present[k] {
			out = append(out, k)
		}
	}
	return out
}

// tallyLine formats counts as "新規発行 12件　更新 3件".
func tallyLine(order []string, counts map[string]int) string {
	if len(order) == 0 {
		return "なし"
	}
	s := ""
	for i, k := range order {
		if i > 0 {
			s += "　"
		}
		label := k
		if label == "" {
			label = "（空欄）"
		}
		s += fmt.Sprintf("%s %d件", label, counts[k])
	}
	return s
}
