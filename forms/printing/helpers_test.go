package printing

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"madoguchi/forms"
	"madoguchi/forms/jpfont"
)

var (
	fontOnce sync.Once
	fontVal  *Font
	fontErr  error
)

// testFont loads the machine's Japanese font once. Without one the test
// fails in CI and is skipped elsewhere, saying why.
func testFont(tb testing.TB) *Font {
	tb.Helper()
	fontOnce.Do(func() { fontVal, fontErr = LoadFont("") })
	if fontErr != nil {
		need(tb, "a Japanese TrueType font ("+jpfont.DebianPackage+"): "+fontErr.Error())
	}
	return fontVal
}

// need fails in CI and skips elsewhere.
func need(tb testing.TB, what string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("CI lacks %s", what)
	}
	tb.Skipf("needs %s", what)
}

// tool returns the path of a poppler-utils command.
func tool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		need(tb, name+" (Debian package poppler-utils)")
	}
	return p
}

// jst is Japan Standard Time, fixed so tests do not depend on tzdata.
var jst = time.FixedZone("JST", 9*3600)

// printedAt is the fixed print time of every test document.
var printedAt = time.Date(2026, 4, 1, 17, 30, 0, 0, jst)

func sampleApplication() (forms.Application, ApplicationInfo) {
	return forms.Application{
			Kind:       forms.KindNew,
			FamilyName: "髙橋", GivenName: "𠮷子",
			FamilyKana: "たかはし", GivenKana: "よしこ",
			Birth:       forms.Date{Year: 1962, Month: 6, Day: 17},
			Sex:         forms.SexFemale,
			Address:     "東京都千代田区千代田一丁目１番１号　窓口ハイツ１０１号",
			Substitutes: forms.Substitutes{Name: map[int]string{0: "高", 3: "吉"}},
			AppliedOn:   forms.Date{Year: 2026, Month: 4, Day: 1},
		}, ApplicationInfo{
			Municipality: "千代田区",
			Office:       "本庁舎 区民課",
			Reference:    "受付番号 20260401-0007",
			PrintedAt:    printedAt,
		}
}

func sampleReceipt() Receipt {
	return Receipt{
		Kind:         "新規発行",
		Name:         "髙橋　𠮷子",
		Serial:       "1A2B3C4D5E6F7081",
		NotBefore:    time.Date(2026, 4, 1, 10, 12, 0, 0, jst),
		NotAfter:     time.Date(2031, 6, 17, 23, 59, 59, 0, jst),
		Prefecture:   "東京都",
		Municipality: "千代田区",
		Office:       "本庁舎 区民課",
		IssuedAt:     time.Date(2026, 4, 1, 10, 15, 0, 0, jst),
		Clerk:        "C0012",
		LostContact:  "区民課 03-0000-0000",
	}
}

var (
	sampleNames   = []string{"山田　太郎", "佐藤　花子", "鈴木　一郎", "髙橋　𠮷子", "渡邉　恵美", "伊藤　翔太", "中村　さくら", "小林　健"}
	sampleKinds   = []string{"新規発行", "新規発行", "更新", "新規発行", "失効", "暗証番号初期化", "新規発行", "更新"}
	sampleResults = []string{"交付", "交付", "交付", "中止", "交付", "交付", "エラー", "交付"}
	sampleClerks  = []string{"C0012", "C0031", "C0012", "C0047"}
)

// sampleRows makes n records spread over April 2026, deterministic.
func sampleRows(n int) []RecordRow {
	rows := make([]RecordRow, n)
	start := time.Date(2026, 4, 1, 8, 30, 0, 0, jst)
	for i := range rows {
		serial := fmt.Sprintf("%016X", uint64(i)*0x9E3779B97F4A7C15)
		res := sampleResults[i%len(sampleResults)]
		if res != "交付" {
			serial = ""
		}
		rows[i] = RecordRow{
			Time:         start.Add(time.Duration(i) * 3 * time.Minute),
			ResidentCode: fmt.Sprintf("%010d", 1000000000+i*7919%9000000000),
			Name:         sampleNames[i%len(sampleNames)],
			Kind:         sampleKinds[i%len(sampleKinds)],
			Serial:       serial,
			Result:       res,
			Clerk:        sampleClerks[i%len(sampleClerks)],
		}
		if res == "交付" {
			rows[i].Status = "交付"
		}
	}
	return rows
}

func sampleBook(n int) RecordBook {
	return RecordBook{
		Office:    "本庁舎 区民課",
		From:      time.Date(2026, 4, 1, 0, 0, 0, 0, jst),
		To:        time.Date(2026, 4, 30, 0, 0, 0, 0, jst),
		PrintedBy: "S0003",
		PrintedAt: printedAt,
		Audit:     AuditCheck{OK: true, Detail: "監査ログ 1,234 行の連鎖を検証しました。"},
		Head:      sampleHead,
		Rows:      sampleRows(n),
	}
}

func sampleSummary() DailySummary {
	return DailySummary{
		Date:        time.Date(2026, 4, 1, 0, 0, 0, 0, jst),
		Office:      "本庁舎 区民課",
		PrintedBy:   "S0003",
		PrintedAt:   printedAt,
		Counts:      Tally(sampleRows(40)),
		Revocations: []ReasonCount{{"本人の申請", 3}, {"新たな証明書の発行", 2}},
		Head:        sampleHead,
	}
}

// sampleHead is an audit head: row 1234, a hash 00 01 02 … 1f.
var sampleHead = AuditHead{Seq: 1234, Hash: func() []byte {
	h := make([]byte, 32)
	for i := range h {
		h[i] = byte(i)
	}
	return h
}()}

// pdfText runs pdftotext -layout on pdf.
func pdfText(tb testing.TB, pdf []byte) string {
	tb.Helper()
	return pdfTextMode(tb, pdf, "-layout")
}

// pdfTextMode runs pdftotext with mode (-layout or -raw) on pdf.
func pdfTextMode(tb testing.TB, pdf []byte, mode string) string {
	tb.Helper()
	bin := tool(tb, "pdftotext")
	dir := tb.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command(bin, mode, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		tb.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// renderPage1 renders the first page of pdf as PNG at 50 dpi.
func renderPage1(tb testing.TB, pdf []byte) []byte {
	tb.Helper()
	bin := tool(tb, "pdftoppm")
	dir := tb.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	root := filepath.Join(dir, "page")
	if out, err := exec.Command(bin, "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", in, root).CombinedOutput(); err != nil {
		tb.Fatalf("pdftoppm: %v: %s", err, out)
	}
	img, err := os.ReadFile(root + ".png")
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

// renderAll renders the four sample documents.
func renderAll(tb testing.TB) map[string]struct {
	pdf []byte
	res Result
} {
	tb.Helper()
	font := testFont(tb)
	out := map[string]struct {
		pdf []byte
		res Result
	}{}
	type job func(*bytes.Buffer) (Result, error)
	app, info := sampleApplication()
	for name, j := range map[string]job{
		"application": func(b *bytes.Buffer) (Result, error) { return WriteApplication(b, font, app, info) },
		"receipt":     func(b *bytes.Buffer) (Result, error) { return WriteReceipt(b, font, sampleReceipt()) },
		"recordbook":  func(b *bytes.Buffer) (Result, error) { return WriteRecordBook(b, font, sampleBook(60)) },
		"summary":     func(b *bytes.Buffer) (Result, error) { return WriteDailySummary(b, font, sampleSummary()) },
	} {
		var b bytes.Buffer
		res, err := j(&b)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		out[name] = struct {
			pdf []byte
			res Result
		}{b.Bytes(), res}
	}
	return out
}
