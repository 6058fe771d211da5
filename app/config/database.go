package config

import (
	"fmt"
	"net/url"
	"os"
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
	// Terminal names this counter in the shared database (every row it
	// writes, the lease of the session it works on); "" means the host
	// name. Sent as the connection's application_name.
	Terminal string `toml:"terminal,omitempty"`
}

// TerminalName is this terminal's name on the shared database: the
// configured one, else the host name.
func (d Database) TerminalName() string {
	if d.Terminal != "" {
		return d.Terminal
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "counter"
	}
	return h
}

// StoreTarget is what store.Open opens: the [database] URL if set, else
// database_path.
func (c Config) StoreTarget() string {
	if c.Database.URL != "" {
		u, err := url.Parse(c.Database.URL)
		if err != nil {
			return c.Database.URL // store.Open reports it
		}
		q := u.Query()
		if !q.Has("application_name") {
			q.Set("application_name", c.Database.TerminalName())
			u.RawQuery = q.Encode()
		}
		return u.String()
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
	if _, err := url.Parse(d.URL); err != nil {
		return fmt.Errorf("database.url cannot be read")
	}
	if len(d.Terminal) > 63 {
		return fmt.Errorf("database.terminal is longer than 63 bytes")
	}
	return nil
}
