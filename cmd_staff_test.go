package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"madoguchi/app/config"
	"madoguchi/app/staff"
	"madoguchi/app/store"
)

func TestStaffAddCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default(dir)
	cfg.Demo = false
	path := filepath.Join(dir, "madoguchi.toml")
	if err := config.Write(path, cfg); err != nil {
		t.Fatal(err)
	}
	withStdin := func(input string, f func() error) error {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		w.WriteString(input)
		w.Close()
		old := os.Stdin
		os.Stdin = r
		defer func() { os.Stdin = old; r.Close() }()
		return f()
	}
	add := func(args ...string) error {
		return runStaff(append([]string{"add", "-config", path}, args...))
	}
	tests := []struct {
		name, password string
		args           []string
		ok             bool
	}{
		{"no config", "correct horse battery\n", nil, false},
		{"weak password", "short\n", []string{"-id", "kanri01", "-name", "管理 一郎", "-role", "supervisor"}, false},
		{"bad role", "correct horse battery\n", []string{"-id", "kanri01", "-name", "管理 一郎", "-role", "admin"}, false},
		{"supervisor", "correct horse battery\n", []string{"-id", "kanri01", "-name", "管理 一郎", "-role", "supervisor"}, true},
		{"same ID again", "correct horse battery\n", []string{"-id", "kanri01", "-name", "管理 二郎", "-role", "clerk"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := withStdin(tt.password, func() error {
				if tt.args == nil {
					return runStaff([]string{"add", "-id", "x"})
				}
				return add(tt.args...)
			})
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	db, err := store.Open(context.Background(), cfg.DatabasePath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	acct, err := staff.New(db).Authenticate(context.Background(), "kanri01", []byte("correct horse battery"))
	if err != nil || acct.Role != staff.RoleSupervisor || acct.DisplayName != "管理 一郎" {
		t.Fatalf("account %+v, %v", acct, err)
	}
}
