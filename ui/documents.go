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
// optional document number, of which only the last digits are kept.
type documentPicker struct {
	kinds  []identity.Kind
	checks []*widget.Check
	number *widget.Entry
	box    fyne.CanvasObject
}

func newDocumentPicker() *documentPicker {
	p := &documentPicker{kinds: identity.Kinds()}
	photo := container.NewVBox(boldLabel("写真付きの書類（1点で可）"))
	plain := container.NewVBox(boldLabel("写真のない書類（2点必要）"))
	for i, k := range p.kinds {
		label := k.Label
		if i < 9 {
			label = fmt.Sprintf("%d  %s", i+1, k.Label)
		}
		c := widget.NewCheck(label, nil)
		p.checks = append(p.checks, c)
		if k.Photo {
			photo.Add(c)
		} else {
			plain.Add(c)
		}
	}
	p.number = widget.NewEntry()
	p.number.SetPlaceHolder("書類の番号（任意。下4桁だけを記録します。マイナンバーカードは記録しません）")
	p.box = container.NewVBox(boldLabel("確認した本人確認書類"), container.NewGridWithColumns(2, photo, plain), p.number)
	return p
}

func (p *documentPicker) object() fyne.CanvasObject { return p.box }

// typedKey toggles a document type with its digit key.
func (p *documentPicker) typedKey(k *fyne.KeyEvent) {
	if len(k.Name) != 1 || k.Name[0] < '1' || k.Name[0] > '9' {
		return
	}
	if i := int(k.Name[0] - '1'); i < len(p.checks) {
		p.checks[i].SetChecked(!p.checks[i].Checked)
	}
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
