package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/identity"
	"madoguchi/app/prefecture"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/cardio"
	"madoguchi/forms"
	"madoguchi/keygen"
)

// Desk is a signed-in staff member's access to the counter. Every action
// is recorded under their staff ID; supervisor-only actions check the
// role. Methods are safe for concurrent use and never touch the UI.
type Desk struct {
	c         *Counter
	acct      staff.Account
	signedOut atomic.Bool
}

// Account is the signed-in staff member.
func (d *Desk) Account() staff.Account { return d.acct }

func (d *Desk) check(need staff.Role) error {
	if d.signedOut.Load() {
		return ErrSignedOut
	}
	return d.acct.Require(need)
}

// SignOut records the sign-out; the Desk refuses further use.
func (d *Desk) SignOut(ctx context.Context) error {
	if d.signedOut.Swap(true) {
		return nil
	}
	_, err := audit.Record(ctx, d.c.db, audit.Entry{Staff: d.acct.ID, Action: audit.ActionSignOut, Subject: d.acct.ID})
	return err
}

// ChangePassword replaces the signed-in staff member's own password after
// checking the current one. The caller wipes both.
func (d *Desk) ChangePassword(ctx context.Context, current, next []byte) error {
	if err := d.check(staff.RoleClerk); err != nil {
		return err
	}
	if _, err := d.c.staff.Authenticate(ctx, d.acct.ID, current); err != nil {
		return err
	}
	return d.c.staff.SetPassword(ctx, d.acct.ID, d.acct.ID, next)
}

// --- Registry ---

// Search looks residents up by 住民コード, ふりがな (romaji accepted),
// 生年月日 and 氏名. Each search is in the audit trail (which fields were
// used and how many residents were shown, not the values).
func (d *Desk) Search(ctx context.Context, q registry.Query) (registry.Result, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return registry.Result{}, err
	}
	res, err := d.c.registry.Search(ctx, q)
	if err != nil {
		return res, err
	}
	var fields []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"code", q.Code != ""}, {"kana", q.Kana != ""}, {"birth", !q.Birth.IsZero()}, {"name", q.Name != ""}} {
		if f.set {
			fields = append(fields, f.name)
		}
	}
	_, err = audit.Record(ctx, d.c.db, audit.Entry{Staff: d.acct.ID, Action: ActionRegistrySearch,
		Detail: fmt.Sprintf("by %s: %d shown", strings.Join(fields, "+"), len(res.Residents))})
	return res, err
}

// ActionRegistrySearch is the audit action of a registry search, and
// ActionRegistryView that of opening one resident's record.
const (
	ActionRegistrySearch = "registry.search"
	ActionRegistryView   = "registry.view"
)

// Resident returns one registry record, noting in the audit trail who
// looked at it.
func (d *Desk) Resident(ctx context.Context, code string) (registry.Resident, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return registry.Resident{}, err
	}
	r, err := d.c.registry.Get(ctx, code)
	if err != nil {
		return r, err
	}
	_, err = audit.Record(ctx, d.c.db, audit.Entry{Staff: d.acct.ID, Action: ActionRegistryView, Subject: r.Code})
	return r, err
}

// Prefill returns, for a resident Eligible for kind, an application form
// of kind pre-filled from the resident's registry record, dated today, with the first substitute
// candidate proposed for every character the certificate cannot carry
// (for the kinds that issue a certificate).
func (d *Desk) Prefill(ctx context.Context, code string, kind forms.ApplicationKind) (forms.Application, error) {
	r, err := d.Resident(ctx, code)
	if err != nil {
		return forms.Application{}, err
	}
	if err := d.Eligible(ctx, r.Code, kind); err != nil {
		return forms.Application{}, err
	}
	a := r.Application(kind, forms.Today())
	if kind.IssuesCertificate() {
		a.Substitutes = registry.SuggestSubstitutes(a)
	}
	return a, nil
}

// Differences compares a form with the resident's record without changing
// anything, for the form screen to show before the identity check.
func (d *Desk) Differences(ctx context.Context, code string, a forms.Application) ([]identity.Difference, error) {
	r, err := d.Resident(ctx, code)
	if err != nil {
		return nil, err
	}
	return identity.Compare(a, r), nil
}

// ValidCertificates lists the resident's certificates in force.
func (d *Desk) ValidCertificates(ctx context.Context, code string) ([]records.Certificate, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return nil, err
	}
	return records.ValidFor(ctx, d.c.db, registry.NormalizeCode(code), time.Now())
}

// ImportRegistry imports a registry CSV export (supervisors only).
func (d *Desk) ImportRegistry(ctx context.Context, in io.Reader, opt registry.ImportOptions) (*registry.ImportReport, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return nil, err
	}
	rep, err := d.c.registry.Import(ctx, d.acct.ID, in, opt)
	d.c.kickNotices(rep)
	return rep, err
}

// --- Sessions ---

// Start accepts an application form for a resident (申請受付) after
// checking that the resident is eligible on the form's date (Eligible).
func (d *Desk) Start(ctx context.Context, code string, a forms.Application) (*session.Session, error) {
	if err := d.eligibleOn(ctx, code, a.Kind, a.AppliedOn); err != nil {
		return nil, err
	}
	s, err := d.c.sessions.Start(ctx, d.acct.ID, code, a)
	if errors.Is(err, session.ErrOpenExists) {
		if aerr := d.auditRefusal(ctx, code, a.Kind, session.ErrOpenExists.UserMessage()); aerr != nil {
			err = errors.Join(err, aerr)
		}
	}
	return s, err
}

// UpdateApplication corrects the form of a session before the card steps.
func (d *Desk) UpdateApplication(ctx context.Context, id string, a forms.Application) (*session.Session, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return nil, err
	}
	return d.c.sessions.UpdateApplication(ctx, d.acct.ID, id, a)
}

// CheckIdentity runs the identity check (本人確認) with the documents seen.
func (d *Desk) CheckIdentity(ctx context.Context, id string, docs []identity.Document) (*session.IdentityOutcome, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return nil, err
	}
	return d.c.sessions.CheckIdentity(ctx, d.acct.ID, id, docs)
}

// Card is a connection to the card in the reader, for the card steps.
// Close it when the step is done or the card is removed.
type Card struct {
	conn *cardio.Card
	kg   *keygen.Card
	alg  keygen.Algorithm
}

// ConnectCard connects to the card in the counter's reader. Wait for the
// card first (cardio.Watch on Counter.Reader).
func (d *Desk) ConnectCard(ctx context.Context) (*Card, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return nil, err
	}
	r, err := d.c.Reader(ctx)
	if err != nil {
		return nil, err
	}
	conn, err := r.Connect(ctx)
	if err != nil {
		return nil, err
	}
	kg, err := keygen.Open(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &Card{conn: conn, kg: kg, alg: d.c.opt.Algorithm}, nil
}

// State recognises the card: blank, issued by us, or foreign (refused).
func (c *Card) State(ctx context.Context) (keygen.State, error) { return c.kg.State(ctx) }

// Certificate reads the signing certificate on the card
// (keygen.ErrNoCertificate when there is none).
func (c *Card) Certificate(ctx context.Context) (*x509.Certificate, error) {
	return c.kg.Certificate(ctx)
}

// ID returns the card's identifier.
func (c *Card) ID() (string, error) { return c.kg.ID() }

// Close wipes the secrets held for the card and closes the connection.
func (c *Card) Close() error {
	c.kg.Wipe()
	return c.conn.Close()
}

func (c *Card) session() session.Card {
	if c == nil {
		return noCard{}
	}
	return session.KeygenCard{Card: c.kg, Alg: c.alg}
}

// PrepareCard prepares the card for the session (カード準備).
func (d *Desk) PrepareCard(ctx context.Context, id string, card *Card) error {
	if err := d.check(staff.RoleClerk); err != nil {
		return err
	}
	if err := d.refuseCard(ctx, id, card); err != nil {
		return err
	}
	return d.c.sessions.PrepareCard(ctx, d.acct.ID, id, card.session())
}

// GenerateKey sets the resident's PIN and generates the key pair on the
// card (鍵生成). pin and confirm are wiped.
func (d *Desk) GenerateKey(ctx context.Context, id string, card *Card, pin, confirm []byte) error {
	if err := d.check(staff.RoleClerk); err != nil {
		clear(pin)
		clear(confirm)
		return err
	}
	return d.c.sessions.GenerateKey(ctx, d.acct.ID, id, card.session(), pin, confirm)
}

// Request sends the request to the prefecture CA (発行申請).
func (d *Desk) Request(ctx context.Context, id string) (*records.Certificate, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return nil, err
	}
	return d.c.sessions.Request(ctx, d.acct.ID, id)
}

// Write writes the issued certificate to the card (書込).
func (d *Desk) Write(ctx context.Context, id string, card *Card) error {
	if err := d.check(staff.RoleClerk); err != nil {
		return err
	}
	return d.c.sessions.Write(ctx, d.acct.ID, id, card.session())
}

// Deliver completes the issuance (交付).
func (d *Desk) Deliver(ctx context.Context, id string) error {
	if err := d.check(staff.RoleClerk); err != nil {
		return err
	}
	return d.c.sessions.Deliver(ctx, d.acct.ID, id)
}

// Revoke sends a revocation at the resident's request (失効申請).
func (d *Desk) Revoke(ctx context.Context, id string, reason prefecture.Reason) error {
	if err := d.check(staff.RoleClerk); err != nil {
		return err
	}
	return d.c.sessions.Revoke(ctx, d.acct.ID, id, reason)
}

// ResetPIN resets the card's PIN (暗証番号初期化). pin and confirm are wiped.
func (d *Desk) ResetPIN(ctx context.Context, id string, card *Card, pin, confirm []byte) error {
	if err := d.check(staff.RoleClerk); err != nil {
		clear(pin)
		clear(confirm)
		return err
	}
	if err := d.refuseCard(ctx, id, card); err != nil {
		clear(pin)
		clear(confirm)
		return err
	}
	return d.c.sessions.ResetPIN(ctx, d.acct.ID, id, card.session(), pin, confirm)
}

// Abandon ends an open session (中止), revoking any certificate issued to it.
func (d *Desk) Abandon(ctx context.Context, id, reason string) error {
	if err := d.check(staff.RoleClerk); err != nil {
		return err
	}
	return d.c.sessions.Abandon(ctx, d.acct.ID, id, reason)
}

// Session returns one session.
func (d *Desk) Session(ctx context.Context, id string) (*session.Session, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return nil, err
	}
	return d.c.sessions.Get(ctx, id)
}

// Steps returns a session's journal.
func (d *Desk) Steps(ctx context.Context, id string) ([]session.Step, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return nil, err
	}
	return d.c.sessions.Steps(ctx, id)
}

// Interrupted lists the sessions left open (by a crash, a closed window or
// a CA that could not be reached): resume each from Session.Next, or
// Abandon it.
func (d *Desk) Interrupted(ctx context.Context) ([]*session.Session, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return nil, err
	}
	return d.c.sessions.Interrupted(ctx)
}

// --- Supervisor ---

// Records lists counter sessions for the record book (supervisors only).
func (d *Desk) Records(ctx context.Context, f records.Filter) ([]records.Record, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return nil, err
	}
	return records.List(ctx, d.c.db, f)
}

// Certificates lists issued certificates (supervisors only).
func (d *Desk) Certificates(ctx context.Context, f records.CertFilter) ([]records.Certificate, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return nil, err
	}
	return records.Certificates(ctx, d.c.db, f)
}

// Daily counts a day's sessions by kind, outcome and clerk, the day taken
// in the municipality's zone (supervisors only).
func (d *Desk) Daily(ctx context.Context, day forms.Date) ([]records.Count, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return nil, err
	}
	return records.Daily(ctx, d.c.db, day, d.Location())
}

// SyncRevocations marks in the records every certificate the CA's CRL
// lists as revoked (revocations made at the CA: a newer issuance, a
// registry change notice), and returns how many changed (supervisors
// only).
func (d *Desk) SyncRevocations(ctx context.Context) (int, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return 0, err
	}
	return d.c.sessions.SyncRevocations(ctx, d.acct.ID)
}

// Audit lists audit entries (supervisors only).
func (d *Desk) Audit(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return nil, err
	}
	return audit.List(ctx, d.c.db, f)
}

// VerifyAudit recomputes the audit trail's hash chain and records that it
// was checked (supervisors only). A broken chain is an *audit.TamperError.
func (d *Desk) VerifyAudit(ctx context.Context) (audit.Report, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return audit.Report{}, err
	}
	rep, err := d.c.verifyAudit(ctx, d.acct.ID) // chain and anchor file; a break is recorded
	if err != nil {
		return rep, err
	}
	_, err = audit.Record(ctx, d.c.db, audit.Entry{Staff: d.acct.ID, Action: audit.ActionAuditVerified,
		Detail: "intact up to row " + strconv.FormatInt(rep.HeadSeq, 10)})
	return rep, err
}

// StaffList lists the staff accounts (supervisors only).
func (d *Desk) StaffList(ctx context.Context) ([]staff.Account, error) {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return nil, err
	}
	return d.c.staff.List(ctx)
}

// CreateStaff adds an account (supervisors only). The caller wipes password.
func (d *Desk) CreateStaff(ctx context.Context, a staff.Account, password []byte) error {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return err
	}
	return d.c.staff.Create(ctx, d.acct.ID, a, password)
}

// ResetStaffPassword sets another account's password (supervisors only).
func (d *Desk) ResetStaffPassword(ctx context.Context, id string, password []byte) error {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return err
	}
	return d.c.staff.SetPassword(ctx, d.acct.ID, id, password)
}

// UnlockStaff lifts a lock-out (supervisors only).
func (d *Desk) UnlockStaff(ctx context.Context, id string) error {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return err
	}
	return d.c.staff.Unlock(ctx, d.acct.ID, id)
}

// SetStaffDisabled disables or re-enables an account (supervisors only).
func (d *Desk) SetStaffDisabled(ctx context.Context, id string, disabled bool) error {
	if err := d.check(staff.RoleSupervisor); err != nil {
		return err
	}
	return d.c.staff.SetDisabled(ctx, d.acct.ID, id, disabled)
}
