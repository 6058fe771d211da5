package jpfont

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindMJDefault(t *testing.T) {
	t.Setenv(MJEnvVar, "")
	f, err := FindMJ("")
	if err != nil {
		// make deps installs fonts-ipamj-mincho: missing is a broken set-up.
		t.Fatalf("FindMJ: %v", err)
	}
	again, err := FindMJ("")
	if err != nil || again != f {
		t.Fatalf("second FindMJ = %p, %v; want the same loaded font", again, err)
	}
	tests := []struct {
		char   string
		mjName string // "" when only the glyph's presence is checked
	}{
		{"𠮷", "MJ032129"},
		{"髙", "MJ028902"},
		{"﨑", "MJ030196"},
		{"齋", "MJ030060"},
		{"邊", "MJ026200"},
		{"德", "MJ011356"},
		{"𠂉", "MJ030375"},
		{"葛\U000E0104", "MJ022340"},
	}
	for _, tt := range tests {
		t.Run(tt.char, func(t *testing.T) {
			rs := []rune(tt.char)
			if !f.Has(rs[0]) {
				t.Fatalf("no glyph for U+%04X", rs[0])
			}
			got := f.MJName(tt.char)
			if tt.mjName != "" && got != tt.mjName {
				t.Fatalf("MJName = %q, want %q", got, tt.mjName)
			}
			if !strings.HasPrefix(got, "MJ") || len(got) != 8 {
				t.Fatalf("MJName = %q, not an MJ文字図形名", got)
			}
		})
	}
	// An IVS with its own glyph differs from the base.
	base, _ := f.Glyph('葛')
	if v, ok := f.VariantGlyph('葛', 0xE0104); !ok || v == base {
		t.Errorf("葛+VS21: glyph %d (base %d), ok %v", v, base, ok)
	}
	if f.Has(0x10FFFF) {
		t.Error("Has(U+10FFFF) = true")
	}
}

func TestFindMJExplicit(t *testing.T) {
	dir := t.TempDir()
	notTTF := filepath.Join(dir, "x.ttf")
	if err := os.WriteFile(notTTF, []byte("wOFF...."), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, override, env, want string
	}{
		{"missing override", filepath.Join(dir, "nope.ttf"), "", notExist},
		{"missing env", "", filepath.Join(dir, "nope.ttf"), notExist},
		{"not truetype", notTTF, "", "not a TrueType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(MJEnvVar, tt.env)
			_, err := FindMJ(tt.override)
			if !errMatches(err, tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMJNotFoundErrorNamesThePackage(t *testing.T) {
	err := error(&MJNotFoundError{Tried: []string{"/a"}})
	var um interface{ UserMessage() string }
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &um) || !strings.Contains(um.UserMessage(), MJDebianPackage) {
		t.Fatalf("error %v does not name the package to install", err)
	}
}

func FuzzParseMJ(f *testing.F) {
	f.Add([]byte("\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00cmap\x00\x00\x00\x00\x00\x00\x00\x1c\x00\x00\x00\x10\x00\x00\x00\x01\x00\x03\x00\x0a\x00\x00\x00\x0c"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMJ(data)
		if err != nil {
			return
		}
		m.Has('𠮷')
		m.MJName("𠮷")
		m.VariantGlyph('葛', 0xE0100)
	})
}
