package refca

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"madoguchi/app/prefecture"
)

// Limits of a 現況確認 batch query.
const (
	MaxStatusSerials = 10_000 // serials per query
	MaxStatusChanges = 10_000 // changes per answer; page with After
	MaxStatusBody    = 1 << 20
)

// StatusQuery is a 現況確認 batch query (POST StatusPath, JSON): the status
// of each serial now, and the revocations recorded since a time — among the
// given serials, or all of the CA's when Serials is empty (paged with
// After).
type StatusQuery struct {
	Serials []string  `json:"serials"`
	Since   time.Time `json:"since,omitzero"`
	// After continues a previous answer's changes (its Cursor).
	After int64 `json:"after,omitempty"`
}

// StatusChange is one revocation recorded since the query's time.
type StatusChange struct {
	Serial    string    `json:"serial"`
	RevokedAt time.Time `json:"revoked_at"`
	Reason    string    `json:"reason"`
	ReasonJA  string    `json:"reason_ja"`
	CRLReason int       `json:"crl_reason"`
	Cursor    int64     `json:"cursor"`
}

// StatusAnswer answers a StatusQuery.
type StatusAnswer struct {
	AsOf     time.Time      `json:"as_of"`
	Statuses []SerialStatus `json:"statuses"`
	Changes  []StatusChange `json:"changes"`
	// More is set when more changes follow: ask again with After = Cursor.
	More   bool  `json:"more,omitempty"`
	Cursor int64 `json:"cursor,omitempty"`
}

// ParseStatusQuery reads and checks a StatusQuery: known fields only, at
// most MaxStatusSerials serials, each 1-40 hexadecimal digits (normalised
// to lowercase without leading zeros).
func ParseStatusQuery(body []byte) (StatusQuery, error) {
	var q StatusQuery
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		return StatusQuery{}, fmt.Errorf("status query: %w", err)
	}
	if dec.More() {
		return StatusQuery{}, errors.New("status query: trailing data")
	}
	if len(q.Serials) > MaxStatusSerials {
		return StatusQuery{}, fmt.Errorf("status query: %d serials; at most %d per query", len(q.Serials), MaxStatusSerials)
	}
	if q.After < 0 {
		return StatusQuery{}, errors.New("status query: negative after")
	}
	for i, s := range q.Serials {
		n, err := prefecture.ParseSerial(s)
		if err != nil || n.Sign() <= 0 || len(s) > 40 {
			return StatusQuery{}, fmt.Errorf("status query: serial %d %q is not a positive hexadecimal serial", i+1, s)
		}
		q.Serials[i] = prefecture.FormatSerial(n)
	}
	return q, nil
}

// QueryStatus answers a 現況確認 batch query.
func (ca *CA) QueryStatus(ctx context.Context, q StatusQuery) (StatusAnswer, error) {
	a := StatusAnswer{AsOf: ca.now().UTC().Truncate(time.Second), Statuses: []SerialStatus{}, Changes: []StatusChange{}}
	for _, s := range q.Serials {
		st, err := ca.LookupStatus(ctx, s)
		if err != nil {
			return StatusAnswer{}, err
		}
		a.Statuses = append(a.Statuses, st)
		if st.State == StateRevoked && !st.RevokedAt.Before(q.Since) {
			r, err := ca.store.revocationBySerial(ctx, s)
			if err != nil || r == nil {
				return StatusAnswer{}, errors.Join(err, errors.New("refca: revocation vanished"))
			}
			if r.Seq > q.After {
				a.Changes = append(a.Changes, changeOf(r))
			}
		}
	}
	if len(q.Serials) > 0 {
		return a, nil
	}
	rows, err := ca.store.db.QueryContext(ctx, "SELECT "+revocationColumns+
		" FROM revocations WHERE revoked_at >= ? AND seq > ? ORDER BY seq LIMIT ?", q.Since.Unix(), q.After, MaxStatusChanges+1)
	if err != nil {
		return StatusAnswer{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var r revocationRow
		if err := scanRevocation(rows, &r); err != nil {
			return StatusAnswer{}, err
		}
		if len(a.Changes) == MaxStatusChanges {
			a.More = true
			break
		}
		a.Changes = append(a.Changes, changeOf(&r))
		a.Cursor = r.Seq
	}
	return a, rows.Err()
}

func changeOf(r *revocationRow) StatusChange {
	return StatusChange{Serial: r.Serial, RevokedAt: r.RevokedAt, Reason: r.Reason.String(), ReasonJA: r.Reason.Japanese(),
		CRLReason: r.Reason.CRLReason(), Cursor: r.Seq}
}
