// Package records keeps the issuance records: the certificates issued
// through the counter (serial, resident, clerk, times, status) and the
// queries a supervisor's screens need over the counter sessions: a
// filtered list for the issuance record book (交付記録簿) and the daily
// counts per kind, result and clerk for the daily summary (日計表).
//
// The session state machine writes the rows (in its own transactions,
// through Insert, MarkDelivered and MarkRevoked); this package reads them.
package records

import (
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"madoguchi/app/store"
	"madoguchi/forms"
)

// CertStatus is the state of an issued certificate.
type CertStatus string

// Certificate states.
const (
	CertIssued  CertStatus = "issued"  // issued by the CA, not yet handed over
	CertValid   CertStatus = "valid"   // handed over to the resident
	CertRevoked CertStatus = "revoked" // revoked at the CA
)

// Label is the status's Japanese name.
func (s CertStatus) Label() string {
	switch s {
	case CertIssued:
		return "発行済（未交付）"
	case CertValid:
		return "有効"
	case CertRevoked:
		return "失効"
	}
	return string(s)
}

// Certificate is one certificate issued through the counter.
type Certificate struct {
	Serial       string // lower-case hex, as prefecture.FormatSerial writes it
	ResidentCode string
	SessionID    string // the session that issued it
	Clerk        string
	Status       CertStatus
	IssuedAt     time.Time
	NotBefore    time.Time
	NotAfter     time.Time
	DeliveredAt  time.Time // zero until handed over
	RevokedAt    time.Time // zero unless revoked
	RevokeReason string    // the reason's wire name, e.g. "resident-request"
	DER          []byte
	Chain        [][]byte // the issuer chain, DER
}

// FormatSerial writes a serial as stored: lower-case hex.
func FormatSerial(n *big.Int) string { return n.Text(16) }

// ParseSerial reads a stored serial.
func ParseSerial(s string) (*big.Int, error) {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok || n.Sign() <= 0 {
		return nil, fmt.Errorf("records: bad serial %q", s)
	}
	return n, nil
}

// SerialNumber returns the serial as a number.
func (c Certificate) SerialNumber() (*big.Int, error) { return ParseSerial(c.Serial) }

// Parse decodes the certificate.
func (c Certificate) Parse() (*x509.Certificate, error) { return x509.ParseCertificate(c.DER) }

// ParseChain decodes the issuer chain.
func (c Certificate) ParseChain() ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, der := range c.Chain {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		out = append(out, cert)
	}
	return out, nil
}

// ValidAt reports whether the certificate is in force at t: handed over or
// issued, not revoked, and inside its validity period.
func (c Certificate) ValidAt(t time.Time) bool {
	return c.Status != CertRevoked && !t.Before(c.NotBefore) && t.Before(c.NotAfter)
}

// Querier is what the read functions need: a *store.DB or a *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Execer is what the write functions need: a *sql.Tx.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// NewCertificate builds the record of a certificate just issued.
func NewCertificate(cert *x509.Certificate, chain []*x509.Certificate, residentCode, sessionID, clerk string, at time.Time) Certificate {
	c := Certificate{
		Serial: FormatSerial(cert.SerialNumber), ResidentCode: residentCode, SessionID: sessionID, Clerk: clerk,
		Status: CertIssued, IssuedAt: at, NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, DER: cert.Raw,
	}
	for _, ch := range chain {
		c.Chain = append(c.Chain, ch.Raw)
	}
	return c
}

// joinChain stores a chain as length-prefixed DER blobs.
func joinChain(chain [][]byte) []byte {
	var b []byte
	for _, der := range chain {
		n := len(der)
		b = append(b, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		b = append(b, der...)
	}
	return b
}

func splitChain(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("records: truncated chain")
		}
		n := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		b = b[4:]
		if n > len(b) {
			return nil, errors.New("records: truncated chain")
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out, nil
}

// Insert records a certificate. Inserting the same serial again with the
// same DER is a no-op, so that a resumed step may repeat it.
func Insert(ctx context.Context, tx Execer, c Certificate) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO certificates
		(serial, resident_code, session_id, clerk, status, issued_at, not_before, not_after, der, chain)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (serial) DO NOTHING`,
		c.Serial, c.ResidentCode, c.SessionID, c.Clerk, string(c.Status), store.FormatTime(c.IssuedAt),
		store.FormatTime(c.NotBefore), store.FormatTime(c.NotAfter), c.DER, joinChain(c.Chain))
	return err
}

// MarkDelivered records that the certificate was handed over.
func MarkDelivered(ctx context.Context, tx Execer, serial string, at time.Time) error {
	return update(ctx, tx, serial, "UPDATE certificates SET status = 'valid', delivered_at = ? WHERE serial = ? AND status = 'issued'",
		store.FormatTime(at), serial)
}

// MarkRevoked records a revocation. A certificate already marked revoked
// keeps its first revocation time and reason.
func MarkRevoked(ctx context.Context, tx Execer, serial string, at time.Time, reason string) error {
	return update(ctx, tx, serial, "UPDATE certificates SET status = 'revoked', revoked_at = ?, revoke_reason = ? WHERE serial = ? AND status != 'revoked'",
		store.FormatTime(at), reason, serial)
}

func update(ctx context.Context, tx Execer, serial, q string, args ...any) error {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Either already in that state (fine) or unknown.
		if q, ok := tx.(Querier); ok {
			var c int
			if err := q.QueryRowContext(ctx, "SELECT count(*) FROM certificates WHERE serial = ?", serial).Scan(&c); err == nil && c == 0 {
				return fmt.Errorf("records: no certificate %s", serial)
			}
		}
	}
	return nil
}

const certColumns = "serial, resident_code, session_id, clerk, status, issued_at, not_before, not_after, delivered_at, revoked_at, revoke_reason, der, chain"

type scanner interface{ Scan(dest ...any) error }

func scanCert(s scanner) (Certificate, error) {
	var c Certificate
	var issued, nb, na, delivered, revoked string
	var chain []byte
	if err := s.Scan(&c.Serial, &c.ResidentCode, &c.SessionID, &c.Clerk, &c.Status, &issued, &nb, &na, &delivered, &revoked, &c.RevokeReason, &c.DER, &chain); err != nil {
		return Certificate{}, err
	}
	c.IssuedAt, _ = store.ParseTime(issued)
	c.NotBefore, _ = store.ParseTime(nb)
	c.NotAfter, _ = store.ParseTime(na)
	c.DeliveredAt, _ = store.ParseTime(delivered)
	c.RevokedAt, _ = store.ParseTime(revoked)
	var err error
	if c.Chain, err = splitChain(chain); err != nil {
		return Certificate{}, err
	}
	return c, nil
}

// ErrNotFound is returned for an unknown serial.
var ErrNotFound = errors.New("records: no such certificate")

// Get returns one certificate.
func Get(ctx context.Context, q Querier, serial string) (Certificate, error) {
	c, err := scanCert(q.QueryRowContext(ctx, "SELECT "+certColumns+" FROM certificates WHERE serial = ?", serial))
	if errors.Is(err, sql.ErrNoRows) {
		return Certificate{}, ErrNotFound
	}
	return c, err
}

// ForResident returns every certificate issued to a resident, newest
// first.
func ForResident(ctx context.Context, q Querier, residentCode string) ([]Certificate, error) {
	return listCerts(ctx, q, "WHERE resident_code = ? ORDER BY issued_at DESC", residentCode)
}

// ValidFor returns the resident's certificates in force at now (handed
// over, not revoked, not expired), newest first. A new issuance revokes
// them.
func ValidFor(ctx context.Context, q Querier, residentCode string, now time.Time) ([]Certificate, error) {
	return listCerts(ctx, q, "WHERE resident_code = ? AND status = 'valid' AND not_after > ? ORDER BY issued_at DESC",
		residentCode, store.FormatTime(now))
}

// CertFilter selects certificates for Certificates. Zero fields do not
// filter.
type CertFilter struct {
	From, To     time.Time // IssuedAt in [From, To)
	Clerk        string
	Status       CertStatus
	ResidentCode string
	Limit        int // default 1000, at most 100000
	Offset       int
}

// Certificates lists certificates by issue time.
func Certificates(ctx context.Context, q Querier, f CertFilter) ([]Certificate, error) {
	var w conditions
	w.addIf(!f.From.IsZero(), "issued_at >= ?", store.FormatTime(f.From))
	w.addIf(!f.To.IsZero(), "issued_at < ?", store.FormatTime(f.To))
	w.addIf(f.Clerk != "", "clerk = ?", f.Clerk)
	w.addIf(f.Status != "", "status = ?", string(f.Status))
	w.addIf(f.ResidentCode != "", "resident_code = ?", f.ResidentCode)
	return listCerts(ctx, q, w.clause()+" ORDER BY issued_at, serial LIMIT ? OFFSET ?", append(w.args, pageSize(f.Limit), f.Offset)...)
}

func listCerts(ctx context.Context, q Querier, clause string, args ...any) ([]Certificate, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+certColumns+" FROM certificates "+clause, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Certificate
	for rows.Next() {
		c, err := scanCert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Outcome is how a session ended.
type Outcome string

// Outcomes. OutcomeOpen is a session still in progress (or interrupted).
const (
	OutcomeOpen      Outcome = ""
	OutcomeCompleted Outcome = "completed"
	OutcomeAbandoned Outcome = "abandoned"
	OutcomeFailed    Outcome = "failed"
)

// Record is one counter session as the record book lists it.
type Record struct {
	SessionID    string
	Kind         forms.ApplicationKind
	ResidentCode string
	ResidentName string // 氏名 as the registry holds it
	Clerk        string
	State        string // the session's last state
	Outcome      Outcome
	StartedAt    time.Time
	FinishedAt   time.Time // zero while open
	Serial       string    // the certificate issued (or, for 失効 and 暗証番号初期化, concerned), if any
	Reason       string    // why it was abandoned or failed
	Cert         CertState // the current state of the certificate in Serial; zero when there is none
	Terminal     string    // the counter that started it, on a shared office database ("" otherwise)
}

// At is the time the record book prints for r: when the session ended,
// or when it started while it is still open. Lists are in this order.
func (r Record) At() time.Time {
	if r.FinishedAt.IsZero() {
		return r.StartedAt
	}
	return r.FinishedAt
}

// Result is the record book's 結果 column: 交付 / 完了, 中止, エラー or 処理中.
func (r Record) Result() string { return ResultLabel(r.Kind, r.Outcome) }

// ResultLabel names an outcome of a session of kind k as the record book
// and the daily summary print it: 交付 (a completed issuance), 完了 (a
// completed revocation or PIN reset), 中止, エラー or 処理中.
func ResultLabel(k forms.ApplicationKind, o Outcome) string {
	switch o {
	case OutcomeCompleted:
		if k.IssuesCertificate() {
			return "交付"
		}
		return "完了"
	case OutcomeAbandoned:
		return "中止"
	case OutcomeFailed:
		return "エラー"
	}
	return "処理中"
}

// KindCode is how a kind is stored in the sessions table.
func KindCode(k forms.ApplicationKind) string {
	switch k {
	case forms.KindNew:
		return "new"
	case forms.KindRenewal:
		return "renewal"
	case forms.KindRevocation:
		return "revocation"
	case forms.KindPINReset:
		return "pin_reset"
	}
	return ""
}

// ParseKind reads a stored kind.
func ParseKind(s string) (forms.ApplicationKind, error) {
	for _, k := range []forms.ApplicationKind{forms.KindNew, forms.KindRenewal, forms.KindRevocation, forms.KindPINReset} {
		if KindCode(k) == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("records: unknown session kind %q", s)
}

// Filter selects records for List. Zero fields do not filter.
type Filter struct {
	From, To     time.Time // StartedAt in [From, To)
	Clerk        string
	Outcome      *Outcome // nil: any; pointer so that OutcomeOpen can be asked for
	Kind         forms.ApplicationKind
	ResidentCode string
	Terminal     string // the counter that started the session (shared office database)
	Limit        int    // default 1000, at most 100000
	Offset       int
}

// OutcomeFilter returns a pointer for Filter.Outcome.
func OutcomeFilter(o Outcome) *Outcome { return &o }

// List returns the sessions matching f in the order of Record.At (when
// each ended, or started if open), with the current state of the
// certificate each concerns.
func List(ctx context.Context, q Querier, f Filter) ([]Record, error) {
	var w conditions
	w.addIf(!f.From.IsZero(), "s.created_at >= ?", store.FormatTime(f.From))
	w.addIf(!f.To.IsZero(), "s.created_at < ?", store.FormatTime(f.To))
	w.addIf(f.Clerk != "", "s.clerk = ?", f.Clerk)
	if f.Outcome != nil {
		w.addIf(true, "s.outcome = ?", string(*f.Outcome))
	}
	w.addIf(f.Kind != 0, "s.kind = ?", KindCode(f.Kind))
	w.addIf(f.ResidentCode != "", "s.resident_code = ?", f.ResidentCode)
	w.addIf(f.Terminal != "", "s.terminal = ?", f.Terminal)
	clause, args, limit := " "+w.clause(), w.args, pageSize(f.Limit)
	rows, err := q.QueryContext(ctx, `SELECT s.id, s.kind, s.resident_code, r.family_name, r.given_name, s.clerk, s.state, s.outcome,
		s.created_at, s.finished_at, CASE WHEN s.cert_serial != '' THEN s.cert_serial ELSE s.target_serial END, s.reason,
		COALESCE(c.status, ''), COALESCE(c.revoked_at, ''), COALESCE(c.revoke_reason, ''), COALESCE(c.resident_code, ''), COALESCE(c.issued_at, ''), s.terminal
		FROM sessions s JOIN residents r ON r.code = s.resident_code
		LEFT JOIN certificates c ON c.serial = CASE WHEN s.cert_serial != '' THEN s.cert_serial ELSE s.target_serial END`+clause+`
		ORDER BY CASE WHEN s.finished_at != '' THEN s.finished_at ELSE s.created_at END, s.id LIMIT ? OFFSET ?`, append(args, limit, f.Offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	var pending []supersedeQuery
	for rows.Next() {
		var r Record
		var kind, family, given, started, finished, status, revoked, certResident, issued string
		if err := rows.Scan(&r.SessionID, &kind, &r.ResidentCode, &family, &given, &r.Clerk, &r.State, &r.Outcome,
			&started, &finished, &r.Serial, &r.Reason, &status, &revoked, &r.Cert.RevokeReason, &certResident, &issued, &r.Terminal); err != nil {
			return nil, err
		}
		r.Cert.Status = CertStatus(status)
		r.Cert.RevokedAt, _ = store.ParseTime(revoked) // "" for a certificate not revoked
		if r.Cert.Status == CertRevoked {
			issuedAt, _ := store.ParseTime(issued) // written by Insert
			pending = append(pending, supersedeQuery{len(out), r.Serial, certResident, issuedAt, r.Cert.RevokedAt})
		}
		if r.Kind, err = ParseKind(kind); err != nil {
			return nil, err
		}
		r.ResidentName = family
		if given != "" {
			r.ResidentName += "\u3000" + given
		}
		r.StartedAt, _ = store.ParseTime(started)
		r.FinishedAt, _ = store.ParseTime(finished)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for _, p := range pending {
		if out[p.index].Cert.SupersededBy, err = supersededBy(ctx, q, p.serial, p.resident, p.issued, p.revoked); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Count is the number of sessions of one kind, outcome and clerk.
type Count struct {
	Kind    forms.ApplicationKind
	Outcome Outcome
	Clerk   string
	N       int
}

// Daily counts the sessions started on day (a calendar day in loc) by
// kind, outcome and clerk, for the daily summary (日計表). Open sessions
// are counted with OutcomeOpen.
func Daily(ctx context.Context, q Querier, day forms.Date, loc *time.Location) ([]Count, error) {
	from, to := DayRange(day, loc)
	rows, err := q.QueryContext(ctx, `SELECT kind, outcome, clerk, count(*) FROM sessions
		WHERE created_at >= ? AND created_at < ?
		GROUP BY kind, outcome, clerk ORDER BY clerk, kind, outcome`, store.FormatTime(from), store.FormatTime(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		var kind string
		if err := rows.Scan(&kind, &c.Outcome, &c.Clerk, &c.N); err != nil {
			return nil, err
		}
		if c.Kind, err = ParseKind(kind); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// conditions collects the WHERE conditions of a filtered query and their
// arguments.
type conditions struct {
	conds []string
	args  []any
}

// addIf adds cond with its argument when set is true.
func (c *conditions) addIf(set bool, cond string, arg any) {
	if set {
		c.conds, c.args = append(c.conds, cond), append(c.args, arg)
	}
}

// clause is "WHERE a AND b", or "" without conditions.
func (c *conditions) clause() string {
	if len(c.conds) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(c.conds, " AND ")
}

// pageSize is a filter's Limit: 1000 when unset, at most 100,000.
func pageSize(limit int) int {
	if limit <= 0 {
		return 1000
	}
	return min(limit, 100000)
}
