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
	box      *fyne.Container // the header, the uncarriable characters, errors
	// previewBox is 証明書に記録される内容: what the certificate will
	// carry, kept apart so that a screen can keep it always in view.
	previewBox *fyne.Container
	// onResize (may be nil) is called when the panel's height may have
	// changed without a choice (an error shown).
	onResize func()

	// Exposed to tests in this package.
	namePreview, addressPreview *widget.Label
	errorLabel                  *widget.Label
	choiceButtons               map[string]*widget.Button // "name:2:高" → button
	otherEntries                map[string]*keyEntry      // "name:2" → typed substitute
}

// NewSubstitutePanel shows the substitutes of a. Choices are written into
// a.Substitutes; onChange (may be nil) is called after each.
func NewSubstitutePanel(a *forms.Application, onChange func()) *SubstitutePanel {
	p := &SubstitutePanel{app: a, onChange: onChange, box: container.NewVBox()}
	p.namePreview = widget.NewLabel("")
	// Broken into lines by breakLines rather than wrapped: a wrapped label
	// learns its height only after it is laid out, too late for the
	// layout around it, and its last line falls outside the screen.
	p.addressPreview = widget.NewLabel("")
	p.errorLabel = widget.NewLabel("")
	p.errorLabel.Importance = widget.DangerImportance
	p.errorLabel.Wrapping = fyne.TextWrapWord
	p.previewBox = container.NewVBox(widget.NewSeparator(), widget.NewLabel("証明書に記録される内容"), p.namePreview, p.addressPreview)
	p.rebuild()
	return p
}

// Object is the panel's canvas object: Choices above Preview.
func (p *SubstitutePanel) Object() fyne.CanvasObject { return container.NewVBox(p.box, p.previewBox) }

// Choices is the panel without its preview: the characters to settle.
func (p *SubstitutePanel) Choices() fyne.CanvasObject { return p.box }

// Preview is 証明書に記録される内容, the name and address the certificate
// will carry, with the substitutes' positions.
func (p *SubstitutePanel) Preview() fyne.CanvasObject { return p.previewBox }

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
	p.otherEntries = map[string]*keyEntry{}
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
			part.preview.SetText(breakLines(fmt.Sprintf("%s：%s\n使用位置：%s", part.label, out, positions), previewLineRunes))
		}
	}
	header := "代替文字：無（すべての文字を証明書に記録できます）"
	if any {
		header = "代替文字：有（証明書に記録できない文字に、代替文字を指定してください）"
	}
	objects := []fyne.CanvasObject{widget.NewLabelWithStyle(header, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	objects = append(objects, rows...)
	objects = append(objects, p.errorLabel)
	p.box.Objects = objects
	p.box.Refresh()
	p.previewBox.Refresh()
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
		// The rebuild replaces every button and entry: a focus left on
		// one of them (the その他 field) would keep taking Enter and
		// bring its old error back.
		unfocusFrom(p.box)
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
	other := newKeyEntry("その他（かなはローマ字で）")
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
	if p.onResize != nil {
		p.onResize()
	}
}

// codePoints writes a character's code points as U+XXXX, joined by "+".
func codePoints(ch string) string {
	var parts []string
	for _, r := range ch {
		parts = append(parts, fmt.Sprintf("U+%04X", r))
	}
	return strings.Join(parts, "+")
}

// previewLineRunes is the longest line of the preview: 40 full-width
// characters fit a 1024-pixel window at the counter's text size.
const previewLineRunes = 40

// breakLines breaks every line of s longer than n characters into lines
// of n, indenting the continuations by one full-width space.
func breakLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	var out []string
	for _, line := range lines {
		r := []rune(line)
		for len(r) > n {
			out = append(out, string(r[:n]))
			r = append([]rune("\u3000"), r[n:]...)
		}
		out = append(out, string(r))
	}
	return strings.Join(out, "\n")
}
