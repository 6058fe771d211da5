package app

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/config"
	"madoguchi/app/prefecture"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
	"madoguchi/forms"
)

func TestJudgeCard(t *testing.T) {
	now := time.Now()
	onCard := &x509.Certificate{Raw: []byte("certificate A")}
	rec := func(resident string, status records.CertStatus, notAfter time.Time) *records.Certificate {
		return &records.Certificate{Serial: "1a", ResidentCode: resident, Status: status, DER: []byte("certificate A"),
			NotBefore: now.Add(-time.Hour), NotAfter: notAfter}
	}
	later, earlier := now.AddDate(5, 0, 0), now.Add(-time.Minute)
	other := &records.Certificate{Serial: "1a", ResidentCode: "A", Status: records.CertValid, DER: []byte("certificate B"), NotBefore: now.Add(-time.Hour), NotAfter: later}
	for _, c := range []struct {
		name   string
		kind   forms.ApplicationKind
		card   CardKind
		onCard *x509.Certificate
		rec    *records.Certificate
		refuse string // fragment of the refusal; "" to go on
		own    bool
	}{
		{"blank, new", forms.KindNew, CardBlank, nil, nil, "", false},
		{"blank, renewal", forms.KindRenewal, CardBlank, nil, nil, "", false},
		{"blank, PIN reset", forms.KindPINReset, CardBlank, nil, nil, "入っていません", false},
		{"foreign", forms.KindNew, CardForeign, nil, nil, "使用できません", false},
		{"another CA's certificate", forms.KindNew, CardIssued, onCard, nil, "他の認証局", false},
		{"same serial, other DER", forms.KindRenewal, CardIssued, onCard, other, "他の認証局", false},
		{"another resident's valid certificate", forms.KindNew, CardIssued, onCard, rec("A", records.CertValid, later), "別の住民の有効な", false},
		{"another resident's, PIN reset", forms.KindPINReset, CardIssued, onCard, rec("A", records.CertValid, later), "別の住民の有効な", false},
		{"another resident's revoked", forms.KindNew, CardIssued, onCard, rec("A", records.CertRevoked, later), "別の住民に発行した", false},
		{"another resident's expired", forms.KindNew, CardIssued, onCard, rec("A", records.CertValid, earlier), "別の住民に発行した", false},
		{"own valid, renewal", forms.KindRenewal, CardIssued, onCard, rec("B", records.CertValid, later), "", true},
		{"own valid, PIN reset", forms.KindPINReset, CardIssued, onCard, rec("B", records.CertValid, later), "", true},
		{"own revoked, PIN reset", forms.KindPINReset, CardIssued, onCard, rec("B", records.CertRevoked, later), "失効", true},
		{"own revoked, new", forms.KindNew, CardIssued, onCard, rec("B", records.CertRevoked, later), "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			refusal, own := judgeCard(c.kind, "B", c.card, c.onCard, c.rec, now)
			if (c.refuse == "") != (refusal == "") || !strings.Contains(refusal, c.refuse) || own != c.own {
				t.Fatalf("judgeCard = %q, %v; want %q, %v", refusal, own, c.refuse, c.own)
			}
		})
	}
}

// adultResidents returns n current residents who may be issued a
// signing certificate.
func adultResidents(t *testing.T, d *Desk, n int) []registry.Resident {
	t.Helper()
	var out []registry.Resident
	for _, prefix := range []string{"a", "i", "u", "e", "o", "ka", "ki", "ku", "ke", "ko", "sa", "ta", "na", "ha", "ma", "ya", "ra", "wa"} {
		res, err := d.Search(context.Background(), registry.Query{Kana: prefix, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Residents {
			if r.Status == registry.StatusResident && !r.AdultWard && session.Age(r.Birth, forms.Today()) >= 20 &&
				forms.CheckCharset(forms.CertificateText(r.FamilyName+r.GivenName)) == nil &&
				forms.CheckCharset(forms.CertificateText(r.Address)) == nil {
				out = append(out, r)
				if len(out) == n {
					return out
				}
			}
		}
	}
	t.Fatalf("fewer than %d adult residents", n)
	return nil
}

func TestEligibleIsAudited(t *testing.T) {
	ctx := context.Background()
	c := openCounter(t, t.TempDir(), session.Hooks{})
	defer c.Close() // an open database cannot be deleted on Windows
	d := signIn(t, c, staff.DemoClerk)
	r := adultResidents(t, d, 1)[0]
	// No certificate: 更新 is refused at Prefill, and Start refuses it too.
	var ie *session.IneligibleError
	if _, err := d.Prefill(ctx, r.Code, forms.KindRenewal); !errors.As(err, &ie) {
		t.Fatalf("Prefill renewal = %v", err)
	}
	a := mustPrefill(t, d, r.Code, forms.KindNew)
	a.Kind = forms.KindRenewal
	if s, err := d.Start(ctx, r.Code, a); !errors.As(err, &ie) || s != nil {
		t.Fatalf("Start renewal = %v %v", s, err)
	}
	es, err := audit.List(ctx, c.db, audit.Filter{Action: ActionIneligible})
	if err != nil || len(es) != 2 || es[0].Subject != r.Code || !strings.Contains(es[0].Detail, "更新") || !strings.Contains(es[0].Detail, "有効な署名用電子証明書がない") {
		t.Fatalf("ineligible not audited in Japanese: %+v %v", es, err)
	}
	if open, _ := d.Interrupted(ctx); len(open) != 0 {
		t.Fatalf("sessions recorded: %v", open)
	}
	// A second session while one is open is a refusal too.
	if _, err := d.Start(ctx, r.Code, mustPrefill(t, d, r.Code, forms.KindNew)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Start(ctx, r.Code, mustPrefill(t, d, r.Code, forms.KindNew)); !errors.Is(err, session.ErrOpenExists) {
		t.Fatalf("second Start = %v", err)
	}
	es, _ = audit.List(ctx, c.db, audit.Filter{Action: ActionIneligible})
	if len(es) != 3 || !strings.Contains(es[2].Detail, "終了していない手続") {
		t.Fatalf("open session refusal not audited: %+v", es)
	}
}

func TestCardStepsWithoutCardDoNotPanic(t *testing.T) {
	ctx := context.Background()
	c := openCounter(t, t.TempDir(), session.Hooks{})
	defer c.Close() // an open database cannot be deleted on Windows
	d := signIn(t, c, staff.DemoClerk)
	r := adultResidents(t, d, 1)[0]
	s, err := d.Start(ctx, r.Code, mustPrefill(t, d, r.Code, forms.KindNew))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CheckIdentity(ctx, s.ID, license); err != nil {
		t.Fatal(err)
	}
	p, q := pins()
	for name, step := range map[string]func() error{
		"CheckCard":   func() error { _, err := d.CheckCard(ctx, s.ID, nil); return err },
		"PrepareCard": func() error { return d.PrepareCard(ctx, s.ID, nil) },
		"GenerateKey": func() error { return d.GenerateKey(ctx, s.ID, nil, p, q) },
		"Write":       func() error { return d.Write(ctx, s.ID, nil) },
		"ResetPIN":    func() error { return d.ResetPIN(ctx, s.ID, nil, p, q) },
	} {
		if err := step(); !errors.Is(err, ErrNoCard) && !errors.As(err, new(*session.StateError)) {
			t.Errorf("%s without a card = %v", name, err)
		}
	}
	if !bytes.Equal(p, make([]byte, len(p))) {
		t.Error("PIN not wiped")
	}
}

// The card checks through the real PC/SC stack (pcscd + vpcd): a card
// left in the reader after 交付 is refused for the next resident before
// anything is written, a PIN reset with another resident's card is
// refused and audited, and a card taken out mid-step gives an error, not
// a crash.
func TestCardIdentityThroughPCSC(t *testing.T) {
	ctx := context.Background()
	cardA := cardio.NewEmulator(cardio.EmulatorOptions{})
	slot := pcsctest.AttachSlot(t, cardA)

	cfg := demoConfig(t.TempDir())
	cfg.Reader = config.Reader{Mode: config.ReaderPCSC, Name: slot.Reader.Name()}
	c, err := Open(ctx, cfg, Options{DemoResidents: 300, StaffParams: &fastStaff})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d := signIn(t, c, staff.DemoClerk)
	rs := adultResidents(t, d, 3)
	a, b, third := rs[0], rs[1], rs[2]

	issue := func(r registry.Resident) *session.Session {
		t.Helper()
		s, err := d.Start(ctx, r.Code, mustPrefill(t, d, r.Code, forms.KindNew))
		if err != nil {
			t.Fatal(err)
		}
		if err := drive(ctx, d, s.ID); err != nil {
			t.Fatal(err)
		}
		s, _ = d.Session(ctx, s.ID)
		if s.State != session.Delivered {
			t.Fatalf("%s: state %s", r.Code, s.State)
		}
		return s
	}
	sa := issue(a)
	certA, _ := cardA.Object(cardio.SlotSignature.CertObject())

	// B's issuance with A's card still in the reader.
	sb, err := d.Start(ctx, b.Code, mustPrefill(t, d, b.Code, forms.KindNew))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CheckIdentity(ctx, sb.ID, license); err != nil {
		t.Fatal(err)
	}
	card, err := d.ConnectCard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	chk, err := d.CheckCard(ctx, sb.ID, card)
	if err != nil || chk.Kind != CardIssued || !strings.Contains(chk.Refusal, "別の住民の有効な") || chk.Serial != sa.CertSerial {
		t.Fatalf("CheckCard with A's card for B = %+v, %v", chk, err)
	}
	var refused *CardRefusedError
	if err := d.PrepareCard(ctx, sb.ID, card); !errors.As(err, &refused) {
		t.Fatalf("PrepareCard with A's card for B = %v", err)
	}
	card.Close()
	if after, _ := cardA.Object(cardio.SlotSignature.CertObject()); !bytes.Equal(after, certA) {
		t.Fatal("A's card was written to")
	}
	if v, _ := d.ValidCertificates(ctx, a.Code); len(v) != 1 || v[0].Serial != sa.CertSerial {
		t.Fatalf("A's certificate: %v", v)
	}
	if s, _ := d.Session(ctx, sb.ID); s.State != session.Identified || s.CardID != "" {
		t.Fatalf("B's session %s %q", s.State, s.CardID)
	}

	// B's own blank card.
	slot.Remove()
	cardB := cardio.NewEmulator(cardio.EmulatorOptions{})
	slot.Insert(cardB)
	if err := drive(ctx, d, sb.ID); err != nil {
		t.Fatal(err)
	}

	// B's PIN reset with A's card: refused at the check and at ResetPIN.
	sr, err := d.Start(ctx, b.Code, mustPrefill(t, d, b.Code, forms.KindPINReset))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CheckIdentity(ctx, sr.ID, license); err != nil {
		t.Fatal(err)
	}
	slot.Remove()
	slot.Insert(cardA)
	card, err = d.ConnectCard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, q := pins()
	if err := d.ResetPIN(ctx, sr.ID, card, p, q); !errors.As(err, &refused) || !strings.Contains(refused.UserMessage(), "別の住民") {
		t.Fatalf("ResetPIN with A's card for B = %v", err)
	}
	card.Close()
	es, err := audit.List(ctx, c.db, audit.Filter{Action: ActionCardRefused})
	if err != nil || len(es) < 3 || es[len(es)-1].SessionID != sr.ID || !strings.Contains(es[len(es)-1].Detail, "別の住民") {
		t.Fatalf("refusals not audited: %+v %v", es, err)
	}

	// A third resident: the card taken out between the check and the key
	// generation gives an error and leaves the session resumable.
	st, err := d.Start(ctx, third.Code, mustPrefill(t, d, third.Code, forms.KindNew))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CheckIdentity(ctx, st.ID, license); err != nil {
		t.Fatal(err)
	}
	slot.Remove()
	cardC := cardio.NewEmulator(cardio.EmulatorOptions{})
	slot.Insert(cardC)
	card, err = d.ConnectCard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.PrepareCard(ctx, st.ID, card); err != nil {
		t.Fatal(err)
	}
	slot.Remove()
	p, q = pins()
	if err := d.GenerateKey(ctx, st.ID, card, p, q); err == nil {
		t.Fatal("key generated on a card that was taken out")
	}
	card.Close()
	if s, _ := d.Session(ctx, st.ID); s.State != session.CardReady || s.Outcome != records.OutcomeOpen {
		t.Fatalf("session after the removal: %s %s", s.State, s.Outcome)
	}
	// 中止 with the revocation reason chosen; nothing issued yet, so no
	// revocation, but the clerk's reason is audited.
	if err := d.AbandonIssued(ctx, st.ID, "", prefecture.ReasonResidentRequest); err == nil {
		t.Fatal("abandoned without a reason")
	}
	if err := d.AbandonIssued(ctx, st.ID, "お客様が帰られたため", prefecture.ReasonResidentRequest); err != nil {
		t.Fatal(err)
	}
	if s, _ := d.Session(ctx, st.ID); s.State != session.Abandoned {
		t.Fatalf("state %s", s.State)
	}
}
