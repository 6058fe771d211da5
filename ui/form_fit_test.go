package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"madoguchi/forms/jpfont"
)

// findScroll returns the first scroll container inside o.
func findScroll(o fyne.CanvasObject) *container.Scroll {
	var found *container.Scroll
	walk(o, func(o fyne.CanvasObject) {
		if s, ok := o.(*container.Scroll); ok && found == nil {
			found = s
		}
	})
	return found
}

// counterTheme puts the application's own theme (Japanese font, counter
// text size) on the test app, so that sizes are the real ones.
func counterTheme(t *testing.T) {
	t.Helper()
	font, err := jpfont.Find("")
	if err != nil {
		t.Fatal(err)
	}
	fyne.CurrentApp().Settings().SetTheme(NewTheme(font.Path, font.Data))
}

// TestFormStepFitsAndScrolls: at 1024×768 and in the default window the
// 申請書 step is no larger than the window, its scroll reaches the end of
// what it holds, and the address to be recorded is in view in full, also
// after the panel grew (an error line, a long address).
func TestFormStepFitsAndScrolls(t *testing.T) {
	for _, size := range []fyne.Size{fyne.NewSize(1024, 768-40), WindowSize} {
		t.Run(fmt.Sprintf("%.0fx%.0f", size.Width, size.Height), func(t *testing.T) {
			s, wz := openWizard(t, '1')
			counterTheme(t)
			s.win.Resize(size)
			r := findResident(t, s, needsSubstitute)
			pickResident(t, s, wz, r.Code)
			if min := s.win.Content().MinSize(); min.Width > size.Width || min.Height > size.Height {
				t.Fatalf("the form step needs %v, more than the window's %v", min, size)
			}
			var address *keyEntry
			walk(wz.body, func(o fyne.CanvasObject) {
				if e, ok := o.(*keyEntry); ok && e.Text == wz.form.Address {
					address = e
				}
			})
			if address == nil {
				t.Fatal("no address field")
			}
			address.SetText(address.Text + "窓口マンション大和町ガーデンテラス東棟１２０３号室（管理人室経由）")
			for _, other := range wz.subst.otherEntries {
				other.SetText("𠮷")
				other.OnSubmitted(other.Text) // refused: an error line appears
				break
			}
			if wz.subst.errorLabel.Text == "" {
				t.Fatal("no error for a refused substitute")
			}
			scroll := findScroll(wz.body)
			if scroll == nil {
				t.Fatal("the form step does not scroll")
			}
			if got, min := scroll.Content.Size().Height, scroll.Content.MinSize().Height; got < min {
				t.Fatalf("scroll content %v high, needs %v: its end cannot be scrolled to", got, min)
			}
			// 証明書に記録される内容 is below the scroll, in view without
			// scrolling, and inside the step's area.
			d := fyne.CurrentApp().Driver()
			preview := wz.subst.addressPreview
			pos, spos := d.AbsolutePositionForObject(preview), d.AbsolutePositionForObject(scroll)
			body := d.AbsolutePositionForObject(wz.body).Y + wz.body.Size().Height
			if bottom := pos.Y + preview.MinSize().Height; pos.Y < spos.Y+scroll.Size().Height-1 || bottom > body+1 {
				t.Fatalf("address preview spans %v–%v; the scroll ends at %v, the step at %v", pos.Y, bottom, spos.Y+scroll.Size().Height, body)
			}
			if scroll.Size().Height < 150 {
				t.Fatalf("the form's scroll is only %v high", scroll.Size().Height)
			}
			if !strings.Contains(preview.Text, "ガーデンテラス") {
				t.Fatalf("preview %q lacks the new address", preview.Text)
			}
		})
	}
}

// TestFormEnterAfterAClick: after a candidate or the sex is chosen with
// the mouse, Enter still submits and the cleared error stays cleared.
func TestFormEnterAfterAClick(t *testing.T) {
	s, wz := openWizard(t, '1')
	r := findResident(t, s, needsSubstitute)
	pickResident(t, s, wz, r.Code)
	c := s.win.Canvas()
	var other *keyEntry
	for _, e := range wz.subst.otherEntries {
		other = e
		break
	}
	c.Focus(other)
	test.Type(other, "𠮷")
	press(c, "Return") // refused
	if wz.subst.errorLabel.Text == "" {
		t.Fatal("no error for a refused substitute")
	}
	tapped := false
	for key, b := range wz.subst.choiceButtons {
		if strings.HasPrefix(key, "name:") {
			test.Tap(b)
			tapped = true
			break
		}
	}
	if !tapped {
		t.Fatal("no candidate button")
	}
	if f := c.Focused(); f != nil {
		t.Fatalf("focus left on %T after the click", f)
	}
	if wz.subst.errorLabel.Text != "" {
		t.Fatalf("error %q still shown", wz.subst.errorLabel.Text)
	}
	// A click on the sex leaves the focus on the radio, which ignores Enter.
	var sex *widget.RadioGroup
	walk(wz.body, func(o fyne.CanvasObject) {
		if r, ok := o.(*widget.RadioGroup); ok {
			sex = r
		}
	})
	var item fyne.Tappable
	walk(sex, func(o fyne.CanvasObject) {
		if t, ok := o.(fyne.Tappable); ok && item == nil && o != sex {
			item = t
		}
	})
	if item == nil {
		t.Fatal("no radio item to click")
	}
	test.Tap(item)
	if f := c.Focused(); f != nil {
		t.Fatalf("focus left on %T after a click on the sex", f)
	}
	press(c, "Return")
	s.runner.Wait()
	if wz.Step() != stepIdentity {
		t.Fatalf("step %q after Enter: %s (error %q)", wz.Step(), wz.Message(), wz.subst.errorLabel.Text)
	}
}

func TestBreakLines(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"住所：東京都", 10, "住所：東京都"},
		{"住所：東京都千代田区", 5, "住所：東京\n\u3000都千代田\n\u3000区"},
		{"一二三\n使用位置：0", 3, "一二三\n使用位\n\u3000置：\n\u30000"},
	}
	for _, tt := range tests {
		if got := breakLines(tt.in, tt.n); got != tt.want {
			t.Errorf("breakLines(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
