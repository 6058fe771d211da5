// Package privfile creates and checks files that only their owner may
// read: the counter's databases (personal data, password hashes, the audit
// trail), their SQLite side files and the audit anchor.
//
// On Unix a file is created with mode 0600 whatever the process umask or
// the folder's default, and an existing one is tightened to 0600. Windows
// has no Unix permission bits: there the same functions give the file a
// protected DACL granting only the current user access (nothing inherited
// from the folder), and CheckSecret refuses a file whose DACL lets anyone
// else in but SYSTEM and the Administrators group.
package privfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Mode is the permission every private file gets.
const Mode fs.FileMode = 0o600

// SQLiteSuffixes are the side files SQLite keeps next to a WAL database.
var SQLiteSuffixes = []string{"", "-wal", "-shm", "-journal"}

// Restrict creates path with Mode if it does not exist (empty), and sets an
// existing file's mode to Mode. On Windows it gives the file an owner-only
// DACL instead.
func Restrict(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, Mode)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return Protect(path)
}

// Protect makes an existing file readable by its owner only: mode 0600 on
// Unix, an owner-only DACL protected from inheritance on Windows.
func Protect(path string) error {
	if runtime.GOOS == "windows" {
		return setOwnerOnly(path)
	}
	return os.Chmod(path, Mode)
}

// PrepareSQLite makes the database file at path private before SQLite
// opens it, creating it if needed, and tightens its side files that
// already exist. SQLite gives the -wal and -shm files it creates later the
// database file's mode, so they are private too.
func PrepareSQLite(path string) error {
	if err := Restrict(path); err != nil {
		return err
	}
	for _, s := range SQLiteSuffixes[1:] {
		if _, err := os.Lstat(path + s); err == nil {
			if err := Restrict(path + s); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteFile replaces the file at path with data atomically (a private
// temporary file in the same folder, synced, then renamed over it).
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if runtime.GOOS != "windows" {
		if err := f.Chmod(Mode); err != nil {
			return err
		}
	} else if err := setOwnerOnly(tmp); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}

// ExposedError is returned by CheckSecret when a secret file can be read
// by the group or by others.
type ExposedError struct {
	Path string
	What string // Japanese name of the file ("マスターシークレット")
	Mode fs.FileMode
	// ACL is the file's security descriptor (SDDL) on Windows, where the
	// DACL rather than Mode let others in; "" on Unix.
	ACL string
}

func (e *ExposedError) Error() string {
	if e.ACL != "" {
		return fmt.Sprintf("privfile: %s can be opened by others (security descriptor %s); it must be accessible to its owner only", e.Path, e.ACL)
	}
	return fmt.Sprintf("privfile: %s has mode %04o; it must be readable by its owner only (chmod 600 %s)", e.Path, e.Mode.Perm(), e.Path)
}

// UserMessage says what happened in Japanese.
func (e *ExposedError) UserMessage() string {
	if e.ACL != "" {
		return fmt.Sprintf("%s（%s）に所有者以外のアクセス許可が設定されているため、起動を中止しました。ファイルのアクセス許可を所有者のみに変更してから起動してください。",
			e.What, e.Path)
	}
	return fmt.Sprintf("%s（%s）が所有者以外からも読める設定になっているため、起動を中止しました。ファイルの権限を所有者のみ（600）に変更してから起動してください。",
		e.What, e.Path)
}

// ErrNotRegular is returned by CheckSecret for a path that is not a
// regular file.
var ErrNotRegular = errors.New("privfile: not a regular file")

// CheckSecret returns an *ExposedError when the file at path grants any
// permission to its group or to others, and the os error when it cannot be
// examined. what is the file's Japanese name for the message. On Windows
// it checks the file's DACL instead of its mode.
func CheckSecret(path, what string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	if runtime.GOOS == "windows" {
		sddl, err := checkOwnerOnly(path)
		if err != nil {
			return err
		}
		if sddl != "" {
			return &ExposedError{Path: path, What: what, Mode: fi.Mode(), ACL: sddl}
		}
		return nil
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return &ExposedError{Path: path, What: what, Mode: fi.Mode()}
	}
	return nil
}
