package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/staff"
)

// keepAuditAnchor starts keeping the audit chain's head in the anchor file
// next to the database (<database>.audit-head). A log that no longer
// matches the file is logged and recorded as audit.verify_failed, but
// does not stop the counter: a supervisor must look at it.
func (c *Counter) keepAuditAnchor(ctx context.Context) error {
	path := c.cfg.DatabasePath + audit.AnchorSuffix
	a, err := audit.KeepAnchor(ctx, c.db, path)
	if a == nil {
		// Unreadable: keep it aside as evidence, record it and start anew.
		aside := path + ".unreadable-" + time.Now().UTC().Format("20060102T150405Z")
		c.log.Error("audit anchor file unreadable; kept aside", "path", path, "aside", aside, "err", err)
		if rerr := os.Rename(path, aside); rerr != nil {
			return &SetupError{What: "audit anchor file " + path, Err: errors.Join(err, rerr)}
		}
		c.recordVerifyFailed(ctx, "system", "unreadable anchor file kept as "+aside, err)
		if a, err = audit.KeepAnchor(ctx, c.db, path); a == nil {
			return &SetupError{What: "audit anchor file " + path, Err: err}
		}
	}
	c.anchor = a
	var last string
	a.OnError = func(err error) {
		if err.Error() != last { // once per distinct problem, not per commit
			last = err.Error()
			c.log.Error("audit anchor not updated", "path", a.Path(), "err", err)
		}
	}
	if err != nil {
		c.log.Error("audit log does not match its anchor file", "path", a.Path(), "err", err)
		c.recordVerifyFailed(ctx, "system", "anchor file at start-up", err)
	}
	return nil
}

// recordVerifyFailed records a failed chain check in the audit trail.
func (c *Counter) recordVerifyFailed(ctx context.Context, by, against string, err error) {
	detail := against + ": " + err.Error()
	if _, rerr := audit.Record(ctx, c.db, audit.Entry{Staff: by, Action: audit.ActionAuditVerifyFailed, Detail: detail}); rerr != nil {
		c.log.Error("cannot record the failed audit check", "err", rerr)
	}
}

// verifyAudit checks the chain and the anchor file; a break is recorded
// as audit.verify_failed under by.
func (c *Counter) verifyAudit(ctx context.Context, by string) (audit.Report, error) {
	var rep audit.Report
	var err error
	if c.anchor != nil {
		rep, err = c.anchor.Verify(ctx)
	} else {
		rep, err = audit.Verify(ctx, c.db)
	}
	var te *audit.TamperError
	if errors.As(err, &te) {
		c.recordVerifyFailed(ctx, by, "chain and anchor file", err)
	}
	return rep, err
}

// VerifyAuditAgainst checks the audit trail's chain and its anchor file,
// and then that the head printed earlier (on a daily summary or a record
// book, as audit.FormatHead wrote it and the supervisor typed it back) is
// still in the log with the same hash (supervisors only). A typing mistake
// is audit.ErrHeadFormat; a log cut back or rewritten since the print is
// an *audit.TamperError and is recorded as audit.verify_failed.
func (d *Desk) VerifyAuditAgainst(ctx context.Context, printed string) (audit.Report, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return audit.Report{}, err
	}
	seq, prefix, err := audit.ParseHead(printed)
	if err != nil {
		return audit.Report{}, err
	}
	rep, err := d.c.verifyAudit(ctx, d.acct.ID)
	if err != nil {
		return rep, err
	}
	rep, err = audit.VerifyAgainst(ctx, d.c.db, seq, prefix)
	var te *audit.TamperError
	if errors.As(err, &te) {
		d.c.recordVerifyFailed(ctx, d.acct.ID, "printed head "+audit.FormatHead(seq, prefix), err)
	}
	if err != nil {
		return rep, err
	}
	_, err = audit.Record(ctx, d.c.db, audit.Entry{Staff: d.acct.ID, Action: audit.ActionAuditVerified,
		Detail: fmt.Sprintf("intact up to row %s, printed head %s found", strconv.FormatInt(rep.HeadSeq, 10), audit.FormatHead(seq, prefix))})
	return rep, err
}

// AuditHead is the audit trail's current head in audit.FormatHead's short
// form ("No.123 3f2a-9c1b-77e0-4d21 c5"), for printing on the daily
// summary and the record book.
func (d *Desk) AuditHead(ctx context.Context) (string, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return "", err
	}
	seq, h, err := audit.Head(ctx, d.c.db)
	if err != nil {
		return "", err
	}
	return audit.FormatHead(seq, h), nil
}
