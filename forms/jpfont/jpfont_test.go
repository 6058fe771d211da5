package jpfont

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindDefault(t *testing.T) {
	t.Setenv(EnvVar, "")
	f, err := Find("")
	if err != nil {
		// The test machine installs fonts-ipaexfont-gothic (make deps), so a
		// missing font here is a broken set-up, not a reason to skip.
		t.Fatalf("Find: %v", err)
	}
	if !isTrueType(f.Data) || len(f.Data) < 1<<20 {
		t.Fatalf("font %s: %d bytes, not a full Japanese TrueType font", f.Path, len(f.Data))
	}
}

func TestFindExplicit(t *testing.T) {
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
			t.Setenv(EnvVar, tt.env)
			_, err := Find(tt.override)
			if !errMatches(err, tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNotFoundErrorNamesThePackage(t *testing.T) {
	err := error(&NotFoundError{Tried: []string{"/a"}})
	if !errors.Is(err, ErrNotFound) {
		t.Fatal("errors.Is(ErrNotFound) = false")
	}
	var um interface{ UserMessage() string }
	if !errors.As(err, &um) || !strings.Contains(um.UserMessage(), DebianPackage) {
		t.Fatal("user message does not name the package to install")
	}
	if !strings.Contains(err.Error(), DebianPackage) {
		t.Fatal("error does not name the package to install")
	}
}
