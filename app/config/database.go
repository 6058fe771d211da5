package config

import (
	"fmt"
	"strings"
)

// Database selects a shared office database instead of the terminal's own
// SQLite file ([database] url = "postgres://…"). With a URL set, every
// counter and supervisor pointed at it shares the registry, staff
// accounts, sessions, records, notices and one audit chain; database_path
// then only places the terminal's local files (the audit anchor,
// <database_path>.audit-head).
type Database struct {
	URL string `toml:"url,omitempty"`
}

// StoreTarget is what store.Open opens: the [database] URL if set, else
// database_path.
func (c Config) StoreTarget() string {
	if c.Database.URL != "" {
		return c.Database.URL
	}
	return c.DatabasePath
}

// validate checks the [database] table.
func (d Database) validate() error {
	if d.URL == "" {
		return nil
	}
	if !strings.HasPrefix(d.URL, "postgres://") && !strings.HasPrefix(d.URL, "postgresql://") {
		return fmt.Errorf("database.url must start with postgres:// or postgresql://")
	}
	return nil
}
