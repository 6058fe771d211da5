package printer_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"madoguchi/app/printer"
	"madoguchi/forms"
	"madoguchi/forms/printing"
)

// cupsQueue returns the private CUPS that scripts/test.sh starts (through
// scripts/cupsd.sh): the server socket, the cups-pdf queue and the folder
// it writes to. Without them the test fails in CI and is skipped
// elsewhere.
func cupsQueue(t *testing.T) (server, queue, out string) {
	t.Helper()
	server, queue, out = os.Getenv("CUPS_SERVER"), os.Getenv("MADOGUCHI_CUPS_PRINTER"), os.Getenv("MADOGUCHI_CUPS_OUT")
	if server == "" || queue == "" || out == "" {
		const why = "a private cupsd with a cups-pdf queue (scripts/cupsd.sh; CUPS_SERVER, MADOGUCHI_CUPS_PRINTER, MADOGUCHI_CUPS_OUT)"
		if os.Getenv("CI") != "" {
			t.Fatalf("CI lacks %s", why)
		}
		t.Skipf("needs %s", why)
	}
	return server, queue, out
}

// TestPrintoutsThroughCUPS prints each printout (申請書, 交付通知書,
// 交付記録簿, 日計表) through CUPS to a cups-pdf queue, waits for the
// printed file and reads it back with pdftotext.
func TestPrintoutsThroughCUPS(t *testing.T) {
	server, queue, out := cupsQueue(t)
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils): %v", err)
	}
	font, err := printing.LoadFont("")
	if err != nil {
		t.Fatalf("no Japanese font: %v", err)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	at := time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC).In(tokyo) // 令和8年12月2日 8:30 in Tokyo
	head := printing.AuditHead{Seq: 77, Hash: bytes.Repeat([]byte{0xab}, 32)}
	docs := []struct {
		name   string
		render func(*bytes.Buffer) error
		wants  []string
	}{
		{"application", func(b *bytes.Buffer) error {
			_, err := printing.WriteApplication(b, font, forms.Application{
				Kind: forms.KindNew, FamilyName: "山田", GivenName: "太郎", FamilyKana: "やまだ", GivenKana: "たろう",
				Birth: forms.Date{Year: 1980, Month: 1, Day: 1}, Sex: forms.SexMale, Address: "東京都千代田区本町一丁目",
				AppliedOn: forms.DateOf(at),
			}, printing.ApplicationInfo{Municipality: "窓口市", Office: "市民課", PrintedAt: at})
			return err
		}, []string{"電子証明書発行申請書", "山田", "令和8年12月"}},
		{"receipt", func(b *bytes.Buffer) error {
			_, err := printing.WriteReceipt(b, font, printing.Receipt{Kind: "新規発行", Name: "山田　太郎", Serial: "1A2B3C",
				NotBefore: at, NotAfter: at.AddDate(5, 0, 0), Prefecture: "東京都", Municipality: "窓口市", Office: "市民課",
				IssuedAt: at, Clerk: "窓口 太郎（clerk01）"})
			return err
		}, []string{"電子証明書交付通知書", "1A2B3C", "令和8年12月", "窓口 太郎（clerk01）"}},
		{"recordbook", func(b *bytes.Buffer) error {
			_, err := printing.WriteRecordBook(b, font, printing.RecordBook{Office: "窓口市　市民課", From: at, To: at,
				PrintedBy: "監督 花子（super01）", PrintedAt: at, Audit: printing.AuditCheck{OK: true}, Head: head,
				Rows: []printing.RecordRow{{Time: at, ResidentCode: "12345678901", Name: "山田　太郎", Kind: "新規発行",
					Serial: "1A2B3C", Result: "交付", Status: "失効（本人の申請）", Clerk: "窓口 太郎（clerk01）"}}})
			return err
		}, []string{"交付記録簿", "令和8年12月", "12345678901", "失効（本人の申請）", "第77行 abababab"}},
		{"summary", func(b *bytes.Buffer) error {
			_, err := printing.WriteDailySummary(b, font, printing.DailySummary{Date: at, Office: "窓口市　市民課",
				PrintedBy: "監督 花子（super01）", PrintedAt: at, Head: head,
				Counts:      []printing.Count{{Clerk: "窓口 太郎（clerk01）", Kind: "新規発行", Result: "交付", N: 3}},
				Revocations: []printing.ReasonCount{{Reason: "住所変更", N: 1}}})
			return err
		}, []string{"交付日計表", "令和8年12月", "暗証番号初期化", "住所変更 1件", "第77行 abababab"}},
	}
	p := &printer.Printer{Name: queue, Env: []string{"CUPS_SERVER=" + server}}
	dir := t.TempDir()
	for _, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := d.render(&b); err != nil {
				t.Fatal(err)
			}
			f, err := printer.Create(dir, d.name, at)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(b.Bytes())
			f.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := p.Print(ctx, f.Name(), d.name)
			if err != nil {
				t.Fatal(err)
			}
			if res.Opened || !strings.HasPrefix(res.JobID, queue+"-") || !strings.Contains(res.Message("日計表"), res.JobID) {
				t.Fatalf("result %+v: not a CUPS job of %s", res, queue)
			}
			printed := waitPrinted(t, out, res.JobID)
			text, err := exec.Command(pdftotext, "-layout", printed, "-").Output()
			if err != nil {
				t.Fatalf("pdftotext %s: %v", printed, err)
			}
			got := regexp.MustCompile(`[ \t]+`).ReplaceAllString(string(text), " ")
			for _, w := range d.wants {
				if !strings.Contains(got, w) {
					t.Errorf("printed %s lacks %q", d.name, w)
				}
			}
			if t.Failed() {
				t.Logf("printed text:\n%s", got)
			}
			// CUPS's conversion (PDF → PostScript → cups-pdf's
			// Ghostscript) turns some glyphs into Type 3 fonts without a
			// text mapping, so the page is also compared as an image with
			// what was sent.
			mean, changed := pageDiff(t, f.Name(), printed)
			t.Logf("printed page 1 against the sent one: mean difference %.3f, %.3f%% pixels changed", mean, 100*changed)
			if mean > 3 || changed > 0.025 {
				t.Errorf("printed page 1 differs from the sent one: mean %.3f, %.3f%% pixels changed", mean, 100*changed)
			}
		})
	}
}

// pageDiff renders page 1 of two PDFs at 50 dpi and compares them: the
// mean absolute difference per channel (0–255) and the share of pixels
// that differ by more than a quarter of the range.
func pageDiff(t *testing.T, a, b string) (mean, changed float64) {
	t.Helper()
	render := func(pdf string) image.Image {
		out, err := exec.Command("pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", pdf).Output()
		if err != nil {
			t.Fatalf("pdftoppm %s: %v", pdf, err)
		}
		img, err := png.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	ia, ib := render(a), render(b)
	if sa, sb := ia.Bounds().Size(), ib.Bounds().Size(); sa != sb {
		// A landscape page comes out of the portrait printer turned.
		if sa.X != sb.Y || sa.Y != sb.X {
			t.Fatalf("printed page is %v, sent page %v", sb, sa)
		}
		m1, c1 := compare(ia, rotate(ib, true))
		m2, c2 := compare(ia, rotate(ib, false))
		if m1 < m2 {
			return m1, c1
		}
		return m2, c2
	}
	return compare(ia, ib)
}

// rotate turns img a quarter clockwise (or counter-clockwise).
func rotate(img image.Image, clockwise bool) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := img.At(b.Min.X+x, b.Min.Y+y)
			if clockwise {
				out.Set(b.Dy()-1-y, x, c)
			} else {
				out.Set(y, b.Dx()-1-x, c)
			}
		}
	}
	return out
}

// compare measures two images of the same size.
func compare(ia, ib image.Image) (mean, changed float64) {
	var sum, big, n float64
	for y := 0; y < ia.Bounds().Dy(); y++ {
		for x := 0; x < ia.Bounds().Dx(); x++ {
			r1, g1, b1, _ := ia.At(ia.Bounds().Min.X+x, ia.Bounds().Min.Y+y).RGBA()
			r2, g2, b2, _ := ib.At(ib.Bounds().Min.X+x, ib.Bounds().Min.Y+y).RGBA()
			worst := 0.0
			for _, d := range []float64{diff(r1, r2), diff(g1, g2), diff(b1, b2)} {
				sum += d
				worst = max(worst, d)
			}
			if worst > 64 {
				big++
			}
			n++
		}
	}
	return sum / (3 * n), big / n
}

func diff(a, b uint32) float64 {
	d := float64(a>>8) - float64(b>>8)
	if d < 0 {
		return -d
	}
	return d
}

// waitPrinted waits for cups-pdf's file of a job (…-job_<n>.pdf) to be
// complete in dir.
func waitPrinted(t *testing.T, dir, jobID string) string {
	t.Helper()
	n := jobID[strings.LastIndex(jobID, "-")+1:]
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		matches, _ := filepath.Glob(filepath.Join(dir, "*-job_"+n+".pdf"))
		for _, m := range matches {
			b, err := os.ReadFile(m)
			if err == nil && bytes.Contains(b, []byte("%%EOF")) {
				return m
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("job %s: no printed PDF in %s after 60 s", jobID, dir)
	return ""
}
