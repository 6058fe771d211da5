package session

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/records"
)

// crlReasons names the RFC 5280 reason codes a CRL entry may carry, as
// the records store them.
var crlReasons = map[int]string{
	0: "unspecified", 1: "key-compromise", 2: "ca-compromise", 3: "affiliation-changed",
	4: "superseded", 5: "cessation-of-operation", 6: "certificate-hold", 9: "privilege-withdrawn",
}

// SyncRevocations brings the records in line with the CA: every
// certificate the CA's current CRL lists is marked revoked, with the CRL's
// time and reason. The CA revokes certificates without the counter (a
// newer issuance supersedes the previous certificate, a registry change
// notice revokes it), so the records of a certificate can lag until this
// runs. It returns how many records changed.
func (m *Manager) SyncRevocations(ctx context.Context, by string) (int, error) {
	crl, err := m.ca.CRL(ctx)
	if err != nil {
		return 0, err
	}
	type entry struct {
		at     time.Time
		reason string
	}
	listed := make(map[string]entry, len(crl.RevokedCertificateEntries))
	for _, e := range crl.RevokedCertificateEntries {
		reason, ok := crlReasons[e.ReasonCode]
		if !ok {
			reason = fmt.Sprintf("crl-reason-%d", e.ReasonCode)
		}
		listed[records.FormatSerial(e.SerialNumber)] = entry{e.RevocationTime, reason}
	}
	var open []records.Certificate
	for _, st := range []records.CertStatus{records.CertValid, records.CertIssued} {
		cs, err := records.Certificates(ctx, m.db, records.CertFilter{Status: st, Limit: 1 << 30})
		if err != nil {
			return 0, err
		}
		open = append(open, cs...)
	}
	n := 0
	err = m.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, c := range open {
			e, ok := listed[c.Serial]
			if !ok {
				continue
			}
			if err := records.MarkRevoked(ctx, tx, c.Serial, e.at, e.reason); err != nil {
				return err
			}
			if _, err := audit.Append(ctx, tx, audit.Entry{Staff: by, Action: "records.revoked_at_ca", SessionID: c.SessionID,
				Subject: c.ResidentCode, Detail: fmt.Sprintf("certificate %s revoked at the CA (%s)", c.Serial, e.reason)}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
