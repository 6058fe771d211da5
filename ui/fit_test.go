package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// naturalWidth is the width text needs in a label of style, untruncated.
func naturalWidth(text string, style fyne.TextStyle) float32 {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, style).MinSize().Width
}

// TestStepBarNotCutAt1024: every step's name is shown whole in a window
// 1024 pixels wide, for every procedure and whichever step is current.
func TestStepBarNotCutAt1024(t *testing.T) {
	for _, k := range []wizardKind{wizardNew, wizardRenewal, wizardRevocation, wizardPINReset} {
		s, _ := openWizard(t, '1')
		counterTheme(t)
		s.win.Resize(fyne.NewSize(1024, 700))
		w := s.newWizard(k)
		for cur := range w.names {
			w.steps.Set(cur)
			s.win.Content().Refresh()
			s.win.Resize(fyne.NewSize(1024, 701+float32(cur)))
			for i, o := range w.steps.box.Objects {
				l := o.(*widget.Label)
				if need := naturalWidth(l.Text, l.TextStyle); l.Size().Width+0.5 < need {
					t.Errorf("%v step %d current: %q is %.0f wide, needs %.0f", k.formKind(), cur, l.Text, l.Size().Width, need)
				}
				if min := s.win.Content().MinSize().Width; min > WindowSize.Width {
					t.Errorf("%v: the wizard needs %.0f pixels, more than the default window", k.formKind(), min)
				}
				if i == 0 && cur == 0 && l.Text == "" {
					t.Error("empty step label")
				}
			}
		}
	}
}

// TestRecordsColumnsFitAt1024: the records table shows every column,
// 担当者 included, in a window 1024 pixels wide without scrolling sideways.
func TestRecordsColumnsFitAt1024(t *testing.T) {
	s, w := testShell(t)
	counterTheme(t)
	signInAs(t, s, "super01")
	w.Resize(fyne.NewSize(1024, 700))
	s.showRecords()
	s.runner.Wait()
	r := w.Content().(*recordsScreen)
	var total float32
	for i, c := range recordsColumns {
		width := r.table.columnWidth(i)
		total += width
		if need := naturalWidth(c.title, fyne.TextStyle{Bold: true}); width < need {
			t.Errorf("column %s is %.0f wide, its title needs %.0f", c.title, width, need)
		}
	}
	if avail := r.table.Size().Width; total > avail {
		t.Fatalf("columns need %.0f pixels, the table is %.0f wide: the last ones are cut", total, avail)
	}
}

func TestFitColumns(t *testing.T) {
	tests := []struct {
		name           string
		natural, floor []float32
		avail          float32
		want           []float32
	}{
		{"fits", []float32{100, 200}, []float32{50, 50}, 400, []float32{100, 200}},
		{"shrinks in proportion", []float32{100, 200}, []float32{50, 50}, 250, []float32{87.5, 162.5}},
		{"never below the titles", []float32{100, 200}, []float32{50, 50}, 60, []float32{50, 50}},
	}
	for _, tt := range tests {
		got := fitColumns(tt.natural, tt.floor, tt.avail)
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
				break
			}
		}
	}
}
