package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDatabaseURL(t *testing.T) {
	tests := []struct {
		name, extra, target, wantErr string
	}{
		{"none", "", "data/m.db", ""},
		{"postgres", "\n[database]\nurl = \"postgres://counter@db.office.example/madoguchi?sslmode=verify-full\"\nterminal = \"honcho-1\"\n",
			"postgres://counter@db.office.example/madoguchi?application_name=honcho-1&sslmode=verify-full", ""},
		{"postgresql", "\n[database]\nurl = \"postgresql:///madoguchi?host=/run/postgresql&application_name=shisho-2\"\n",
			"postgresql:///madoguchi?host=/run/postgresql&application_name=shisho-2", ""},
		{"not postgres", "\n[database]\nurl = \"mysql://db/m\"\n", "", "database.url"},
		{"unknown key", "\n[database]\nurl = \"postgres://db/m\"\npool = 3\n", "", "database.pool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, full+tt.extra)
			c, err := Load(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load = %v, want an error about %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.target
			if want == "data/m.db" {
				want = filepath.Join(filepath.Dir(p), want)
			}
			if got := c.StoreTarget(); got != want {
				t.Fatalf("StoreTarget = %q, want %q", got, want)
			}
		})
	}
	// Written and read back, the URL survives; without one no [database]
	// table is written.
	c := Default(t.TempDir())
	c.Database.URL = "postgres://counter@db/madoguchi"
	p := filepath.Join(t.TempDir(), "c.toml")
	if err := Write(p, c); err != nil {
		t.Fatal(err)
	}
	back, err := Load(p)
	host, _ := os.Hostname()
	if err != nil || back.StoreTarget() != c.Database.URL+"?application_name="+host {
		t.Fatalf("read back: %q %v", back.StoreTarget(), err)
	}
}
