package app

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"strings"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/prefecture"
	"madoguchi/app/records"
	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/forms"
	"madoguchi/forms/jpkicert"
)

// Audit actions of the counter's safety checks.
const (
	// ActionIneligible is a procedure refused when the resident was
	// selected (age, 成年被後見人, registry status, no valid certificate,
	// another session still open), before any session was recorded.
	ActionIneligible = "session.ineligible"
	// ActionCardRefused is a card refused at insertion, before anything
	// was written to it (another resident's card, another issuer's).
	ActionCardRefused = "card.refused"
	// ActionAbandonIssued is the clerk's confirmed 中止 of a session that
	// may hold an issued certificate, with the revocation reason chosen.
	ActionAbandonIssued = "session.abandon_confirmed"
)

// ErrNoCard is returned by a card step called without a connected card
// (the card was taken out).
var ErrNoCard = &appError{"no card connected",
	"カードがリーダーにありません。お客様のカードを置き直してください。"}

// Eligible checks, when the resident is selected and before any session
// is recorded, that the resident may apply for kind today (see
// session.Manager.Eligible). A refusal is a *session.IneligibleError and
// is in the audit trail with its Japanese reason.
func (d *Desk) Eligible(ctx context.Context, code string, kind forms.ApplicationKind) error {
	return d.eligibleOn(ctx, code, kind, forms.Date{})
}

func (d *Desk) eligibleOn(ctx context.Context, code string, kind forms.ApplicationKind, on forms.Date) error {
	if err := d.check(staff.RoleClerk); err != nil {
		return err
	}
	err := d.c.sessions.Eligible(ctx, code, kind, on)
	var ie *session.IneligibleError
	if errors.As(err, &ie) {
		if aerr := d.auditRefusal(ctx, ie.Code, kind, ie.Message); aerr != nil {
			return errors.Join(err, aerr)
		}
	}
	return err
}

// auditRefusal records that a procedure of kind was not accepted for the
// resident, with the reason in Japanese.
func (d *Desk) auditRefusal(ctx context.Context, code string, kind forms.ApplicationKind, reason string) error {
	_, err := audit.Record(ctx, d.c.db, audit.Entry{Staff: d.acct.ID, Action: ActionIneligible, Subject: code,
		Detail: kind.String() + "：" + reason})
	return err
}

// CardCheck is what CheckCard found on the card in the reader.
type CardCheck struct {
	Kind    CardKind
	CardID  string // the CHUID's GUID, "" on a card without one
	Serial  string // the signing certificate on the card, "" when none
	Own     bool   // the certificate was issued here to the session's resident
	Refusal string // why the card must not be used (Japanese); "" to go on
}

// CardRefusedError is a card refused by CheckCard.
type CardRefusedError struct{ Check CardCheck }

func (e *CardRefusedError) Error() string { return "app: card refused: " + e.Check.Refusal }

// UserMessage says why in Japanese.
func (e *CardRefusedError) UserMessage() string { return e.Check.Refusal }

// CheckCard reads the card in the reader (CHUID, certificate in 9C) for
// the session's procedure before anything is written to it: a blank card
// goes on for an issuance; a card holding a certificate issued here to the
// session's resident goes on (renewal, PIN reset); a card of another
// resident, of another CA or municipality, or unrecognised is refused,
// and the refusal is recorded in the audit trail. PrepareCard and
// ResetPIN check again, so that a refused card is never written.
func (d *Desk) CheckCard(ctx context.Context, id string, card *Card) (CardCheck, error) {
	if err := d.check(staff.RoleClerk); err != nil {
		return CardCheck{}, err
	}
	if card == nil {
		return CardCheck{}, ErrNoCard
	}
	s, err := d.c.sessions.Get(ctx, id)
	if err != nil {
		return CardCheck{}, err
	}
	chk, err := d.inspect(ctx, card)
	if err != nil {
		return chk, err
	}
	var rec *records.Certificate
	var onCard *x509.Certificate
	if chk.Kind == CardIssued {
		if onCard, err = card.Certificate(ctx); err != nil {
			return chk, err
		}
		chk.Serial = records.FormatSerial(onCard.SerialNumber)
		if r, err := records.Get(ctx, d.c.db, chk.Serial); err == nil {
			rec = &r
		} else if !errors.Is(err, records.ErrNotFound) {
			return chk, err
		}
	}
	now := time.Now()
	if d.c.sessions.Now != nil {
		now = d.c.sessions.Now()
	}
	chk.Refusal, chk.Own = judgeCard(s.Kind, s.ResidentCode, chk.Kind, onCard, rec, now)
	if chk.Refusal != "" {
		detail := chk.Refusal
		if chk.CardID != "" {
			detail += "（カードID " + chk.CardID + "）"
		}
		if _, err := audit.Record(ctx, d.c.db, audit.Entry{Staff: d.acct.ID, Action: ActionCardRefused, SessionID: s.ID,
			Subject: s.ResidentCode, Detail: detail}); err != nil {
			return chk, err
		}
	}
	return chk, nil
}

// inspect recognises the card and reads its identifier where it has one.
func (d *Desk) inspect(ctx context.Context, card *Card) (CardCheck, error) {
	var chk CardCheck
	kind, err := card.Kind(ctx)
	if err != nil {
		return chk, err
	}
	chk.Kind = kind
	if kind != CardForeign {
		if id, err := card.ID(); err == nil {
			chk.CardID = id
		}
	}
	return chk, nil
}

// judgeCard decides whether a card may be used for a session of kind for
// the resident: the refusal in Japanese ("" to go on), and whether the
// card's certificate is the resident's own. rec is the record of the
// certificate on the card (nil when there is none or it was not issued
// here).
func judgeCard(kind forms.ApplicationKind, resident string, card CardKind, onCard *x509.Certificate, rec *records.Certificate, now time.Time) (string, bool) {
	switch card {
	case CardBlank:
		if kind == forms.KindPINReset {
			return "このカードには署名用電子証明書が入っていません。暗証番号初期化はお客様の発行済みカードで行います。", false
		}
		return "", false
	case CardIssued:
	default:
		return "このカードは使用できません（白紙のカードでも、当市区町村が発行したカードでもありません）。何も書き込んでいません。", false
	}
	if onCard == nil || rec == nil || string(rec.DER) != string(onCard.Raw) {
		return "このカードには他の認証局または他の市区町村が発行した証明書が入っています。書き換えはできません。", false
	}
	valid := rec.Status == records.CertValid && rec.ValidAt(now)
	if rec.ResidentCode != resident {
		if valid {
			return fmt.Sprintf("このカードには別の住民の有効な署名用電子証明書（シリアル %s）が入っています。前の方のカードではないか確かめてください。書き換えはできません。", rec.Serial), false
		}
		return fmt.Sprintf("このカードは別の住民に発行したカードです（証明書シリアル %s）。この方ご本人のカードを置いてください。", rec.Serial), false
	}
	if kind == forms.KindPINReset && !valid {
		return fmt.Sprintf("このカードの証明書（シリアル %s）は失効しているか有効期限が切れています。暗証番号初期化はできません。", rec.Serial), true
	}
	return "", true
}

// refuseCard runs CheckCard for a step that writes to the card and
// returns a *CardRefusedError for a refused card.
func (d *Desk) refuseCard(ctx context.Context, id string, card *Card) error {
	chk, err := d.CheckCard(ctx, id, card)
	if err != nil {
		return err
	}
	if chk.Refusal != "" {
		return &CardRefusedError{Check: chk}
	}
	return nil
}

// AbandonIssued ends an open session (中止) after the clerk confirmed it,
// with the clerk's note (required) and, when a certificate was issued to
// the session, the revocation reason sent to the CA (resident-request or
// key-compromise). The note, the reason and the revocation are in the
// audit trail.
func (d *Desk) AbandonIssued(ctx context.Context, id, note string, reason prefecture.Reason) error {
	if err := d.check(staff.RoleClerk); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if note == "" {
		return &appError{"abandon without a reason", "中止の理由を入力してください。"}
	}
	if reason != prefecture.ReasonResidentRequest && reason != prefecture.ReasonKeyCompromise {
		return &appError{"revocation reason not one a clerk may choose", "失効の理由を選んでください。"}
	}
	s, err := d.c.sessions.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := d.c.sessions.AbandonRevoking(ctx, d.acct.ID, id, note, reason); err != nil {
		return err
	}
	detail := "中止の理由：" + note
	if s.CertSerial != "" || s.State == session.Requesting {
		detail += "；失効の理由：" + reason.Japanese()
	}
	_, err = audit.Record(ctx, d.c.db, audit.Entry{Staff: d.acct.ID, Action: ActionAbandonIssued, SessionID: id,
		Subject: s.ResidentCode, Detail: detail})
	return err
}

// noCard is the session.Card of a card no longer connected (a nil
// *Card): every step fails with ErrNoCard instead of a nil dereference.
type noCard struct{}

var _ session.Card = noCard{}

func (noCard) ID() (string, error)                                    { return "", ErrNoCard }
func (noCard) Prepare(context.Context, []byte) error                  { return ErrNoCard }
func (noCard) SetPIN(context.Context, []byte, []byte) error           { return ErrNoCard }
func (noCard) GenerateKey(context.Context) (crypto.PublicKey, error)  { return nil, ErrNoCard }
func (noCard) ExpectKey(crypto.PublicKey) error                       { return ErrNoCard }
func (noCard) Finish(context.Context, []byte) error                   { return ErrNoCard }
func (noCard) ResetPIN(context.Context, []byte, []byte, []byte) error { return ErrNoCard }
func (noCard) Certificate(context.Context) (*x509.Certificate, error) { return nil, ErrNoCard }
func (noCard) CreateRequest(context.Context, pkix.Name, jpkicert.Items, []byte) ([]byte, error) {
	return nil, ErrNoCard
}
func (noCard) WriteCertificate(context.Context, *x509.Certificate, jpkicert.Items) error {
	return ErrNoCard
}
