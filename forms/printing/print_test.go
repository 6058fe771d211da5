package printing

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"madoguchi/forms"
)

// squash collapses runs of spaces so that tests do not depend on the
// exact layout pdftotext reconstructs.
func squash(s string) string {
	return regexp.MustCompile(`[ \t]+`).ReplaceAllString(s, " ")
}

// pages splits pdftotext output at form feeds, dropping the empty tail.
func pages(text string) []string {
	p := strings.Split(text, "\f")
	if len(p) > 0 && strings.TrimSpace(p[len(p)-1]) == "" {
		p = p[:len(p)-1]
	}
	return p
}

// wantPageNumber fails unless the page's last line is its number "n / N".
// (pdftotext drops the spaces around the slash of this lone short line.)
func wantPageNumber(t *testing.T, page string, n, total int) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(page), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	re := regexp.MustCompile(fmt.Sprintf(`(^|\s)%d ?/ ?%d$`, n, total))
	if !re.MatchString(last) {
		t.Errorf("page %d ends with %q, want its number %d / %d", n, last, n, total)
	}
}

// wantText fails for each of wants that text lacks.
func wantText(t *testing.T, doc, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s: text lacks %q", doc, w)
		}
	}
}

func TestDocumentsText(t *testing.T) {
	docs := renderAll(t)
	for _, c := range []struct {
		doc   string
		pages int
		wants []string
	}{
		{"application", 1, []string{
			"公的個人認証サービス 電子証明書発行申請書", "千代田区長 様", "申請日 令和8年4月1日",
			"■新規発行", "□更新", "たかはし よしこ", "髙橋 〓子", "昭和37年6月17日 （1962年）",
			"□男 ■女", "東京都千代田区千代田一丁目１番１号", "■有 □無",
			"氏名 1文字目 髙 高", "氏名 4文字目 〓 吉", "高橋 吉子",
			"申請者署名（自署）", "記入日", "本人確認書類", "受付番号 20260401-0007",
			"〓 はフォントにない文字です（2箇所）", "氏名：U+20BB7",
		}},
		{"receipt", 1, []string{
			"電子証明書交付通知書", "髙橋 〓子", "1A2B3C4D5E6F7081",
			"令和8年4月1日 から 令和13年6月17日 まで", "東京都知事", "令和8年4月1日 10:15",
			"千代田区 本庁舎 区民課", "C0012", "失効申請", "03-0000-0000",
			"電子証明書交付通知書（控え）", "受領者署名",
		}},
		{"recordbook", 3, []string{
			"交付記録簿", "令和8年4月1日 ～ 令和8年4月30日", "本庁舎 区民課",
			"令和8年4月1日 8:30 1000000000 山田 太郎 新規発行 0000000000000000 交付 交付 C0012",
			"監査ログの末尾 第1234行 00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f",
			"髙橋 〓子", "合計 60件", "新規発行 31件 更新 15件 失効 7件 暗証番号初期化 7件",
			"交付 45件 中止 8件 エラー 7件", "正常", "印刷者（監督者） S0003",
		}},
		{"summary", 1, []string{
			"交付日計表", "令和8年4月1日（水）", "本庁舎 区民課", "総件数 40件",
			"失効した証明書（理由別） 本人の申請 3件 新たな証明書の発行 2件",
			"監査ログの末尾 第1234行 00010203",
			"新規発行 10 5 5 20", "合計 30 5 5 40", "C0012 新規発行 5 0 5 10", "小計 15 0 5 20",
		}},
	} {
		t.Run(c.doc, func(t *testing.T) {
			d := docs[c.doc]
			text := squash(pdfText(t, d.pdf))
			if d.res.Pages != c.pages {
				t.Errorf("Result.Pages = %d, want %d", d.res.Pages, c.pages)
			}
			ps := pages(text)
			if len(ps) != c.pages {
				t.Fatalf("pdftotext found %d pages, want %d", len(ps), c.pages)
			}
			for i, p := range ps {
				wantPageNumber(t, p, i+1, c.pages)
			}
			// In reading order the number keeps its spaces: "n / N".
			raw := pages(pdfTextMode(t, d.pdf, "-raw"))
			for i, p := range raw {
				re := regexp.MustCompile(fmt.Sprintf(`(?m)(^|\s)%d / %d$`, i+1, c.pages))
				if !re.MatchString(p) {
					t.Errorf("page %d: no line ends with %d / %d", i+1, i+1, c.pages)
				}
			}
			wantText(t, c.doc, text, c.wants...)
		})
	}
}

// TestRecordBookPaging checks the record book's pages against its rows:
// every record printed exactly once and in order, the column titles on
// every page, and the totals, audit check and supervisor only on the last.
func TestRecordBookPaging(t *testing.T) {
	font := testFont(t)
	for _, n := range []int{0, 1, RecordBookRowsPerPage, RecordBookRowsPerPage + 1, 3*RecordBookRowsPerPage - 2} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			book := sampleBook(n)
			var buf bytes.Buffer
			res, err := WriteRecordBook(&buf, font, book)
			if err != nil {
				t.Fatal(err)
			}
			wantPages := (n + RecordBookRowsPerPage - 1) / RecordBookRowsPerPage
			if wantPages == 0 {
				wantPages = 1
			}
			ps := pages(squash(pdfText(t, buf.Bytes())))
			// The closing block may need a page of its own.
			if len(ps) != wantPages && len(ps) != wantPages+1 {
				t.Fatalf("%d pages, want %d or %d", len(ps), wantPages, wantPages+1)
			}
			if res.Pages != len(ps) {
				t.Errorf("Result.Pages = %d, PDF has %d", res.Pages, len(ps))
			}
			rowRE := regexp.MustCompile(`(?m)^\s*(\d+) 令和8年4月\d+日 \d+:\d\d (\d{10}) `)
			next := 1
			for i, p := range ps {
				wantPageNumber(t, p, i+1, len(ps))
				wantText(t, fmt.Sprintf("page %d", i+1), p, "交付記録簿", "印刷者 S0003")
				if i < wantPages {
					wantText(t, fmt.Sprintf("page %d", i+1), p, "No. 日時 住民コード 氏名 申請種別 証明書シリアル番号 結果 証明書の現在の状態 担当者")
				}
				for _, m := range rowRE.FindAllStringSubmatch(p, -1) {
					if m[1] != fmt.Sprint(next) || m[2] != book.Rows[next-1].ResidentCode {
						t.Fatalf("page %d: row %s %s, want row %d %s", i+1, m[1], m[2], next, book.Rows[next-1].ResidentCode)
					}
					next++
				}
				last := i == len(ps)-1
				if got := strings.Contains(p, "監査ログの検証"); got != last {
					t.Errorf("page %d: audit check printed = %v, want %v", i+1, got, last)
				}
				if got := strings.Contains(p, "印刷者（監督者） S0003"); got != last {
					t.Errorf("page %d: supervisor printed = %v, want %v", i+1, got, last)
				}
			}
			if next-1 != n {
				t.Errorf("found %d records, want %d", next-1, n)
			}
			wantText(t, "last page", ps[len(ps)-1], fmt.Sprintf("合計 %d件", n))
			if n == 0 {
				wantText(t, "last page", ps[0], "対象期間に記録はありません。", "合計 0件")
			}
		})
	}
}

func TestRecordBookAuditFailure(t *testing.T) {
	book := sampleBook(3)
	book.Audit = AuditCheck{OK: false, Detail: "記録 812 行目でハッシュが一致しません。"}
	var buf bytes.Buffer
	if _, err := WriteRecordBook(&buf, testFont(t), book); err != nil {
		t.Fatal(err)
	}
	text := squash(pdfText(t, buf.Bytes()))
	wantText(t, "record book", text, "異常 監査ログの改ざんまたは欠落が検出されました", "記録 812 行目でハッシュが一致しません。")
	if strings.Contains(text, "正常") {
		t.Error("a failed audit check is printed as 正常")
	}
}

// TestSummaryCounts checks the daily summary's numbers against counts made
// here from the records.
func TestSummaryCounts(t *testing.T) {
	rows := sampleRows(97)
	s := sampleSummary()
	s.Counts = Tally(rows)
	var buf bytes.Buffer
	if _, err := WriteDailySummary(&buf, testFont(t), s); err != nil {
		t.Fatal(err)
	}
	text := squash(pdfText(t, buf.Bytes()))
	results := []string{"交付", "中止", "エラー"} // in order of first occurrence
	for _, kind := range kindLabels() {
		line := kind
		sum := 0
		for _, res := range results {
			n := 0
			for _, r := range rows {
				if r.Kind == kind && r.Result == res {
					n++
				}
			}
			sum += n
			line += fmt.Sprintf(" %d", n)
		}
		wantText(t, "summary", text, fmt.Sprintf("%s %d\n", line, sum))
	}
	wantText(t, "summary", text, "総件数 97件")
}

func TestTally(t *testing.T) {
	rows := []RecordRow{
		{Clerk: "A", Kind: "新規発行", Result: "交付"},
		{Clerk: "B", Kind: "新規発行", Result: "交付"},
		{Clerk: "A", Kind: "新規発行", Result: "交付"},
		{Clerk: "A", Kind: "失効", Result: "交付"},
	}
	got := Tally(rows)
	want := []Count{{"A", "新規発行", "交付", 2}, {"B", "新規発行", "交付", 1}, {"A", "失効", "交付", 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Tally = %v, want %v", got, want)
	}
}

// TestStoredTextPrintedAsIs checks rule 5: characters the font lacks are
// reported with where they are, shown as 〓, and the rest of the stored text
// is printed unchanged (no normalisation, no substitution).
func TestStoredTextPrintedAsIs(t *testing.T) {
	book := sampleBook(0)
	book.Rows = []RecordRow{
		{ResidentCode: "0000000001", Name: "髙橋　𠮷子", Kind: "新規発行", Result: "交付", Clerk: "C1"},
		{ResidentCode: "0000000002", Name: "葛\U000E0100西　ｶﾀｶﾅ", Kind: "更新", Result: "交付", Clerk: "C1"},
		{ResidentCode: "0000000003", Name: "김민준", Kind: "更新", Result: "交付", Clerk: "C1"},
	}
	var buf bytes.Buffer
	res, err := WriteRecordBook(&buf, testFont(t), book)
	if err != nil {
		t.Fatal(err)
	}
	want := []MissingChar{
		{Char: "𠮷", Code: "U+20BB7", Where: "1行目 氏名", Page: 1, Printed: "〓"},
		{Char: "葛\U000E0100", Code: "U+845B U+E0100", Where: "2行目 氏名", Page: 1, Printed: "葛"},
		{Char: "김", Code: "U+AE40", Where: "3行目 氏名", Page: 1, Printed: "〓"},
		{Char: "민", Code: "U+BBFC", Where: "3行目 氏名", Page: 1, Printed: "〓"},
		{Char: "준", Code: "U+C900", Where: "3行目 氏名", Page: 1, Printed: "〓"},
	}
	if fmt.Sprint(res.Missing) != fmt.Sprint(want) {
		t.Errorf("Missing = %v\nwant      %v", res.Missing, want)
	}
	text := squash(pdfText(t, buf.Bytes()))
	wantText(t, "record book", text,
		"髙橋 〓子",   // 髙 stays 髙
		"葛西 ｶﾀｶﾅ", // half-width kana stay half-width
		"〓〓〓",
		"〓 はフォントにない文字です（5箇所）",
		"1行目 氏名：U+20BB7", "2行目 氏名：U+845B U+E0100", "3行目 氏名：U+AE40",
	)
}

func TestDeterministic(t *testing.T) {
	font := testFont(t)
	app, info := sampleApplication()
	for name, render := range map[string]func(*bytes.Buffer) error{
		"application": func(b *bytes.Buffer) error { _, err := WriteApplication(b, font, app, info); return err },
		"receipt":     func(b *bytes.Buffer) error { _, err := WriteReceipt(b, font, sampleReceipt()); return err },
		"recordbook":  func(b *bytes.Buffer) error { _, err := WriteRecordBook(b, font, sampleBook(100)); return err },
		"summary":     func(b *bytes.Buffer) error { _, err := WriteDailySummary(b, font, sampleSummary()); return err },
	} {
		var a, b bytes.Buffer
		if err := render(&a); err != nil {
			t.Fatal(err)
		}
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two renderings of the same input differ", name)
		}
	}
}

// TestFontSubset checks that the 6 MB font is embedded as a subset.
func TestFontSubset(t *testing.T) {
	for name, d := range renderAll(t) {
		if len(d.pdf) > 150<<10 {
			t.Errorf("%s is %d bytes; the font is not subset", name, len(d.pdf))
		}
		if !bytes.HasPrefix(d.pdf, []byte("%PDF-")) {
			t.Errorf("%s does not start like a PDF", name)
		}
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestErrors(t *testing.T) {
	app, info := sampleApplication()
	font := testFont(t)
	for _, c := range []struct {
		name string
		run  func() error
		is   error
	}{
		{"no font", func() error { _, err := WriteReceipt(&bytes.Buffer{}, nil, sampleReceipt()); return err }, ErrFont},
		{"write fails", func() error { _, err := WriteRecordBook(failWriter{}, font, sampleBook(3)); return err }, ErrRender},
		{"write fails, application", func() error { _, err := WriteApplication(failWriter{}, font, app, info); return err }, ErrRender},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want %v", err, c.is)
			}
			var um interface{ UserMessage() string }
			if !errors.As(err, &um) || um.UserMessage() == "" {
				t.Errorf("%v has no UserMessage", err)
			}
		})
	}
}

// TestApplicationKinds checks the title and the ticked box for each kind.
func TestApplicationKinds(t *testing.T) {
	font := testFont(t)
	app, info := sampleApplication()
	app.Substitutes = forms.Substitutes{}
	app.GivenName = "花子"
	for _, c := range []struct {
		kind  forms.ApplicationKind
		title string
	}{
		{forms.KindNew, "電子証明書発行申請書"},
		{forms.KindRenewal, "電子証明書発行申請書"},
		{forms.KindRevocation, "電子証明書失効申請書"},
		{forms.KindPINReset, "暗証番号初期化申請書"},
	} {
		app.Kind = c.kind
		var buf bytes.Buffer
		res, err := WriteApplication(&buf, font, app, info)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Missing) != 0 {
			t.Errorf("%v: unexpected missing characters %v", c.kind, res.Missing)
		}
		text := squash(pdfText(t, buf.Bytes()))
		wantText(t, c.kind.String(), text, c.title, "■"+c.kind.String(), "□有 ■無", "なし",
			"証明書の氏名 （代替文字が指定されていない文字があります）")
		if n := strings.Count(text, "■"); n != 3 { // the kind, 性別 and 代替文字
			t.Errorf("%v: %d ticked boxes, want 3", c.kind, n)
		}
	}
}

// TestApplicationAddressSubstitute checks that address substitutes index
// the certificate's form of the address and print with their position.
func TestApplicationAddressSubstitute(t *testing.T) {
	app, info := sampleApplication()
	app.Address = "東京都千代田区髙田町1-2"
	app.Substitutes.Address = map[int]string{7: "高"}
	want, _, err := forms.ApplySubstitutes(app.CertificateAddress(), app.Substitutes.Address)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := WriteApplication(&buf, testFont(t), app, info); err != nil {
		t.Fatal(err)
	}
	text := squash(pdfText(t, buf.Bytes()))
	wantText(t, "application", text,
		"東京都千代田区髙田町1-2", // the registry text as stored
		"住所 8文字目 髙 高",
		"証明書の住所 "+want,
	)
}

// TestRepeatedHeaderReportedOnce checks that a missing character in the
// page header is reported once, not on every page.
func TestRepeatedHeaderReportedOnce(t *testing.T) {
	book := sampleBook(3 * RecordBookRowsPerPage)
	book.Office = "𠮷田出張所"
	book.Rows = book.Rows[:0:0]
	for i := 0; i < 3*RecordBookRowsPerPage; i++ {
		book.Rows = append(book.Rows, RecordRow{ResidentCode: fmt.Sprint(i), Name: "山田　太郎", Kind: "更新", Result: "交付", Clerk: "C1"})
	}
	var buf bytes.Buffer
	res, err := WriteRecordBook(&buf, testFont(t), book)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Missing) != 1 || res.Missing[0].Char != "𠮷" || res.Missing[0].Page != 1 {
		t.Errorf("Missing = %v, want 𠮷 once on page 1", res.Missing)
	}
	text := pdfText(t, buf.Bytes())
	if n := strings.Count(text, "〓田出張所"); n != res.Pages {
		t.Errorf("header printed %d times, want %d", n, res.Pages)
	}
}
