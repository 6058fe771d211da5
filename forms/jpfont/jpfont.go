// Package jpfont finds a TrueType font with Japanese glyphs on this machine,
// for the window's theme and for printed forms.
package jpfont

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// EnvVar names the environment variable that points at a font file and
// takes precedence over the search.
const EnvVar = "MADOGUCHI_FONT"

// DebianPackage is the package that provides the default font on Debian.
const DebianPackage = "fonts-ipaexfont-gothic"

// knownPaths are tried in order before asking fontconfig.
var knownPaths = []string{
	"/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
	"/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
	"/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
	"/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
}

// Font is a font file and its contents.
type Font struct {
	Path string
	Data []byte
}

// ErrNotFound reports that no Japanese font could be found.
var ErrNotFound = errors.New("jpfont: no Japanese TrueType font found")

// NotFoundError says which places were searched.
type NotFoundError struct {
	Tried []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%v (tried %s); install the Debian package %s or set %s to a .ttf file",
		ErrNotFound, strings.Join(e.Tried, ", "), DebianPackage, EnvVar)
}

// Unwrap lets errors.Is match ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// UserMessage is the Japanese message shown to the user.
func (e *NotFoundError) UserMessage() string {
	return "日本語フォントが見つかりません。管理者に連絡し、" + DebianPackage +
		" をインストールするか、環境変数 " + EnvVar + " でフォントファイルを指定してください。"
}

// Find returns the first usable font from: override (a path from the
// configuration), the MADOGUCHI_FONT environment variable, the known Debian
// paths, and fontconfig's best match for Japanese. An explicit override or
// environment path that cannot be read is an error rather than skipped, so a
// typo does not fall back silently.
func Find(override string) (Font, error) {
	for _, explicit := range []string{override, os.Getenv(EnvVar)} {
		if explicit == "" {
			continue
		}
		f, err := load(explicit)
		if err != nil {
			return Font{}, fmt.Errorf("jpfont: configured font: %w", err)
		}
		return f, nil
	}
	tried := append([]string{}, knownPaths...)
	for _, p := range knownPaths {
		if f, err := load(p); err == nil {
			return f, nil
		}
	}
	if p := fontconfigMatch(); p != "" {
		tried = append(tried, "fc-match:"+p)
		if f, err := load(p); err == nil {
			return f, nil
		}
	} else {
		tried = append(tried, "fc-match")
	}
	return Font{}, &NotFoundError{Tried: tried}
}

// load reads a TrueType file; OpenType CFF is refused because neither the
// Fyne renderer nor fpdf reads it. Of a TrueType collection (.ttc, as
// Windows ships its Japanese fonts) the first face is taken, extracted into
// a standalone font.
func load(path string) (Font, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Font{}, err
	}
	if IsCollection(data) {
		if data, err = ExtractTTC(data, 0); err != nil {
			return Font{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	if !isTrueType(data) {
		return Font{}, fmt.Errorf("%s is not a TrueType (.ttf) font", path)
	}
	return Font{Path: path, Data: data}, nil
}

func isTrueType(data []byte) bool {
	if len(data) < 4 {
		return false
	}
	magic := string(data[:4])
	return magic == "\x00\x01\x00\x00" || magic == "true"
}

// fontconfigMatch asks fc-match for a Japanese font file, if fontconfig is
// installed.
func fontconfigMatch() string {
	out, err := exec.Command("fc-match", "-f", "%{file}", ":lang=ja:fontformat=TrueType").Output()
	if err != nil {
		return ""
	}
	p := strings.TrimSpace(string(out))
	if !strings.HasSuffix(strings.ToLower(p), ".ttf") {
		return ""
	}
	return p
}
