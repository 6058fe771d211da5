package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"madoguchi/app"
	"madoguchi/app/audit"
	"madoguchi/app/config"
	"madoguchi/app/staff"
	"madoguchi/app/store"
)

// A locked-out, forgotten or departed account can be handled from the
// command line when no supervisor can sign in; each action is audited.
func TestStaffAdminCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := config.Default(dir)
	cfg.Demo = false
	path := filepath.Join(dir, "madoguchi.toml")
	if err := config.Write(path, cfg); err != nil {
		t.Fatal(err)
	}
	if err := app.AddStaff(ctx, cfg, staff.Account{ID: "madoka01", DisplayName: "窓口 円", Role: staff.RoleClerk}, []byte("kumo-no-ue-7")); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, cfg.DatabasePath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := staff.New(db)
	signIn := func(pw string) error { _, err := s.Authenticate(ctx, "madoka01", []byte(pw)); return err }
	for i := 0; i < staff.DefaultPolicy.MaxFailures; i++ {
		signIn("wrong-pass")
	}
	var le *staff.LockedError
	if err := signIn("kumo-no-ue-7"); !errors.As(err, &le) {
		t.Fatalf("not locked: %v", err)
	}
	var tmp string
	tests := []struct {
		name  string
		args  []string
		ok    bool
		check func() error
	}{
		{"unlock", []string{"unlock", "-config", path, "madoka01"}, true, func() error { return signIn("kumo-no-ue-7") }},
		{"disable, ID first", []string{"disable", "madoka01", "-config", path}, true, func() error {
			if err := signIn("kumo-no-ue-7"); !errors.Is(err, staff.ErrDisabled) {
				return errors.New("still enabled: " + errString(err))
			}
			return nil
		}},
		{"enable", []string{"enable", "-config", path, "madoka01"}, true, func() error { return signIn("kumo-no-ue-7") }},
		{"reset", []string{"reset", "-config", path, "madoka01"}, true, func() error {
			if err := signIn("kumo-no-ue-7"); !errors.Is(err, staff.ErrBadCredentials) {
				return errors.New("old password still works: " + errString(err))
			}
			a, err := s.Authenticate(ctx, "madoka01", []byte(tmp))
			if err == nil && !a.MustChangePassword {
				return errors.New("temporary password need not be changed")
			}
			return err
		}},
		{"unknown ID", []string{"unlock", "-config", path, "ghost"}, false, nil},
		{"no ID", []string{"unlock", "-config", path}, false, nil},
		{"no config", []string{"unlock", "madoka01"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runStaffAdmin(tt.args[0], tt.args[1:], &out)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if m := regexp.MustCompile(`temporary password (\S+)`).FindStringSubmatch(out.String()); m != nil {
				tmp = m[1]
			}
			if tt.check != nil {
				if err := tt.check(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for _, action := range []string{audit.ActionStaffUnlocked, audit.ActionStaffDisabled, audit.ActionStaffEnabled, audit.ActionStaffPasswordReset} {
		es, err := audit.List(ctx, db, audit.Filter{Action: action, Subject: "madoka01"})
		if err != nil || len(es) != 1 || !strings.HasPrefix(es[0].Staff, "cli") {
			t.Errorf("%s in the audit trail: %+v %v", action, es, err)
		}
	}
	if _, err := audit.Verify(ctx, db); err != nil {
		t.Error(err)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
