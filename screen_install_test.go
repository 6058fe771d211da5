package main

import (
	"bufio"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScreenInstalledPackageStarts installs the real binary as `make
// install` does and starts it the way the desktop does, from its desktop
// entry: the window opens with the entry's name and carries the icon.
func TestScreenInstalledPackageStarts(t *testing.T) {
	needDisplay(t)
	bin := buildBinary(t)
	dest := t.TempDir()
	cmd := exec.Command("bash", "scripts/install.sh")
	cmd.Env = append(os.Environ(), "DESTDIR="+dest, "PREFIX=/opt/madoguchi", "BIN="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	root := filepath.Join(dest, "opt", "madoguchi")
	entry := map[string]string{}
	f, err := os.Open(filepath.Join(root, "share/applications/jp.madoguchi.counter.desktop"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			entry[k] = v
		}
	}
	f.Close()
	icon, err := os.Open(filepath.Join(root, "share/icons/hicolor/256x256/apps", entry["Icon"]+".png"))
	if err != nil {
		t.Fatalf("the entry's icon %q is not installed: %v", entry["Icon"], err)
	}
	cfg, err := png.DecodeConfig(icon)
	icon.Close()
	if err != nil || cfg.Width != 256 || cfg.Height != 256 {
		t.Fatalf("icon: %dx%d, %v", cfg.Width, cfg.Height, err)
	}

	// Exec names the installed program; under DESTDIR it is below dest.
	exe := strings.Fields(entry["Exec"])
	if len(exe) == 0 || !strings.HasPrefix(exe[0], "/opt/madoguchi/") {
		t.Fatalf("Exec=%q", entry["Exec"])
	}
	app := startApp(t, filepath.Join(dest, exe[0]), exe[1:]...)
	name, err := exec.Command("xdotool", "getwindowname", app.window).Output()
	if err != nil || !strings.Contains(string(name), entry["Name[ja]"]) {
		t.Errorf("window name %q, entry's Name[ja] %q (%v)", name, entry["Name[ja]"], err)
	}
	prop, err := exec.Command("xprop", "-id", app.window, "_NET_WM_ICON").Output()
	if err != nil || !strings.Contains(string(prop), "_NET_WM_ICON(CARDINAL) =") {
		t.Errorf("the window carries no icon: %q %v", prop, err)
	}
	app.screenshot(t, "installed-app")
}
