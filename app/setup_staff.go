package app

import (
	"context"
	"fmt"

	"madoguchi/app/audit"
	"madoguchi/app/config"
	"madoguchi/app/staff"
	"madoguchi/app/store"
)

// Staff administration from the command line (madoguchi staff
// unlock|reset|disable|enable), for when no supervisor can sign in.
const (
	StaffUnlock  = "unlock"  // lift a lock-out
	StaffReset   = "reset"   // set a temporary password (and lift a lock-out)
	StaffDisable = "disable" // refuse sign-ins
	StaffEnable  = "enable"  // allow sign-ins again
)

// AdminStaff applies op (StaffUnlock, StaffReset, StaffDisable or
// StaffEnable) to the account id directly in the database that cfg names,
// recorded in the audit trail under by (e.g. "cli:<os user>"). For
// StaffReset it returns the temporary password.
func AdminStaff(ctx context.Context, cfg config.Config, op, id, by string) (string, error) {
	db, err := store.Open(ctx, cfg.StoreTarget())
	if err != nil {
		return "", err
	}
	defer db.Close()
	// Keep the anchor file in step, as the counter does. A log that no
	// longer matches it is the counter's to report (at start-up, recorded
	// as audit.verify_failed); it must not stop an unlock.
	if a, err := audit.KeepAnchor(ctx, db, cfg.DatabasePath+audit.AnchorSuffix); a == nil {
		return "", err
	}
	s := staff.New(db)
	switch op {
	case StaffUnlock:
		return "", s.Unlock(ctx, by, id)
	case StaffReset:
		return s.ResetPassword(ctx, by, id)
	case StaffDisable:
		return "", s.SetDisabled(ctx, by, id, true)
	case StaffEnable:
		return "", s.SetDisabled(ctx, by, id, false)
	}
	return "", fmt.Errorf("app: unknown staff operation %q", op)
}
