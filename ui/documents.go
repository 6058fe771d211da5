package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/identity"
)

// documentPicker records the identity documents the clerk has seen: one
// check box per document type (digit keys toggle the first nine) and an
// optional document number, of which only the last digits are kept. Every
// document has a key: 1 to 9, then A, B, … (choiceKey).
type documentPicker struct {
	kinds  []identity.Kind
	checks []*widget.Check
	number *keyEntry
	box    fyne.CanvasObject
}

func newDocumentPicker() *documentPicker {
	p := &documentPicker{kinds: identity.Kinds()}
	photo := container.NewVBox(boldLabel("写真付きの書類（1点で可）"))
	plain := container.NewVBox(boldLabel("写真のない書類（2点必要）"))
	for i, k := range p.kinds {
		label := k.Label
		if key := choiceKey(i); key != "" {
			label = fmt.Sprintf("%s  %s", key, k.Label)
		}
		c := widget.NewCheck(label, nil)
		c.OnChanged = func(bool) { unfocusFrom(c) }
		p.checks = append(p.checks, c)
		if k.Photo {
			photo.Add(c)
		} else {
			plain.Add(c)
		}
	}
	p.number = newKeyEntry("書類の番号（任意。下4桁だけを記録します。マイナンバーカードは記録しません）")
	p.box = container.NewVBox(boldLabel("確認した本人確認書類"), container.NewGridWithColumns(2, photo, plain), p.number)
	return p
}

func (p *documentPicker) object() fyne.CanvasObject { return p.box }

// typedKey toggles a document type with its key (1–9, then A, B, …) and
// reports whether k was one.
func (p *documentPicker) typedKey(k *fyne.KeyEvent) bool {
	if i := choiceIndex(k.Name); i >= 0 && i < len(p.checks) {
		p.checks[i].SetChecked(!p.checks[i].Checked)
		return true
	}
	return false
}

// documents returns the checked documents, numbers masked.
func (p *documentPicker) documents() []identity.Document {
	var docs []identity.Document
	for i, c := range p.checks {
		if c.Checked {
			docs = append(docs, identity.NewDocument(p.kinds[i].Type, p.number.Text))
		}
	}
	return docs
}
