package session

import (
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/identity"
	"madoguchi/app/prefecture"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/store"
	"madoguchi/forms"
	"madoguchi/forms/jpkicert"
)

// Start accepts an application form (申請受付) for the resident with the
// given 住民コード and opens a session of the form's kind in Received. The
// form must validate; the resident must exist, be Eligible for the
// form's kind on its application date, and have no other open session. by is the clerk's staff ID.
func (m *Manager) Start(ctx context.Context, by, residentCode string, app forms.Application) (*Session, error) {
	if err := app.Validate(); err != nil {
		return nil, err
	}
	r, err := m.reg.Get(ctx, residentCode)
	if err != nil {
		return nil, err
	}
	if err := m.Eligible(ctx, r.Code, app.Kind, app.AppliedOn); err != nil {
		return nil, err
	}
	appJSON, err := json.Marshal(app)
	if err != nil {
		return nil, err
	}
	now := m.now()
	s := &Session{Kind: app.Kind, ResidentCode: r.Code, Clerk: by, State: Received, CreatedAt: now, UpdatedAt: now, Application: app}
	err = m.db.Tx(ctx, func(tx *sql.Tx) error {
		var open int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sessions WHERE resident_code = ? AND outcome = ''", r.Code).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return ErrOpenExists
		}
		// A readable issue number: the municipality's date and a running number.
		zone := m.Zone
		if zone == nil {
			zone = time.Local
		}
		day := now.In(zone).Format("20060102")
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sessions WHERE id LIKE ?", day+"-%").Scan(&n); err != nil {
			return err
		}
		s.ID = fmt.Sprintf("%s-%04d", day, n+1)
		holder, until := m.lease(now, Received)
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, kind, resident_code, clerk, state, created_at, updated_at, application, lease_terminal, lease_until)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, records.KindCode(app.Kind), r.Code, by, string(Received),
			store.FormatTime(now), store.FormatTime(now), string(appJSON), holder, until); err != nil {
			return err
		}
		s.Terminal, s.LeaseTerminal = m.terminal(), holder
		s.LeaseUntil, _ = store.ParseTime(until)
		note := "application received: " + app.Kind.String()
		if err := m.journal(ctx, tx, s.ID, Received, by, note, now); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Entry{At: now, Staff: by, Action: "session." + string(Received), SessionID: s.ID, Subject: r.Code, Detail: note})
		return err
	})
	if err != nil {
		return nil, err
	}
	if h := m.Hooks.AfterCommit; h != nil {
		if err := h(s.ID, Received); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// UpdateApplication replaces the form of a session that has not gone past
// the identity check, for example after the clerk corrected a difference.
// A session in Identified goes back to Received: the check is run again.
func (m *Manager) UpdateApplication(ctx context.Context, by, id string, app forms.Application) (*Session, error) {
	defer m.lock(id)()
	s, err := m.load(ctx, id, nil, Received, Identified)
	if err != nil {
		return nil, err
	}
	if app.Kind != s.Kind {
		return nil, ErrKind
	}
	if err := app.Validate(); err != nil {
		return nil, err
	}
	appJSON, err := json.Marshal(app)
	if err != nil {
		return nil, err
	}
	err = m.commit(ctx, s, change{to: Received, by: by, note: "application corrected",
		set: map[string]any{"application": string(appJSON), "identity": "", "target_serial": ""}})
	if err != nil {
		return nil, err
	}
	s.Application, s.Identity, s.TargetSerial = app, nil, ""
	return s, nil
}

// IdentityOutcome is what a passed identity check tells the clerk.
type IdentityOutcome struct {
	Documents []identity.Document
	// Revokes lists, for 新規発行 and 更新, the resident's valid
	// certificates that the new issuance will revoke.
	Revokes []records.Certificate
	// Target is, for 失効 and 暗証番号初期化, the certificate concerned.
	Target *records.Certificate
}

// CheckIdentity runs the identity check (本人確認) with the documents the
// clerk has seen and moves the session to Identified. A form that differs
// from the registry, or missing documents, return an *identity.CheckError
// and leave the session in Received for the clerk to correct or abandon;
// a resident who is not a current resident (転出, 死亡, 消除) ends the
// session in Failed. For 失効 and 暗証番号初期化 the resident must hold a
// valid certificate issued here (ErrNoValidCertificate otherwise).
func (m *Manager) CheckIdentity(ctx context.Context, by, id string, docs []identity.Document) (*IdentityOutcome, error) {
	defer m.lock(id)()
	s, err := m.load(ctx, id, nil, Received)
	if err != nil {
		return nil, err
	}
	r, err := m.reg.Get(ctx, s.ResidentCode)
	if err != nil {
		return nil, err
	}
	res, err := identity.Check(s.Application, r, docs)
	if err != nil {
		var ce *identity.CheckError
		if errors.As(err, &ce) && ce.Status != 0 {
			return nil, m.fail(ctx, s, by, err)
		}
		if _, aerr := audit.Record(ctx, m.db, audit.Entry{Staff: by, Action: "session.identity_refused", SessionID: s.ID, Subject: s.ResidentCode,
			Detail: "本人確認不可：" + userMessage(err)}); aerr != nil {
			return nil, errors.Join(err, aerr)
		}
		return nil, err
	}
	out := &IdentityOutcome{Documents: docs}
	valid, err := records.ValidFor(ctx, m.db, s.ResidentCode, m.now())
	if err != nil {
		return nil, err
	}
	target := ""
	switch s.Kind {
	case forms.KindNew, forms.KindRenewal:
		out.Revokes = valid
	default:
		if len(valid) == 0 {
			return nil, ErrNoValidCertificate
		}
		out.Target = &valid[0]
		target = valid[0].Serial
	}
	resJSON, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	var docNotes []string
	for _, d := range docs {
		docNotes = append(docNotes, string(d.Type)+" "+d.Number)
	}
	note := "identity checked: " + strings.Join(docNotes, ", ")
	if len(out.Revokes) > 0 {
		note += fmt.Sprintf("; %d valid certificate(s) to be revoked", len(out.Revokes))
	}
	if err := m.commit(ctx, s, change{to: Identified, by: by, note: note,
		set: map[string]any{"identity": string(resJSON), "target_serial": target}}); err != nil {
		return nil, err
	}
	return out, nil
}

// PrepareCard prepares the card in the reader for the issuance (カード準備):
// management key, card identifier. It may be repeated, with the same card
// or another, until the request is sent: a session in CardReady or
// KeyGenerated goes back to CardReady and its earlier key is forgotten.
func (m *Manager) PrepareCard(ctx context.Context, by, id string, card Card) error {
	defer m.lock(id)()
	if err := m.checkMaster(); err != nil {
		return err
	}
	s, err := m.load(ctx, id, issuing, Identified, CardReady, KeyGenerated)
	if err != nil {
		return err
	}
	if err := card.Prepare(ctx, m.master); err != nil {
		return err
	}
	cardID, err := card.ID()
	if err != nil {
		return err
	}
	if err := m.commit(ctx, s, change{to: CardReady, by: by, note: "card prepared: " + cardID,
		set: map[string]any{"card_id": cardID, "public_key": nil, "csr": nil}}); err != nil {
		return err
	}
	s.CardID = cardID
	return nil
}

// sameCard checks that card is the session's card.
func sameCard(s *Session, card Card) error {
	cardID, err := card.ID()
	if err != nil {
		return err
	}
	if cardID != s.CardID {
		return ErrWrongCard
	}
	return nil
}

// GenerateKey sets the resident's PIN on the card, generates the key pair
// on it and has the card sign the certificate request (鍵生成・暗証番号設定).
// It wipes pin and confirm before returning, whatever happens. The card
// must be the one prepared for the session.
func (m *Manager) GenerateKey(ctx context.Context, by, id string, card Card, pin, confirm []byte) error {
	defer clear(pin)
	defer clear(confirm)
	defer m.lock(id)()
	s, err := m.load(ctx, id, issuing, CardReady)
	if err != nil {
		return err
	}
	if err := sameCard(s, card); err != nil {
		return err
	}
	items, err := s.Application.CertificateItems()
	if err != nil {
		return err
	}
	err = card.SetPIN(ctx, pin, confirm)
	if notPrepared(err) {
		// A new connection to the card (after a restart): prepare it again.
		if err = m.reprepare(ctx, s, by, card); err == nil {
			err = card.SetPIN(ctx, pin, confirm)
		}
	}
	if err != nil {
		return err
	}
	pub, err := card.GenerateKey(ctx)
	if err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return err
	}
	csr, err := card.CreateRequest(ctx, m.subject(s), items, pin)
	if err != nil {
		return err
	}
	req, err := x509.ParseCertificateRequest(csr)
	if err != nil {
		return fmt.Errorf("session: the card's request does not parse: %w", err)
	}
	if !bytes.Equal(req.RawSubjectPublicKeyInfo, pubDER) {
		return errors.New("session: the card's request is not for the generated key")
	}
	return m.commit(ctx, s, change{to: KeyGenerated, by: by, note: "PIN set, key pair generated, request signed on the card",
		set: map[string]any{"public_key": pubDER, "csr": csr}})
}

// Request sends the card-signed request to the prefecture CA (発行申請) and
// stores the certificate it issues (Issued). The Requesting state is
// committed before the request leaves, and a session found in Requesting
// (a crash, or a CA that could not be reached) sends the same request
// again, which the CA answers with the same certificate. A refusal by the
// CA ends the session in Failed; the CA being unreachable leaves it in
// Requesting, to try again.
func (m *Manager) Request(ctx context.Context, by, id string) (*records.Certificate, error) {
	defer m.lock(id)()
	s, err := m.load(ctx, id, issuing, KeyGenerated, Requesting)
	if err != nil {
		return nil, err
	}
	if s.State == KeyGenerated {
		if err := m.commit(ctx, s, change{to: Requesting, by: by, note: "request sent to the prefecture CA"}); err != nil {
			return nil, err
		}
	}
	cert, err := m.enroll(ctx, s)
	if err != nil {
		if errors.Is(err, prefecture.ErrRefused) || errors.Is(err, ErrCertificateMismatch) {
			return nil, m.fail(ctx, s, by, err)
		}
		return nil, err
	}
	if err := m.commit(ctx, s, change{to: Issued, by: by, note: "certificate issued: serial " + cert.Serial,
		set:   map[string]any{"cert_serial": cert.Serial},
		extra: func(ctx context.Context, tx *sql.Tx) error { return records.Insert(ctx, tx, *cert) },
	}); err != nil {
		return nil, err
	}
	s.CertSerial = cert.Serial
	return cert, nil
}

// enroll sends the stored request and checks the answer against it. A
// certificate that does not match is recorded on the session (so that
// failing it revokes it) and reported as ErrCertificateMismatch.
func (m *Manager) enroll(ctx context.Context, s *Session) (*records.Certificate, error) {
	req, err := x509.ParseCertificateRequest(s.CSR)
	if err != nil {
		return nil, fmt.Errorf("session %s: stored request: %w", s.ID, err)
	}
	enr, err := m.ca.Enroll(ctx, req)
	if err != nil {
		return nil, err
	}
	c := records.NewCertificate(enr.Certificate, enr.Chain, s.ResidentCode, s.ID, s.Clerk, m.now())
	want, _ := s.Application.CertificateItems()
	got, itemsErr := jpkicert.FromExtensions(enr.Certificate.Extensions)
	if !bytes.Equal(enr.Certificate.RawSubjectPublicKeyInfo, s.PublicKey) || itemsErr != nil || got != want {
		// Keep the certificate so that the session's failure revokes it.
		s.CertSerial = c.Serial
		m.db.Tx(ctx, func(tx *sql.Tx) error {
			if err := records.Insert(ctx, tx, c); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "UPDATE sessions SET cert_serial = ? WHERE id = ?", c.Serial, s.ID)
			return err
		})
		return nil, ErrCertificateMismatch
	}
	return &c, nil
}

// Write writes the issued certificate to the session's card, reads it
// back, and finishes the card with its per-card management key and PUK
// (書込). The certificate comes from the store, so a session resumed after
// a crash writes it without asking the CA again. A card that can no
// longer serve (see Manager.CardUnusable) ends the session in Failed and
// revokes the certificate.
func (m *Manager) Write(ctx context.Context, by, id string, card Card) error {
	defer m.lock(id)()
	if err := m.checkMaster(); err != nil {
		return err
	}
	s, err := m.load(ctx, id, issuing, Issued)
	if err != nil {
		return err
	}
	if err := sameCard(s, card); err != nil {
		return err
	}
	rec, err := records.Get(ctx, m.db, s.CertSerial)
	if err != nil {
		return err
	}
	cert, err := rec.Parse()
	if err != nil {
		return err
	}
	items, err := s.Application.CertificateItems()
	if err != nil {
		return err
	}
	cardErr := card.WriteCertificate(ctx, cert, items)
	if notPrepared(cardErr) {
		// A session resumed in a new process: prepare the card again and
		// tell it which key it holds (the stored request has it).
		pub, err := x509.ParsePKIXPublicKey(s.PublicKey)
		if err != nil {
			return err
		}
		if cardErr = m.reprepare(ctx, s, by, card); cardErr == nil {
			if cardErr = card.ExpectKey(pub); cardErr == nil {
				cardErr = card.WriteCertificate(ctx, cert, items)
			}
		}
	}
	if cardErr == nil {
		cardErr = card.Finish(ctx, m.master)
	}
	if cardErr != nil {
		if m.CardUnusable != nil && m.CardUnusable(cardErr) {
			return m.fail(ctx, s, by, cardErr)
		}
		return cardErr
	}
	return m.commit(ctx, s, change{to: Written, by: by, note: "certificate written, read back and card finished: serial " + s.CertSerial})
}

// reprepare prepares again the session's card on a connection that has
// not prepared it (after a restart, or a card taken out and put back).
// Preparing a card that has no certificate yet gives it a new ID, which is
// committed before anything else is done to the card, so that the stored
// ID always names the card in the reader.
func (m *Manager) reprepare(ctx context.Context, s *Session, by string, card Card) error {
	if err := card.Prepare(ctx, m.master); err != nil {
		return err
	}
	id, err := card.ID()
	if err != nil || id == s.CardID {
		return err
	}
	if err := m.commit(ctx, s, change{to: s.State, by: by, action: "session.card_prepared_again",
		note: "card prepared again on a new connection: " + s.CardID + " is now " + id,
		set:  map[string]any{"card_id": id}}); err != nil {
		return err
	}
	s.CardID = id
	return nil
}

// Deliver hands the card over (交付): it revokes the resident's other
// valid certificates at the CA (one valid signing certificate per
// resident; the CA may have done so already as superseded), and records
// the session as completed.
func (m *Manager) Deliver(ctx context.Context, by, id string) error {
	defer m.lock(id)()
	s, err := m.load(ctx, id, issuing, Written)
	if err != nil {
		return err
	}
	valid, err := records.ValidFor(ctx, m.db, s.ResidentCode, m.now())
	if err != nil {
		return err
	}
	type revoked struct {
		serial, reason string
		at             time.Time
	}
	var done []revoked
	for _, old := range valid {
		if old.Serial == s.CertSerial {
			continue
		}
		n, err := old.SerialNumber()
		if err != nil {
			return err
		}
		rev, err := m.ca.Revoke(ctx, n, prefecture.ReasonResidentRequest)
		if err != nil {
			return err
		}
		done = append(done, revoked{old.Serial, rev.Reason.String(), rev.RevokedAt})
	}
	note := "handed over: serial " + s.CertSerial
	for _, d := range done {
		note += fmt.Sprintf("; previous certificate %s revoked (%s)", d.serial, d.reason)
	}
	return m.commit(ctx, s, change{to: Delivered, by: by, note: note,
		extra: func(ctx context.Context, tx *sql.Tx) error {
			for _, d := range done {
				if err := records.MarkRevoked(ctx, tx, d.serial, d.at, d.reason); err != nil {
					return err
				}
			}
			return records.MarkDelivered(ctx, tx, s.CertSerial, m.now())
		}})
}

// Resident returns the registry record of a session's resident.
func (m *Manager) Resident(ctx context.Context, s *Session) (registry.Resident, error) {
	return m.reg.Get(ctx, s.ResidentCode)
}
