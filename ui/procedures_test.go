package ui

import (
	"context"
	"strings"
	"testing"

	"madoguchi/app/registry"
	"madoguchi/app/session"
	"madoguchi/forms"
)

// issueThroughWizard issues a certificate to r with the wizard and takes
// the card out (the demo keeps it to be inserted again).
func issueThroughWizard(t *testing.T, s *Shell, r registry.Resident) {
	t.Helper()
	s.startWizard(wizardNew)
	wz := s.wizard
	toCardStep(t, s, wz, r.Code)
	insertBlank(t, s, wz)
	typePIN(s, wz, residentPIN, residentPIN)
	enter(s, wz) // 交付
	if !strings.Contains(wz.Message(), "完了") {
		t.Fatalf("issuance not completed: %q", wz.Message())
	}
	wz.leave()
	if _, err := s.counter.RemoveCard(); err != nil {
		t.Fatal(err)
	}
}

func eligible(r registry.Resident) bool {
	return r.Status == registry.StatusResident && !needsSubstitute(r) && ofAge(r)
}

// ofAge reports whether r may hold a signing certificate today (15 or
// over, not 成年被後見人).
func ofAge(r registry.Resident) bool {
	return session.Age(r.Birth, forms.Today()) >= session.DefaultMinAge && !r.AdultWard
}

func TestWizardPINReset(t *testing.T) {
	s, _ := openWizard(t, '1')
	r := findResident(t, s, eligible)
	issueThroughWizard(t, s, r)

	s.startWizard(wizardPINReset)
	wz := s.wizard
	pickResident(t, s, wz, r.Code)
	enter(s, wz) // form
	wz.typedKey(keyEvent("2"))
	enter(s, wz) // identity
	if wz.Step() != stepCard {
		t.Fatalf("step %q: %s", wz.Step(), wz.Message())
	}
	// A blank card is refused for a PIN reset, with the reason.
	if _, err := s.counter.InsertBlankCard(); err != nil {
		t.Fatal(err)
	}
	wz.cardPresent()
	s.runner.Wait()
	if wz.pinScreen != nil || !strings.Contains(wz.cardState.Text, "発行済みカード") {
		t.Fatalf("blank card accepted for a PIN reset: %q", wz.cardState.Text)
	}
	if _, err := s.counter.RemoveCard(); err != nil {
		t.Fatal(err)
	}
	// The resident's card: saved just before the blank one.
	names, _ := s.counter.SavedCards()
	if err := s.counter.InsertSavedCard(names[len(names)-2]); err != nil {
		t.Fatal(err)
	}
	wz.cardPresent()
	s.runner.Wait()
	if wz.Step() != stepNewPIN {
		t.Fatalf("step %q with the issued card: %s / %s", wz.Step(), wz.cardState.Text, wz.Message())
	}
	typePIN(s, wz, "Q7W3E9R2", "Q7W3E9R2")
	if !strings.Contains(wz.Message(), "完了") {
		t.Fatalf("PIN reset not completed: %q", wz.Message())
	}
}

func TestWizardRevocation(t *testing.T) {
	s, _ := openWizard(t, '1')
	r := findResident(t, s, eligible)
	issueThroughWizard(t, s, r)
	ctx := context.Background()
	if valid, _ := s.desk.ValidCertificates(ctx, r.Code); len(valid) != 1 {
		t.Fatalf("%d valid certificates after issuance", len(valid))
	}

	s.startWizard(wizardRevocation)
	wz := s.wizard
	pickResident(t, s, wz, r.Code)
	if wz.subst != nil {
		t.Fatal("substitute panel shown for a revocation")
	}
	enter(s, wz)
	wz.typedKey(keyEvent("1"))
	enter(s, wz)
	if wz.Step() != stepRevoke {
		t.Fatalf("step %q: %s", wz.Step(), wz.Message())
	}
	enter(s, wz) // 失効を申請
	if !strings.Contains(wz.Message(), "完了") {
		t.Fatalf("revocation not completed: %q", wz.Message())
	}
	if valid, _ := s.desk.ValidCertificates(ctx, r.Code); len(valid) != 0 {
		t.Fatalf("%d valid certificates after revocation", len(valid))
	}
}

func TestResumeInterruptedIssuance(t *testing.T) {
	s, wz := openWizard(t, '1')
	r := findResident(t, s, eligible)
	toCardStep(t, s, wz, r.Code)
	// The clerk leaves the session at the card step.
	wz.leave()
	s.showHome()
	s.win.Canvas().OnTypedRune()('5')
	s.runner.Wait()
	if s.Screen() != "resume" {
		t.Fatalf("screen %q after key 5", s.Screen())
	}
	var listed bool
	for _, txt := range texts(s.win) {
		if strings.Contains(txt, r.Code) && strings.Contains(txt, "本人確認") {
			listed = true
		}
	}
	if !listed {
		t.Fatalf("interrupted session not listed: %v", texts(s.win))
	}
	s.win.Canvas().OnTypedRune()('1')
	s.runner.Wait()
	wz = s.wizard
	if wz.Step() != stepCard {
		t.Fatalf("resumed at %q", wz.Step())
	}
	insertBlank(t, s, wz)
	typePIN(s, wz, residentPIN, residentPIN)
	enter(s, wz)
	if !strings.Contains(wz.Message(), "完了") {
		t.Fatalf("resumed issuance not completed: %q", wz.Message())
	}
}

func TestWizardRenewalOnTheResidentsCard(t *testing.T) {
	s, _ := openWizard(t, '1')
	r := findResident(t, s, eligible)
	issueThroughWizard(t, s, r)
	ctx := context.Background()
	before, _ := s.desk.ValidCertificates(ctx, r.Code)
	if len(before) != 1 {
		t.Fatalf("%d valid certificates after issuance", len(before))
	}

	s.startWizard(wizardRenewal)
	wz := s.wizard
	pickResident(t, s, wz, r.Code)
	enter(s, wz)
	// The identity screen says the certificate in force will be revoked.
	var warned bool
	for _, txt := range texts(s.win) {
		warned = warned || (strings.Contains(txt, before[0].Serial) && strings.Contains(txt, "失効"))
	}
	if !warned {
		t.Fatalf("no warning that %s will be revoked: %v", before[0].Serial, texts(s.win))
	}
	wz.typedKey(keyEvent("3"))
	enter(s, wz)
	// The resident's own card, which holds the old certificate.
	if err := s.counter.InsertSavedCard(lastSaved(t, s)); err != nil {
		t.Fatal(err)
	}
	wz.cardPresent()
	s.runner.Wait()
	if wz.Step() != stepPIN {
		t.Fatalf("step %q with the resident's card: %s / %s", wz.Step(), wz.cardState.Text, wz.Message())
	}
	typePIN(s, wz, "Z4Y8X2W6", "Z4Y8X2W6")
	enter(s, wz) // 交付
	if !strings.Contains(wz.Message(), "完了") {
		t.Fatalf("renewal not completed: %q", wz.Message())
	}
	after, _ := s.desk.ValidCertificates(ctx, r.Code)
	if len(after) != 1 || after[0].Serial == before[0].Serial {
		t.Fatalf("valid certificates after renewal: %+v (before %s)", after, before[0].Serial)
	}
}
