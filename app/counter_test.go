package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"madoguchi/app/audit"
	"madoguchi/app/config"
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

var fastStaff = staff.Params{Time: 1, MemoryKiB: 1024, Threads: 1}

const residentPIN = "K8P2M5X9" // distinctive, so that the files can be searched for it

// demoConfig is the embedded default in dir, as the application runs it.
func demoConfig(dir string) config.Config { return config.Default(dir) }

func openCounter(t testing.TB, dir string, hooks session.Hooks) *Counter {
	t.Helper()
	c, err := Open(context.Background(), demoConfig(dir), Options{DemoResidents: 300, StaffParams: &fastStaff, Hooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func signIn(t testing.TB, c *Counter, id string) *Desk {
	t.Helper()
	d, err := c.SignIn(context.Background(), id, []byte(staff.DemoPassword))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// residentNeedingSubstitute finds a current demo resident whose name the
// certificate cannot carry as it is.
func residentNeedingSubstitute(t testing.TB, d *Desk) registry.Resident {
	t.Helper()
	r, err := findSubstituteResident(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func findSubstituteResident(ctx context.Context, d *Desk) (registry.Resident, error) {
	for _, name := range []string{"髙橋", "山﨑", "𠮷田", "髙木", "宮﨑", "﨑山"} {
		res, err := d.Search(ctx, registry.Query{Name: name, Limit: 50})
		if err != nil {
			return registry.Resident{}, err
		}
		for _, r := range res.Residents {
			if r.Status == registry.StatusResident && strings.HasPrefix(r.FamilyName, name) {
				return r, nil
			}
		}
	}
	return registry.Resident{}, errors.New("no demo resident needs a substitute")
}

func pins() ([]byte, []byte) { return []byte(residentPIN), []byte(residentPIN) }

var license = []identity.Document{identity.NewDocument(identity.DocDriversLicense, "123456789012")}

// drive runs a session from its state to the end with the card in the
// reader.
func drive(ctx context.Context, d *Desk, id string) error {
	for {
		s, err := d.Session(ctx, id)
		if err != nil {
			return err
		}
		if s.State.Terminal() {
			return nil
		}
		err = func() error {
			switch s.State {
			case session.Received:
				_, err := d.CheckIdentity(ctx, id, license)
				return err
			case session.KeyGenerated, session.Requesting:
				_, err := d.Request(ctx, id)
				return err
			case session.Written:
				return d.Deliver(ctx, id)
			case session.Revoking:
				return d.Revoke(ctx, id, 0)
			}
			if s.Kind == forms.KindRevocation {
				return d.Revoke(ctx, id, prefecture.ReasonResidentRequest)
			}
			card, err := d.ConnectCard(ctx)
			if err != nil {
				return err
			}
			defer card.Close()
			switch {
			case s.Kind == forms.KindPINReset:
				p, c := pins()
				return d.ResetPIN(ctx, id, card, p, c)
			case s.State == session.Identified:
				return d.PrepareCard(ctx, id, card)
			case s.State == session.CardReady:
				p, c := pins()
				return d.GenerateKey(ctx, id, card, p, c)
			case s.State == session.Issued:
				return d.Write(ctx, id, card)
			}
			return errors.New("no step for state " + string(s.State))
		}()
		if err != nil {
			return err
		}
	}
}

// noSecrets checks that no PIN and no master secret is in any file of the
// counter's database.
func noSecrets(t *testing.T, c *Counter) {
	t.Helper()
	master, err := os.ReadFile(c.cfg.MasterSecretFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(c.cfg.DatabasePath + suffix)
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte(residentPIN)) || bytes.Contains(b, master) {
			t.Errorf("%s holds a PIN or the master secret", c.cfg.DatabasePath+suffix)
		}
	}
}

// The whole issuance on the embedded default: demo registry and staff,
// emulated card in-process, reference CA over real loopback TLS, SQLite
// file. Then a PIN reset and a revocation of the same card.
func TestEmbeddedDefaultEndToEnd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := openCounter(t, dir, session.Hooks{})
	defer c.Close()

	if _, err := c.SignIn(ctx, staff.DemoClerk, []byte("wrong-password")); !errors.Is(err, staff.ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	d := signIn(t, c, staff.DemoClerk)
	if _, err := d.Records(ctx, records.Filter{}); !errors.As(err, new(*staff.ForbiddenError)) {
		t.Errorf("a clerk read the records: %v", err)
	}
	r := residentNeedingSubstitute(t, d)
	app, err := d.Prefill(ctx, r.Code, forms.KindNew)
	if err != nil {
		t.Fatal(err)
	}
	if len(app.Substitutes.Name) == 0 {
		t.Fatalf("no substitute proposed for %s", r.Name())
	}
	if diffs, _ := d.Differences(ctx, r.Code, app); len(diffs) != 0 {
		t.Fatalf("pre-filled form differs: %+v", diffs)
	}
	s, err := d.Start(ctx, r.Code, app)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CheckIdentity(ctx, s.ID, license); err != nil {
		t.Fatal(err)
	}
	emu, err := c.InsertBlankCard()
	if err != nil {
		t.Fatal(err)
	}
	card, err := d.ConnectCard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := card.State(ctx); err != nil || st != keygen.StateBlank {
		t.Fatalf("blank card state %v %v", st, err)
	}
	if err := d.PrepareCard(ctx, s.ID, card); err != nil {
		t.Fatal(err)
	}
	p, cf := pins()
	if err := d.GenerateKey(ctx, s.ID, card, p, cf); err != nil {
		t.Fatal(err)
	}
	cert, err := d.Request(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(ctx, s.ID, card); err != nil {
		t.Fatal(err)
	}
	if err := d.Deliver(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	card.Close()

	// The card carries the certificate, with the substitute applied.
	onCard, ok := emu.Object(cardio.SlotSignature.CertObject())
	if !ok || !bytes.Contains(onCard, cert.DER) {
		t.Fatal("the card does not hold the issued certificate")
	}
	x, _ := cert.Parse()
	items, _ := app.CertificateItems()
	if !strings.Contains(items.NamePositions, "1") {
		t.Errorf("name positions %q mark no substitute", items.NamePositions)
	}
	if n, _ := c.CA().CA.IssuedCount(ctx); n != 1 {
		t.Errorf("CA issued %d", n)
	}
	if st, err := c.CA().CA.CertificateStatus(ctx, x.SerialNumber); err != nil || st.Revoked {
		t.Errorf("CA status %+v %v", st, err)
	}

	// PIN reset with the card, then revocation.
	ps, err := d.Start(ctx, r.Code, mustPrefill(t, d, r.Code, forms.KindPINReset))
	if err != nil {
		t.Fatal(err)
	}
	if err := drive(ctx, d, ps.ID); err != nil {
		t.Fatal(err)
	}
	rs, err := d.Start(ctx, r.Code, mustPrefill(t, d, r.Code, forms.KindRevocation))
	if err != nil {
		t.Fatal(err)
	}
	if err := drive(ctx, d, rs.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.CA().CA.CertificateStatus(ctx, x.SerialNumber); !st.Revoked {
		t.Error("revocation did not reach the CA")
	}

	sup := signIn(t, c, staff.DemoSupervisor)
	list, err := sup.Records(ctx, records.Filter{ResidentCode: r.Code})
	if err != nil || len(list) != 3 {
		t.Fatalf("records %+v %v", list, err)
	}
	for _, rec := range list {
		if rec.Outcome != records.OutcomeCompleted {
			t.Errorf("record %+v", rec)
		}
	}
	if _, err := sup.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}
	// Who looked the resident up is on record too.
	views, _ := sup.Audit(ctx, audit.Filter{Action: ActionRegistryView, Subject: r.Code, Staff: staff.DemoClerk})
	searches, _ := sup.Audit(ctx, audit.Filter{Action: ActionRegistrySearch, Staff: staff.DemoClerk})
	if len(views) == 0 || len(searches) == 0 {
		t.Errorf("%d views and %d searches in the audit trail", len(views), len(searches))
	}
	d.SignOut(ctx)
	if _, err := d.Search(ctx, registry.Query{Code: r.Code}); !errors.Is(err, ErrSignedOut) {
		t.Errorf("signed-out desk still works: %v", err)
	}
	noSecrets(t, c)
}

func mustPrefill(t *testing.T, d *Desk, code string, kind forms.ApplicationKind) forms.Application {
	t.Helper()
	a, err := d.Prefill(context.Background(), code, kind)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The embedded default with its own settings: demo data and accounts, and
// a registry whose demo applications validate.
func TestEmbeddedDefaultOpens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c, err := Open(ctx, config.Default(dir), Options{StaffParams: &fastStaff})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n, _ := c.registry.Count(ctx); n != DemoResidents {
		t.Errorf("demo registry has %d residents", n)
	}
	for _, id := range []string{staff.DemoClerk, staff.DemoSupervisor} {
		signIn(t, c, id)
	}
	fi, err := os.Stat(c.cfg.MasterSecretFile)
	if err != nil || !ownerOnly(t, c.cfg.MasterSecretFile, fi) || fi.Size() != masterLength {
		t.Errorf("master secret file %v %v", fi, err)
	}
	c.Close()
	// A second start keeps the same data and master secret.
	before, _ := os.ReadFile(c.cfg.MasterSecretFile)
	c2, err := Open(ctx, config.Default(dir), Options{StaffParams: &fastStaff})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	after, _ := os.ReadFile(c.cfg.MasterSecretFile)
	if !bytes.Equal(before, after) {
		t.Error("master secret replaced on restart")
	}
	if n, _ := c2.registry.Count(ctx); n != DemoResidents {
		t.Errorf("registry after restart: %d", n)
	}
}

func TestOpenRefusesAMissingMasterSecret(t *testing.T) {
	dir := t.TempDir()
	cfg := demoConfig(dir)
	cfg.Demo = false
	cfg.DataDir = ""
	_, err := Open(context.Background(), cfg, Options{StaffParams: &fastStaff})
	var se *SetupError
	if !errors.As(err, &se) || se.UserMessage() == "" {
		t.Fatalf("Open = %v", err)
	}
	os.WriteFile(cfg.MasterSecretFile, []byte("short"), 0o600)
	if _, err := Open(context.Background(), cfg, Options{StaffParams: &fastStaff}); !errors.As(err, &se) {
		t.Fatalf("short master: %v", err)
	}
}

// Crash at every point of an issuance on the real stack (emulated card,
// reference CA over TLS, SQLite file), start a fresh Counter on the same
// files, and resume: the session completes, the card holds the one
// certificate the CA issued.
func TestCrashAtEveryStepThenResume(t *testing.T) {
	testCrashes(t, false)
}

// The same, abandoning after the restart: whatever the CA issued is
// revoked.
func TestCrashAtEveryStepThenAbandon(t *testing.T) {
	testCrashes(t, true)
}

var errCrash = errors.New("simulated crash")

func testCrashes(t *testing.T, abandon bool) {
	for i, st := range session.Path(forms.KindNew) {
		for _, before := range []bool{true, false} {
			if (before && i == 0) || (abandon && st == session.Delivered) {
				continue
			}
			name := "after-" + string(st)
			if before {
				name = "before-" + string(st)
			}
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				dir := t.TempDir()
				hook := func(id string, to session.State) error {
					if to == st {
						return errCrash
					}
					return nil
				}
				hooks := session.Hooks{AfterCommit: hook}
				if before {
					hooks = session.Hooks{BeforeCommit: hook}
				}
				c := openCounter(t, dir, hooks)
				d := signIn(t, c, staff.DemoClerk)
				r := residentNeedingSubstitute(t, d)
				emu, _ := c.InsertBlankCard()
				s, err := d.Start(ctx, r.Code, mustPrefill(t, d, r.Code, forms.KindNew))
				if err == nil {
					err = drive(ctx, d, s.ID)
				}
				if !errors.Is(err, errCrash) {
					t.Fatalf("no crash: %v", err)
				}
				c.Close()

				// A fresh process on the same files: the card that was in the
				// reader is back in it, with the memory it had at the crash.
				c = openCounter(t, dir, session.Hooks{})
				defer c.Close()
				if emu = c.EmulatedReader().Card(); emu == nil {
					t.Fatal("the card is not back in the reader")
				}
				d = signIn(t, c, staff.DemoClerk)
				open, err := d.Interrupted(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var id string
				switch {
				case st == session.Delivered && !before:
					if len(open) != 0 {
						t.Fatal("a delivered session is listed as interrupted")
					}
					list, _ := records.List(ctx, c.db, records.Filter{})
					id = list[0].SessionID
				case len(open) != 1:
					t.Fatalf("Interrupted = %d sessions", len(open))
				default:
					id = open[0].ID
					if abandon {
						err = d.Abandon(ctx, id, "resident left after the restart")
					} else {
						err = drive(ctx, d, id)
					}
					if err != nil {
						t.Fatalf("after the restart in %s: %v", open[0].State, err)
					}
				}
				got, _ := d.Session(ctx, id)
				issued, _ := c.CA().CA.IssuedCount(ctx)
				if issued > 1 {
					t.Fatalf("the CA issued %d certificates", issued)
				}
				if abandon {
					if got.State != session.Abandoned {
						t.Fatalf("state %s", got.State)
					}
					if got.CertSerial != "" {
						n, _ := records.ParseSerial(got.CertSerial)
						if st, _ := c.CA().CA.CertificateStatus(ctx, n); !st.Revoked {
							t.Error("the abandoned session's certificate is valid at the CA")
						}
					} else if issued != 0 {
						t.Error("the CA issued a certificate the session does not know")
					}
				} else {
					if got.State != session.Delivered || issued != 1 {
						t.Fatalf("state %s, %d issued", got.State, issued)
					}
					rec, _ := records.Get(ctx, c.db, got.CertSerial)
					onCard, ok := emu.Object(cardio.SlotSignature.CertObject())
					if !ok || !bytes.Contains(onCard, rec.DER) {
						t.Error("the card does not hold the certificate")
					}
					if got.CardID == "" {
						t.Error("no card ID")
					}
				}
				if _, err := audit.Verify(ctx, c.db); err != nil {
					t.Error(err)
				}
				noSecrets(t, c)
			})
		}
	}
}

// A renewal abandoned after the reference CA issued its certificate: the
// CA superseded the previous certificate when it issued the new one, and
// revoked the new one when the session was abandoned; the records say so.
func TestAbandonedRenewalOnTheReferenceCA(t *testing.T) {
	ctx := context.Background()
	c := openCounter(t, t.TempDir(), session.Hooks{})
	defer c.Close()
	d := signIn(t, c, staff.DemoClerk)
	r := residentNeedingSubstitute(t, d)
	c.InsertBlankCard()
	first, _ := d.Start(ctx, r.Code, mustPrefill(t, d, r.Code, forms.KindNew))
	if err := drive(ctx, d, first.ID); err != nil {
		t.Fatal(err)
	}
	first, _ = d.Session(ctx, first.ID)
	c.RemoveCard()
	c.InsertBlankCard()
	s, _ := d.Start(ctx, r.Code, mustPrefill(t, d, r.Code, forms.KindRenewal))
	out, err := d.CheckIdentity(ctx, s.ID, license)
	if err != nil || len(out.Revokes) != 1 || out.Revokes[0].Serial != first.CertSerial {
		t.Fatalf("identity outcome %+v %v", out, err)
	}
	card, _ := d.ConnectCard(ctx)
	defer card.Close()
	d.PrepareCard(ctx, s.ID, card)
	p, cf := pins()
	d.GenerateKey(ctx, s.ID, card, p, cf)
	if _, err := d.Request(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.Abandon(ctx, s.ID, "the resident changed their mind"); err != nil {
		t.Fatal(err)
	}
	for _, serial := range []string{first.CertSerial} {
		rec, _ := records.Get(ctx, c.db, serial)
		n, _ := records.ParseSerial(serial)
		st, _ := c.CA().CA.CertificateStatus(ctx, n)
		if !st.Revoked || rec.Status != records.CertRevoked {
			t.Errorf("previous certificate: CA revoked %v, records %s", st.Revoked, rec.Status)
		}
	}
	if v, _ := d.ValidCertificates(ctx, r.Code); len(v) != 0 {
		t.Errorf("%d valid certificates left in the records", len(v))
	}
	sup := signIn(t, c, staff.DemoSupervisor)
	if n, err := sup.SyncRevocations(ctx); err != nil || n != 0 {
		t.Errorf("SyncRevocations = %d, %v (nothing left to sync)", n, err)
	}
}
