package printing

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden PNGs in testdata")

// Tolerances of the golden comparison: the mean absolute difference per
// channel (0–255), and the share of pixels that differ by more than a
// quarter of the range. They absorb anti-aliasing differences between
// poppler versions, not a moved box or a missing line of text.
const (
	goldenMeanTol  = 2.0
	goldenPixelTol = 0.002
)

// imageDiff compares two images of the same size.
func imageDiff(a, b image.Image) (mean, changed float64, err error) {
	if a.Bounds().Size() != b.Bounds().Size() {
		return 0, 0, fmt.Errorf("size %v, want %v", a.Bounds().Size(), b.Bounds().Size())
	}
	var sum, n, big float64
	ab, bb := a.Bounds(), b.Bounds()
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			worst := 0.0
			for _, d := range []float64{absDiff(r1, r2), absDiff(g1, g2), absDiff(b1, b2)} {
				sum += d
				if d > worst {
					worst = d
				}
			}
			if worst > 64 {
				big++
			}
			n++
		}
	}
	return sum / (3 * n), big / n, nil
}

func absDiff(a, b uint32) float64 {
	d := float64(a>>8) - float64(b>>8)
	if d < 0 {
		return -d
	}
	return d
}

// TestGolden renders page 1 of each document at 50 dpi with pdftoppm and
// compares it with testdata/NAME.png. Run with -update to accept a change.
func TestGolden(t *testing.T) {
	for name, d := range renderAll(t) {
		t.Run(name, func(t *testing.T) {
			got := renderPage1(t, d.pdf)
			path := filepath.Join("testdata", name+".png")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			gi, err := png.Decode(bytes.NewReader(got))
			if err != nil {
				t.Fatal(err)
			}
			wi, err := png.Decode(bytes.NewReader(want))
			if err != nil {
				t.Fatal(err)
			}
			mean, changed, err := imageDiff(gi, wi)
			if err != nil {
				t.Fatal(err)
			}
			if mean > goldenMeanTol || changed > goldenPixelTol {
				out := filepath.Join(t.TempDir(), name+".png")
				os.WriteFile(out, got, 0o644)
				t.Errorf("page 1 differs from %s: mean %.3f (tolerance %.1f), %.3f%% pixels changed (tolerance %.1f%%); got %s",
					path, mean, goldenMeanTol, 100*changed, 100*goldenPixelTol, out)
			}
			t.Logf("mean difference %.3f, %.4f%% pixels changed", mean, 100*changed)
		})
	}
}

// TestGoldenDiscriminates checks that the tolerance is not so loose that a
// different page passes: a record book with other records, and a receipt
// whose boxes are the same but whose values differ.
func TestGoldenDiscriminates(t *testing.T) {
	font := testFont(t)
	for name, render := range map[string]func(*bytes.Buffer) error{
		"recordbook": func(b *bytes.Buffer) error {
			book := sampleBook(60)
			book.Rows = book.Rows[30:]
			_, err := WriteRecordBook(b, font, book)
			return err
		},
		"receipt": func(b *bytes.Buffer) error {
			r := sampleReceipt()
			r.Name, r.Serial, r.Clerk = "佐藤　花子", "FFEEDDCCBBAA9988", "C0099"
			_, err := WriteReceipt(b, font, r)
			return err
		},
	} {
		var buf bytes.Buffer
		if err := render(&buf); err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		gi, err := png.Decode(bytes.NewReader(renderPage1(t, buf.Bytes())))
		if err != nil {
			t.Fatal(err)
		}
		wi, err := png.Decode(bytes.NewReader(want))
		if err != nil {
			t.Fatal(err)
		}
		mean, changed, err := imageDiff(gi, wi)
		if err != nil {
			t.Fatal(err)
		}
		if mean <= goldenMeanTol && changed <= goldenPixelTol {
			t.Errorf("%s: a different page passes the golden comparison (mean %.3f, %.3f%% changed)", name, mean, 100*changed)
		}
		t.Logf("%s: different page: mean %.3f, %.3f%% changed", name, mean, 100*changed)
	}
}
