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
// delivered session, for printing.WriteReceipt. office names the counter
// within the municipality (config's office, printed after the
// municipality's name); times are in the municipality's zone.
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
	names, err := records.StaffNames(ctx, d.c.db)
	if err != nil {
		return printing.Receipt{}, err
	}
	loc := d.Location()
	return printing.Receipt{
		Kind: s.Kind.String(), Name: r.Name(), Serial: rec.Serial,
		NotBefore: rec.NotBefore.In(loc), NotAfter: rec.NotAfter.In(loc),
		Prefecture: d.c.cfg.Prefecture, Municipality: d.c.cfg.Municipality, Office: office,
		IssuedAt: s.FinishedAt.In(loc), Clerk: records.StaffLabel(s.Clerk, names),
	}, nil
}

// RecordBook returns the content of the issuance record book (交付記録簿)
// for the sessions started in [from, to), in the order of the printed
// times, with each certificate's current state, the audit trail's check
// and its head, for printing.WriteRecordBook (supervisors only). office
// is the header's name of the counter (config.Config.OfficeName).
func (d *Desk) RecordBook(ctx context.Context, from, to time.Time, office string) (printing.RecordBook, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return printing.RecordBook{}, err
	}
	list, err := records.List(ctx, d.c.db, records.Filter{From: from, To: to, Limit: 100000})
	if err != nil {
		return printing.RecordBook{}, err
	}
	names, err := records.StaffNames(ctx, d.c.db)
	if err != nil {
		return printing.RecordBook{}, err
	}
	loc := d.Location()
	book := printing.RecordBook{Office: office, From: from.In(loc), To: to.Add(-time.Nanosecond).In(loc),
		PrintedBy: records.StaffLabel(d.acct.ID, names), PrintedAt: time.Now().In(loc)}
	for _, r := range list {
		book.Rows = append(book.Rows, printing.RecordRow{
			Time: r.At().In(loc), ResidentCode: r.ResidentCode, Name: r.ResidentName, Kind: r.Kind.String(),
			Serial: r.Serial, Result: r.Result(), Status: r.Cert.Label(), Clerk: records.StaffLabel(r.Clerk, names),
		})
	}
	book.Audit = d.auditCheck(ctx)
	if book.Head, err = d.auditHead(ctx); err != nil {
		return printing.RecordBook{}, err
	}
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
// in the municipality's zone: the counts per clerk, kind and result, the
// certificates revoked that day by reason and the audit head, for
// printing.WriteDailySummary (supervisors only).
func (d *Desk) DailySummary(ctx context.Context, day forms.Date, office string) (printing.DailySummary, error) {
	counts, err := d.Daily(ctx, day)
	if err != nil {
		return printing.DailySummary{}, err
	}
	names, err := records.StaffNames(ctx, d.c.db)
	if err != nil {
		return printing.DailySummary{}, err
	}
	loc := d.Location()
	from, to := records.DayRange(day, loc)
	sum := printing.DailySummary{Date: from, Office: office,
		PrintedBy: records.StaffLabel(d.acct.ID, names), PrintedAt: time.Now().In(loc)}
	for _, c := range counts {
		sum.Counts = append(sum.Counts, printing.Count{Clerk: records.StaffLabel(c.Clerk, names), Kind: c.Kind.String(),
			Result: records.ResultLabel(c.Kind, c.Outcome), N: c.N})
	}
	revoked, err := records.Revocations(ctx, d.c.db, from, to)
	if err != nil {
		return printing.DailySummary{}, err
	}
	for _, r := range revoked {
		sum.Revocations = append(sum.Revocations, printing.ReasonCount{Reason: records.ReasonLabel(r.Reason), N: r.N})
	}
	n, err := d.NoticeCounts(ctx, day)
	if err != nil {
		return printing.DailySummary{}, err
	}
	sum.Notices = &printing.NoticeCount{Sent: n.Sent, Pending: n.Pending, Failed: n.Failed}
	if sum.Head, err = d.auditHead(ctx); err != nil {
		return printing.DailySummary{}, err
	}
	return sum, nil
}

// auditHead reads the audit log's head for a printout.
func (d *Desk) auditHead(ctx context.Context) (printing.AuditHead, error) {
	seq, hash, err := audit.Head(ctx, d.c.db)
	if err != nil || len(hash) == 0 {
		return printing.AuditHead{Seq: seq, Hash: hash}, err
	}
	return printing.AuditHead{Seq: seq, Hash: hash, Code: audit.FormatHead(seq, hash)}, nil
}

// Location is the municipality's time zone (config time_zone, default
// Asia/Tokyo): the zone of every time shown or printed and of day
// boundaries, whatever the machine's zone.
func (d *Desk) Location() *time.Location { return d.c.cfg.Location() }

// StaffNames maps staff IDs to display names, for screens that show the
// records with names (supervisors only).
func (d *Desk) StaffNames(ctx context.Context) (map[string]string, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return nil, err
	}
	return records.StaffNames(ctx, d.c.db)
}
