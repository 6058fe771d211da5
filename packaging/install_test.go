package packaging

import (
	"bufio"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"madoguchi/app/config"
	"madoguchi/app/prefecture/refca"
)

// desktopEntry reads the [Desktop Entry] keys of a .desktop file.
func desktopEntry(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kv := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			kv[k] = v
		}
	}
	return kv
}

// TestInstallTree installs into a temporary DESTDIR with a stand-in program
// and checks the tree: program, desktop entry (validated), icon, unit.
func TestInstallTree(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	bin := filepath.Join(t.TempDir(), "madoguchi")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho madoguchi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "../scripts/install.sh")
	cmd.Env = append(os.Environ(), "DESTDIR="+dest, "PREFIX=/opt/madoguchi", "BIN="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	root := filepath.Join(dest, "opt", "madoguchi")
	id := "jp.madoguchi.counter"
	files := []struct {
		path string
		mode os.FileMode
	}{
		{"bin/madoguchi", 0o755},
		{"share/applications/" + id + ".desktop", 0o644},
		{"share/icons/hicolor/256x256/apps/" + id + ".png", 0o644},
		{"share/doc/madoguchi/README.md", 0o644},
		{"share/doc/madoguchi/examples/madoguchi-refca.service", 0o644},
	}
	for _, f := range files {
		st, err := os.Stat(filepath.Join(root, f.path))
		if err != nil {
			t.Errorf("%s: %v", f.path, err)
			continue
		}
		if st.Mode().Perm() != f.mode {
			t.Errorf("%s: mode %v, want %v", f.path, st.Mode().Perm(), f.mode)
		}
	}

	desktop := filepath.Join(root, "share/applications", id+".desktop")
	if v, err := exec.LookPath("desktop-file-validate"); err == nil {
		if out, err := exec.Command(v, desktop).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("desktop-file-validate: %v\n%s", err, out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("desktop-file-validate missing (scripts/deps.sh installs desktop-file-utils)")
	} else {
		t.Log("desktop-file-validate not installed; structure checked only")
	}
	e := desktopEntry(t, desktop)
	if e["Exec"] != "/opt/madoguchi/bin/madoguchi" || e["Icon"] != id || e["Name[ja]"] != "公的個人認証 窓口" || e["Terminal"] != "false" {
		t.Errorf("desktop entry: %v", e)
	}
	icon, err := os.Open(filepath.Join(root, "share/icons/hicolor/256x256/apps", id+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer icon.Close()
	cfg, err := png.DecodeConfig(icon)
	if err != nil || cfg.Width != 256 || cfg.Height != 256 {
		t.Errorf("icon: %v, %dx%d, want a 256x256 PNG", err, cfg.Width, cfg.Height)
	}

	unit, err := os.ReadFile(filepath.Join(root, "share/doc/madoguchi/examples/madoguchi-refca.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "\nExecStart=/opt/madoguchi/bin/madoguchi refca serve -dir ") {
		t.Errorf("unit's ExecStart does not run the installed program's refca serve:\n%s", unit)
	}
	if !strings.Contains(refca.CommandUsage, "refca serve -dir") {
		t.Error("refca has no serve -dir subcommand any more; update the unit")
	}
}

// TestWindowsSampleConfig: the sample configuration in the Windows zip
// loads and asks for a real reader and the prefecture's EST CA.
func TestWindowsSampleConfig(t *testing.T) {
	c, err := config.Load(filepath.Join("windows", "config.sample.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Reader.Mode != config.ReaderPCSC || c.CA.Mode != config.CAEST || c.Municipality == "" || c.Demo {
		t.Errorf("sample config: %+v", c)
	}
	if !strings.HasSuffix(c.MasterSecretFile, "master.key") || !strings.HasSuffix(c.DatabasePath, "madoguchi.db") {
		t.Errorf("paths: %q %q", c.MasterSecretFile, c.DatabasePath)
	}
}
