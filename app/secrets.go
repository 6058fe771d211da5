package app

import (
	"errors"
	"os"

	"madoguchi/app/config"
	"madoguchi/app/privfile"
)

// checkSecrets refuses to start when the master secret or the RA key (the
// terminal's key for the prefecture CA) can be read by anyone but their
// owner: either lets a reader derive residents' card keys or speak for the
// terminal. A file that does not exist yet is left to the code that loads
// or creates it.
func (c *Counter) checkSecrets(cfg config.Config) error {
	files := []struct{ path, what, en string }{
		{cfg.MasterSecretFile, "マスターシークレット", "master secret"},
	}
	if cfg.CA.Mode == config.CAEST {
		files = append(files, struct{ path, what, en string }{cfg.CA.RAKey, "RA（端末）の秘密鍵", "RA key"})
	}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		err := privfile.CheckSecret(f.path, f.what)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		var ee *privfile.ExposedError
		if errors.As(err, &ee) {
			c.log.Error("refusing to start: secret file readable by group or others", "file", f.en, "path", f.path, "mode", ee.Mode.Perm().String())
		}
		if err != nil {
			return &SetupError{What: f.en + " " + f.path, Err: err}
		}
	}
	return nil
}
