//go:build windows

package jpfont

import (
	"os"
	"path/filepath"
)

// On Windows the font is looked for next to the program, among the user's
// and the system's fonts, and then in Windows' own Japanese collections.
func init() {
	exeDir := ""
	if exe, err := os.Executable(); err == nil {
		exeDir = filepath.Dir(exe)
	}
	windir := os.Getenv("WINDIR")
	if windir == "" {
		windir = `C:\Windows`
	}
	local := os.Getenv("LOCALAPPDATA")
	knownPaths = windowsPaths(exeDir, local, windir, "ipaexg.ttf", true)
	mjPaths = append(windowsPaths(exeDir, local, windir, "ipamjm.ttf", false), mjPaths...)
}
