package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app"
	"madoguchi/forms"
)

func TestWarekiWithWeekday(t *testing.T) {
	tests := []struct {
		d    forms.Date
		want string
	}{
		{forms.Date{Year: 2026, Month: 12, Day: 2}, "令和8年12月2日(水)"},
		{forms.Date{Year: 2019, Month: 5, Day: 1}, "令和元年5月1日(水)"},
		{forms.Date{Year: 2019, Month: 4, Day: 30}, "平成31年4月30日(火)"},
		{forms.Date{Year: 2027, Month: 1, Day: 3}, "令和9年1月3日(日)"},
	}
	for _, tt := range tests {
		if got := warekiWithWeekday(tt.d); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestTallyLine(t *testing.T) {
	line := tallyLine([]app.DayTally{
		{Kind: forms.KindNew, Completed: 3, Open: 1, Mine: 2},
		{Kind: forms.KindRenewal, Abandoned: 1},
		{Kind: forms.KindRevocation, Failed: 1},
		{Kind: forms.KindPINReset},
	})
	for _, want := range []string{"新規発行 4件", "更新 1件", "失効 1件", "暗証番号初期化 0件", "完了 3件", "処理中 1件", "中止 1件", "エラー 1件", "あなたの完了 2件"} {
		if !strings.Contains(line, want) {
			t.Errorf("%q lacks %q", line, want)
		}
	}
}

// TestHomeShowsDateReaderAndCounts: the home screen says the day, the
// reader's state and today's counts, and follows a card put in the reader.
func TestHomeShowsDateReaderAndCounts(t *testing.T) {
	s, w := testShell(t)
	signInAs(t, s, "clerk01")
	s.runner.Wait()
	today := warekiWithWeekday(s.desk.Today(time.Now()))
	shown := strings.Join(texts(w), "\n")
	for _, want := range []string{today, app.ReaderEmpty.Label(), "新規発行 0件", "あなたの完了 0件"} {
		if !strings.Contains(shown, want) {
			t.Fatalf("home lacks %q:\n%s", want, shown)
		}
	}
	if !strings.HasPrefix(today, "令和") {
		t.Fatalf("date %q not in 和暦", today)
	}
	if _, err := s.counter.InsertBlankCard(); err != nil {
		t.Fatal(err)
	}
	s.showHome()
	s.runner.Wait()
	if got := s.home.reader.Text; got != app.ReaderCard.Label() {
		t.Fatalf("reader %q with a card in it", got)
	}
}

// TestHomeFitsTheWindow: the home screen with nine buttons (two more
// areas are coming) and its status lines fits the default window.
func TestHomeFitsTheWindow(t *testing.T) {
	s, w := testShell(t)
	counterTheme(t)
	signInAs(t, s, "super01")
	s.runner.Wait()
	if min := w.Content().MinSize(); min.Width > WindowSize.Width || min.Height > WindowSize.Height {
		t.Fatalf("home needs %v, the window is %v", min, WindowSize)
	}
	var nine []fyne.CanvasObject
	for i := range 9 {
		nine = append(nine, widget.NewButton(fmt.Sprintf("%d  交付記録", i+1), nil))
	}
	grid := homeGrid(nine).MinSize()
	if status := s.home.box.MinSize(); grid.Height+status.Height+120 > WindowSize.Height {
		t.Fatalf("nine buttons (%v) and the status (%v) do not fit %v", grid, status, WindowSize)
	}
}
