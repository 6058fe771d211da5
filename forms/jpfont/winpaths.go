package jpfont

import "path/filepath"

// windowsCollections are the Japanese fonts Windows 10 and 11 ship, all
// TrueType collections (Find takes the first face): Yu Gothic Medium and
// Regular, Meiryo, MS Gothic.
var windowsCollections = []string{"YuGothM.ttc", "YuGothR.ttc", "meiryo.ttc", "msgothic.ttc"}

// windowsPaths lists where a Windows counter looks for the font file name
// (ipaexg.ttf, ipamjm.ttf): the fonts folder next to madoguchi.exe (the
// Windows zip ships IPAex Gothic and IPAmj Mincho there), the user's own
// installed fonts and the system fonts folder; with collections, Windows'
// own Japanese fonts follow. Empty folders are left out.
func windowsPaths(exeDir, localAppData, windir, name string, collections bool) []string {
	var dirs []string
	if exeDir != "" {
		dirs = append(dirs, filepath.Join(exeDir, "fonts"))
	}
	if localAppData != "" {
		dirs = append(dirs, filepath.Join(localAppData, "Microsoft", "Windows", "Fonts"))
	}
	if windir != "" {
		dirs = append(dirs, filepath.Join(windir, "Fonts"))
	}
	var paths []string
	for _, d := range dirs {
		paths = append(paths, filepath.Join(d, name))
	}
	if collections && windir != "" {
		for _, c := range windowsCollections {
			paths = append(paths, filepath.Join(windir, "Fonts", c))
		}
	}
	return paths
}
