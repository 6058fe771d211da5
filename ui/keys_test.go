package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/identity"
	"madoguchi/app/records"
)

// press delivers a key as the desktop driver does: to the focused widget
// if there is one, else to the canvas's handler.
func press(c fyne.Canvas, name string) {
	k := keyEvent(name)
	if f := c.Focused(); f != nil {
		f.TypedKey(k)
		return
	}
	if h := c.OnTypedKey(); h != nil {
		h(k)
	}
}

func TestChoiceKeys(t *testing.T) {
	tests := []struct {
		i   int
		key fyne.KeyName
	}{
		{0, "1"}, {8, "9"}, {9, "A"}, {10, "B"}, {34, "Z"}, {35, ""},
	}
	for _, tt := range tests {
		if got := choiceKey(tt.i); got != tt.key {
			t.Errorf("choiceKey(%d) = %q, want %q", tt.i, got, tt.key)
		}
		if tt.key != "" {
			if got := choiceIndex(tt.key); got != tt.i {
				t.Errorf("choiceIndex(%q) = %d, want %d", tt.key, got, tt.i)
			}
		}
	}
	if choiceIndex("0") != -1 || choiceIndex("Return") != -1 {
		t.Error("0 or Return taken as a choice key")
	}
}

// TestEscapeFromEveryField: Esc in a focused field goes back, as it does
// with no field focused.
func TestEscapeFromEveryField(t *testing.T) {
	s, wz := openWizard(t, '1')
	c := s.win.Canvas()
	wz.search.Focus(c)
	if c.Focused() == nil {
		t.Fatal("the search box has no focus")
	}
	test.Type(wz.search.kana, "takahashi")
	press(c, "Escape")
	if s.Screen() != "home" {
		t.Fatalf("screen %q after Esc in the search box", s.Screen())
	}

	// The 申請書's fields and the substitute's その他 go back to the search.
	s2, wz2 := openWizard(t, '1')
	r := findResident(t, s2, needsSubstitute)
	pickResident(t, s2, wz2, r.Code)
	fields := 0
	walk(wz2.body, func(o fyne.CanvasObject) {
		if _, ok := o.(*keyEntry); ok {
			fields++
		}
		if e, ok := o.(*widget.Entry); ok {
			t.Errorf("a plain entry (%q) on the form: Esc would stop in it", e.PlaceHolder)
		}
	})
	if fields < 7 {
		t.Fatalf("%d key entries on the form", fields)
	}
	for _, other := range wz2.subst.otherEntries {
		s2.win.Canvas().Focus(other)
		break
	}
	press(s2.win.Canvas(), "Escape")
	if wz2.Step() != stepSearch {
		t.Fatalf("step %q after Esc in その他", wz2.Step())
	}
	// The query typed before is still there, and Enter takes the resident
	// again.
	if wz2.search.code.Text != r.Code || len(wz2.search.found) != 1 {
		t.Fatalf("query %q and %d results after going back", wz2.search.code.Text, len(wz2.search.found))
	}
	wz2.search.code.OnSubmitted(wz2.search.code.Text)
	s2.runner.Wait()
	if wz2.Step() != stepForm {
		t.Fatalf("step %q after Enter on the kept query", wz2.Step())
	}
}

// TestEnterClosesAPopUp: Enter (or Esc) closes a message whatever has the
// focus, and the screen's keys work again afterwards.
func TestEnterClosesAPopUp(t *testing.T) {
	for _, key := range []string{"Return", "Escape"} {
		t.Run(key, func(t *testing.T) {
			s, _ := openWizard(t, '1')
			c := s.win.Canvas()
			closed := false
			s.showMessage("テスト", "お知らせです。", func() { closed = true })
			if len(c.Overlays().List()) == 0 {
				t.Fatal("no pop-up")
			}
			c.Unfocus() // a click beside the OK button
			press(c, key)
			if !closed || c.Overlays().Top() != nil && c.Overlays().Top().Visible() {
				t.Fatalf("%s did not close the pop-up", key)
			}
			press(c, "Escape") // the wizard's Esc again: back home
			if s.Screen() != "home" {
				t.Fatalf("screen %q: the wizard's keys did not come back", s.Screen())
			}
		})
	}
}

// TestEveryDocumentHasAKey: the documents after the ninth have letter keys.
func TestEveryDocumentHasAKey(t *testing.T) {
	p := newDocumentPicker()
	kinds := identity.Kinds()
	if len(kinds) <= 9 {
		t.Fatalf("only %d kinds: the test needs more than 9", len(kinds))
	}
	for i, c := range p.checks {
		key := string(choiceKey(i))
		if key == "" || !strings.HasPrefix(c.Text, key+"  ") {
			t.Errorf("document %d %q has no key", i, c.Text)
		}
		if !p.typedKey(keyEvent(key)) || !c.Checked {
			t.Errorf("key %s did not check %q", key, kinds[i].Label)
		}
	}
	if got := len(p.documents()); got != len(kinds) {
		t.Fatalf("%d documents checked, want %d", got, len(kinds))
	}
}

// TestRevocationReasonKeys: each reason has a key, and a click on a
// reason leaves Enter to the step.
func TestRevocationReasonKeys(t *testing.T) {
	s, _ := openWizard(t, '3')
	wz := s.wizard
	wz.target = &records.Certificate{Serial: "0123"}
	wz.showRevoke()
	var choice *widget.RadioGroup
	walk(wz.body, func(o fyne.CanvasObject) {
		if r, ok := o.(*widget.RadioGroup); ok {
			choice = r
		}
	})
	if choice == nil || len(choice.Options) < 2 {
		t.Fatal("no reasons")
	}
	for i, label := range choice.Options {
		key := string(choiceKey(i))
		if !strings.HasPrefix(label, key+"  ") {
			t.Fatalf("reason %q has no key %s", label, key)
		}
		press(s.win.Canvas(), key)
		if choice.Selected != label {
			t.Fatalf("key %s selected %q", key, choice.Selected)
		}
	}
	choice.SetSelected(choice.Options[0])
	if s.win.Canvas().Focused() != nil {
		t.Fatal("a reason chosen keeps the focus")
	}
}

// TestEscapeCancelsTheResidentPIN: Esc in the resident's PIN screen
// cancels it, as its 取消 button does, and clears what was typed.
func TestEscapeCancelsTheResidentPIN(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	w := test.NewWindow(nil)
	defer w.Close()
	cancelled := false
	p := ShowResidentPIN(w.Canvas(), samePolicy, func([]byte) { t.Fatal("a PIN was accepted") }, func() { cancelled = true })
	test.Type(p.first, "4829")
	w.Canvas().Focus(p.first)
	press(w.Canvas(), "Escape")
	if !cancelled || p.popup.Visible() || p.first.Text != "" {
		t.Fatalf("cancelled %v, visible %v, left %q", cancelled, p.popup.Visible(), p.first.Text)
	}
}

// TestEscapeFromTheRecordsFilters: the records screen's filters are
// keyEntry too, and Esc in any of them goes home.
func TestEscapeFromTheRecordsFilters(t *testing.T) {
	s, w := testShell(t)
	signInAs(t, s, "super01")
	s.showRecords()
	s.runner.Wait()
	for i := range 4 {
		s.showRecords()
		s.runner.Wait()
		r := w.Content().(*recordsScreen)
		w.Canvas().Focus([]*recordsEntry{r.from, r.to, r.clerk, r.resident}[i])
		press(w.Canvas(), "Escape")
		if s.Screen() != "home" {
			t.Fatalf("screen %q after Esc in a filter", s.Screen())
		}
	}
}

// TestEscapeFromSupervisorFields: the supervisor's screens (records, the
// registry import, the staff and notice screens) have no plain entry, and
// Esc in a focused field goes home.
func TestEscapeFromSupervisorFields(t *testing.T) {
	s, w := testShell(t)
	signInAs(t, s, "super01")
	for name, show := range map[string]func(){
		"registry": s.showRegistryImport,
		"records":  s.showRecords,
		"staff":    s.showStaffAdmin,
		"notices":  s.showNotices,
	} {
		show()
		s.runner.Wait()
		var first *keyEntry
		walk(w.Content(), func(o fyne.CanvasObject) {
			switch e := o.(type) {
			case *keyEntry:
				if first == nil {
					first = e
				}
			case *recordsEntry:
				if first == nil {
					first = &e.keyEntry
				}
			case *widget.Entry:
				t.Errorf("%s: a plain entry (%q): Esc would stop in it", name, e.PlaceHolder)
			}
		})
		if first == nil {
			continue // a screen without fields
		}
		t.Logf("%s: Esc in %q", name, first.PlaceHolder)
		w.Canvas().Focus(first)
		press(w.Canvas(), "Escape")
		if s.Screen() != "home" {
			t.Errorf("%s: screen %q after Esc in %q", name, s.Screen(), first.PlaceHolder)
		}
	}
}
