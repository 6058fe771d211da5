package ui

import (
	"bytes"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"madoguchi/forms"
)

type policyError struct{ msg string }

func (e policyError) Error() string       { return e.msg }
func (e policyError) UserMessage() string { return e.msg }

// samePolicy accepts two equal PINs of 6 or more characters.
func samePolicy(pin, confirm []byte) error {
	switch {
	case !bytes.Equal(pin, confirm):
		return policyError{"2回の入力が一致しません。"}
	case len(pin) < 6:
		return policyError{"6文字以上にしてください。"}
	}
	return nil
}

func TestResidentPIN(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	w := test.NewWindow(nil)
	defer w.Close()

	var got []byte
	cancelled := false
	p := ShowResidentPIN(w.Canvas(), samePolicy, func(pin []byte) { got = append([]byte(nil), pin...) }, func() { cancelled = true })

	steps := []struct {
		first, second string
		wantFeedback  string
	}{
		{"482915", "482916", "一致しません"},
		{"4829", "4829", "6文字以上"},
		{"48291A", "48291A", ""},
	}
	for _, s := range steps {
		test.Type(p.first, s.first)
		test.Type(p.second, s.second)
		p.second.OnSubmitted(p.second.Text)
		if p.first.Text != "" || p.second.Text != "" {
			t.Fatalf("entries not cleared after submit")
		}
		if s.wantFeedback != "" {
			if !strings.Contains(p.Feedback(), s.wantFeedback) {
				t.Fatalf("feedback %q, want %q", p.Feedback(), s.wantFeedback)
			}
			if strings.Contains(p.Feedback(), s.first) {
				t.Fatalf("feedback reveals the PIN: %q", p.Feedback())
			}
			if got != nil {
				t.Fatalf("PIN accepted despite %q", s.wantFeedback)
			}
		}
	}
	if string(got) != "48291A" || cancelled {
		t.Fatalf("got %q, cancelled %v", got, cancelled)
	}
	if p.popup.Visible() {
		t.Fatal("resident screen still shown after an accepted PIN")
	}

	p = ShowResidentPIN(w.Canvas(), samePolicy, func([]byte) { t.Fatal("done after cancel") }, func() { cancelled = true })
	test.Type(p.first, "123")
	test.Tap(p.dismiss)
	if !cancelled || p.first.Text != "" || p.popup.Visible() {
		t.Fatalf("cancel: cancelled=%v text=%q visible=%v", cancelled, p.first.Text, p.popup.Visible())
	}
}

func TestSubstitutePanel(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()

	tests := []struct {
		name           string
		app            forms.Application
		taps           []string // choice-button keys
		wantPending    bool
		wantName       string // in the name preview
		wantPositions  string
		wantHeaderNone bool
	}{
		{
			name:        "nothing chosen",
			app:         forms.Application{FamilyName: "髙橋", GivenName: "﨑子", Address: "東京都千代田区霞が関二丁目1番2号"},
			wantPending: true,
		},
		{
			name:          "both chosen",
			app:           forms.Application{FamilyName: "髙橋", GivenName: "﨑子", Address: "東京都千代田区霞が関二丁目1番2号"},
			taps:          []string{"name:0:高", "name:3:崎"},
			wantName:      "高橋　崎子",
			wantPositions: "10010",
		},
		{
			name:           "no substitutes needed",
			app:            forms.Application{FamilyName: "山田", GivenName: "太郎", Address: "東京都千代田区霞が関二丁目1番2号"},
			wantName:       "山田　太郎",
			wantPositions:  "00000",
			wantHeaderNone: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := tt.app
			app.Kind, app.Sex = forms.KindNew, forms.SexFemale
			app.FamilyKana, app.GivenKana = "たかはし", "さきこ"
			app.Birth = forms.Date{Year: 1962, Month: 6, Day: 17}
			app.AppliedOn = forms.Date{Year: 2026, Month: 11, Day: 25}
			changes := 0
			p := NewSubstitutePanel(&app, func() { changes++ })
			for _, key := range tt.taps {
				b := p.choiceButtons[key]
				if b == nil {
					t.Fatalf("no candidate button %s; have %v", key, keys(p.choiceButtons))
				}
				test.Tap(b)
			}
			if changes != len(tt.taps) {
				t.Fatalf("%d change callbacks for %d taps", changes, len(tt.taps))
			}
			if p.Pending() != tt.wantPending {
				t.Fatalf("Pending = %v", p.Pending())
			}
			if tt.wantName != "" {
				want := "氏名：" + tt.wantName + "\n使用位置：" + tt.wantPositions
				if p.namePreview.Text != want {
					t.Fatalf("preview %q, want %q", p.namePreview.Text, want)
				}
				items, err := app.CertificateItems()
				if err != nil {
					t.Fatalf("CertificateItems after choosing: %v", err)
				}
				if items.Name != tt.wantName || items.NamePositions != tt.wantPositions {
					t.Fatalf("items %q %q", items.Name, items.NamePositions)
				}
			}
			header := p.box.Objects[0].(*widget.Label).Text
			if strings.Contains(header, "無") != tt.wantHeaderNone {
				t.Fatalf("header %q", header)
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSubstitutePanelTypedSubstitute(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	app := forms.Application{Kind: forms.KindNew, FamilyName: "髙橋", GivenName: "花子", FamilyKana: "たかはし", GivenKana: "はなこ",
		Birth: forms.Date{Year: 1962, Month: 6, Day: 17}, Sex: forms.SexFemale, Address: "東京都千代田区霞が関二丁目1番2号",
		AppliedOn: forms.Date{Year: 2026, Month: 11, Day: 25}}
	p := NewSubstitutePanel(&app, nil)

	// An uncarriable character is refused as a substitute, with the reason.
	entry := p.otherEntries["name:0"]
	if entry == nil {
		t.Fatalf("no entry for a typed substitute; have %v", keys(p.otherEntries))
	}
	entry.OnSubmitted("﨑")
	if p.errorLabel.Text == "" || app.Substitutes.Name[0] != "" {
		t.Fatalf("uncarriable substitute accepted: %q, error %q", app.Substitutes.Name[0], p.errorLabel.Text)
	}
	// かな typed as romaji, the last resort: each kana is marked.
	p.otherEntries["name:0"].OnSubmitted("taka")
	items, err := app.CertificateItems()
	if err != nil {
		t.Fatal(err)
	}
	if items.Name != "たか橋　花子" || items.NamePositions != "110000" {
		t.Fatalf("items %q %q", items.Name, items.NamePositions)
	}
	if p.errorLabel.Text != "" {
		t.Fatalf("error left on show: %q", p.errorLabel.Text)
	}
}
