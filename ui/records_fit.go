package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// columnFit keeps the records table's columns within the table's width:
// each column's natural width (its widest sample) when they all fit, else
// each shrunk in proportion to what it has beyond its title, so that no
// column (担当者, the last) falls off the right edge at 1024 pixels.
type columnFit struct {
	natural, floor []float32 // per column: the sample's and the title's width
	current        []float32 // the widths set
}

// add records a column's natural and title widths.
func (f *columnFit) add(natural, floor float32) {
	f.natural = append(f.natural, natural)
	f.floor = append(f.floor, min(floor, natural))
	f.current = append(f.current, natural)
}

// fitColumns returns the widths of columns of the given natural and title
// (floor) widths in avail pixels: the natural widths if they fit, else
// shrunk towards the floors in proportion, never below them.
func fitColumns(natural, floor []float32, avail float32) []float32 {
	var sumNatural, sumFloor float32
	for i := range natural {
		sumNatural += natural[i]
		sumFloor += floor[i]
	}
	out := make([]float32, len(natural))
	ratio := float32(1)
	if sumNatural > avail {
		ratio = 0
		if sumNatural > sumFloor {
			ratio = max(0, min(1, (avail-sumFloor)/(sumNatural-sumFloor)))
		}
	}
	for i := range natural {
		out[i] = floor[i] + (natural[i]-floor[i])*ratio
	}
	return out
}

// Resize sizes the table and fits its columns to the new width.
func (t *recordsTable) Resize(size fyne.Size) {
	t.Table.Resize(size)
	// Keep clear of the vertical scroll bar.
	widths := fitColumns(t.cols.natural, t.cols.floor, size.Width-t.Theme().Size(theme.SizeNameScrollBar)-2)
	for i, w := range widths {
		if w != t.cols.current[i] {
			t.cols.current[i] = w
			t.SetColumnWidth(i, w)
		}
	}
}

// columnWidth is the width column i has now.
func (t *recordsTable) columnWidth(i int) float32 { return t.cols.current[i] }
