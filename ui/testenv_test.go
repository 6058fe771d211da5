package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app"
	"madoguchi/app/config"
	"madoguchi/app/staff"
)

// cheapStaff keeps password hashing fast in tests.
var cheapStaff = staff.Params{Time: 1, MemoryKiB: 1024, Threads: 1}

// testCounter opens the embedded default (demo registry, in-process
// reference CA over loopback TLS, emulated reader) in a temp folder.
func testCounter(t testing.TB) *app.Counter {
	t.Helper()
	c, err := app.Open(context.Background(), config.Default(t.TempDir()), app.Options{StaffParams: &cheapStaff})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testShell is a shell on a test window over the embedded default.
func testShell(t *testing.T) (*Shell, fyne.Window) {
	t.Helper()
	a := test.NewApp()
	t.Cleanup(a.Quit)
	w := test.NewWindow(nil)
	w.Resize(WindowSize)
	t.Cleanup(w.Close)
	s := NewShell(w, testCounter(t))
	s.noBackground = true
	s.runner.inline = true
	return s, w
}

// signInAs signs a demo account in and waits for the home screen.
func signInAs(t *testing.T, s *Shell, id string) {
	t.Helper()
	test.Type(s.signInID, id)
	test.Type(s.signInPassword, staff.DemoPassword)
	s.signInPassword.OnSubmitted(s.signInPassword.Text)
	s.runner.Wait()
	if s.Screen() != "home" {
		t.Fatalf("screen %q after signing in as %s: %s", s.Screen(), id, s.signInError.Text)
	}
}

// findButtons returns the buttons on the window (and its overlays) by label.
func findButtons(w fyne.Window) map[string]*widget.Button {
	found := map[string]*widget.Button{}
	walk(w.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok {
			found[b.Text] = b
		}
	})
	for _, o := range w.Canvas().Overlays().List() {
		walk(o, func(o fyne.CanvasObject) {
			if b, ok := o.(*widget.Button); ok {
				found[b.Text] = b
			}
		})
	}
	return found
}

// texts returns the text of every label on the window and its overlays.
func texts(w fyne.Window) []string {
	var out []string
	visit := func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			out = append(out, l.Text)
		}
		if g, ok := o.(*GlyphText); ok {
			out = append(out, g.Text)
		}
	}
	walk(w.Content(), visit)
	for _, o := range w.Canvas().Overlays().List() {
		walk(o, visit)
	}
	return out
}

// walk visits o and everything inside it, including widgets' renderers.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	visit(o)
	switch v := o.(type) {
	case *fyne.Container:
		for _, c := range v.Objects {
			walk(c, visit)
		}
	case fyne.Widget:
		if _, isLabel := v.(*widget.Label); isLabel {
			return
		}
		for _, c := range test.WidgetRenderer(v).Objects() {
			walk(c, visit)
		}
	}
}

// keyEvent is a key press by name ("Return", "Escape", "1", "F2").
func keyEvent(name string) *fyne.KeyEvent { return &fyne.KeyEvent{Name: fyne.KeyName(name)} }
