package ui

import (
	"context"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Runner runs the long operations of the screens (card, network,
// database, printing) off the UI goroutine, with a progress overlay and,
// where the operation allows it, a cancel button.
type Runner struct {
	win fyne.Window
	wg  sync.WaitGroup
	// ui serialises the done callbacks. Fyne's window driver already runs
	// them one at a time on its main goroutine, but the test driver runs
	// fyne.Do on the caller's goroutine, where two callbacks finishing
	// together (a screen's and the home status's) would race.
	ui sync.Mutex
	// inline runs op and done on the caller's goroutine, for widget tests
	// that trigger work through a widget (a Select's OnChanged) and must
	// not race its own refresh afterwards.
	inline bool
}

// NewRunner returns a runner whose progress overlay covers win.
func NewRunner(win fyne.Window) *Runner { return &Runner{win: win} }

// Run shows label with a progress bar, runs op on its own goroutine, then
// hides the overlay and calls done(err) on the UI goroutine. If
// cancellable, a 取消 button cancels op's context.
func (r *Runner) Run(label string, cancellable bool, op func(ctx context.Context) error, done func(err error)) {
	ctx, cancel := context.WithCancel(context.Background())
	bar := widget.NewProgressBarInfinite()
	items := []fyne.CanvasObject{widget.NewLabelWithStyle(label, fyne.TextAlignCenter, fyne.TextStyle{Bold: true}), bar}
	if cancellable {
		items = append(items, widget.NewButton("取消", cancel))
	}
	overlay := widget.NewModalPopUp(container.NewPadded(container.NewVBox(items...)), r.win.Canvas())
	overlay.Resize(fyne.NewSize(480, overlay.MinSize().Height))
	overlay.Show()
	if r.inline {
		err := op(ctx)
		cancel()
		bar.Stop()
		overlay.Hide()
		done(err)
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		err := op(ctx)
		cancel()
		fyne.Do(func() {
			r.ui.Lock()
			defer r.ui.Unlock()
			bar.Stop()
			overlay.Hide()
			done(err)
		})
	}()
}

// Background runs op on its own goroutine without an overlay, for quick
// work the screen starts by itself (searching as the clerk types), then
// calls done(err) on the UI goroutine.
func (r *Runner) Background(op func(ctx context.Context) error, done func(err error)) {
	if r.inline {
		done(op(context.Background()))
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		err := op(context.Background())
		fyne.Do(func() {
			r.ui.Lock()
			defer r.ui.Unlock()
			done(err)
		})
	}()
}

// Wait blocks until every operation started so far has finished and its
// done callback has run. Tests use it; the screens never call it.
func (r *Runner) Wait() { r.wg.Wait() }
