package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestSubsystem cross-builds a small Windows program (no cgo) as a console
// and as a GUI program and checks that Read and Check tell them apart.
func TestSubsystem(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, ldflags, want, other string
	}{
		{"console", "", "console", "gui"},
		{"gui", "-H=windowsgui", "gui", "console"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exe := filepath.Join(dir, tt.name+".exe")
			cmd := exec.Command("go", "build", "-ldflags", tt.ldflags, "-o", exe, src)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GO111MODULE=off")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			info, err := Read(exe)
			if err != nil {
				t.Fatal(err)
			}
			if err := Check(info, tt.want, false); err != nil {
				t.Errorf("Check(%s): %v", tt.want, err)
			}
			if err := Check(info, tt.other, false); err == nil {
				t.Errorf("Check(%s) accepted a %s program", tt.other, tt.want)
			}
			if err := Check(info, tt.want, true); err == nil {
				t.Error("Check accepted a program without resources")
			}
			if info.HasVersion("0.1.0.1") {
				t.Error("HasVersion found a version in a program without resources")
			}
		})
	}
	if _, err := Read(src); err == nil {
		t.Error("Read accepted a Go source file")
	}
}

func TestHasVersion(t *testing.T) {
	// "1.2.3.4" in UTF-16LE, inside other resource bytes.
	rsrc := []byte("\x00\x01V\x001\x00.\x002\x00.\x003\x00.\x004\x00\x00\x00")
	tests := []struct {
		version string
		want    bool
	}{
		{"1.2.3.4", true},
		{"2.3", true},
		{"1.2.3.5", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := (Info{Resource: rsrc}).HasVersion(tt.version); got != tt.want {
			t.Errorf("HasVersion(%q) = %v, want %v", tt.version, got, tt.want)
		}
	}
}
