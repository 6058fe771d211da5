package printing

import (
	"reflect"
	"strings"
	"testing"
)

// fakeFont covers exactly the characters of chars.
func fakeFont(chars string) *Font {
	cov := new(coverage)
	for _, r := range chars {
		cov.set(int(r))
	}
	return &Font{cov: cov}
}

func TestPrintable(t *testing.T) {
	font := fakeFont("髙橋吉子葛飾区 〓AB")
	type rep struct{ char, printed string }
	for _, c := range []struct {
		name string
		in   string
		want string
		reps []rep
	}{
		{"all covered", "髙橋吉子", "髙橋吉子", nil},
		{"empty", "", "", nil},
		{"outside the BMP", "髙橋𠮷子", "髙橋〓子", []rep{{"𠮷", "〓"}}},
		{"missing BMP character", "髙橋美子", "髙橋〓子", []rep{{"美", "〓"}}},
		{"two missing", "美A美", "〓A〓", []rep{{"美", "〓"}, {"美", "〓"}}},
		{"IVS with base present", "葛\U000E0100飾区", "葛飾区", []rep{{"葛\U000E0100", "葛"}}},
		{"standardized variant", "葛\uFE00飾", "葛飾", []rep{{"葛\uFE00", "葛"}}},
		{"IVS with base missing", "美\U000E0100子", "〓子", []rep{{"美\U000E0100", "〓"}}},
		{"lone selector", "\U000E0100A", "〓A", []rep{{"\U000E0100", "〓"}}},
		{"line breaks become spaces", "葛飾区\r\nA\tB", "葛飾区  A B", nil},
		{"control character", "A\x07B", "A〓B", []rep{{"\x07", "〓"}}},
		{"invalid UTF-8", "A\xffB", "A〓B", []rep{{"\xff", "〓"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []rep
			out := printable(font, Placeholder, c.in, func(char, printed string) {
				got = append(got, rep{char, printed})
			})
			if out != c.want {
				t.Errorf("printable(%q) = %q, want %q", c.in, out, c.want)
			}
			if !reflect.DeepEqual(got, c.reps) {
				t.Errorf("reports %q, want %q", got, c.reps)
			}
			for _, r := range out {
				if !font.Has(r) {
					t.Errorf("output %q holds %U, which the font lacks", out, r)
				}
			}
		})
	}
}

func TestCodePoints(t *testing.T) {
	for in, want := range map[string]string{
		"𠮷":           "U+20BB7",
		"葛\U000E0100": "U+845B U+E0100",
		"A":           "U+0041",
	} {
		if got := codePoints(in); got != want {
			t.Errorf("codePoints(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResultNotice(t *testing.T) {
	if n := (Result{Pages: 1}).Notice(); n != "" {
		t.Errorf("Notice without missing characters = %q, want empty", n)
	}
	r := Result{Missing: []MissingChar{{Char: "𠮷"}, {Char: "𠮷"}}}
	if n := r.Notice(); !strings.Contains(n, "2箇所") || !strings.Contains(n, Placeholder) {
		t.Errorf("Notice = %q, want the count and the placeholder", n)
	}
}

// FuzzPrintable checks that whatever a record holds, the text handed to
// fpdf holds only characters the font has, and each substitution is
// reported.
func FuzzPrintable(f *testing.F) {
	font := fakeFont("髙橋吉子葛 〓AB")
	for _, s := range []string{"髙橋𠮷子", "葛\U000E0100", "\xff\xfe", "A\nB", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := 0
		out := printable(font, Placeholder, s, func(char, printed string) {
			n++
			if char == "" || printed == "" {
				t.Errorf("empty report %q → %q", char, printed)
			}
		})
		for _, r := range out {
			if !font.Has(r) {
				t.Fatalf("printable(%q) = %q holds %U", s, out, r)
			}
		}
		if n == 0 && strings.ContainsRune(out, '〓') && !strings.Contains(s, "〓") {
			t.Errorf("placeholder printed for %q without a report", s)
		}
	})
}
