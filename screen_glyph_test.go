package main

import (
	"image"
	"image/draw"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"madoguchi/forms/jpfont"
)

// TestScreenRegistryCharacters draws registry characters with ui.GlyphText
// through the real GL driver on the test display and compares each, on a
// screenshot, with the glyph of the font that must draw it rasterised
// independently: 𠮷 and 𥑺 (beyond the BMP, not in IPAex) from IPAmj明朝,
// the look-alikes from IPAex. Fyne alone shows "�" for the first two on a
// machine where IPAmj明朝 is not a system font.
func TestScreenRegistryCharacters(t *testing.T) {
	needDisplay(t)
	font, err := jpfont.Find("")
	if err != nil {
		t.Fatal(err)
	}
	mj, err := jpfont.FindMJ("")
	if err != nil {
		t.Fatalf("%v (make deps installs %s)", err, jpfont.MJDebianPackage)
	}
	chars := []struct {
		char, lookAlike string
		fromMJ          bool
	}{
		{"𠮷", "吉", true}, {"𥑺", "石", true},
		{"髙", "高", false}, {"﨑", "崎", false}, {"齋", "斎", false}, {"邊", "辺", false}, {"德", "徳", false},
	}
	var args []string
	for _, c := range chars {
		args = append(args, c.char)
	}
	bin := filepath.Join(t.TempDir(), "glyphwindow")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/glyphwindow").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "FYNE_SCALE=1", "LANG=C")
	logPath := filepath.Join(home, "out.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	app := &runningApp{cmd: cmd, logPath: logPath}
	for deadline := time.Now().Add(30 * time.Second); app.window == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, _ := exec.Command("xdotool", "search", "--onlyvisible", "--name", "glyph-check").Output()
		if id := strings.Fields(string(out)); len(id) > 0 {
			app.window = id[0]
		}
	}
	if app.window == "" {
		t.Fatalf("no window; output:\n%s", app.output())
	}
	time.Sleep(1500 * time.Millisecond) // the first frame
	_, shot := app.screenshot(t, "registry-characters")

	for i, c := range chars {
		ttf := font.Data
		if c.fromMJ {
			ttf = mj.Data
		}
		cell := cropImage(shot, image.Rect(100*i, 0, 100*i+100, shot.Bounds().Dy()))
		got := glyphInk(cell)
		same := inkOverlap(got, glyphInk(refGlyph(t, ttf, c.char, 64)))
		other := inkOverlap(got, glyphInk(refGlyph(t, font.Data, c.lookAlike, 64)))
		t.Logf("%s: overlap %.2f with its glyph, %.2f with %s", c.char, same, other, c.lookAlike)
		if same < 0.7 || same < other+0.1 {
			t.Errorf("%s on screen is not its glyph: overlap %.2f (with %s: %.2f)", c.char, same, c.lookAlike, other)
		}
	}
}

func cropImage(img image.Image, r image.Rectangle) image.Image {
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Bounds(), img, r.Min.Add(img.Bounds().Min), draw.Src)
	return out
}

// refGlyph draws s with the font file through x/image's opentype at size
// pixels per em, black on white.
func refGlyph(t *testing.T, ttf []byte, s string, size float64) image.Image {
	t.Helper()
	f, err := opentype.Parse(ttf)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: xfont.HintingNone})
	if err != nil {
		t.Fatal(err)
	}
	px := int(size)
	img := image.NewRGBA(image.Rect(0, 0, 2*px, 2*px))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := xfont.Drawer{Dst: img, Src: image.Black, Face: face, Dot: fixed.P(4, px+8)}
	d.DrawString(s)
	return img
}

// glyphInk marks the pixels with ink (darker than three quarters white).
func glyphInk(img image.Image) [][]bool {
	b := img.Bounds()
	m := make([][]bool, b.Dy())
	for y := range m {
		m[y] = make([]bool, b.Dx())
		for x := range m[y] {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			m[y][x] = r+g+bl < 3*0xC000
		}
	}
	return m
}

// inkOverlap is the intersection over union of two ink masks aligned on
// the top-left corner of their ink.
func inkOverlap(a, b [][]bool) float64 {
	origin := func(m [][]bool) (int, int) {
		mx, my := 1<<30, 1<<30
		for y, row := range m {
			for x, v := range row {
				if v {
					mx, my = min(mx, x), min(my, y)
				}
			}
		}
		return mx, my
	}
	at := func(m [][]bool, x, y int) bool { return y >= 0 && y < len(m) && x >= 0 && x < len(m[y]) && m[y][x] }
	ax, ay := origin(a)
	bx, by := origin(b)
	var inter, union int
	for y := 0; y < 200; y++ {
		for x := 0; x < 200; x++ {
			pa, pb := at(a, x+ax, y+ay), at(b, x+bx, y+by)
			if pa && pb {
				inter++
			}
			if pa || pb {
				union++
			}
		}
	}
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}
