package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/registry"
	"madoguchi/forms"
)

// newSearchEntry is a search field: Up and Down move the highlighted
// search result, so the clerk never leaves the keyboard's home row; Esc
// goes back like everywhere else (keyEntry).
func newSearchEntry(placeholder string, onMove func(int)) *keyEntry {
	e := newKeyEntry(placeholder)
	e.onMove = onMove
	return e
}

// SearchFunc runs a registry search.
type SearchFunc func(ctx context.Context, q registry.Query) (registry.Result, error)

// SearchScreen finds the resident: by 住民コード digits, by ふりがな typed
// as romaji or kana, and by 生年月日 typed as digits, combinable. Enter
// searches; once results are shown, Up/Down move the highlight and Enter
// on an unchanged query takes the highlighted resident.
type SearchScreen struct {
	runner   *Runner
	search   SearchFunc
	onSelect func(registry.Resident)

	code, kana, birth *keyEntry
	results           *widget.List
	info              *widget.Label
	found             []registry.Resident
	highlight         int
	lastQuery         string
	box               fyne.CanvasObject

	mu    sync.Mutex
	timer *time.Timer // the pending search-as-you-type
}

// newSearchScreen builds the screen; with live set it also searches as the
// clerk types, a moment after the last key, so that one Enter takes the
// highlighted resident.
func newSearchScreen(runner *Runner, search SearchFunc, onSelect func(registry.Resident), live bool) *SearchScreen {
	s := &SearchScreen{runner: runner, search: search, onSelect: onSelect, highlight: -1}
	s.code = newSearchEntry("住民コード（数字）", s.move)
	s.kana = newSearchEntry("ふりがな（ローマ字可：takahashi）", s.move)
	s.birth = newSearchEntry("生年月日（S37.6.17、19620617）", s.move)
	for _, e := range []*keyEntry{s.code, s.kana, s.birth} {
		e.OnSubmitted = func(string) { s.Submit() }
		if live {
			e.OnChanged = func(string) { s.searchSoon() }
		}
	}
	s.info = widget.NewLabel("住民コード・ふりがな・生年月日のどれか（組み合わせ可）を入力し、Enter で検索します。")
	s.info.Wrapping = fyne.TextWrapWord
	s.results = widget.NewList(
		func() int { return len(s.found) },
		// GlyphText: names and addresses may hold characters only the MJ
		// font has (𠮷).
		func() fyne.CanvasObject { return NewGlyphText("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			l := o.(*GlyphText)
			if i == s.highlight {
				l.Color = theme.Color(theme.ColorNamePrimary)
				l.SetText("▶ " + residentLine(s.found[i]))
			} else {
				l.Color = nil
				l.SetText("　 " + residentLine(s.found[i]))
			}
		},
	)
	s.results.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(s.found) {
			s.onSelect(s.found[i])
		}
	}
	button := widget.NewButton("検索", s.Submit)
	button.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem("住民コード", s.code),
		widget.NewFormItem("ふりがな", s.kana),
		widget.NewFormItem("生年月日", s.birth),
	)
	s.box = container.NewBorder(container.NewVBox(form, button, s.info), nil, nil, nil, s.results)
	return s
}

// Object is the screen's canvas object.
func (s *SearchScreen) Object() fyne.CanvasObject { return s.box }

// Focus puts the cursor where the clerk starts typing.
func (s *SearchScreen) Focus(c fyne.Canvas) { c.Focus(s.kana) }

func (s *SearchScreen) query() (registry.Query, string, error) {
	q := registry.Query{Code: s.code.Text, Kana: s.kana.Text, Limit: 20}
	if b := strings.TrimSpace(s.birth.Text); b != "" {
		d, err := forms.ParseDate(b)
		if err != nil {
			return q, "", err
		}
		q.Birth = d
	}
	key := s.code.Text + "\x00" + s.kana.Text + "\x00" + s.birth.Text
	return q, key, nil
}

// searchSoon searches a moment after the clerk stops typing, quietly:
// input that cannot be searched yet (half a romaji syllable, half a date)
// waits for more keys or for Enter, which says what is wrong.
func (s *SearchScreen) searchSoon() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timer = time.AfterFunc(250*time.Millisecond, func() {
		fyne.Do(func() {
			q, key, err := s.query()
			if err == nil && key != s.lastQuery && !s.empty(q) {
				s.run(q, key, true)
			}
		})
	})
}

func (s *SearchScreen) empty(q registry.Query) bool {
	return strings.TrimSpace(q.Code+q.Kana) == "" && q.Birth.IsZero()
}

// Submit searches, or takes the highlighted resident when the query has
// not changed since the last search.
func (s *SearchScreen) Submit() {
	q, key, err := s.query()
	if err != nil {
		s.info.SetText(userMessage(err, "生年月日を読み取れません。"))
		return
	}
	if key == s.lastQuery && s.highlight >= 0 && s.highlight < len(s.found) {
		// Unselect first: back from the form, the row is still selected
		// and selecting it again would do nothing.
		s.results.UnselectAll()
		s.results.Select(s.highlight)
		return
	}
	if s.empty(q) {
		s.info.SetText("検索する項目を入力してください。")
		return
	}
	s.run(q, key, false)
}

// run searches for q; a quiet search keeps errors to itself.
func (s *SearchScreen) run(q registry.Query, key string, quiet bool) {
	var res registry.Result
	op := func(ctx context.Context) error {
		var err error
		res, err = s.search(ctx, q)
		return err
	}
	done := func(err error) {
		if _, current, _ := s.query(); quiet && current != key {
			return // the clerk has typed on; a newer search follows
		}
		if err != nil {
			if !quiet {
				s.info.SetText(userMessage(err, "検索できませんでした。"))
			}
			return
		}
		s.found, s.lastQuery = res.Residents, key
		s.highlight = -1
		if len(s.found) > 0 {
			s.highlight = 0
		}
		s.results.UnselectAll()
		s.results.Refresh()
		switch {
		case len(s.found) == 0:
			s.info.SetText("該当する住民がいません。入力を確かめてください。")
		case res.More:
			s.info.SetText(fmt.Sprintf("%d件以上あります。上位%d件を表示しています。条件を加えてください。↑↓で選び Enter で決定。", len(s.found), len(s.found)))
		default:
			s.info.SetText(fmt.Sprintf("%d件見つかりました。↑↓で選び Enter で決定します。", len(s.found)))
		}
	}
	if quiet {
		s.runner.Background(op, done)
		return
	}
	s.runner.Run("住民を検索しています…", false, op, done)
}

func (s *SearchScreen) move(delta int) {
	if len(s.found) == 0 {
		return
	}
	s.highlight = min(max(s.highlight+delta, 0), len(s.found)-1)
	s.results.ScrollTo(s.highlight)
	s.results.Refresh()
}

// residentLine is one search result: code, name, reading, birth, status.
func residentLine(r registry.Resident) string {
	status := ""
	if r.Status != registry.StatusResident {
		status = "【" + r.Status.Label() + "】"
	}
	return fmt.Sprintf("%s  %s（%s）  %s  %s  %s", r.Code, r.Name(), r.Kana(), r.Birth.Wareki(), r.Address, status)
}
