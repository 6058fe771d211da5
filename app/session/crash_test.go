package session

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"madoguchi/app/audit"
	"madoguchi/app/prefecture"
	"madoguchi/app/records"
	"madoguchi/forms"
)

var errCrash = errors.New("simulated crash")

// crashAt makes the step that reaches state at stop, before or after its
// commit, as a process killed there would.
func crashAt(m *Manager, at State, before bool) {
	hook := func(id string, to State) error {
		if to == at {
			return errCrash
		}
		return nil
	}
	if before {
		m.Hooks.BeforeCommit = hook
	} else {
		m.Hooks.AfterCommit = hook
	}
}

type crashCase struct {
	at     State
	before bool
}

func (c crashCase) String() string {
	if c.before {
		return "before-" + string(c.at)
	}
	return "after-" + string(c.at)
}

func crashCases(kind forms.ApplicationKind) []crashCase {
	var cs []crashCase
	for i, st := range Path(kind) {
		if i > 0 {
			cs = append(cs, crashCase{st, true})
		}
		cs = append(cs, crashCase{st, false})
	}
	return cs
}

// Crash at every point of an issuance, restart on the same database file,
// find the session and resume it: it completes, the card holds the
// certificate, and the CA issued exactly one.
func TestCrashAndResumeIssuance(t *testing.T) {
	for _, cc := range crashCases(forms.KindNew) {
		t.Run(cc.String(), func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			card := newFakeCard()
			crashAt(e.m, cc.at, cc.before)
			id := ""
			s, err := e.m.Start(ctx, "clerk01", takahashi, e.app(takahashi, forms.KindNew))
			if err == nil {
				id = s.ID
				err = e.drive(id, card)
			}
			if !errors.Is(err, errCrash) {
				t.Fatalf("no crash: %v", err)
			}
			e.restart()
			open, err := e.m.Interrupted(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cc.at == Delivered && !cc.before {
				if len(open) != 0 {
					t.Fatalf("completed session listed as interrupted")
				}
			} else {
				if len(open) != 1 {
					t.Fatalf("Interrupted = %d sessions", len(open))
				}
				id = open[0].ID
				if err := e.drive(id, card); err != nil {
					t.Fatalf("resume from %s: %v", open[0].State, err)
				}
			}
			got, _ := e.m.Get(ctx, id)
			if got.State != Delivered {
				t.Fatalf("state %s after resume", got.State)
			}
			if n := e.ca.issuedCount(); n != 1 {
				t.Errorf("CA issued %d certificates", n)
			}
			if card.cert == nil || records.FormatSerial(card.cert.SerialNumber) != got.CertSerial {
				t.Error("card does not hold the session's certificate")
			}
			if valid, _ := records.ValidFor(ctx, e.db, takahashi, e.m.now()); len(valid) != 1 {
				t.Errorf("%d valid certificates", len(valid))
			}
			e.verifyAudit()
			e.noSecrets()
		})
	}
}

// Crash at every point, restart, and abandon instead: whatever the CA
// issued for the session is revoked and nothing stays valid.
func TestCrashAndAbandonIssuance(t *testing.T) {
	for _, cc := range crashCases(forms.KindNew) {
		if cc.at == Delivered {
			continue // a delivered session is not abandoned
		}
		t.Run(cc.String(), func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			card := newFakeCard()
			crashAt(e.m, cc.at, cc.before)
			s, err := e.m.Start(ctx, "clerk01", yamada, e.app(yamada, forms.KindNew))
			if err == nil {
				err = e.drive(s.ID, card)
			}
			if !errors.Is(err, errCrash) {
				t.Fatalf("no crash: %v", err)
			}
			e.restart()
			open, _ := e.m.Interrupted(ctx)
			if len(open) != 1 {
				t.Fatalf("Interrupted = %d", len(open))
			}
			id := open[0].ID
			if err := e.m.Abandon(ctx, "clerk02", id, "resident left"); err != nil {
				t.Fatal(err)
			}
			got, _ := e.m.Get(ctx, id)
			if got.State != Abandoned || got.Reason != "resident left" {
				t.Fatalf("session %+v", got)
			}
			// Everything the CA issued is revoked, at the CA and in the records.
			e.ca.mu.Lock()
			var serials []string
			for _, c := range e.ca.byKey {
				serials = append(serials, records.FormatSerial(c.SerialNumber))
			}
			e.ca.mu.Unlock()
			for _, serial := range serials {
				if !e.ca.isRevoked(serial) {
					t.Errorf("certificate %s left valid at the CA", serial)
				}
				if rec, err := records.Get(ctx, e.db, serial); err != nil || rec.Status != records.CertRevoked {
					t.Errorf("record of %s: %+v %v", serial, rec, err)
				}
			}
			if e.ca.issuedCount() > 1 {
				t.Errorf("CA issued %d", e.ca.issuedCount())
			}
			if open, _ := e.m.Interrupted(ctx); len(open) != 0 {
				t.Error("abandoned session still open")
			}
			e.verifyAudit()
		})
	}
}

func TestCrashAndResumeRevocation(t *testing.T) {
	for _, cc := range crashCases(forms.KindRevocation) {
		t.Run(cc.String(), func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			issued := e.issue(yamada, newFakeCard())
			crashAt(e.m, cc.at, cc.before)
			s, err := e.m.Start(ctx, "clerk01", yamada, e.app(yamada, forms.KindRevocation))
			id := ""
			if err == nil {
				id = s.ID
				if cc.at == Revoking || cc.at == Revoked {
					// The reason is chosen by the clerk at the first try only.
					if _, err = e.m.CheckIdentity(ctx, "clerk01", id, photoID); err == nil {
						err = e.m.Revoke(ctx, "clerk01", id, prefecture.ReasonKeyCompromise)
					}
				} else {
					err = e.drive(id, nil)
				}
			}
			if !errors.Is(err, errCrash) {
				t.Fatalf("no crash: %v", err)
			}
			e.restart()
			if open, _ := e.m.Interrupted(ctx); len(open) == 1 {
				id = open[0].ID
				if err := e.drive(id, nil); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := e.m.Get(ctx, id)
			rec, _ := records.Get(ctx, e.db, issued.CertSerial)
			if got.State != Revoked || rec.Status != records.CertRevoked || !e.ca.isRevoked(issued.CertSerial) {
				t.Fatalf("session %s, record %s", got.State, rec.Status)
			}
			// Once Revoking is committed, the stored reason is the one sent.
			if (cc.at == Revoking && !cc.before) || cc.at == Revoked {
				if e.ca.revoked[issued.CertSerial] != prefecture.ReasonKeyCompromise {
					t.Errorf("resumed revocation changed the reason to %v", e.ca.revoked[issued.CertSerial])
				}
			}
			e.verifyAudit()
		})
	}
}

// Every state change of an issuance shows in the audit trail with the
// session ID, in order.
func TestAuditTrailOfASession(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.issue(yamada, newFakeCard())
	es, err := audit.List(ctx, e.db, audit.Filter{SessionID: s.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range es {
		got = append(got, en.Action)
	}
	var want []string
	for _, st := range Path(forms.KindNew) {
		want = append(want, "session."+string(st))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit actions %v, want %v", got, want)
	}
}
