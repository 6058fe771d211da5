package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app"
	"madoguchi/forms"
)

// homeStatus is what the clerk looks at on the home screen before a
// procedure: the date in 和暦, the card reader's state and today's counts.
type homeStatus struct {
	date, reader, counts *widget.Label
	box                  fyne.CanvasObject
}

// newHomeStatus shows today's date at once and the reader and the counts
// as soon as they are read, off the UI goroutine.
func (s *Shell) newHomeStatus() *homeStatus {
	h := &homeStatus{
		date:   widget.NewLabelWithStyle(warekiWithWeekday(s.desk.Today(time.Now())), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		reader: widget.NewLabel("カードリーダー：確認しています…"),
		counts: widget.NewLabel("本日の受付：集計しています…"),
	}
	h.counts.Wrapping = fyne.TextWrapWord
	h.reader.Wrapping = fyne.TextWrapWord
	h.box = container.NewVBox(h.date, h.reader, h.counts)

	desk := s.desk
	var state app.ReaderState
	var tallies []app.DayTally
	op := func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		// A reader that cannot be read is ReaderMissing; its label says
		// what to check.
		state, _ = desk.ReaderState(ctx)
		_, t, err := desk.DayTallies(ctx, time.Now())
		tallies = t
		return err
	}
	done := func(err error) {
		h.reader.SetText(state.Label())
		h.reader.Importance = widget.MediumImportance
		if state == app.ReaderMissing {
			h.reader.Importance = widget.WarningImportance
		}
		h.reader.Refresh()
		if err != nil {
			h.counts.SetText("本日の受付：集計できませんでした。")
			return
		}
		h.counts.SetText(tallyLine(tallies))
	}
	s.runner.Background(op, done)
	return h
}

// weekdays are the Japanese day names, Sunday first.
var weekdays = [...]string{"日", "月", "火", "水", "木", "金", "土"}

// warekiWithWeekday is d in 和暦 with its day of the week, as the clerk
// writes it on forms: 令和8年12月2日(水).
func warekiWithWeekday(d forms.Date) string {
	wd := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
	return fmt.Sprintf("%s(%s)", d.Wareki(), weekdays[wd])
}

// tallyLine is today's counts: each procedure's sessions, how they ended,
// and how many the signed-in clerk completed.
func tallyLine(tallies []app.DayTally) string {
	var kinds []string
	var done, open, abandoned, failed, mine int
	for _, t := range tallies {
		kinds = append(kinds, fmt.Sprintf("%s %d件", t.Kind, t.Total()))
		done += t.Completed
		open += t.Open
		abandoned += t.Abandoned
		failed += t.Failed
		mine += t.Mine
	}
	line := "本日の受付：" + strings.Join(kinds, "・") +
		fmt.Sprintf("（完了 %d件・処理中 %d件・中止 %d件", done, open, abandoned)
	if failed > 0 {
		line += fmt.Sprintf("・エラー %d件", failed)
	}
	return line + fmt.Sprintf("）　うち あなたの完了 %d件", mine)
}

// homeButtonSize is the size of one home-screen button.
var homeButtonSize = fyne.NewSize(300, 60)

// homeGrid lays the home screen's buttons out in two columns, so that
// nine of them and the status lines fit a window 680 pixels high (one
// column of nine does not).
func homeGrid(buttons []fyne.CanvasObject) fyne.CanvasObject {
	cells := make([]fyne.CanvasObject, len(buttons))
	for i, b := range buttons {
		cells[i] = container.NewGridWrap(homeButtonSize, b)
	}
	return container.NewGridWithColumns(2, cells...)
}
