package records

import (
	"context"
	"time"

	"madoguchi/app/prefecture"
	"madoguchi/app/store"
	"madoguchi/forms"
)

// DayRange is the calendar day in loc (the municipality's zone) as the
// half-open interval [from, to). Every day-based query and screen uses
// it, so that a day means the same on a machine in any zone.
func DayRange(day forms.Date, loc *time.Location) (from, to time.Time) {
	from = time.Date(day.Year, day.Month, day.Day, 0, 0, 0, 0, loc)
	return from, time.Date(day.Year, day.Month, day.Day+1, 0, 0, 0, 0, loc)
}

// CertState is the current state of a certificate as the records show it
// beside the session that issued or concerned it.
type CertState struct {
	Status       CertStatus // "" when the session concerns no certificate
	RevokedAt    time.Time
	RevokeReason string // the reason's wire name, e.g. "superseded"
	SupersededBy string // the serial of the newer certificate that replaced it, if any
}

// supersedeSlack is how long after a revocation a newer certificate of
// the same resident may have been recorded and still count as the one
// that replaced it: the CA revokes on issuing, the counter records the
// issuance when the answer arrives.
const supersedeSlack = 10 * time.Minute

// Label is the state in Japanese: 交付, 発行済（未交付）, 失効（理由）, or
// 失効（新たな証明書 <serial> の発行による） for a replaced certificate.
func (c CertState) Label() string {
	switch c.Status {
	case "":
		return ""
	case CertValid:
		return "交付"
	case CertRevoked:
		if c.SupersededBy != "" {
			return "失効（新たな証明書 " + c.SupersededBy + " の発行による）"
		}
		if c.RevokeReason == "" {
			return "失効"
		}
		return "失効（" + ReasonLabel(c.RevokeReason) + "）"
	}
	return c.Status.Label()
}

// ReasonLabel names a revocation reason's wire name in Japanese (e.g.
// 住所変更); an unknown name is returned as it is.
func ReasonLabel(wire string) string {
	r, err := prefecture.ParseReason(wire)
	if err != nil {
		return wire
	}
	return r.Japanese()
}

// supersedeQuery is a revoked certificate in a list whose successor is
// looked up after the list is read.
type supersedeQuery struct {
	index            int
	serial, resident string
	issued, revoked  time.Time
}

// supersededBy finds the certificate that replaced a revoked one: the
// first certificate of the same resident issued after it and no later
// than supersedeSlack after its revocation. "" when it was revoked for
// another reason (nothing newer was issued).
func supersededBy(ctx context.Context, q Querier, serial, resident string, issued, revoked time.Time) (string, error) {
	if resident == "" || revoked.IsZero() {
		return "", nil
	}
	rows, err := q.QueryContext(ctx, `SELECT serial FROM certificates
		WHERE resident_code = ? AND serial != ? AND issued_at > ? AND issued_at <= ?
		ORDER BY issued_at LIMIT 1`, resident, serial, store.FormatTime(issued), store.FormatTime(revoked.Add(supersedeSlack)))
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var next string
	if rows.Next() {
		if err := rows.Scan(&next); err != nil {
			return "", err
		}
	}
	return next, rows.Err()
}

// State returns the current state of one certificate, with the serial of
// the certificate that replaced it when it was revoked on a new issuance.
func State(ctx context.Context, q Querier, serial string) (CertState, error) {
	c, err := Get(ctx, q, serial)
	if err != nil {
		return CertState{}, err
	}
	st := CertState{Status: c.Status, RevokedAt: c.RevokedAt, RevokeReason: c.RevokeReason}
	if c.Status == CertRevoked {
		st.SupersededBy, err = supersededBy(ctx, q, c.Serial, c.ResidentCode, c.IssuedAt, c.RevokedAt)
	}
	return st, err
}

// ReasonCount is how many certificates were revoked for one reason.
type ReasonCount struct {
	Reason string // wire name, e.g. "resident-request"
	N      int
}

// Revocations counts the certificates revoked in [from, to) by reason,
// most frequent first, for the daily summary.
func Revocations(ctx context.Context, q Querier, from, to time.Time) ([]ReasonCount, error) {
	rows, err := q.QueryContext(ctx, `SELECT revoke_reason, count(*) FROM certificates
		WHERE status = 'revoked' AND revoked_at >= ? AND revoked_at < ?
		GROUP BY revoke_reason ORDER BY count(*) DESC, revoke_reason`, store.FormatTime(from), store.FormatTime(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReasonCount
	for rows.Next() {
		var c ReasonCount
		if err := rows.Scan(&c.Reason, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// StaffNames maps every staff ID to the account's display name, for
// records and printouts that show names with IDs.
func StaffNames(ctx context.Context, q Querier) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, display_name FROM staff")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// StaffLabel writes a staff member as 名前（ID）, or the ID alone when the
// name is unknown or the same as the ID.
func StaffLabel(id string, names map[string]string) string {
	if n := names[id]; n != "" && n != id {
		return n + "（" + id + "）"
	}
	return id
}
