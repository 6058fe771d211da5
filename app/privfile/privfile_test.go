//go:build !windows

package privfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestRestrictIgnoresUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	tests := []struct {
		name    string
		prepare func(p string)
	}{
		{"new file", func(string) {}},
		{"existing world-readable", func(p string) { os.WriteFile(p, []byte("x"), 0o666) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			tt.prepare(p)
			if err := Restrict(p); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != Mode {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), Mode)
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	p := filepath.Join(t.TempDir(), "anchor")
	for _, data := range []string{"one", "two"} {
		if err := WriteFile(p, []byte(data)); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != data {
			t.Fatalf("read %q, %v; want %q", b, err, data)
		}
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != Mode {
			t.Errorf("mode %v", fi.Mode().Perm())
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestCheckSecret(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		mode    os.FileMode
		exposed bool
	}{
		{0o600, false},
		{0o400, false},
		{0o640, true},
		{0o644, true},
		{0o604, true},
		{0o660, true},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, tt.mode.String())
		os.WriteFile(p, []byte("secret"), 0o600)
		os.Chmod(p, tt.mode)
		err := CheckSecret(p, "マスターシークレット")
		var ee *ExposedError
		if got := errors.As(err, &ee); got != tt.exposed {
			t.Errorf("mode %v: exposed=%v (%v), want %v", tt.mode, got, err, tt.exposed)
		}
		if tt.exposed && ee.UserMessage() == "" {
			t.Error("no user message")
		}
	}
	if err := CheckSecret(filepath.Join(dir, "missing"), "x"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := CheckSecret(dir, "x"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("folder: %v", err)
	}
}
