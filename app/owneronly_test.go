package app

import (
	"os"
	"runtime"
	"testing"

	"madoguchi/app/privfile"
)

// ownerOnly reports whether the secret file at path (fi: its Stat) is
// readable by its owner only: mode 0600 on Unix, a DACL that privfile
// accepts on Windows, which has no permission bits.
func ownerOnly(t testing.TB, path string, fi os.FileInfo) bool {
	t.Helper()
	if fi == nil {
		return false
	}
	if runtime.GOOS == "windows" {
		err := privfile.CheckSecret(path, "secret")
		if err != nil {
			t.Log(err)
		}
		return err == nil
	}
	return fi.Mode().Perm() == 0o600
}
