package printer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Create makes a new file for one printout in dir, named
// <base>-<YYYYMMDD-HHMMSS>.pdf from at (in at's zone), with -2, -3 …
// added when that name is taken, so that printing again never overwrites
// an earlier printout. The file is created exclusively and empty, mode
// 0600; the caller writes it and closes it (and removes it on failure).
func Create(dir, base string, at time.Time) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	stem := base + "-" + at.Format("20060102-150405")
	for n := 1; n <= 1000; n++ {
		name := stem + ".pdf"
		if n > 1 {
			name = fmt.Sprintf("%s-%d.pdf", stem, n)
		}
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("printer: no free file name for %s in %s", stem, dir)
}
