package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// StepIndicator shows the steps of a procedure and which one is current.
type StepIndicator struct {
	names   []string
	current int
	box     *fyne.Container
}

// NewStepIndicator shows names with the first one current.
func NewStepIndicator(names ...string) *StepIndicator {
	s := &StepIndicator{names: names, box: container.NewGridWithColumns(len(names))}
	s.Set(0)
	return s
}

// Object is the indicator's canvas object.
func (s *StepIndicator) Object() fyne.CanvasObject { return s.box }

// Current is the index of the current step.
func (s *StepIndicator) Current() int { return s.current }

// Set makes step i current: earlier steps are marked done.
func (s *StepIndicator) Set(i int) {
	s.current = i
	s.box.Objects = s.box.Objects[:0]
	for j, n := range s.names {
		text := fmt.Sprintf("%d %s", j+1, n)
		l := widget.NewLabel(text)
		switch {
		case j < i:
			l.SetText("✓ " + n)
			l.Importance = widget.SuccessImportance
		case j == i:
			l.TextStyle = fyne.TextStyle{Bold: true}
			l.Importance = widget.HighImportance
		default:
			l.Importance = widget.LowImportance
		}
		l.Truncation = fyne.TextTruncateEllipsis
		s.box.Add(l)
	}
	s.box.Refresh()
}

// Label is the text shown for step i.
func (s *StepIndicator) Label(i int) string {
	if i < 0 || i >= len(s.box.Objects) {
		return ""
	}
	return s.box.Objects[i].(*widget.Label).Text
}
