package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app"
	"madoguchi/app/audit"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/cardio"
)

// The safety tests drive the wizard with the emulated card through the
// widgets: whose card is in the reader, and no screen that traps the clerk.

// twoResidents returns two different residents who may be issued a
// certificate.
func twoResidents(t *testing.T, s *Shell) (registry.Resident, registry.Resident) {
	t.Helper()
	a := findResident(t, s, eligible)
	b := findResident(t, s, func(r registry.Resident) bool { return eligible(r) && r.Code != a.Code })
	return a, b
}

// auditOf lists, as a supervisor, the audit entries of action.
func auditOf(t *testing.T, s *Shell, action string) []audit.Entry {
	t.Helper()
	ctx := context.Background()
	sup, err := s.counter.SignIn(ctx, staff.DemoSupervisor, []byte(staff.DemoPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer sup.SignOut(ctx)
	es, err := sup.Audit(ctx, audit.Filter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// certOf returns, as a supervisor, the record of a resident's certificate.
func certOf(t *testing.T, s *Shell, code, serial string) records.Certificate {
	t.Helper()
	ctx := context.Background()
	sup, err := s.counter.SignIn(ctx, staff.DemoSupervisor, []byte(staff.DemoPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer sup.SignOut(ctx)
	cs, err := sup.Certificates(ctx, records.CertFilter{ResidentCode: code})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Serial == serial {
			return c
		}
	}
	t.Fatalf("no certificate %s for %s", serial, code)
	return records.Certificate{}
}

func bodyText(s *Shell) string {
	return strings.Join(texts(s.win), "\n")
}

// overlayShown reports whether anything covers the clerk's screen.
func overlayShown(s *Shell) bool {
	for _, o := range s.win.Canvas().Overlays().List() {
		if o.Visible() {
			return true
		}
	}
	return false
}

func TestWizardLeftoverCardAfterDeliveryIsRefused(t *testing.T) {
	ctx := context.Background()
	s, _ := openWizard(t, '1')
	a, b := twoResidents(t, s)

	// A's issuance; the card stays in the reader after 交付.
	s.startWizard(wizardNew)
	wz := s.wizard
	toCardStep(t, s, wz, a.Code)
	emu, err := s.counter.InsertBlankCard()
	if err != nil {
		t.Fatal(err)
	}
	wz.cardPresent()
	s.runner.Wait()
	typePIN(s, wz, residentPIN, residentPIN)
	if wz.Step() != stepDeliver {
		t.Fatalf("step %q: %s", wz.Step(), wz.Message())
	}
	if body := bodyText(s); !strings.Contains(body, a.Name()) || !strings.Contains(body, "シリアル番号") || !strings.Contains(body, "有効期間") {
		t.Fatalf("交付 screen lacks the resident's name, serial or validity:\n%s", body)
	}
	enter(s, wz) // 交付
	if body := bodyText(s); !strings.Contains(body, "取り出して") {
		t.Fatalf("the clerk is not asked to take the card out:\n%s", body)
	}
	valid, err := s.desk.ValidCertificates(ctx, a.Code)
	if err != nil || len(valid) != 1 {
		t.Fatalf("A's certificates %v %v", valid, err)
	}
	before, _ := emu.Object(cardio.SlotSignature.CertObject())
	if !bytes.Contains(before, valid[0].DER) {
		t.Fatal("A's card does not hold A's certificate")
	}
	wz.leave()

	// The next resident; A's card is still in the reader.
	s.startWizard(wizardNew)
	wz = s.wizard
	toCardStep(t, s, wz, b.Code)
	wz.cardEvent(true, true) // the watcher's first event: the card was there before
	s.runner.Wait()
	if wz.pinScreen != nil || wz.Step() != stepCard || !strings.Contains(wz.cardState.Text, "残って") {
		t.Fatalf("leftover card used: step %q, state %q", wz.Step(), wz.cardState.Text)
	}
	// Even seated again, A's card is refused before anything is written.
	wz.cardPresent()
	s.runner.Wait()
	if wz.pinScreen != nil || wz.Step() != stepCard || !strings.Contains(wz.cardState.Text, "別の住民の有効な") {
		t.Fatalf("A's card accepted for B: step %q, state %q / %s", wz.Step(), wz.cardState.Text, wz.Message())
	}
	after, _ := emu.Object(cardio.SlotSignature.CertObject())
	if !bytes.Equal(before, after) {
		t.Fatal("A's card was written to")
	}
	if v, _ := s.desk.ValidCertificates(ctx, a.Code); len(v) != 1 || v[0].Serial != valid[0].Serial {
		t.Fatalf("A's certificate no longer valid: %v", v)
	}
	if sess, _ := s.desk.Session(ctx, wz.sess.ID); sess.State != session.Identified || sess.CardID != "" {
		t.Fatalf("B's session moved on with A's card: %s %q", sess.State, sess.CardID)
	}
	refused := auditOf(t, s, app.ActionCardRefused)
	if len(refused) != 1 || refused[0].SessionID != wz.sess.ID || !strings.Contains(refused[0].Detail, "別の住民") {
		t.Fatalf("refusal not audited in Japanese: %+v", refused)
	}

	// B's own blank card goes on.
	if _, err := s.counter.RemoveCard(); err != nil {
		t.Fatal(err)
	}
	wz.cardEvent(false, false)
	insertBlank(t, s, wz)
	if wz.Step() != stepPIN || wz.pinScreen == nil {
		t.Fatalf("B's blank card: step %q, %s / %s", wz.Step(), wz.cardState.Text, wz.Message())
	}
}

func TestWizardPINResetWrongCardDoesNotLoop(t *testing.T) {
	ctx := context.Background()
	s, _ := openWizard(t, '1')
	a, b := twoResidents(t, s)
	issueThroughWizard(t, s, a)
	cardA := lastSaved(t, s)
	issueThroughWizard(t, s, b)
	cardB := lastSaved(t, s)

	s.startWizard(wizardPINReset)
	wz := s.wizard
	pickResident(t, s, wz, b.Code)
	enter(s, wz)
	wz.typedKey(keyEvent("1"))
	enter(s, wz)
	if wz.Step() != stepCard {
		t.Fatalf("step %q: %s", wz.Step(), wz.Message())
	}

	// A's card: refused on the clerk's screen; nothing covers it, and the
	// watcher seeing the card again opens nothing.
	if err := s.counter.InsertSavedCard(cardA); err != nil {
		t.Fatal(err)
	}
	wz.cardPresent()
	s.runner.Wait()
	for i := 0; i < 2; i++ {
		if wz.pinScreen != nil || overlayShown(s) || wz.Step() != stepCard || !strings.Contains(wz.cardState.Text, "別の住民") {
			t.Fatalf("wrong card (round %d): PIN screen %v, overlay %v, step %q, state %q", i, wz.pinScreen != nil, overlayShown(s), wz.Step(), wz.cardState.Text)
		}
		wz.cardEvent(true, true)
		s.runner.Wait()
	}
	if refused := auditOf(t, s, app.ActionCardRefused); len(refused) == 0 || refused[0].SessionID != wz.sess.ID {
		t.Fatalf("refusal not audited: %+v", refused)
	}

	// B's own card opens the resident's screen.
	if _, err := s.counter.RemoveCard(); err != nil {
		t.Fatal(err)
	}
	wz.cardEvent(false, false)
	if err := s.counter.InsertSavedCard(cardB); err != nil {
		t.Fatal(err)
	}
	wz.cardPresent()
	s.runner.Wait()
	if wz.Step() != stepNewPIN || wz.pinScreen == nil || !overlayShown(s) {
		t.Fatalf("B's card: step %q, %s / %s", wz.Step(), wz.cardState.Text, wz.Message())
	}

	// Esc on the resident's screen leads back to the clerk, and nothing
	// reopens it but the clerk's Enter; the message does not blame the card.
	wz.pinScreen.first.TypedKey(keyEvent("Escape"))
	back := func(how string) {
		t.Helper()
		if wz.pinScreen != nil || overlayShown(s) || wz.Step() != stepCard {
			t.Fatalf("after %s: PIN screen %v, overlay %v, step %q", how, wz.pinScreen != nil, overlayShown(s), wz.Step())
		}
		if msg := wz.Message(); !strings.Contains(msg, "取り消しました") || strings.Contains(msg, "失敗") || strings.Contains(msg, "置き直") {
			t.Fatalf("after %s the message is %q", how, msg)
		}
		wz.cardEvent(true, true) // the watcher restarting sees the card
		s.runner.Wait()
		if wz.pinScreen != nil || overlayShown(s) {
			t.Fatalf("after %s the resident's screen reopened by itself", how)
		}
	}
	back("Esc")
	enter(s, wz)
	if wz.Step() != stepNewPIN || wz.pinScreen == nil {
		t.Fatalf("Enter did not reopen the resident's screen: step %q %s", wz.Step(), wz.Message())
	}
	test.Tap(wz.pinScreen.dismiss) // 取消
	back("取消")
	enter(s, wz)
	typePIN(s, wz, "Q7W3E9R2", "Q7W3E9R2")
	if !strings.Contains(wz.Message(), "完了") {
		t.Fatalf("PIN reset not completed: %q", wz.Message())
	}
	if open, _ := s.desk.Interrupted(ctx); len(open) != 0 {
		t.Fatalf("sessions left open: %v", open)
	}
}

func TestWizardCardRemovedWhilePINScreenIsUp(t *testing.T) {
	ctx := context.Background()
	s, wz := openWizard(t, '1')
	r := findResident(t, s, eligible)
	toCardStep(t, s, wz, r.Code)
	insertBlank(t, s, wz)
	if wz.pinScreen == nil {
		t.Fatalf("no PIN screen: %s", wz.Message())
	}
	screen := wz.pinScreen
	// F4 on the resident's screen (the demo's card removal) reaches the
	// wizard; the screen closes and the clerk is told.
	screen.first.TypedKey(keyEvent("F4"))
	s.runner.Wait()
	if wz.pinScreen != nil || screen.Visible() || overlayShown(s) || wz.Step() != stepCard {
		t.Fatalf("after removal: PIN screen %v, step %q", screen.Visible(), wz.Step())
	}
	if msg := wz.Message(); !strings.Contains(msg, "取り出された") || !strings.Contains(msg, "保存") {
		t.Fatalf("message %q", msg)
	}
	// A PIN that arrives after the card left (the old crash) is refused
	// with a message, not a nil dereference.
	wz.pinEntered([]byte(residentPIN))
	s.runner.Wait()
	if wz.Step() != stepCard || wz.Message() == "" {
		t.Fatalf("step %q, message %q", wz.Step(), wz.Message())
	}
	// The session stays open for 中断中の申請.
	open, err := s.desk.Interrupted(ctx)
	if err != nil || len(open) != 1 || open[0].State != session.CardReady {
		t.Fatalf("open sessions %v %v", open, err)
	}
	// The card put back: the same session goes on.
	if err := s.counter.InsertSavedCard(lastSaved(t, s)); err != nil {
		t.Fatal(err)
	}
	wz.cardPresent()
	s.runner.Wait()
	typePIN(s, wz, residentPIN, residentPIN)
	if wz.Step() != stepDeliver {
		t.Fatalf("step %q: %s", wz.Step(), wz.Message())
	}
}

func TestInterruptedAbandonAsksForReasons(t *testing.T) {
	ctx := context.Background()
	s, wz := openWizard(t, '1')
	r := findResident(t, s, eligible)
	toCardStep(t, s, wz, r.Code)
	insertBlank(t, s, wz)
	typePIN(s, wz, residentPIN, residentPIN)
	if wz.Step() != stepDeliver {
		t.Fatalf("step %q: %s", wz.Step(), wz.Message())
	}
	id := wz.sess.ID
	wz.leave()

	s.showInterrupted()
	s.runner.Wait()
	test.Tap(findButtons(s.win)["中止"])
	s.runner.Wait()
	stillOpen := func(how string) {
		t.Helper()
		sess, err := s.desk.Session(ctx, id)
		if err != nil || sess.State.Terminal() {
			t.Fatalf("after %s the session is %v (%v)", how, sess.State, err)
		}
		if rec := certOf(t, s, r.Code, sess.CertSerial); rec.Status == records.CertRevoked {
			t.Fatalf("after %s the certificate is revoked", how)
		}
	}
	stillOpen("one click")
	yes := findButtons(s.win)["中止する"]
	if yes == nil {
		t.Fatal("no confirmation")
	}
	if body := bodyText(s); !strings.Contains(body, "失効") {
		t.Fatalf("the confirmation does not say the certificate will be revoked:\n%s", body)
	}
	test.Tap(yes) // no reason yet
	stillOpen("no reason")
	var note *escEntry
	var choice interface{ SetSelected(string) }
	for _, o := range s.win.Canvas().Overlays().List() {
		walk(o, func(o fyne.CanvasObject) {
			switch v := o.(type) {
			case *escEntry:
				note = v
			case *widget.RadioGroup:
				choice = v
			}
		})
	}
	if note == nil || choice == nil {
		t.Fatal("no reason entry or revocation reason choice")
	}
	// Esc closes the dialog and changes nothing.
	note.TypedKey(keyEvent("Escape"))
	if overlayShown(s) {
		t.Fatal("Esc left the dialog up")
	}
	stillOpen("Esc")
	test.Tap(findButtons(s.win)["中止"])
	for _, o := range s.win.Canvas().Overlays().List() {
		walk(o, func(o fyne.CanvasObject) {
			switch v := o.(type) {
			case *escEntry:
				note = v
			case *widget.RadioGroup:
				choice = v
			}
		})
	}
	test.Type(note, "カードを紛失したとの申出")
	test.Tap(findButtons(s.win)["中止する"]) // no revocation reason yet
	stillOpen("no revocation reason")
	choice.SetSelected(revocationChoices[1].Japanese()) // key compromise
	test.Tap(findButtons(s.win)["中止する"])
	s.runner.Wait()

	sess, _ := s.desk.Session(ctx, id)
	rec := certOf(t, s, r.Code, sess.CertSerial)
	if sess.State != session.Abandoned || rec.Status != records.CertRevoked || rec.RevokeReason != "key-compromise" {
		t.Fatalf("session %s, certificate %s (%s)", sess.State, rec.Status, rec.RevokeReason)
	}
	es := auditOf(t, s, app.ActionAbandonIssued)
	if len(es) != 1 || !strings.Contains(es[0].Detail, "紛失したとの申出") || !strings.Contains(es[0].Detail, "失効の理由") {
		t.Fatalf("abandon not audited with its reasons: %+v", es)
	}
}

func TestSafetyAuditActionLabels(t *testing.T) {
	for _, action := range []string{app.ActionIneligible, app.ActionCardRefused, app.ActionAbandonIssued, "session.card_refused"} {
		label := recordsActionLabel(action)
		if label == action || !strings.Contains(label, action) || !strings.ContainsAny(label, "不可中止") {
			t.Errorf("%s is labelled %q", action, label)
		}
	}
}

func TestWizardRenewalOnOwnCardShowsRevokedCertificate(t *testing.T) {
	ctx := context.Background()
	s, _ := openWizard(t, '1')
	r := findResident(t, s, eligible)
	issueThroughWizard(t, s, r)
	old, err := s.desk.ValidCertificates(ctx, r.Code)
	if err != nil || len(old) != 1 {
		t.Fatalf("valid %v %v", old, err)
	}

	// 更新 on the resident's own card: accepted (the renewal path).
	s.startWizard(wizardRenewal)
	wz := s.wizard
	toCardStep(t, s, wz, r.Code)
	if err := s.counter.InsertSavedCard(lastSaved(t, s)); err != nil {
		t.Fatal(err)
	}
	wz.cardPresent()
	s.runner.Wait()
	if wz.Step() != stepPIN || wz.pinScreen == nil {
		t.Fatalf("own card refused for 更新: %q / %s", wz.cardState.Text, wz.Message())
	}
	typePIN(s, wz, residentPIN, residentPIN)
	enter(s, wz) // 交付
	body := bodyText(s)
	if !strings.Contains(body, r.Name()) || !strings.Contains(body, old[0].Serial+"）は失効させました") || !strings.Contains(body, "取り出して") {
		t.Fatalf("交付 does not name the resident, the revoked certificate or the card's removal:\n%s", body)
	}
	if v, _ := s.desk.ValidCertificates(ctx, r.Code); len(v) != 1 || v[0].Serial == old[0].Serial {
		t.Fatalf("valid after renewal: %v", v)
	}
}

func TestWizardAbandonAfterIssueAsksForReasons(t *testing.T) {
	ctx := context.Background()
	s, wz := openWizard(t, '1')
	r := findResident(t, s, eligible)
	toCardStep(t, s, wz, r.Code)
	insertBlank(t, s, wz)
	typePIN(s, wz, residentPIN, residentPIN)
	if wz.Step() != stepDeliver {
		t.Fatalf("step %q: %s", wz.Step(), wz.Message())
	}
	id := wz.sess.ID
	// 中止 from the wizard, as its 中止 button does.
	wz.confirmAbandon()
	s.runner.Wait()
	if wz.abandonDlg == nil || !wz.abandonDlg.pop.Visible() || wz.abandonDlg.reasons == nil {
		t.Fatal("no confirmation with a revocation reason for an issued session")
	}
	wz.typedKey(keyEvent("Escape"))
	if wz.abandonDlg.pop.Visible() {
		t.Fatal("Esc left the dialog up")
	}
	if sess, _ := s.desk.Session(ctx, id); sess.State.Terminal() {
		t.Fatalf("Esc abandoned the session: %s", sess.State)
	}
	wz.confirmAbandon()
	s.runner.Wait()
	d := wz.abandonDlg
	test.Type(d.note, "お客様の申出")
	d.reasons.SetSelected(revocationChoices[0].Japanese())
	test.Tap(d.yes)
	s.runner.Wait()
	sess, _ := s.desk.Session(ctx, id)
	if sess.State != session.Abandoned || s.Screen() != "home" {
		t.Fatalf("state %s, screen %q", sess.State, s.Screen())
	}
	if rec := certOf(t, s, r.Code, sess.CertSerial); rec.Status != records.CertRevoked || rec.RevokeReason != "resident-request" {
		t.Fatalf("certificate %s (%s)", rec.Status, rec.RevokeReason)
	}
}
