package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"madoguchi/app/audit"
	"madoguchi/app/session"
)

// Rows cut off the end of the audit trail together with audit_head are
// found through the anchor file and through a head printed before the cut,
// and every failed check is itself in the audit trail.
func TestTruncatedAuditDetectedAtTheDesk(t *testing.T) {
	ctx := context.Background()
	c := openCounter(t, t.TempDir(), session.Hooks{})
	defer c.Close()
	d := signIn(t, c, "super01")
	printed, err := d.AuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.VerifyAuditAgainst(ctx, printed); err != nil {
		t.Fatalf("intact log against its own head: %v", err)
	}
	anchorPath := c.Config().DatabasePath + audit.AnchorSuffix
	if fi, err := os.Stat(anchorPath); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("anchor file: %v %v", fi, err)
	}
	if _, err := d.VerifyAuditAgainst(ctx, "No.1 0000-0000-0000-0000 zz"); !errors.Is(err, audit.ErrHeadFormat) {
		t.Errorf("mistyped head: %v", err)
	}

	// Cut the last two rows and set audit_head to the row before.
	seq, _, _ := audit.Head(ctx, c.db)
	var h []byte
	c.db.QueryRowContext(ctx, "SELECT hash FROM audit_log WHERE seq = ?", seq-2).Scan(&h)
	for _, q := range []string{"DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log WHERE seq > ?"} {
		if _, err := c.db.ExecContext(ctx, q, seq-2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.db.ExecContext(ctx, "UPDATE audit_head SET seq = ?, hash = ?", seq-2, h); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(ctx, c.db); err != nil {
		t.Fatalf("the cut should fool the in-database chain alone: %v", err)
	}

	tests := []struct {
		name   string
		verify func() error
	}{
		{"VerifyAudit (anchor file)", func() error { _, err := d.VerifyAudit(ctx); return err }},
		{"VerifyAuditAgainst (printed head)", func() error { _, err := d.VerifyAuditAgainst(ctx, printed); return err }},
	}
	for _, tt := range tests {
		err := tt.verify()
		var te *audit.TamperError
		if !errors.As(err, &te) {
			t.Errorf("%s: cut log reported as 正常 (%v)", tt.name, err)
		}
	}
	failed, err := d.Audit(ctx, audit.Filter{Action: audit.ActionAuditVerifyFailed})
	if err != nil || len(failed) < 2 || failed[0].Staff != "super01" {
		t.Errorf("failed checks in the audit trail: %+v %v", failed, err)
	}
	if chk := d.auditCheck(ctx); chk.OK {
		t.Error("the printed audit check says 正常 on a cut log")
	}
}

// An anchor file that cannot be read is kept aside, the counter starts
// with a new one, and the event is in the audit trail.
func TestUnreadableAnchorKeptAside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := openCounter(t, dir, session.Hooks{})
	path := c.Config().DatabasePath + audit.AnchorSuffix
	c.Close()
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	c = openCounter(t, dir, session.Hooks{})
	defer c.Close()
	d := signIn(t, c, "super01")
	failed, _ := d.Audit(ctx, audit.Filter{Action: audit.ActionAuditVerifyFailed})
	if len(failed) != 1 {
		t.Errorf("unreadable anchor not recorded: %+v", failed)
	}
	aside, _ := filepath.Glob(path + ".unreadable-*")
	if len(aside) != 1 {
		t.Errorf("unreadable anchor not kept aside: %v", aside)
	}
	if _, err := d.VerifyAudit(ctx); err != nil {
		t.Errorf("fresh anchor: %v", err)
	}
}
