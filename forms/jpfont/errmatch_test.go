package jpfont

import (
	"errors"
	"io/fs"
	"strings"
)

// notExist as a wanted error text means a missing file, matched with
// errors.Is rather than by the system's wording ("no such file" on Unix,
// "File not found." on Windows).
const notExist = "\x00not exist"

// errMatches reports whether err is non-nil and contains want, or is a
// missing-file error when want is notExist.
func errMatches(err error, want string) bool {
	if err == nil {
		return false
	}
	if want == notExist {
		return errors.Is(err, fs.ErrNotExist)
	}
	return strings.Contains(err.Error(), want)
}
