package printing

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"madoguchi/forms"
)

// DailySummary is the content of the daily summary (日計表) of one office.
type DailySummary struct {
	Date        time.Time     // the day summarised; only the date is printed
	Office      string        // e.g. 千代田区　本庁舎 区民課
	PrintedBy   string        // the printing supervisor: name and staff ID
	PrintedAt   time.Time     // printed and written in the PDF metadata
	Counts      []Count       // how many sessions each clerk ended with each kind and result
	Revocations []ReasonCount // certificates revoked that day, by reason (at the counter or at the CA)
	Head        AuditHead     // the audit log's head when printed
	// Notices counts the day's registry change notices (異動等情報) by
	// their state now; nil leaves the line out.
	Notices *NoticeCount
}

// NoticeCount is how many change notices of a day were sent to the CA,
// are still waiting, and were refused or failed.
type NoticeCount struct {
	Sent, Pending, Failed int
}

// ReasonCount is how many certificates were revoked for one reason.
type ReasonCount struct {
	Reason string // in Japanese, e.g. 住所変更
	N      int
}

// Headline is one of the day's headline figures: how many sessions of a
// kind were completed, or how many were abandoned (中止).
type Headline struct {
	Label string // 新規, 更新, 失効, 暗証番号初期化 or 中止
	N     int
}

// Headlines are the figures a supervisor reads first: the completed
// sessions of each kind (新規, 更新, 失効, 暗証番号初期化, whatever the
// result was called) and the abandoned ones (中止) of any kind.
func Headlines(counts []Count) []Headline {
	out := []Headline{{"新規", 0}, {"更新", 0}, {"失効", 0}, {"暗証番号初期化", 0}, {"中止", 0}}
	slot := map[string]int{
		forms.KindNew.String(): 0, forms.KindRenewal.String(): 1,
		forms.KindRevocation.String(): 2, forms.KindPINReset.String(): 3,
	}
	for _, c := range counts {
		switch c.Result {
		case "交付", "完了":
			if i, ok := slot[c.Kind]; ok {
				out[i].N += c.N
			}
		case "中止":
			out[4].N += c.N
		}
	}
	return out
}

// Count is the number of sessions of one clerk, kind and result. Several
// Counts with the same key add up.
type Count struct {
	Clerk  string // staff ID
	Kind   string // e.g. 新規発行 (forms.ApplicationKind.String)
	Result string // e.g. 交付
	N      int
}

// Tally counts records by clerk, kind and result, in the order each key
// first occurs.
func Tally(rows []RecordRow) []Count {
	idx := map[Count]int{}
	var out []Count
	for _, r := range rows {
		k := Count{Clerk: r.Clerk, Kind: r.Kind, Result: r.Result}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, k)
		}
		out[i].N++
	}
	return out
}

// Daily summary layout (A4 portrait, millimetres).
const (
	sumRowH   = 7.0
	sumBottom = 297 - margin - 8
)

// WriteDailySummary prints the daily summary: the headline figures
// (Headlines) and the revocations by reason, the counts per application
// kind and result with totals, the same per clerk with subtotals, and the
// printing supervisor with a box for the approver's seal, and the audit
// log's head.
func WriteDailySummary(w io.Writer, font *Font, s DailySummary) (Result, error) {
	return render(w, font, "日計表", "P", s.PrintedAt, func(d *doc) {
		p := d.pdf
		left := margin
		width := 210 - 2*margin
		day := ""
		if !s.Date.IsZero() {
			day = forms.DateOf(s.Date).Wareki() + "（" + weekday(s.Date) + "）"
		}
		printedBy := d.textOnce(s.PrintedBy, "ページ下 印刷者")
		p.SetFooterFunc(func() {
			d.label(left, 297-11, 120, 5, "印刷日時 "+dateTime(s.PrintedAt)+"　印刷者 "+printedBy(), "L", smallSize)
			d.pageNumber()
		})
		p.AddPage()
		d.label(left, 14, width, 10, "電子証明書 交付日計表", "C", titleSize)
		d.label(left, 26, width, 6, "対象日　"+day, "L", 11)
		d.value(left, 32, width, 6, s.Office, "窓口", "L", 11)

		// The headline figures, and the revocations by reason.
		var parts []string
		for _, h := range Headlines(s.Counts) {
			parts = append(parts, fmt.Sprintf("%s %d件", h.Label, h.N))
		}
		d.label(left, 38, width, 6, strings.Join(parts, "　"), "L", 11)
		revoked := "失効した証明書（理由別）　なし"
		if len(s.Revocations) > 0 {
			var rs []string
			for _, r := range s.Revocations {
				rs = append(rs, fmt.Sprintf("%s %d件", blankLabel(r.Reason), r.N))
			}
			revoked = "失効した証明書（理由別）　" + strings.Join(rs, "　")
		}
		d.value(left, 44, width, 6, revoked, "失効理由", "L", bodySize)
		if n := s.Notices; n != nil {
			d.label(left, 49, width, 5, fmt.Sprintf("異動等情報の通知　送信済 %d件　未送信 %d件　失敗 %d件", n.Sent, n.Pending, n.Failed), "L", bodySize)
		}

		var kindKeys, resultKeys, clerkKeys []string
		total := 0
		byKind := map[[2]string]int{}         // kind, result
		byClerk := map[[3]string]int{}        // clerk, kind, result
		clerkKinds := map[string][]string{}   // clerk → kinds in order of occurrence
		seenClerkKind := map[[2]string]bool{} // clerk, kind
		seen := map[string]bool{}
		for _, c := range s.Counts {
			for _, k := range []struct {
				prefix string
				key    string
				keys   *[]string
			}{{"k", c.Kind, &kindKeys}, {"r", c.Result, &resultKeys}, {"c", c.Clerk, &clerkKeys}} {
				if !seen[k.prefix+k.key] {
					seen[k.prefix+k.key] = true
					*k.keys = append(*k.keys, k.key)
				}
			}
			if !seenClerkKind[[2]string{c.Clerk, c.Kind}] {
				seenClerkKind[[2]string{c.Clerk, c.Kind}] = true
				clerkKinds[c.Clerk] = append(clerkKinds[c.Clerk], c.Kind)
			}
			byKind[[2]string{c.Kind, c.Result}] += c.N
			byClerk[[3]string{c.Clerk, c.Kind, c.Result}] += c.N
			total += c.N
		}
		kindKeys = orderKeys(kindKeys, kindLabels())
		sort.Strings(clerkKeys)

		// Columns: the row titles, one per result, and the total.
		resultW := (width - 70) / float64(len(resultKeys)+1)
		if resultW > 25 {
			resultW = 25
		}
		y := 54.0
		// titles are the current table's row-title columns: one 70 mm
		// column, or two of 35 mm.
		var titles []string
		head := func() {
			p.SetFillColor(230, 230, 230)
			p.Rect(left, y, 70+resultW*float64(len(resultKeys)+1), sumRowH, "F")
			p.SetXY(left, y)
			d.size(bodySize)
			for _, t := range titles {
				p.CellFormat(70/float64(len(titles)), sumRowH, t, "1", 0, "C", true, 0, "")
			}
			for _, r := range resultKeys {
				d.cell(resultW, sumRowH, blankLabel(r), "結果の見出し", "1", "C", bodySize)
			}
			p.CellFormat(resultW, sumRowH, "計", "1", 0, "C", true, 0, "")
			y += sumRowH
		}
		// line prints one table row; bold marks a total.
		line := func(first, second string, count func(result string) int, where string, fill bool) {
			if y+sumRowH > sumBottom {
				p.AddPage()
				y = margin
				head()
			}
			if fill {
				p.SetFillColor(245, 245, 245)
				p.Rect(left, y, 70+resultW*float64(len(resultKeys)+1), sumRowH, "F")
			}
			p.SetXY(left, y)
			if len(titles) == 1 {
				d.cell(70, sumRowH, first, where, "1", "C", bodySize)
			} else {
				d.cell(35, sumRowH, first, where, "1", "C", bodySize)
				d.cell(35, sumRowH, second, where, "1", "C", bodySize)
			}
			sum := 0
			for _, r := range resultKeys {
				n := count(r)
				sum += n
				p.CellFormat(resultW, sumRowH, fmt.Sprint(n), "1", 0, "R", false, 0, "")
			}
			p.CellFormat(resultW, sumRowH, fmt.Sprint(sum), "1", 0, "R", false, 0, "")
			y += sumRowH
		}

		d.label(left, y, width, 7, "1. 申請種別・結果別の件数", "L", 11)
		y += 8
		if total == 0 {
			d.label(left, y, width, 10, "この日の記録はありません。", "L", 11)
			y += 12
		} else {
			titles = []string{"申請種別"}
			head()
			for _, k := range kindKeys {
				k := k
				line(blankLabel(k), "", func(r string) int { return byKind[[2]string{k, r}] }, "申請種別 "+k, false)
			}
			line("合計", "", func(r string) int {
				n := 0
				for _, k := range kindKeys {
					n += byKind[[2]string{k, r}]
				}
				return n
			}, "", true)

			y += 6
			d.label(left, y, width, 7, "2. 担当者別の件数", "L", 11)
			y += 8
			titles = []string{"担当者", "申請種別"}
			head()
			for _, c := range clerkKeys {
				c := c
				ks := orderKeys(clerkKinds[c], kindLabels())
				for i, k := range ks {
					k := k
					first := ""
					if i == 0 {
						first = blankLabel(c)
					}
					line(first, blankLabel(k), func(r string) int { return byClerk[[3]string{c, k, r}] }, "担当者 "+c, false)
				}
				line("", "小計", func(r string) int {
					n := 0
					for _, k := range ks {
						n += byClerk[[3]string{c, k, r}]
					}
					return n
				}, "", true)
			}
		}

		p.SetY(y + 2)
		d.missingNote(sumBottom)
		y = p.GetY() + 4
		if y+32 > sumBottom {
			p.AddPage()
			y = margin
		}
		d.label(left, y, 30, 6, "総件数", "L", 11)
		d.label(left+30, y, 50, 6, fmt.Sprintf("%d件", total), "L", 11)
		d.label(left, y+8, 30, 6, "印刷者", "L", bodySize)
		d.value(left+30, y+8, 80, 6, s.PrintedBy, "印刷者", "L", bodySize)
		if line := headLine(s.Head); line != "" {
			d.label(left, y+24, width, 6, line, "L", smallSize+1)
		}
		for i, t := range []string{"担当", "監督者"} {
			x := left + width - 50 + float64(i)*25
			p.Rect(x, y, 25, 22, "D")
			d.label(x, y, 25, 5, t, "C", smallSize)
		}
	})
}

// blankLabel prints an empty key as （空欄）.
func blankLabel(s string) string {
	if s == "" {
		return "（空欄）"
	}
	return s
}

// weekday is the Japanese day of the week of t.
func weekday(t time.Time) string {
	return [...]string{"日", "月", "火", "水", "木", "金", "土"}[t.Weekday()]
}
