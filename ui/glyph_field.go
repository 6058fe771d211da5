package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// glyphField is a form field holding registry text. When the text has a
// character only the MJ font draws (𠮷), it is shown exactly by a
// GlyphText with a 修正 button, and the entry gets the text only once the
// clerk chooses to edit: a Fyne entry cannot draw such a character, and
// merely measuring it makes Fyne find and parse IPAmj明朝 as a system
// font (~100 MB kept for the life of the process).
type glyphField struct {
	entry   fyne.CanvasObject
	setText func(string)
	getText func() string
	value   string // the text while not edited
	editing bool
	box     *fyne.Container
}

// newGlyphField shows value in entry (any entry type: setText and getText
// reach its text), or in a GlyphText until the clerk edits.
func newGlyphField(entry fyne.CanvasObject, setText func(string), getText func() string, value string) *glyphField {
	g := &glyphField{entry: entry, setText: setText, getText: getText, value: value}
	if !needsGlyphText(value) {
		setText(value)
		g.editing = true
		g.box = container.NewStack(entry)
		return g
	}
	edit := widget.NewButton("修正", nil)
	edit.OnTapped = func() {
		g.editing = true
		g.setText(g.value)
		if e, ok := g.entry.(fyne.Focusable); ok {
			e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd}) // type on at the end
		}
		g.box.Objects = []fyne.CanvasObject{g.entry}
		g.box.Refresh()
		if f, ok := g.entry.(fyne.Focusable); ok {
			if c := fyne.CurrentApp().Driver().CanvasForObject(g.box); c != nil {
				c.Focus(f)
			}
		}
	}
	g.box = container.NewStack(container.NewBorder(nil, nil, nil, edit, NewGlyphText(value)))
	return g
}

// Text is the field's current text.
func (g *glyphField) Text() string {
	if g.editing {
		return g.getText()
	}
	return g.value
}

// Object is the field's canvas object, for a form item.
func (g *glyphField) Object() fyne.CanvasObject { return g.box }
