package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var full = `
database_path = "data/m.db"
municipality = "千代田区"
prefecture = "東京都"
master_secret_file = ` + strconv.Quote(absMaster) + `
[reader]
mode = "pcsc"
name = "Virtual PCD"
[ca]
mode = "est"
url = "https://127.0.0.1:8443/.well-known/est"
root_cert = "root.pem"
ra_cert = "ra.pem"
ra_key = "ra.key"
`

// absMaster is an absolute path on this system, kept as written by Load.
var absMaster = map[bool]string{
	false: "/etc/madoguchi/master.key",
	true:  `C:\ProgramData\madoguchi\master.key`,
}[runtime.GOOS == "windows"]

func TestLoad(t *testing.T) {
	p := write(t, full)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(p)
	if c.Demo || c.Source != p {
		t.Fatalf("Demo=%v Source=%q", c.Demo, c.Source)
	}
	if c.DatabasePath != filepath.Join(dir, "data/m.db") || c.CA.RootCert != filepath.Join(dir, "root.pem") {
		t.Fatalf("relative paths not resolved: %q %q", c.DatabasePath, c.CA.RootCert)
	}
	if c.MasterSecretFile != absMaster {
		t.Fatalf("absolute path changed: %q", c.MasterSecretFile)
	}
	if c.Reader.Mode != ReaderPCSC || c.Reader.Name != "Virtual PCD" || c.Municipality != "千代田区" {
		t.Fatalf("fields: %+v", c)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"syntax", "database_path = ", "config"},
		{"unknown key", "colour = \"red\"\n" + full, "unknown keys: colour"},
		{"bad reader", strings.Replace(full, `mode = "pcsc"`, `mode = "usb"`, 1), `reader.mode "usb"`},
		{"http ca", strings.Replace(full, "https://", "http://", 1), "must be https"},
		{"missing ra", strings.Replace(full, `ra_key = "ra.key"`, "", 1), "ca.ra_key is required"},
		{"missing municipality", strings.Replace(full, `municipality = "千代田区"`, "", 1), "municipality is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(write(t, tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			var ce *Error
			if !errors.As(err, &ce) || !strings.Contains(ce.UserMessage(), "設定ファイル") {
				t.Fatalf("no Japanese user message: %v", err)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	t.Setenv("AppData", home) // os.UserConfigDir on Windows

	// No file anywhere: the embedded default.
	c, err := Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Demo || c.Reader.Mode != ReaderEmulated || c.CA.Mode != CAEmbedded || !strings.HasPrefix(c.DatabasePath, home) {
		t.Fatalf("embedded default: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("default does not validate: %v", err)
	}

	// An explicit path that does not exist is an error, not the default.
	if _, err := Resolve(filepath.Join(home, "missing.toml")); err == nil {
		t.Fatal("missing explicit file accepted")
	}

	// A file at the default path wins over the embedded default.
	def, _ := DefaultPath()
	if err := os.MkdirAll(filepath.Dir(def), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(def, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Demo || c.Source != def {
		t.Fatalf("default path not used: %+v", c)
	}
}

func TestWriteThenLoad(t *testing.T) {
	dir := t.TempDir()
	c := Default(dir)
	c.Demo = false
	p := filepath.Join(dir, "out", "config.toml")
	if err := Write(p, c); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("stat %v, mode %v", err, st.Mode())
	}
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.DatabasePath != c.DatabasePath || got.Reader != c.Reader || got.CA != c.CA || got.Demo {
		t.Fatalf("round trip: %+v vs %+v", got, c)
	}
}

func TestMinAge(t *testing.T) {
	c, err := Load(write(t, "min_age = 18\n"+full))
	if err != nil || c.MinAge != 18 {
		t.Fatalf("min_age 18: %d %v", c.MinAge, err)
	}
	if c, err := Load(write(t, full)); err != nil || c.MinAge != 0 {
		t.Fatalf("absent min_age: %d %v", c.MinAge, err)
	}
	if _, err := Load(write(t, "min_age = -1\n"+full)); err == nil || !strings.Contains(err.Error(), "min_age") {
		t.Fatalf("negative min_age: %v", err)
	}
}
