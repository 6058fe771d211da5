package session

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/identity"
	"madoguchi/app/prefecture"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/store"
	"madoguchi/app/store/storetest"
	"madoguchi/forms"
)

var master = []byte("0123456789abcdef0123456789abcdef")

const (
	takahashi = "12345678903" // 髙橋 花子: needs a substitute
	yamada    = "23456789014"
	movedOut  = "34567890125"
)

var testPIN = "Q7W3E9" // distinctive, so that the database can be searched for it

type env struct {
	t    *testing.T
	path string
	db   *store.DB
	m    *Manager
	ca   *fakeCA
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "counter.db"), ca: newFakeCA()}
	e.open()
	ctx := context.Background()
	reg := registry.New(e.db)
	for _, r := range []registry.Resident{
		{Code: takahashi, FamilyName: "髙橋", GivenName: "花子", FamilyKana: "たかはし", GivenKana: "はなこ", Birth: forms.Date{Year: 1962, Month: 6, Day: 17}, Sex: forms.SexFemale, Address: "東京都千代田区本町一丁目２番３号", Status: registry.StatusResident},
		{Code: yamada, FamilyName: "山田", GivenName: "太郎", FamilyKana: "やまだ", GivenKana: "たろう", Birth: forms.Date{Year: 1980, Month: 1, Day: 1}, Sex: forms.SexMale, Address: "東京都千代田区栄町二丁目１番１号", Status: registry.StatusResident},
		{Code: movedOut, FamilyName: "佐藤", GivenName: "一郎", FamilyKana: "さとう", GivenKana: "いちろう", Birth: forms.Date{Year: 1950, Month: 3, Day: 4}, Sex: forms.SexMale, Address: "東京都千代田区旭町三丁目４番５号", Status: registry.StatusMovedOut, StatusChangedOn: forms.Date{Year: 2024, Month: 4, Day: 1}},
	} {
		if err := reg.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"clerk01", "clerk02"} {
		e.db.ExecContext(ctx, `INSERT INTO staff (id, display_name, role, password_hash, created_at, password_changed_at) VALUES (?, ?, 'clerk', 'x', '', '')`, id, id)
	}
	return e
}

// open opens the database and a Manager on it, as a (re)started process.
func (e *env) open() {
	db, err := store.Open(context.Background(), storetest.Target(e.t, e.path))
	if err != nil {
		e.t.Fatal(err)
	}
	e.db = db
	e.m = NewManager(db, Options{CA: e.ca, Master: master, Prefecture: "東京都", Municipality: "千代田区"})
	e.t.Cleanup(func() { db.Close() })
}

// restart drops the Manager and database handle and opens fresh ones on
// the same file, as after a crash.
func (e *env) restart() {
	e.m.Close()
	e.db.Close()
	e.open()
}

func (e *env) app(code string, kind forms.ApplicationKind) forms.Application {
	r, err := registry.New(e.db).Get(context.Background(), code)
	if err != nil {
		e.t.Fatal(err)
	}
	a := r.Application(kind, forms.Today())
	a.Substitutes = registry.SuggestSubstitutes(a)
	return a
}

var photoID = []identity.Document{identity.NewDocument(identity.DocDriversLicense, "123456789012")}

func pin() ([]byte, []byte) { return []byte(testPIN), []byte(testPIN) }

// drive runs a session from wherever it is to its end.
func (e *env) drive(id string, card Card) error {
	ctx := context.Background()
	for {
		s, err := e.m.Get(ctx, id)
		if err != nil {
			return err
		}
		switch s.State {
		case Received:
			_, err = e.m.CheckIdentity(ctx, "clerk01", id, photoID)
		case Identified:
			switch s.Kind {
			case forms.KindRevocation:
				err = e.m.Revoke(ctx, "clerk01", id, prefecture.ReasonResidentRequest)
			case forms.KindPINReset:
				p, c := pin()
				err = e.m.ResetPIN(ctx, "clerk01", id, card, p, c)
			default:
				err = e.m.PrepareCard(ctx, "clerk01", id, card)
			}
		case CardReady:
			p, c := pin()
			err = e.m.GenerateKey(ctx, "clerk01", id, card, p, c)
		case KeyGenerated, Requesting:
			_, err = e.m.Request(ctx, "clerk01", id)
		case Issued:
			err = e.m.Write(ctx, "clerk01", id, card)
		case Written:
			err = e.m.Deliver(ctx, "clerk01", id)
		case Revoking:
			err = e.m.Revoke(ctx, "clerk01", id, 0)
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (e *env) issue(code string, card *fakeCard) *Session {
	e.t.Helper()
	s, err := e.m.Start(context.Background(), "clerk01", code, e.app(code, forms.KindNew))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.drive(s.ID, card); err != nil {
		e.t.Fatal(err)
	}
	s, _ = e.m.Get(context.Background(), s.ID)
	return s
}

func (e *env) verifyAudit() {
	e.t.Helper()
	if _, err := audit.Verify(context.Background(), e.db); err != nil {
		e.t.Errorf("audit: %v", err)
	}
}

// noSecrets checks that no PIN and no master secret is in the database
// files.
func (e *env) noSecrets() {
	e.t.Helper()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(e.path + suffix)
		if err != nil {
			continue
		}
		for _, secret := range [][]byte{[]byte(testPIN), master} {
			if bytes.Contains(b, secret) {
				e.t.Errorf("%s holds a secret %q", filepath.Base(e.path+suffix), secret)
			}
		}
	}
}

func TestIssuanceEndToEnd(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	card := newFakeCard()
	s := e.issue(takahashi, card)
	if s.State != Delivered || s.Outcome != records.OutcomeCompleted || s.CertSerial == "" || s.CardID == "" || s.FinishedAt.IsZero() {
		t.Fatalf("session %+v", s)
	}
	if card.cert == nil || records.FormatSerial(card.cert.SerialNumber) != s.CertSerial || !card.finished {
		t.Fatal("card does not hold the issued certificate")
	}
	rec, err := records.Get(ctx, e.db, s.CertSerial)
	if err != nil || rec.Status != records.CertValid || rec.ResidentCode != takahashi || rec.SessionID != s.ID {
		t.Fatalf("record %+v %v", rec, err)
	}
	steps, _ := e.m.Steps(ctx, s.ID)
	var states []State
	for _, st := range steps {
		states = append(states, st.State)
	}
	if !slices.Equal(states, Path(forms.KindNew)) {
		t.Errorf("journal %v, want %v", states, Path(forms.KindNew))
	}
	if open, _ := e.m.Interrupted(ctx); len(open) != 0 {
		t.Errorf("%d open sessions after delivery", len(open))
	}
	list, _ := records.List(ctx, e.db, records.Filter{})
	if len(list) != 1 || list[0].Result() != "交付" || list[0].Serial != s.CertSerial {
		t.Errorf("records %+v", list)
	}
	if e.ca.issuedCount() != 1 {
		t.Errorf("CA issued %d", e.ca.issuedCount())
	}
	e.verifyAudit()
	e.noSecrets()
}

func TestRenewalRevokesThePreviousCertificate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	first := e.issue(yamada, newFakeCard())
	s, err := e.m.Start(ctx, "clerk02", yamada, e.app(yamada, forms.KindRenewal))
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.m.CheckIdentity(ctx, "clerk02", s.ID, photoID)
	if err != nil || len(out.Revokes) != 1 || out.Revokes[0].Serial != first.CertSerial {
		t.Fatalf("identity outcome %+v %v", out, err)
	}
	if err := e.drive(s.ID, newFakeCard()); err != nil {
		t.Fatal(err)
	}
	old, _ := records.Get(ctx, e.db, first.CertSerial)
	if old.Status != records.CertRevoked || !e.ca.isRevoked(first.CertSerial) {
		t.Errorf("previous certificate not revoked: %+v", old)
	}
	valid, _ := records.ValidFor(ctx, e.db, yamada, e.m.now())
	if len(valid) != 1 || valid[0].Serial == first.CertSerial {
		t.Errorf("valid certificates %+v", valid)
	}
}

func TestIdentityMismatchThenCorrected(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	app := e.app(yamada, forms.KindNew)
	app.Birth = forms.Date{Year: 1980, Month: 1, Day: 2}
	s, err := e.m.Start(ctx, "clerk01", yamada, app)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.m.CheckIdentity(ctx, "clerk01", s.ID, photoID)
	if !errors.Is(err, identity.ErrMismatch) {
		t.Fatalf("CheckIdentity = %v", err)
	}
	if _, err := e.m.CheckIdentity(ctx, "clerk01", s.ID, nil); !errors.Is(err, identity.ErrDocuments) {
		t.Fatalf("no documents: %v", err)
	}
	if got, _ := e.m.Get(ctx, s.ID); got.State != Received {
		t.Fatalf("state %s after a mismatch", got.State)
	}
	if _, err := e.m.UpdateApplication(ctx, "clerk01", s.ID, e.app(yamada, forms.KindNew)); err != nil {
		t.Fatal(err)
	}
	if err := e.drive(s.ID, newFakeCard()); err != nil {
		t.Fatal(err)
	}
}

func TestIneligibleResidentFails(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	// A resident who was current at 申請受付 but moved out before the
	// identity check (a registry import in between) fails there.
	s, err := e.m.Start(ctx, "clerk01", takahashi, e.app(takahashi, forms.KindNew))
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(e.db)
	r, _ := reg.Get(ctx, takahashi)
	r.Status, r.StatusChangedOn = registry.StatusMovedOut, forms.Today()
	if err := reg.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	_, err = e.m.CheckIdentity(ctx, "clerk01", s.ID, photoID)
	var fe *FailedError
	if !errors.As(err, &fe) || !errors.Is(err, identity.ErrIneligible) || fe.UserMessage() == "" {
		t.Fatalf("CheckIdentity = %v", err)
	}
	got, _ := e.m.Get(ctx, s.ID)
	if got.State != Failed || got.Outcome != records.OutcomeFailed || got.Reason == "" {
		t.Errorf("session %+v", got)
	}
}

func TestStepGuards(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	card := newFakeCard()
	s, _ := e.m.Start(ctx, "clerk01", yamada, e.app(yamada, forms.KindNew))
	if _, err := e.m.Start(ctx, "clerk02", yamada, e.app(yamada, forms.KindNew)); !errors.Is(err, ErrOpenExists) {
		t.Errorf("second open session: %v", err)
	}
	var se *StateError
	if err := e.m.Write(ctx, "clerk01", s.ID, card); !errors.As(err, &se) || se.UserMessage() == "" {
		t.Errorf("Write in Received: %v", err)
	}
	if err := e.m.Revoke(ctx, "clerk01", s.ID, prefecture.ReasonResidentRequest); !errors.Is(err, ErrKind) {
		t.Errorf("Revoke on an issuance: %v", err)
	}
	e.m.CheckIdentity(ctx, "clerk01", s.ID, photoID)
	e.m.PrepareCard(ctx, "clerk01", s.ID, card)
	other := newFakeCard()
	other.Prepare(ctx, master)
	p, c := pin()
	if err := e.m.GenerateKey(ctx, "clerk01", s.ID, other, p, c); !errors.Is(err, ErrWrongCard) {
		t.Errorf("GenerateKey with another card: %v", err)
	}
	if !bytes.Equal(p, make([]byte, len(testPIN))) || !bytes.Equal(c, make([]byte, len(testPIN))) {
		t.Error("PIN buffers not wiped after a failed step")
	}
	p, c = pin()
	if err := e.m.GenerateKey(ctx, "clerk01", s.ID, card, p, c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p, make([]byte, len(testPIN))) {
		t.Error("PIN not wiped")
	}
	e.m.Request(ctx, "clerk01", s.ID)
	if err := e.m.Write(ctx, "clerk01", s.ID, other); !errors.Is(err, ErrWrongCard) {
		t.Errorf("Write with another card: %v", err)
	}
	// Another Manager (a second process) cannot step the same session
	// from a state it no longer is in.
	stale, _ := e.m.Get(ctx, s.ID)
	e.m.Write(ctx, "clerk01", s.ID, card)
	err := e.m.commit(ctx, stale, change{to: Written, by: "clerk01"})
	if !errors.As(err, &se) || se.Have != Written {
		t.Errorf("stale commit: %v", err)
	}
	e.m.Deliver(ctx, "clerk01", s.ID)
	if err := e.m.Abandon(ctx, "clerk01", s.ID, "x"); !errors.As(err, &se) {
		t.Errorf("abandon a delivered session: %v", err)
	}
}

func TestCAUnreachableThenRetried(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	card := newFakeCard()
	s, _ := e.m.Start(ctx, "clerk01", yamada, e.app(yamada, forms.KindNew))
	e.m.CheckIdentity(ctx, "clerk01", s.ID, photoID)
	e.m.PrepareCard(ctx, "clerk01", s.ID, card)
	p, c := pin()
	e.m.GenerateKey(ctx, "clerk01", s.ID, card, p, c)
	e.ca.down = 1
	if _, err := e.m.Request(ctx, "clerk01", s.ID); !errors.Is(err, prefecture.ErrUnreachable) {
		t.Fatalf("Request while down: %v", err)
	}
	if got, _ := e.m.Get(ctx, s.ID); got.State != Requesting {
		t.Fatalf("state %s", got.State)
	}
	if err := e.drive(s.ID, card); err != nil {
		t.Fatal(err)
	}
	if e.ca.issuedCount() != 1 {
		t.Errorf("issued %d", e.ca.issuedCount())
	}
}

func TestCARefusalFails(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	card := newFakeCard()
	s, _ := e.m.Start(ctx, "clerk01", yamada, e.app(yamada, forms.KindNew))
	e.ca.refuse = &prefecture.Error{Op: "enroll", Kind: prefecture.Refused, Status: 400}
	err := e.drive(s.ID, card)
	var fe *FailedError
	if !errors.As(err, &fe) || !errors.Is(err, prefecture.ErrRefused) {
		t.Fatalf("drive = %v", err)
	}
	if got, _ := e.m.Get(ctx, s.ID); got.State != Failed || got.CertSerial != "" {
		t.Errorf("session %+v", got)
	}
}

func TestMismatchedCertificateIsRevoked(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.ca.tamper = true
	s, _ := e.m.Start(ctx, "clerk01", yamada, e.app(yamada, forms.KindNew))
	err := e.drive(s.ID, newFakeCard())
	if !errors.Is(err, ErrCertificateMismatch) {
		t.Fatalf("drive = %v", err)
	}
	got, _ := e.m.Get(ctx, s.ID)
	if got.State != Failed || got.CertSerial == "" || !e.ca.isRevoked(got.CertSerial) {
		t.Fatalf("session %+v, revoked %v", got, e.ca.isRevoked(got.CertSerial))
	}
	if rec, _ := records.Get(ctx, e.db, got.CertSerial); rec.Status != records.CertRevoked {
		t.Errorf("record %+v", rec)
	}
}

var errBroken = errors.New("card broken")

func TestUnusableCardAtWriteFailsAndRevokes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.m.CardUnusable = func(err error) bool { return errors.Is(err, errBroken) }
	card := newFakeCard()
	s, _ := e.m.Start(ctx, "clerk01", yamada, e.app(yamada, forms.KindNew))
	// A transient error first: the session stays in Issued.
	card.fail["WriteCertificate"] = errors.New("card removed")
	s2 := s.ID
	if err := e.drive(s2, card); err == nil || errors.As(err, new(*FailedError)) {
		t.Fatalf("transient write error: %v", err)
	}
	if got, _ := e.m.Get(ctx, s2); got.State != Issued {
		t.Fatalf("state %s", got.State)
	}
	card.fail["Finish"] = errBroken
	err := e.drive(s2, card)
	if !errors.As(err, new(*FailedError)) {
		t.Fatalf("broken card: %v", err)
	}
	got, _ := e.m.Get(ctx, s2)
	if got.State != Failed || !e.ca.isRevoked(got.CertSerial) {
		t.Errorf("session %+v", got)
	}
}

func TestRevocationSession(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	issued := e.issue(yamada, newFakeCard())
	s, err := e.m.Start(ctx, "clerk02", yamada, e.app(yamada, forms.KindRevocation))
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.m.CheckIdentity(ctx, "clerk02", s.ID, photoID)
	if err != nil || out.Target == nil || out.Target.Serial != issued.CertSerial {
		t.Fatalf("identity %+v %v", out, err)
	}
	if err := e.m.Revoke(ctx, "clerk02", s.ID, prefecture.ReasonSuperseded); err == nil {
		t.Error("an RA asked for superseded")
	}
	if err := e.m.Revoke(ctx, "clerk02", s.ID, prefecture.ReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	got, _ := e.m.Get(ctx, s.ID)
	rec, _ := records.Get(ctx, e.db, issued.CertSerial)
	if got.State != Revoked || got.RevokeReason != prefecture.ReasonKeyCompromise || rec.Status != records.CertRevoked || rec.RevokeReason != "key-compromise" {
		t.Errorf("session %+v record %+v", got, rec)
	}
	// Nothing left to revoke: refused before any session is recorded.
	var ie *IneligibleError
	if s3, err := e.m.Start(ctx, "clerk02", yamada, e.app(yamada, forms.KindRevocation)); !errors.As(err, &ie) || s3 != nil {
		t.Errorf("second revocation: %v %v", s3, err)
	}
}

func TestPINResetSession(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	card := newFakeCard()
	e.issue(yamada, card)
	s, _ := e.m.Start(ctx, "clerk01", yamada, e.app(yamada, forms.KindPINReset))
	e.m.CheckIdentity(ctx, "clerk01", s.ID, photoID)
	// Another resident's card is refused.
	otherCard := newFakeCard()
	e.issue(takahashi, otherCard)
	p, c := []byte("NEWPIN1"), []byte("NEWPIN1")
	if err := e.m.ResetPIN(ctx, "clerk01", s.ID, otherCard, p, c); !errors.Is(err, ErrCardCertificate) {
		t.Fatalf("other card: %v", err)
	}
	p, c = []byte("NEWPIN1"), []byte("NEWPIN1")
	if err := e.m.ResetPIN(ctx, "clerk01", s.ID, card, p, c); err != nil {
		t.Fatal(err)
	}
	if string(card.pin) != "NEWPIN1" || !bytes.Equal(p, make([]byte, 7)) {
		t.Errorf("PIN not reset (%q) or buffer not wiped", card.pin)
	}
	if got, _ := e.m.Get(ctx, s.ID); got.State != PINReset || got.Outcome != records.OutcomeCompleted {
		t.Errorf("session %+v", got)
	}
}

// A renewal whose new certificate superseded the previous one at the CA,
// then abandoned: the records learn from the CA's CRL that the previous
// certificate is revoked, instead of showing it valid.
func TestAbandonedRenewalSyncsSupersededCertificate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.ca.supersede = true
	first := e.issue(yamada, newFakeCard())
	s, _ := e.m.Start(ctx, "clerk01", yamada, e.app(yamada, forms.KindRenewal))
	card := newFakeCard()
	for st, _ := e.m.Get(ctx, s.ID); st.State != Issued; st, _ = e.m.Get(ctx, s.ID) {
		if err := e.drive1(s.ID, card); err != nil {
			t.Fatal(err)
		}
	}
	if rec, _ := records.Get(ctx, e.db, first.CertSerial); rec.Status != records.CertValid {
		t.Fatalf("before: %s", rec.Status)
	}
	if err := e.m.Abandon(ctx, "clerk01", s.ID, "card damaged"); err != nil {
		t.Fatal(err)
	}
	rec, _ := records.Get(ctx, e.db, first.CertSerial)
	if rec.Status != records.CertRevoked || rec.RevokeReason != "superseded" {
		t.Errorf("previous certificate in the records: %s (%s)", rec.Status, rec.RevokeReason)
	}
	// Running it again changes nothing.
	if n, err := e.m.SyncRevocations(ctx, "super01"); err != nil || n != 0 {
		t.Errorf("second sync: %d, %v", n, err)
	}
	e.verifyAudit()
}

// drive1 runs one step of a session.
func (e *env) drive1(id string, card Card) error {
	ctx := context.Background()
	s, err := e.m.Get(ctx, id)
	if err != nil {
		return err
	}
	switch s.State {
	case Received:
		_, err = e.m.CheckIdentity(ctx, "clerk01", id, photoID)
	case Identified:
		err = e.m.PrepareCard(ctx, "clerk01", id, card)
	case CardReady:
		p, c := pin()
		err = e.m.GenerateKey(ctx, "clerk01", id, card, p, c)
	case KeyGenerated, Requesting:
		_, err = e.m.Request(ctx, "clerk01", id)
	}
	return err
}

// A session's number carries the municipality's date, not the machine's:
// 23:30 UTC on 1 December is already 2 December in Tokyo.
func TestSessionNumberInMunicipalityZone(t *testing.T) {
	e := newEnv(t)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	e.m.Zone = tokyo
	e.m.Now = func() time.Time { return time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC) }
	s, err := e.m.Start(context.Background(), "clerk01", takahashi, e.app(takahashi, forms.KindNew))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.ID, "20261202-") {
		t.Errorf("session number %q, want one of 2 December (Tokyo)", s.ID)
	}
}
