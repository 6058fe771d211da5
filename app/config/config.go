// Package config reads the counter's configuration file and supplies the
// embedded default used when there is none.
//
// The file is TOML:
//
//	database_path      = "/var/lib/madoguchi/madoguchi.db"
//	municipality       = "千代田区"
//	prefecture         = "東京都"
//	master_secret_file = "/etc/madoguchi/master.key"
//	font_path          = ""            # optional; else MADOGUCHI_FONT, then a search
//	mj_font_path       = ""            # optional MJ font (IPAmj明朝); else MADOGUCHI_MJ_FONT, then the install path
//
//	time_zone          = "Asia/Tokyo"  # optional; the municipality's zone
//	office             = "本庁舎 市民課" # optional; the counter on printouts
//
//	[printing]
//	printer = ""                       # optional; CUPS queue, else the default
//
//	[reader]
//	mode = "pcsc"                      # "pcsc" or "emulated"
//	name = "SCR3310"                   # optional: part of the reader's name
//
//	[ca]
//	mode      = "est"                  # "est" or "embedded"
//	url       = "https://ca.pref.example.jp/.well-known/est"
//	root_cert = "/etc/madoguchi/pref-root.pem"   # the CA's root, pinned
//	ra_cert   = "/etc/madoguchi/terminal.pem"     # this terminal's RA certificate
//	ra_key    = "/etc/madoguchi/terminal.key"
//
// Relative paths in the file are taken relative to the file's folder.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// Reader modes.
const (
	ReaderPCSC     = "pcsc"     // real PC/SC readers through pcscd
	ReaderEmulated = "emulated" // the in-process PIV card emulator
)

// CA modes.
const (
	CAEST      = "est"      // a prefecture CA reached over EST
	CAEmbedded = "embedded" // the in-process reference prefecture CA
)

// Config is the whole configuration of one counter terminal.
type Config struct {
	DatabasePath     string `toml:"database_path"`
	Municipality     string `toml:"municipality"`
	Prefecture       string `toml:"prefecture"`
	MasterSecretFile string `toml:"master_secret_file"`
	FontPath         string `toml:"font_path"`
	MJFontPath       string `toml:"mj_font_path"` // the MJ font for characters the Japanese font lacks
	Reader           Reader `toml:"reader"`
	CA               CA     `toml:"ca"`
	// TimeZone is the municipality's time zone (an IANA name), used for
	// every time shown or printed and for day boundaries; "" means
	// DefaultTimeZone.
	TimeZone string `toml:"time_zone"`
	// Office names the counter within the municipality (e.g. 本庁舎 市民課)
	// on printouts; may be empty.
	Office   string   `toml:"office"`
	Printing Printing `toml:"printing"`
	// MinAge is the age from which the signing certificate is issued
	// (min_age; 0 or absent means 15).
	MinAge int `toml:"min_age,omitempty"`
	// Database is the shared office database ([database] url), if any.
	Database Database `toml:"database,omitempty"`

	// Demo marks the embedded default: demo registry, demo staff accounts,
	// emulated card and in-process CA. It is never read from a file.
	Demo bool `toml:"-"`
	// DataDir is where the embedded default keeps its files (database, CA
	// material, master secret, card state). Empty for a file configuration.
	DataDir string `toml:"-"`
	// Source is the file the configuration came from, or "" for the default.
	Source string `toml:"-"`
}

// Reader selects the card reader.
type Reader struct {
	Mode string `toml:"mode"`
	Name string `toml:"name"`
}

// CA selects the prefecture CA and this terminal's credentials for it.
type CA struct {
	Mode     string `toml:"mode"`
	URL      string `toml:"url"`
	RootCert string `toml:"root_cert"`
	RACert   string `toml:"ra_cert"`
	RAKey    string `toml:"ra_key"`
}

// DefaultPath is where the configuration file is looked for when no path is
// given: <user config dir>/madoguchi/config.toml.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "madoguchi", "config.toml"), nil
}

// Default returns the embedded default: a demo terminal keeping its files
// in dataDir (created on first use by the parts that write there).
func Default(dataDir string) Config {
	return Config{
		DatabasePath:     filepath.Join(dataDir, "madoguchi-demo.db"),
		Municipality:     "窓口市",
		Prefecture:       "東京都",
		MasterSecretFile: filepath.Join(dataDir, "master-secret.key"),
		Reader:           Reader{Mode: ReaderEmulated},
		CA:               CA{Mode: CAEmbedded},
		Demo:             true,
		DataDir:          dataDir,
	}
}

// DefaultDataDir is where the embedded default keeps its files:
// <user config dir>/madoguchi/demo.
func DefaultDataDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "madoguchi", "demo"), nil
}

// Resolve picks the configuration to run with: the file at path if path is
// set (it must exist), else the file at DefaultPath if it exists, else the
// embedded default.
func Resolve(path string) (Config, error) {
	if path != "" {
		return Load(path)
	}
	def, err := DefaultPath()
	if err == nil {
		if _, statErr := os.Stat(def); statErr == nil {
			return Load(def)
		}
	}
	dataDir, err := DefaultDataDir()
	if err != nil {
		return Config{}, fmt.Errorf("config: no configuration file and no user config dir: %w", err)
	}
	return Default(dataDir), nil
}

// Load reads and checks the configuration file at path.
func Load(path string) (Config, error) {
	var c Config
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return Config{}, &Error{Path: path, Err: err}
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		return Config{}, &Error{Path: path, Err: fmt.Errorf("unknown keys: %s", strings.Join(keys, ", "))}
	}
	c.Source = path
	base := filepath.Dir(path)
	for _, p := range []*string{&c.DatabasePath, &c.MasterSecretFile, &c.FontPath, &c.CA.RootCert, &c.CA.RACert, &c.CA.RAKey} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	if c.MJFontPath != "" && !filepath.IsAbs(c.MJFontPath) {
		c.MJFontPath = filepath.Join(base, c.MJFontPath)
	}
	if err := c.Validate(); err != nil {
		return Config{}, &Error{Path: path, Err: err}
	}
	return c, nil
}

// Validate checks that the settings fit together, returning every problem.
func (c Config) Validate() error {
	var errs []error
	need := func(v, key string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s is required", key))
		}
	}
	need(c.DatabasePath, "database_path")
	need(c.Municipality, "municipality")
	need(c.Prefecture, "prefecture")
	need(c.MasterSecretFile, "master_secret_file")
	if c.MinAge < 0 {
		errs = append(errs, fmt.Errorf("min_age %d is negative", c.MinAge))
	}
	switch c.Reader.Mode {
	case ReaderPCSC, ReaderEmulated:
	default:
		errs = append(errs, fmt.Errorf("reader.mode %q is not %q or %q", c.Reader.Mode, ReaderPCSC, ReaderEmulated))
	}
	switch c.CA.Mode {
	case CAEmbedded:
	case CAEST:
		need(c.CA.URL, "ca.url")
		need(c.CA.RootCert, "ca.root_cert")
		need(c.CA.RACert, "ca.ra_cert")
		need(c.CA.RAKey, "ca.ra_key")
		if c.CA.URL != "" && !strings.HasPrefix(c.CA.URL, "https://") {
			errs = append(errs, fmt.Errorf("ca.url %q must be https", c.CA.URL))
		}
	default:
		errs = append(errs, fmt.Errorf("ca.mode %q is not %q or %q", c.CA.Mode, CAEST, CAEmbedded))
	}
	if _, err := LoadLocation(c.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("time_zone: %w", err))
	}
	if err := c.Database.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Write saves c as a TOML file at path with owner-only permissions.
func Write(path string, c Config) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := toml.NewEncoder(f).Encode(c); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Error is a configuration file that cannot be used.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("config %s: %v", e.Path, e.Err) }

// Unwrap returns the underlying problem.
func (e *Error) Unwrap() error { return e.Err }

// UserMessage is the Japanese message shown to the user.
func (e *Error) UserMessage() string {
	return "設定ファイル " + e.Path + " を読み込めません。管理者に連絡してください（" + e.Err.Error() + "）。"
}
