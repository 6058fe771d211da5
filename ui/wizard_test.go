package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"madoguchi/app/registry"
	"madoguchi/app/session"
	"madoguchi/forms"
)

// The wizard tests drive the real counter on the embedded default (demo
// registry, reference CA over loopback TLS, emulated card, SQLite file)
// through the widgets, the way a clerk would.

const residentPIN = "K8P2M5X9"

// findResident returns a demo resident matching want.
func findResident(t *testing.T, s *Shell, want func(registry.Resident) bool) registry.Resident {
	t.Helper()
	for _, prefix := range []string{"a", "i", "u", "e", "o", "ka", "ki", "ku", "ke", "ko", "sa", "si", "su", "se", "so", "ta", "chi", "tsu", "te", "to",
		"na", "ni", "nu", "ne", "no", "ha", "hi", "fu", "he", "ho", "ma", "mi", "mu", "me", "mo", "ya", "yu", "yo", "ra", "ri", "ru", "re", "ro", "wa"} {
		res, err := s.desk.Search(context.Background(), registry.Query{Kana: prefix, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Residents {
			if want(r) {
				return r
			}
		}
	}
	t.Fatal("no demo resident fits")
	return registry.Resident{}
}

func needsSubstitute(r registry.Resident) bool {
	return r.Status == registry.StatusResident && ofAge(r) && forms.CheckCharset(forms.CertificateText(r.FamilyName+r.GivenName)) != nil
}

// openWizard signs a clerk in and starts a procedure from the home screen.
func openWizard(t *testing.T, key rune) (*Shell, *Wizard) {
	t.Helper()
	s, w := testShell(t)
	s.noBackground = true
	signInAs(t, s, "clerk01")
	w.Canvas().OnTypedRune()(key)
	if s.wizard == nil || s.Screen() != "issue" {
		t.Fatalf("screen %q after key %c", s.Screen(), key)
	}
	return s, s.wizard
}

// pickResident searches by 住民コード and takes the result with Enter.
func pickResident(t *testing.T, s *Shell, wz *Wizard, code string) {
	t.Helper()
	test.Type(wz.search.code, code)
	wz.search.code.OnSubmitted(code)
	s.runner.Wait()
	if len(wz.search.found) != 1 {
		t.Fatalf("search %s found %d: %s", code, len(wz.search.found), wz.search.info.Text)
	}
	wz.search.code.OnSubmitted(code) // Enter again takes the highlighted resident
	s.runner.Wait()
	if wz.Step() != stepForm {
		t.Fatalf("step %q after choosing the resident: %s", wz.Step(), wz.Message())
	}
}

// toCardStep takes the wizard from the search to the card step: the
// resident by 住民コード, the pre-filled form accepted, a マイナンバーカード seen.
func toCardStep(t *testing.T, s *Shell, wz *Wizard, code string) {
	t.Helper()
	pickResident(t, s, wz, code)
	enter(s, wz)
	wz.typedKey(keyEvent("1"))
	enter(s, wz)
	if wz.Step() != stepCard {
		t.Fatalf("step %q instead of the card: %s", wz.Step(), wz.Message())
	}
}

// insertBlank puts a blank emulated card on the reader and lets the wizard
// see it.
func insertBlank(t *testing.T, s *Shell, wz *Wizard) {
	t.Helper()
	if _, err := s.counter.InsertBlankCard(); err != nil {
		t.Fatal(err)
	}
	wz.cardPresent()
	s.runner.Wait()
}

// enter presses Enter on the wizard (no entry focused).
func enter(s *Shell, wz *Wizard) {
	wz.typedKey(keyEvent("Return"))
	s.runner.Wait()
}

func TestWizardIssuesWithSubstitutes(t *testing.T) {
	s, wz := openWizard(t, '1')
	r := findResident(t, s, needsSubstitute)
	pickResident(t, s, wz, r.Code)

	// The form is pre-filled and the substitute pre-selected: the preview
	// carries no uncarriable character and marks the position.
	if wz.subst == nil || wz.subst.Pending() {
		t.Fatal("substitute panel missing or a character has no substitute")
	}
	preview := wz.subst.namePreview.Text
	if !strings.Contains(preview, "使用位置：") || !strings.Contains(preview, "1") {
		t.Fatalf("name preview %q shows no substitute position", preview)
	}
	enter(s, wz) // 申請受付
	if wz.Step() != stepIdentity {
		t.Fatalf("step %q after the form: %s", wz.Step(), wz.Message())
	}
	enter(s, wz) // no document chosen yet
	if wz.Step() != stepIdentity || !strings.Contains(wz.Message(), "本人確認書類") {
		t.Fatalf("identity passed without documents: %q", wz.Message())
	}
	wz.typedKey(keyEvent("2")) // 運転免許証
	enter(s, wz)
	if wz.Step() != stepCard {
		t.Fatalf("step %q after the identity check: %s", wz.Step(), wz.Message())
	}

	// The card: none, then a blank one.
	wz.cardPresent()
	s.runner.Wait()
	if wz.pinScreen != nil || !strings.Contains(wz.cardState.Text, "カード") {
		t.Fatalf("no card, yet: state %q", wz.cardState.Text)
	}
	insertBlank(t, s, wz)
	if wz.Step() != stepPIN || wz.pinScreen == nil {
		t.Fatalf("step %q after inserting a blank card: %s / %s", wz.Step(), wz.cardState.Text, wz.Message())
	}

	// The resident's PIN: the policy refuses a simple run first.
	typePIN(s, wz, "123456", "123456")
	if fb := wz.pinScreen.Feedback(); fb == "" || strings.Contains(fb, "123456") {
		t.Fatalf("policy feedback %q", fb)
	}
	typePIN(s, wz, residentPIN, residentPIN)
	if wz.Step() != stepDeliver {
		t.Fatalf("step %q after the PIN: %s", wz.Step(), wz.Message())
	}
	var body string
	for _, txt := range texts(s.win) {
		body += txt + "\n"
	}
	if !strings.Contains(body, "シリアル番号") || !strings.Contains(body, "有効期間") {
		t.Fatalf("deliver screen lacks serial and validity:\n%s", body)
	}
	enter(s, wz) // 交付
	if !strings.Contains(wz.Message(), "完了") {
		t.Fatalf("not completed: %q", wz.Message())
	}

	// The receipt prints and names the resident.
	test.Tap(findButtons(s.win)["交付通知書を印刷"])
	s.runner.Wait()
	dir, _ := s.printDir()
	matches, _ := filepath.Glob(filepath.Join(dir, "receipt-*.pdf"))
	if len(matches) != 1 {
		t.Fatalf("receipt PDFs: %v", matches)
	}
	if st, err := os.Stat(matches[0]); err != nil || st.Size() < 1000 {
		t.Fatalf("receipt %v %v", st, err)
	}

	// The card holds the certificate: the session is recorded as delivered.
	open, err := s.desk.Interrupted(context.Background())
	if err != nil || len(open) != 0 {
		t.Fatalf("sessions left open: %v %v", open, err)
	}
}

// typePIN types the PIN twice on the resident's screen and submits it.
func typePIN(s *Shell, wz *Wizard, pin, confirm string) {
	test.Type(wz.pinScreen.first, pin)
	test.Type(wz.pinScreen.second, confirm)
	wz.pinScreen.second.OnSubmitted("")
	s.runner.Wait()
}

func TestWizardBlocksARegistryMismatch(t *testing.T) {
	s, wz := openWizard(t, '1')
	r := findResident(t, s, eligible)
	pickResident(t, s, wz, r.Code)
	// The clerk copies a wrong birth date from the form.
	wrong := r.Birth.Time().AddDate(0, 0, 1)
	d := forms.DateOf(wrong)
	wz.form.Birth = d
	wz.showForm()
	enter(s, wz)
	if wz.Step() != stepIdentity {
		t.Fatalf("step %q: %s", wz.Step(), wz.Message())
	}
	if !wz.primary.Disabled() {
		t.Fatal("identity check offered despite a mismatch")
	}
	var body string
	for _, txt := range texts(s.win) {
		body += txt + "\n"
	}
	if !strings.Contains(body, "一致しません") || !strings.Contains(body, d.Wareki()) || !strings.Contains(body, r.Birth.Wareki()) {
		t.Fatalf("differences not shown side by side:\n%s", body)
	}
	enter(s, wz) // Enter does nothing on a blocked step
	if wz.Step() != stepIdentity {
		t.Fatalf("blocked step left with Enter: %q", wz.Step())
	}
}

func TestWizardBlocksAnIneligibleResident(t *testing.T) {
	for _, c := range []struct {
		name string
		fits func(registry.Resident) bool
		want func(registry.Resident) string
	}{
		{"not a current resident", func(r registry.Resident) bool { return r.Status != registry.StatusResident },
			func(r registry.Resident) string { return r.Status.Label() }},
		{"under 15", func(r registry.Resident) bool {
			return r.Status == registry.StatusResident && session.Age(r.Birth, forms.Today()) < 15
		}, func(registry.Resident) string { return "15歳未満" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, wz := openWizard(t, '1')
			r := findResident(t, s, c.fits)
			// Refused when the resident is chosen: the form never opens
			// and no session is recorded.
			test.Type(wz.search.code, r.Code)
			wz.search.code.OnSubmitted(r.Code)
			s.runner.Wait()
			wz.search.code.OnSubmitted(r.Code)
			s.runner.Wait()
			if wz.Step() != stepSearch || wz.sess != nil {
				t.Fatalf("step %q, session %v for an ineligible resident", wz.Step(), wz.sess)
			}
			if msg := wz.Message(); !strings.Contains(msg, c.want(r)) || !strings.Contains(msg, "できません") {
				t.Fatalf("message %q does not give the reason %q", msg, c.want(r))
			}
			if open, err := s.desk.Interrupted(context.Background()); err != nil || len(open) != 0 {
				t.Fatalf("sessions recorded: %v %v", open, err)
			}
		})
	}
}

func TestWizardCardRemovedBeforeKeyGeneration(t *testing.T) {
	s, wz := openWizard(t, '1')
	r := findResident(t, s, eligible)
	toCardStep(t, s, wz, r.Code)
	insertBlank(t, s, wz)
	if wz.pinScreen == nil {
		t.Fatalf("no PIN screen: %s", wz.Message())
	}
	// The card is taken out while the resident types the PIN.
	if _, err := s.counter.RemoveCard(); err != nil {
		t.Fatal(err)
	}
	typePIN(s, wz, residentPIN, residentPIN)
	if wz.Step() != stepCard {
		t.Fatalf("step %q after the card was removed", wz.Step())
	}
	if msg := wz.Message(); msg == "" || strings.Contains(msg, "error") {
		t.Fatalf("message %q is not a Japanese instruction", msg)
	}
	// Putting a card back continues the same session.
	if err := s.counter.InsertSavedCard(lastSaved(t, s)); err != nil {
		t.Fatal(err)
	}
	wz.cardPresent()
	s.runner.Wait()
	if wz.Step() != stepPIN {
		t.Fatalf("step %q after the card came back: %s / %s", wz.Step(), wz.cardState.Text, wz.Message())
	}
	typePIN(s, wz, residentPIN, residentPIN)
	if wz.Step() != stepDeliver {
		t.Fatalf("step %q after the PIN: %s", wz.Step(), wz.Message())
	}
}

func lastSaved(t *testing.T, s *Shell) string {
	t.Helper()
	names, err := s.counter.SavedCards()
	if err != nil || len(names) == 0 {
		t.Fatal(errors.Join(err, errors.New("no saved card")))
	}
	return names[len(names)-1]
}
