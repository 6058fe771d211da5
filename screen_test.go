package main

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The screen tests run the real binary in a real X display (Xvfb, started
// by scripts/test.sh) and look at it the way a person would: a screenshot,
// and the Japanese text read back from it by OCR.

// needDisplay fails in CI and skips elsewhere when there is no X display or
// a tool the screen tests use is missing.
func needDisplay(t *testing.T) {
	t.Helper()
	missing := ""
	if os.Getenv("DISPLAY") == "" {
		missing = "DISPLAY is not set (scripts/test.sh starts Xvfb)"
	}
	for _, tool := range []string{"xdotool", "import", "tesseract"} {
		if _, err := exec.LookPath(tool); err != nil && missing == "" {
			missing = tool + " is not installed (make deps)"
		}
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(missing)
	}
	t.Skip(missing)
}

// buildBinary builds the application once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "madoguchi")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// artifactDir is where screenshots are kept: $MADOGUCHI_ARTIFACTS/screens
// (scripts/test.sh sets it to artifacts/), else the test's temp dir.
func artifactDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("MADOGUCHI_ARTIFACTS"); d != "" {
		dir := filepath.Join(d, "screens")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// runningApp is the binary started on the test display.
type runningApp struct {
	home    string // the application's HOME
	cmd     *exec.Cmd
	window  string // X window ID
	logPath string // the application's stdout and stderr
}

// output is what the application has printed so far.
func (a *runningApp) output() string {
	b, _ := os.ReadFile(a.logPath)
	return string(b)
}

// startApp runs the binary with a fresh HOME (so the embedded default starts
// from nothing) and waits for its window.
func startApp(t *testing.T, bin string, args ...string) *runningApp {
	t.Helper()
	home := t.TempDir()
	logFile, err := os.Create(filepath.Join(home, "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "LANG=C")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	app := &runningApp{home: home, cmd: cmd, logPath: logFile.Name()}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("application output:\n%s", app.output())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", "公的個人認証 窓口").Output()
		if id := strings.Fields(string(out)); err == nil && len(id) > 0 {
			app.window = id[0]
			// Without a window manager, keys go to the window under the
			// pointer.
			exec.Command("xdotool", "mousemove", "--window", app.window, "300", "300").Run()
			// Give the first frame time to be painted.
			time.Sleep(1500 * time.Millisecond)
			return app
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no window appeared within 30 s")
	return nil
}

// screenshot saves the window as name.png in the artifacts and decodes it.
func (a *runningApp) screenshot(t *testing.T, name string) (string, image.Image) {
	t.Helper()
	path := filepath.Join(artifactDir(t), name+".png")
	// A GL window captured by ID can come out black; crop the root window.
	geo, err := exec.Command("xdotool", "getwindowgeometry", "--shell", a.window).Output()
	if err != nil {
		t.Fatalf("xdotool getwindowgeometry: %v", err)
	}
	g := map[string]string{}
	for _, line := range strings.Fields(string(geo)) {
		if k, v, ok := strings.Cut(line, "="); ok {
			g[k] = v
		}
	}
	crop := g["WIDTH"] + "x" + g["HEIGHT"] + "+" + g["X"] + "+" + g["Y"]
	if out, err := exec.Command("import", "-window", "root", "-crop", crop, "+repage", path).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return path, img
}

// ocr reads the Japanese text of a screenshot.
func ocr(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("tesseract", path, "-", "-l", "jpn").Output()
	if err != nil {
		t.Fatalf("tesseract: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), "")
}

// inkFraction is the share of pixels that differ from the most common one.
func inkFraction(img image.Image) float64 {
	counts := map[[3]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
		}
	}
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	total := b.Dx() * b.Dy()
	return float64(total-most) / float64(total)
}

func TestScreenSignInShowsJapanese(t *testing.T) {
	needDisplay(t)
	app := startApp(t, buildBinary(t))
	path, img := app.screenshot(t, "00-signin")
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 400 {
		t.Fatalf("window is only %v", b)
	}
	if ink := inkFraction(img); ink < 0.01 {
		t.Fatalf("screenshot %s is blank (%.4f of pixels differ from the background)", path, ink)
	}
	// Boxes (missing glyphs) never read back as these words.
	text := ocr(t, path)
	found := 0
	for _, want := range []string{"職員", "パスワード", "入力して", "窓口"} {
		if strings.Contains(text, want) {
			found++
		}
	}
	if found < 2 {
		t.Fatalf("Japanese text not readable in %s; OCR read %q", path, text)
	}
	if out := app.output(); strings.Contains(out, "locale") {
		t.Fatalf("Fyne logged a locale error:\n%s", out)
	}
}
