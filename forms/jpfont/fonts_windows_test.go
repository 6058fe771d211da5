//go:build windows

package jpfont

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWindowsSearch: on Windows the search starts next to the program and
// covers the system fonts folder; Find finds a font there (windows-check
// puts IPAex Gothic in the Wine prefix's Fonts folder, as a counter's
// administrator would).
func TestWindowsSearch(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(exe), "fonts", "ipaexg.ttf"); knownPaths[0] != want {
		t.Errorf("first place %q, want %q", knownPaths[0], want)
	}
	if !strings.HasPrefix(mjPaths[0], filepath.Dir(exe)) {
		t.Errorf("MJ search does not start next to the program: %q", mjPaths)
	}
	t.Setenv(EnvVar, "")
	f, err := Find("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(filepath.Dir(f.Path), filepath.Join(os.Getenv("WINDIR"), "Fonts")) {
		t.Errorf("found %s, not in the Windows fonts folder", f.Path)
	}
}
