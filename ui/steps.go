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
	s := &StepIndicator{names: names, box: container.New(stepBarLayout{})}
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

// stepBarLayout gives every step its whole name and shares the room left
// equally, so that no name is cut where the window is wide enough for all
// of them (1024 pixels), as equal columns cut the longest.
type stepBarLayout struct{}

// MinSize is the steps' names side by side.
func (stepBarLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var size fyne.Size
	for _, o := range objects {
		m := o.MinSize()
		size.Width += m.Width
		size.Height = max(size.Height, m.Height)
	}
	return size
}

// Layout places the steps left to right, each its name's width plus an
// equal share of the rest.
func (l stepBarLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	if len(objects) == 0 {
		return
	}
	extra := max(0, (size.Width-l.MinSize(objects).Width)/float32(len(objects)))
	x := float32(0)
	for _, o := range objects {
		w := o.MinSize().Width + extra
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w
	}
}
