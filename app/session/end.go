package session

import (
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/prefecture"
	"madoguchi/app/records"
	"madoguchi/forms"
)

var (
	revoking  = []forms.ApplicationKind{forms.KindRevocation}
	resetting = []forms.ApplicationKind{forms.KindPINReset}
)

// Revoke sends the resident's revocation request (失効申請) for the
// certificate found at the identity check and completes the session
// (Revoked). Revoking is committed first, with the reason; a session found
// in Revoking sends the request again with the stored reason (reason is
// then ignored), which the CA answers as already done.
func (m *Manager) Revoke(ctx context.Context, by, id string, reason prefecture.Reason) error {
	defer m.lock(id)()
	s, err := m.load(ctx, id, revoking, Identified, Revoking)
	if err != nil {
		return err
	}
	if s.State == Identified {
		if !reason.Valid() || reason == prefecture.ReasonSuperseded {
			return &Error{"revocation reason not one an RA may ask for", "失効の理由を選んでください。"}
		}
		if err := m.commit(ctx, s, change{to: Revoking, by: by, note: "revocation requested: " + reason.String() + ", serial " + s.TargetSerial,
			set: map[string]any{"revoke_reason": reason.String()}}); err != nil {
			return err
		}
		s.RevokeReason = reason
	}
	serial, err := records.ParseSerial(s.TargetSerial)
	if err != nil {
		return err
	}
	rev, err := m.ca.Revoke(ctx, serial, s.RevokeReason)
	if err != nil {
		if errors.Is(err, prefecture.ErrRefused) {
			return m.fail(ctx, s, by, err)
		}
		return err
	}
	note := "certificate revoked: serial " + s.TargetSerial
	if rev.Already {
		note += " (already revoked: " + rev.Reason.String() + ")"
	}
	return m.commit(ctx, s, change{to: Revoked, by: by, note: note,
		extra: func(ctx context.Context, tx *sql.Tx) error {
			return records.MarkRevoked(ctx, tx, s.TargetSerial, rev.RevokedAt, rev.Reason.String())
		}})
}

// ResetPIN resets the PIN of the resident's card (暗証番号初期化) with the PUK
// derived from the master secret, after the identity check. The card must
// carry a valid certificate issued here to this resident. It wipes pin and
// confirm before returning, whatever happens. Resetting again after a
// crash is harmless, so the step has no intermediate state.
func (m *Manager) ResetPIN(ctx context.Context, by, id string, card Card, pin, confirm []byte) error {
	defer clear(pin)
	defer clear(confirm)
	defer m.lock(id)()
	if err := m.checkMaster(); err != nil {
		return err
	}
	s, err := m.load(ctx, id, resetting, Identified)
	if err != nil {
		return err
	}
	onCard, err := card.Certificate(ctx)
	if err != nil {
		return err
	}
	serial := records.FormatSerial(onCard.SerialNumber)
	rec, err := records.Get(ctx, m.db, serial)
	if err != nil || rec.ResidentCode != s.ResidentCode || !rec.ValidAt(m.now()) || rec.Status != records.CertValid || !sameDER(rec, onCard) {
		if _, aerr := audit.Record(ctx, m.db, audit.Entry{Staff: by, Action: "session.card_refused", SessionID: s.ID, Subject: s.ResidentCode,
			Detail: "暗証番号初期化を拒否：" + ErrCardCertificate.UserMessage() + "（証明書シリアル " + serial + "）"}); aerr != nil {
			return errors.Join(ErrCardCertificate, aerr)
		}
		return ErrCardCertificate
	}
	if err := card.ResetPIN(ctx, m.master, pin, confirm); err != nil {
		return err
	}
	return m.commit(ctx, s, change{to: PINReset, by: by, note: "PIN reset on the card holding serial " + serial,
		set: map[string]any{"target_serial": serial}})
}

func sameDER(rec records.Certificate, c *x509.Certificate) bool {
	return string(rec.DER) == string(c.Raw)
}

// Abandon ends an open session (中止). A certificate issued to it is
// revoked at the CA first; a session found in Requesting sends its stored
// request again to learn whether the CA issued one, and revokes it if so.
// If the CA cannot be reached the session stays open and the error says
// so: try again later.
func (m *Manager) Abandon(ctx context.Context, by, id, reason string) error {
	defer m.lock(id)()
	s, err := m.Get(ctx, id)
	if err != nil {
		return err
	}
	if s.State.Terminal() {
		return &StateError{ID: id, Have: s.State}
	}
	return m.end(ctx, s, by, Abandoned, reason)
}

// AbandonRevoking is Abandon with the revocation reason the clerk chose
// for a certificate issued to the session (resident-request or
// key-compromise; superseded is the CA's own).
func (m *Manager) AbandonRevoking(ctx context.Context, by, id, reason string, rev prefecture.Reason) error {
	if !rev.Valid() || rev == prefecture.ReasonSuperseded {
		return &Error{"revocation reason not one an RA may ask for", "失効の理由を選んでください。"}
	}
	defer m.lock(id)()
	s, err := m.Get(ctx, id)
	if err != nil {
		return err
	}
	if s.State.Terminal() {
		return &StateError{ID: id, Have: s.State}
	}
	return m.endWith(ctx, s, by, Abandoned, reason, rev)
}

// fail ends s in Failed because of cause, revoking any certificate issued
// to it, and returns a *FailedError. If the revocation cannot be done the
// session stays open and the cause is returned with that error.
func (m *Manager) fail(ctx context.Context, s *Session, by string, cause error) error {
	if err := m.end(ctx, s, by, Failed, userMessage(cause)); err != nil {
		return errors.Join(cause, err)
	}
	return &FailedError{ID: s.ID, Err: cause}
}

// end moves s to Abandoned or Failed after revoking its certificate at
// the resident's request.
func (m *Manager) end(ctx context.Context, s *Session, by string, to State, reason string) error {
	return m.endWith(ctx, s, by, to, reason, prefecture.ReasonResidentRequest)
}

// endWith is end with the revocation reason rev.
func (m *Manager) endWith(ctx context.Context, s *Session, by string, to State, reason string, rev prefecture.Reason) error {
	if s.State == Requesting && s.CertSerial == "" {
		// The CA may or may not have issued: ask again (it answers the same
		// request with the same certificate) so that nothing is left valid.
		cert, err := m.enroll(ctx, s)
		switch {
		case err == nil:
			if err := m.db.Tx(ctx, func(tx *sql.Tx) error {
				if err := records.Insert(ctx, tx, *cert); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, "UPDATE sessions SET cert_serial = ? WHERE id = ?", cert.Serial, s.ID)
				return err
			}); err != nil {
				return err
			}
			s.CertSerial = cert.Serial
		case errors.Is(err, ErrCertificateMismatch):
			// enroll recorded the certificate on s; revoke it below.
		case errors.Is(err, prefecture.ErrRefused):
			// Nothing was or will be issued for this request.
		default:
			return err
		}
	}
	var revokedAt time.Time
	var revokedReason string
	note := reason
	if s.CertSerial != "" {
		rec, err := records.Get(ctx, m.db, s.CertSerial)
		if err != nil {
			return err
		}
		if rec.Status != records.CertRevoked {
			n, err := rec.SerialNumber()
			if err != nil {
				return err
			}
			done, err := m.ca.Revoke(ctx, n, rev)
			if err != nil {
				return err
			}
			revokedAt, revokedReason = done.RevokedAt, done.Reason.String()
			note += "; certificate " + s.CertSerial + " revoked"
		}
	}
	err := m.commit(ctx, s, change{to: to, by: by, note: note,
		set: map[string]any{"reason": reason},
		extra: func(ctx context.Context, tx *sql.Tx) error {
			if revokedReason == "" {
				return nil
			}
			return records.MarkRevoked(ctx, tx, s.CertSerial, revokedAt, revokedReason)
		}})
	if err != nil {
		return err
	}
	s.Reason = reason
	if s.CertSerial != "" {
		// Issuing may have superseded the resident's previous certificate
		// at the CA: bring the records in line (best effort; the records
		// screen can do it again).
		m.SyncRevocations(ctx, by)
	}
	return nil
}
