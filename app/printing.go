package app

import (
	"context"
	"fmt"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/records"
	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/forms"
	"madoguchi/forms/printing"
)

// ErrNotDelivered is returned for a receipt of a session that issued no
// certificate.
var ErrNotDelivered = &appError{"the session has not handed over a certificate",
	"この手続では証明書を交付していないため、交付通知書を印刷できません。"}

// Receipt returns the content of the issuance notice (交付通知書) of a
// delivered session, for printing.WriteReceipt. office names the counter.
func (d *Desk) Receipt(ctx context.Context, id, office string) (printing.Receipt, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return printing.Receipt{}, err
	}
	s, err := d.c.sessions.Get(ctx, id)
	if err != nil {
		return printing.Receipt{}, err
	}
	if s.State != session.Delivered {
		return printing.Receipt{}, ErrNotDelivered
	}
	rec, err := records.Get(ctx, d.c.db, s.CertSerial)
	if err != nil {
		return printing.Receipt{}, err
	}
	r, err := d.c.registry.Get(ctx, s.ResidentCode)
	if err != nil {
		return printing.Receipt{}, err
	}
	return printing.Receipt{
		Kind: s.Kind.String(), Name: r.Name(), Serial: rec.Serial,
		NotBefore: rec.NotBefore.In(time.Local), NotAfter: rec.NotAfter.In(time.Local),
		Prefecture: d.c.cfg.Prefecture, Municipality: d.c.cfg.Municipality, Office: office,
		IssuedAt: s.FinishedAt.In(time.Local), Clerk: s.Clerk,
	}, nil
}

// RecordBook returns the content of the issuance record book (交付記録簿)
// for the sessions started in [from, to), with the audit trail's check,
// for printing.WriteRecordBook (supervisors only).
func (d *Desk) RecordBook(ctx context.Context, from, to time.Time, office string) (printing.RecordBook, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return printing.RecordBook{}, err
	}
	list, err := records.List(ctx, d.c.db, records.Filter{From: from, To: to, Limit: 100000})
	if err != nil {
		return printing.RecordBook{}, err
	}
	book := printing.RecordBook{Office: office, From: from, To: to.Add(-time.Nanosecond), PrintedBy: d.acct.ID, PrintedAt: time.Now()}
	for _, r := range list {
		at := r.FinishedAt
		if at.IsZero() {
			at = r.StartedAt
		}
		book.Rows = append(book.Rows, printing.RecordRow{
			Time: at.In(time.Local), ResidentCode: r.ResidentCode, Name: r.ResidentName, Kind: r.Kind.String(),
			Serial: r.Serial, Result: r.Result(), Clerk: r.Clerk,
		})
	}
	book.Audit = d.auditCheck(ctx)
	return book, nil
}

// auditCheck verifies the audit trail for a printed page.
func (d *Desk) auditCheck(ctx context.Context) printing.AuditCheck {
	rep, err := d.c.verifyAudit(ctx, d.acct.ID) // chain and anchor file; a break is recorded
	if err != nil {
		if te, ok := err.(*audit.TamperError); ok {
			return printing.AuditCheck{OK: false, Detail: te.UserMessage()}
		}
		return printing.AuditCheck{OK: false, Detail: "監査ログを検証できませんでした（" + err.Error() + "）。"}
	}
	return printing.AuditCheck{OK: true, Detail: fmt.Sprintf("監査ログ %d 件のハッシュ連鎖を検証し、改ざんのないことを確認しました（末尾 %x）。", rep.Rows, rep.HeadHash[:8])}
}

// DailySummary returns the content of the daily summary (日計表) of a day
// in the local time zone, for printing.WriteDailySummary (supervisors
// only).
func (d *Desk) DailySummary(ctx context.Context, day forms.Date, office string) (printing.DailySummary, error) {
	counts, err := d.Daily(ctx, day)
	if err != nil {
		return printing.DailySummary{}, err
	}
	sum := printing.DailySummary{Date: time.Date(day.Year, day.Month, day.Day, 0, 0, 0, 0, time.Local), Office: office,
		PrintedBy: d.acct.ID, PrintedAt: time.Now()}
	for _, c := range counts {
		sum.Counts = append(sum.Counts, printing.Count{Clerk: c.Clerk, Kind: c.Kind.String(), Result: records.ResultLabel(c.Kind, c.Outcome), N: c.N})
	}
	return sum, nil
}
