package app

import (
	"context"

	"madoguchi/app/staff"
)

// ResetStaffTemporary gives another account a random temporary password,
// which it returns for the supervisor to hand over, lifts any lock-out and
// makes the staff member choose a new password at the next sign-in
// (supervisors only). Audited as staff.reset.
func (d *Desk) ResetStaffTemporary(ctx context.Context, id string) (string, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return "", err
	}
	return d.c.staff.ResetPassword(ctx, d.acct.ID, id)
}
