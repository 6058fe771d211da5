package main

import (
	"log/slog"

	"madoguchi/forms/jpfont"
	"madoguchi/ui"
)

// useMJFont finds the MJ font (IPAmj明朝; mjPath is mj_font_path from the
// configuration) and lets the screens draw with it the registry characters
// the theme's font (themeTTF) lacks, such as 𠮷. Without it the counter
// still starts: such characters show as Fyne finds them.
func useMJFont(mjPath string, themeTTF []byte, logger *slog.Logger) {
	mj, err := jpfont.FindMJ(mjPath)
	if err != nil {
		logger.Warn("MJ font not found; registry characters beyond the Japanese font may not show", "err", err)
	}
	if err := ui.UseFonts(themeTTF, mj); err != nil {
		logger.Warn("cannot use the fonts for registry characters", "err", err)
	}
}
