package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"madoguchi/forms"
)

// SubstitutePanel settles the 代替文字: every character of the name and
// the address that the certificate cannot carry is listed with its
// candidates as buttons, and the certificate's text and position strings
// are previewed as the clerk chooses.
type SubstitutePanel struct {
	app      *forms.Application
	onChange func()
	box      *fyne.Container

	// Exposed to tests in this package.
	namePreview, addressPreview *widget.Label
	errorLabel                  *widget.Label
	choiceButtons               map[string]*widget.Button // "name:2:高" → button
	otherEntries                map[string]*widget.Entry  // "name:2" → typed substitute
}

// NewSubstitutePanel shows the substitutes of a. Choices are written into
// a.Substitutes; onChange (may be nil) is called after each.
func NewSubstitutePanel(a *forms.Application, onChange func()) *SubstitutePanel {
	p := &SubstitutePanel{app: a, onChange: onChange, box: container.NewVBox()}
	p.namePreview = widget.NewLabel("")
	p.addressPreview = widget.NewLabel("")
	p.addressPreview.Wrapping = fyne.TextWrapWord
	p.errorLabel = widget.NewLabel("")
	p.errorLabel.Importance = widget.DangerImportance
	p.errorLabel.Wrapping = fyne.TextWrapWord
	p.rebuild()
	return p
}

// Object is the panel's canvas object.
func (p *SubstitutePanel) Object() fyne.CanvasObject { return p.box }

// Pending reports whether a character still lacks a substitute.
func (p *SubstitutePanel) Pending() bool {
	for _, part := range p.parts() {
		for _, prob := range problemsOf(part.text) {
			if _, ok := (*part.choices)[prob.Index]; !ok {
				return true
			}
		}
	}
	return false
}

type panelPart struct {
	key, label string
	text       string
	choices    *map[int]string
	preview    *widget.Label
}

func (p *SubstitutePanel) parts() []panelPart {
	return []panelPart{
		{"name", "氏名", p.app.CertificateName(), &p.app.Substitutes.Name, p.namePreview},
		{"address", "住所", p.app.CertificateAddress(), &p.app.Substitutes.Address, p.addressPreview},
	}
}

// problemsOf lists the characters of text the certificate cannot carry.
func problemsOf(text string) []forms.CharProblem {
	var ce *forms.CharsetError
	if err := forms.CheckCharset(text); errors.As(err, &ce) {
		return ce.Problems
	}
	return nil
}

func (p *SubstitutePanel) rebuild() {
	p.choiceButtons = map[string]*widget.Button{}
	p.otherEntries = map[string]*widget.Entry{}
	p.errorLabel.SetText("")
	var rows []fyne.CanvasObject
	any := false
	for _, part := range p.parts() {
		for _, prob := range problemsOf(part.text) {
			any = true
			rows = append(rows, p.problemRow(part, prob))
		}
		out, positions, err := forms.ApplySubstitutes(part.text, *part.choices)
		if err != nil && out == "" {
			part.preview.SetText(part.label + "：" + userMessage(err, "代替文字を選び直してください。"))
		} else {
			part.preview.SetText(fmt.Sprintf("%s：%s\n使用位置：%s", part.label, out, positions))
		}
	}
	header := "代替文字：無（すべての文字を証明書に記録できます）"
	if any {
		header = "代替文字：有（証明書に記録できない文字に、代替文字を指定してください）"
	}
	objects := []fyne.CanvasObject{widget.NewLabelWithStyle(header, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	objects = append(objects, rows...)
	objects = append(objects, p.errorLabel)
	objects = append(objects, widget.NewSeparator(), widget.NewLabel("証明書に記録される内容"), p.namePreview, p.addressPreview)
	p.box.Objects = objects
	p.box.Refresh()
}

// problemRow is one uncarriable character: the character, why, and a
// button per candidate; the chosen one is highlighted.
func (p *SubstitutePanel) problemRow(part panelPart, prob forms.CharProblem) fyne.CanvasObject {
	// The code point tells apart characters that look alike at screen size
	// (髙 and 高, 﨑 and 崎).
	where := fmt.Sprintf("%s %d文字目「%s」（%s）", part.label, prob.Index+1, prob.Char, codePoints(prob.Char))
	chosen, has := (*part.choices)[prob.Index]
	status := "未指定"
	if has {
		status = "→「" + chosen + "」"
	}
	choose := func(sub string) {
		if *part.choices == nil {
			*part.choices = map[int]string{}
		}
		(*part.choices)[prob.Index] = sub
		p.rebuild()
		if p.onChange != nil {
			p.onChange()
		}
	}
	row := container.NewHBox(NewGlyphText(where), widget.NewLabel(prob.Reason.Japanese()), widget.NewLabel(status))
	candidates := forms.Candidates(prob.Char)
	for _, c := range candidates {
		b := widget.NewButton(c, func() { choose(c) })
		if has && chosen == c {
			b.Importance = widget.HighImportance
		}
		p.choiceButtons[fmt.Sprintf("%s:%d:%s", part.key, prob.Index, c)] = b
		row.Add(b)
	}
	// Where no candidate fits, the clerk types one: a character, or かな as
	// a last resort, which romaji turns into without an IME.
	other := widget.NewEntry()
	other.SetPlaceHolder("その他（かなはローマ字で）")
	if len(candidates) == 0 {
		other.SetPlaceHolder("候補なし：代替文字を入力（かなはローマ字で）")
	}
	other.OnSubmitted = func(text string) {
		sub, err := typedSubstitute(text)
		if err != nil {
			p.setError(userMessage(err, "この文字は代替文字にできません。"))
			return
		}
		choose(sub)
	}
	p.otherEntries[fmt.Sprintf("%s:%d", part.key, prob.Index)] = other
	return container.NewVBox(enlargedCompare(prob.Char, candidates), container.NewBorder(nil, nil, row, nil, other))
}

// typedSubstitute reads what the clerk typed as a substitute: romaji
// becomes ひらがな, anything else is taken as typed. It must be text the
// certificate can carry.
func typedSubstitute(text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", errors.New("empty substitute")
	}
	if isASCIILetters(text) {
		kana, err := forms.RomajiToHiragana(text)
		if err != nil {
			return "", err
		}
		text = kana
	}
	text = forms.CertificateText(text)
	if err := forms.CheckCharset(text); err != nil {
		return "", err
	}
	return text, nil
}

func isASCIILetters(s string) bool {
	for _, r := range s {
		if r > 0x7f || !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
			return false
		}
	}
	return true
}

// setError shows why a typed substitute was refused.
func (p *SubstitutePanel) setError(msg string) {
	p.errorLabel.SetText(msg)
}

// codePoints writes a character's code points as U+XXXX, joined by "+".
func codePoints(ch string) string {
	var parts []string
	for _, r := range ch {
		parts = append(parts, fmt.Sprintf("U+%04X", r))
	}
	return strings.Join(parts, "+")
}
