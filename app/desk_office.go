package app

import (
	"context"

	"madoguchi/app/session"
	"madoguchi/app/staff"
)

// Terminal is this counter's name on the shared office database ("" on
// its own SQLite file).
func (c *Counter) Terminal() string { return c.db.Terminal() }

// TakeOverSession moves an open session that another counter holds (a
// *session.InUseError at a step) to this counter at once, for example
// after that counter broke down: supervisors only, recorded in the audit
// trail with the counter it came from. Without it the session can be
// continued here once the other counter's lease has run out.
func (d *Desk) TakeOverSession(ctx context.Context, id string) (*session.Session, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return nil, err
	}
	return d.c.sessions.TakeOver(ctx, d.acct.ID, id)
}

// ReleaseSession gives up this counter's hold on an open session when the
// clerk leaves it unfinished, so that another counter may continue it at
// once.
func (d *Desk) ReleaseSession(ctx context.Context, id string) error {
	if err := d.check(staff.RoleClerk); err != nil {
		return err
	}
	return d.c.sessions.Release(ctx, id)
}
