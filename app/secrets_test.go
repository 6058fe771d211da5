//go:build !windows

package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"madoguchi/app/config"
	"madoguchi/app/privfile"
)

// The counter does not start when the master secret or the RA key can be
// read by the group or others; the clerk sees why in Japanese and the log
// says which file in English.
func TestOpenRefusesExposedSecrets(t *testing.T) {
	tests := []struct {
		name   string
		file   func(cfg config.Config) string
		mode   os.FileMode
		refuse bool
	}{
		{"master 0600", func(cfg config.Config) string { return cfg.MasterSecretFile }, 0o600, false},
		{"master 0644", func(cfg config.Config) string { return cfg.MasterSecretFile }, 0o644, true},
		{"master 0640", func(cfg config.Config) string { return cfg.MasterSecretFile }, 0o640, true},
		{"ra key 0644", func(cfg config.Config) string { return cfg.CA.RAKey }, 0o644, true},
		{"ra key 0604", func(cfg config.Config) string { return cfg.CA.RAKey }, 0o604, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := demoConfig(dir)
			cfg.Demo = false
			cfg.CA.Mode = config.CAEST
			cfg.CA.URL = "https://127.0.0.1:1/.well-known/est"
			cfg.CA.RootCert = filepath.Join(dir, "root.pem")
			cfg.CA.RACert = filepath.Join(dir, "ra.pem")
			cfg.CA.RAKey = filepath.Join(dir, "ra.key")
			os.MkdirAll(dir, 0o700)
			for _, p := range []string{cfg.MasterSecretFile, cfg.CA.RAKey} {
				if err := os.WriteFile(p, bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(tt.file(cfg), tt.mode); err != nil {
				t.Fatal(err)
			}
			var logBuf bytes.Buffer
			c, err := Open(context.Background(), cfg, Options{StaffParams: &fastStaff, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
			if c != nil {
				c.Close()
			}
			var ee *privfile.ExposedError
			if got := errors.As(err, &ee); got != tt.refuse {
				t.Fatalf("Open = %v; refused for exposure: %v, want %v", err, got, tt.refuse)
			}
			if !tt.refuse {
				return
			}
			var se *SetupError
			if !errors.As(err, &se) || !strings.Contains(se.UserMessage(), "起動を中止") {
				t.Errorf("user message: %v", err)
			}
			if !strings.Contains(logBuf.String(), "refusing to start") || !strings.Contains(logBuf.String(), tt.file(cfg)) {
				t.Errorf("log: %s", logBuf.String())
			}
			if _, err := os.Stat(cfg.DatabasePath); err == nil {
				t.Error("database created although the counter refused to start")
			}
		})
	}
}
