package ui

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"madoguchi/app"
	"madoguchi/app/config"
	"madoguchi/app/registry"
	"madoguchi/app/staff"
	"madoguchi/forms/jpfont"
)

// soakIssuances is how many issuances BenchmarkSoakIssuances runs per
// benchmark iteration; MADOGUCHI_SOAK overrides it for a quick look.
const soakIssuances = 100

// BenchmarkSoakIssuances walks issuances through the widgets on the
// embedded default with the emulated card and the Japanese theme — search,
// form, identity, card, the resident's PIN screen, 交付, the receipt — and
// reports the process's resident memory at the start and after the last
// issuance (target ≤ 250 MB at the end).
//
// Fyne destroys a widget's renderer a minute after it was last drawn
// (FYNE_CACHE, read when the process starts). The soak runs 100 issuances
// in a minute or two where a counter takes a day, so with the default every
// screen of the run would still be cached at the end. The benchmark
// therefore runs itself again in a child process with FYNE_CACHE=5s, which
// keeps Fyne's expiry in proportion to the compressed time, and reports the
// child's figures.
func BenchmarkSoakIssuances(b *testing.B) {
	if os.Getenv("FYNE_CACHE") == "" {
		soakInChild(b)
		return
	}
	n := soakIssuances
	if v, err := strconv.Atoi(os.Getenv("MADOGUCHI_SOAK")); err == nil && v > 0 {
		n = v
	}
	font, err := jpfont.Find("")
	if err != nil {
		b.Fatal(err)
	}
	a := test.NewApp()
	defer a.Quit()
	a.Settings().SetTheme(NewTheme(font.Path, font.Data))
	mj, err := jpfont.FindMJ("")
	if err != nil {
		b.Fatal(err)
	}
	if err := UseFonts(font.Data, mj); err != nil {
		b.Fatal(err)
	}
	w := test.NewWindow(nil)
	defer w.Close()
	w.Resize(WindowSize)
	c, err := app.Open(context.Background(), config.Default(b.TempDir()), app.Options{StaffParams: &cheapStaff})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.Setenv("HOME", b.TempDir()) // receipts go under the temp home
	rare := soakImportRare(b, w, c, max(n/5, 1))
	s := NewShell(w, c)
	s.noBackground = true
	test.Type(s.signInID, "clerk01")
	test.Type(s.signInPassword, staff.DemoPassword)
	s.signInPassword.OnSubmitted(s.signInPassword.Text)
	s.runner.Wait()
	if s.Screen() != "home" {
		b.Fatalf("screen %q after signing in: %s", s.Screen(), s.signInError.Text)
	}
	residents := soakResidents(b, s, n, rare)

	runtime.GC()
	startRSS := vmRSSKiB()
	for b.Loop() {
		for i := 0; i < n; i++ {
			soakIssue(b, s, residents[i%len(residents)])
			if (i+1)%10 == 0 {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				b.Logf("%d issuances: RSS %d MB, Go heap in use %d MB", i+1, vmRSSKiB()/1024, ms.HeapInuse>>20)
			}
		}
	}
	runtime.GC()
	endRSS := vmRSSKiB()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(startRSS)/1024, "start-RSS-MB")
	b.ReportMetric(float64(endRSS)/1024, "end-RSS-MB")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-inuse-MB")
	b.ReportMetric(float64(n), "issuances")
	if endRSS > 250*1024 {
		b.Errorf("resident memory %d MB after %d issuances, target ≤ 250 MB", endRSS/1024, n)
	}
}

// progressLine is the child's progress log, "10 issuances: RSS …".
var progressLine = regexp.MustCompile(`\d+ issuances: RSS.*`)

// soakInChild runs BenchmarkSoakIssuances in a child process with
// FYNE_CACHE=5s and reports its metrics.
func soakInChild(b *testing.B) {
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkSoakIssuances$", "-test.benchtime=1x", "-test.v")
		cmd.Env = append(os.Environ(), "FYNE_CACHE=5s")
		out, err := cmd.CombinedOutput()
		var metrics []string
		for _, line := range strings.Split(string(out), "\n") {
			if m := progressLine.FindString(line); m != "" {
				b.Log(m)
			}
			if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[0], "BenchmarkSoakIssuances") {
				metrics = f
			}
		}
		if err != nil || metrics == nil {
			b.Fatalf("soak in a child process: %v\n%s", err, out)
		}
		b.StopTimer()
		for i := 2; i+1 < len(metrics); i += 2 {
			if v, err := strconv.ParseFloat(metrics[i], 64); err == nil && metrics[i+1] != "ns/op" {
				b.ReportMetric(v, metrics[i+1])
			}
		}
		b.StartTimer()
	}
}

// soakImportRare signs a supervisor in and imports n residents named
// 𠮷田, a character only the MJ font draws: a real registry has them, the
// demo registry has none. It returns their codes.
func soakImportRare(b *testing.B, w fyne.Window, c *app.Counter, n int) []string {
	s := NewShell(w, c)
	s.noBackground = true
	test.Type(s.signInID, "super01")
	test.Type(s.signInPassword, staff.DemoPassword)
	s.signInPassword.OnSubmitted(s.signInPassword.Text)
	s.runner.Wait()
	if s.desk == nil {
		b.Fatalf("supervisor not signed in: %s", s.signInError.Text)
	}
	var csv strings.Builder
	csv.WriteString("住民コード,氏,名,氏（フリガナ）,名（フリガナ）,生年月日,性別,住所,状態,異動日\n")
	var codes []string
	for i := 0; i < n; i++ {
		base := fmt.Sprintf("99%08d", i)
		code := base + string(registry.CheckDigit(base))
		codes = append(codes, code)
		fmt.Fprintf(&csv, "%s,𠮷田,太郎,ヨシダ,タロウ,昭和50年4月%d日,男,東京都窓口市本町一丁目２番３号,住民,\n", code, i%28+1)
	}
	if _, err := s.desk.ImportRegistry(context.Background(), strings.NewReader(csv.String()), registry.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	return codes
}

// soakResidents returns n residents: the rare ones (one issuance in five)
// among eligible demo residents.
func soakResidents(b *testing.B, s *Shell, n int, rareCodes []string) []registry.Resident {
	var out []registry.Resident
	seen := map[string]bool{}
	var rare []registry.Resident
	for _, code := range rareCodes {
		res, err := s.desk.Search(context.Background(), registry.Query{Code: code})
		if err != nil || len(res.Residents) != 1 {
			b.Fatalf("imported resident %s: %v", code, err)
		}
		rare = append(rare, res.Residents[0])
	}
	defer func() {
		// Interleave: every fifth issuance is for a rare name.
		for i := 0; i < len(rare) && 5*i <= len(out); i++ {
			out = append(out[:5*i], append([]registry.Resident{rare[i]}, out[5*i:]...)...)
		}
	}()
	for _, prefix := range []string{"a", "i", "u", "e", "o", "ka", "ki", "ku", "ke", "ko", "sa", "si", "su", "se", "so", "ta", "chi", "tsu", "te", "to"} {
		res, err := s.desk.Search(context.Background(), registry.Query{Kana: prefix, Limit: 500})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res.Residents {
			if eligible(r) && !seen[r.Code] {
				seen[r.Code] = true
				out = append(out, r)
				if len(out)+len(rare) == n {
					return out
				}
			}
		}
	}
	if len(out) == 0 {
		b.Fatal("no eligible demo resident")
	}
	return out
}

// soakIssue issues one certificate through the widgets and goes home.
func soakIssue(b *testing.B, s *Shell, r registry.Resident) {
	s.win.Canvas().OnTypedRune()('1')
	wz := s.wizard
	if wz == nil || s.Screen() != "issue" {
		b.Fatalf("screen %q after key 1", s.Screen())
	}
	test.Type(wz.search.code, r.Code)
	wz.search.code.OnSubmitted(r.Code)
	s.runner.Wait()
	wz.search.code.OnSubmitted(r.Code)
	s.runner.Wait()
	enter(s, wz)
	wz.typedKey(keyEvent("1"))
	enter(s, wz)
	if wz.Step() != stepCard {
		b.Fatalf("step %q instead of the card for %s: %s", wz.Step(), r.Code, wz.Message())
	}
	if _, err := s.counter.InsertBlankCard(); err != nil {
		b.Fatal(err)
	}
	wz.cardPresent()
	s.runner.Wait()
	if wz.pinScreen == nil {
		b.Fatalf("no PIN screen: %s", wz.Message())
	}
	s.win.Canvas().Capture() // paint the resident's screen as the window would
	typePIN(s, wz, residentPIN, residentPIN)
	if wz.Step() != stepDeliver {
		b.Fatalf("step %q after the PIN: %s", wz.Step(), wz.Message())
	}
	s.win.Canvas().Capture()
	enter(s, wz) // 交付
	test.Tap(findButtons(s.win)["交付通知書を印刷"])
	s.runner.Wait()
	for _, o := range s.win.Canvas().Overlays().List() {
		s.win.Canvas().Overlays().Remove(o)
	}
	if _, err := s.counter.RemoveCard(); err != nil {
		b.Fatal(err)
	}
	enter(s, wz) // ホームに戻る
	if s.Screen() != "home" {
		b.Fatalf("screen %q after the issuance", s.Screen())
	}
}

// vmRSSKiB reads this process's resident set size from /proc.
func vmRSSKiB() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return kb
		}
	}
	return 0
}
