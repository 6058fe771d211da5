package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// The keyboard works the same on every screen: Enter does the screen's
// main action, Esc goes back, and neither depends on which field has the
// focus or whether the clerk has just used the mouse. A focused entry
// would swallow both keys, so the screens' entries are keyEntry, which
// hands Esc (and Enter where the field has nothing to submit) to the
// screen's key handler, as if no field had the focus.

// keyEntry is the entry every screen uses: Esc goes back, Up and Down may
// move a highlight (onMove), Enter submits (OnSubmitted) or, where the
// field has no submit action of its own, does the screen's main action.
type keyEntry struct {
	widget.Entry
	// onEscape replaces the screen's Esc (nil: the canvas's key handler).
	onEscape func()
	// onMove, if set, takes Up (-1) and Down (+1).
	onMove func(delta int)
}

// newKeyEntry returns an empty keyEntry showing placeholder.
func newKeyEntry(placeholder string) *keyEntry {
	e := &keyEntry{}
	e.ExtendBaseWidget(e)
	e.SetPlaceHolder(placeholder)
	return e
}

// newKeyPasswordEntry returns a keyEntry that hides what is typed.
func newKeyPasswordEntry(placeholder string) *keyEntry {
	e := newKeyEntry(placeholder)
	e.Password = true
	return e
}

// TypedKey goes back on Esc, moves on Up and Down when asked to, hands an
// Enter it has no use for to the screen, and types otherwise.
func (e *keyEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyEscape:
		if e.onEscape != nil {
			e.onEscape()
			return
		}
		if screenKey(e, k) {
			return
		}
	case fyne.KeyUp, fyne.KeyDown:
		if e.onMove != nil {
			e.onMove(map[fyne.KeyName]int{fyne.KeyUp: -1, fyne.KeyDown: 1}[k.Name])
			return
		}
	case fyne.KeyReturn, fyne.KeyEnter:
		if e.OnSubmitted == nil && !e.MultiLine && screenKey(e, k) {
			return
		}
	}
	e.Entry.TypedKey(k)
}

// screenKey gives k to the key handler of the canvas o is on, the one that
// acts when no field has the focus; it reports whether there was one.
func screenKey(o fyne.CanvasObject, k *fyne.KeyEvent) bool {
	app := fyne.CurrentApp()
	if app == nil {
		return false
	}
	c := app.Driver().CanvasForObject(o)
	if c == nil || c.OnTypedKey() == nil {
		return false
	}
	c.OnTypedKey()(k)
	return true
}

// keyButton is a button that Enter (and Esc, when escape is set) presses
// as well as Space: the OK of a message pop-up.
type keyButton struct {
	widget.Button
	escape bool
}

// newKeyButton returns a button tapping which, or pressing Enter or Space
// while it has the focus, calls tapped; with escape, Esc does too.
func newKeyButton(label string, escape bool, tapped func()) *keyButton {
	b := &keyButton{escape: escape}
	b.Text, b.OnTapped = label, tapped
	b.ExtendBaseWidget(b)
	return b
}

// TypedKey presses the button on Enter (and Esc where asked).
func (b *keyButton) TypedKey(k *fyne.KeyEvent) {
	switch {
	case k.Name == fyne.KeyReturn, k.Name == fyne.KeyEnter, k.Name == fyne.KeyEscape && b.escape:
		b.Tapped(nil)
	default:
		b.Button.TypedKey(k)
	}
}

// choiceKey is the key of the i-th choice of a list the clerk picks from
// by key: 1 to 9, then A, B, … Z (35 choices).
func choiceKey(i int) fyne.KeyName {
	switch {
	case i < 9:
		return fyne.KeyName(rune('1' + i))
	case i < 9+26:
		return fyne.KeyName(rune('A' + i - 9))
	}
	return ""
}

// choiceIndex is the index of the choice key k stands for, or -1.
func choiceIndex(k fyne.KeyName) int {
	if len(k) != 1 {
		return -1
	}
	c := k[0]
	switch {
	case c >= '1' && c <= '9':
		return int(c - '1')
	case c >= 'A' && c <= 'Z':
		return 9 + int(c-'A')
	case c >= 'a' && c <= 'z':
		return 9 + int(c-'a')
	}
	return -1
}

// unfocusFrom takes the focus away from whatever has it on o's canvas, so
// that the screen's keys act again: a click on a check box or a radio
// button leaves it with the focus, and it ignores Enter and Esc.
func unfocusFrom(o fyne.CanvasObject) {
	app := fyne.CurrentApp()
	if app == nil {
		return
	}
	if c := app.Driver().CanvasForObject(o); c != nil {
		c.Unfocus()
	}
}
