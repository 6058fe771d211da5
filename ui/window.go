package ui

import (
	"fmt"
	"runtime"

	"fyne.io/fyne/v2"
)

// WindowSize is the main window's first size: it fits a 1366×768 or a
// 1024×768 screen with a taskbar and the window's title bar (about 90
// pixels), which the earlier 1100×760 did not.
var WindowSize = fyne.NewSize(1000, 680)

// Preference keys of the window size the user left the window at.
const (
	prefWindowWidth  = "window.width"
	prefWindowHeight = "window.height"
)

// Bounds of a remembered window size: smaller is unusable, larger is a
// broken preference rather than a screen.
var (
	minWindowSize = fyne.NewSize(800, 560)
	maxWindowSize = fyne.NewSize(7680, 4320)
)

// RememberedWindowSize is the size the user left the window at (Fyne's
// per-user preferences), or WindowSize the first time or when the saved
// size cannot be right.
func RememberedWindowSize(p fyne.Preferences) fyne.Size {
	w := float32(p.FloatWithFallback(prefWindowWidth, 0))
	h := float32(p.FloatWithFallback(prefWindowHeight, 0))
	if w < minWindowSize.Width || h < minWindowSize.Height || w > maxWindowSize.Width || h > maxWindowSize.Height {
		return WindowSize
	}
	return fyne.NewSize(w, h)
}

// RememberWindowSize saves size for RememberedWindowSize.
func RememberWindowSize(p fyne.Preferences, size fyne.Size) {
	if size.Width < minWindowSize.Width || size.Height < minWindowSize.Height {
		return // a minimised or half-built window says nothing
	}
	p.SetFloat(prefWindowWidth, float64(size.Width))
	p.SetFloat(prefWindowHeight, float64(size.Height))
}

// SizeWindow gives w the remembered size and saves its size when it is
// closed, so that the next start opens as the user left it.
func SizeWindow(a fyne.App, w fyne.Window) {
	p := a.Preferences()
	w.Resize(RememberedWindowSize(p))
	w.SetCloseIntercept(closeRemembering(p, w))
}

// closeRemembering is what the window's close button does: save the size,
// then close.
func closeRemembering(p fyne.Preferences, w fyne.Window) func() {
	return func() {
		RememberWindowSize(p, w.Canvas().Size())
		w.Close()
	}
}

// DisplayError is a window that cannot be opened: no display to open it
// on, or the graphics library failing to start.
type DisplayError struct {
	Reason string // English, for the log
}

func (e *DisplayError) Error() string { return "ui: cannot open the window: " + e.Reason }

// UserMessage says in Japanese what happened and what to do.
func (e *DisplayError) UserMessage() string {
	return "画面を開けません（" + e.Reason + "）。デスクトップにログインした状態で起動してください。" +
		"リモート接続やサービスから起動した場合は、画面（DISPLAY または WAYLAND_DISPLAY）を設定してください。"
}

// CheckDisplay reports a *DisplayError when the platform needs a display
// server and getenv shows none (Linux and the BSDs: DISPLAY for X11,
// WAYLAND_DISPLAY for Wayland). It runs before the graphics library
// starts, which would otherwise die with a panic in English.
func CheckDisplay(goos string, getenv func(string) string) error {
	switch goos {
	case "windows", "darwin", "android", "ios", "js", "wasip1":
		return nil
	}
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return &DisplayError{Reason: "DISPLAY も WAYLAND_DISPLAY も設定されていません"}
	}
	return nil
}

// RunWindow calls run (which shows the window and runs the event loop)
// and turns a panic of the graphics library into a *DisplayError, so the
// clerk reads why instead of a stack trace.
func RunWindow(run func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &DisplayError{Reason: fmt.Sprintf("画面に接続できませんでした: %v", r)}
		}
	}()
	run()
	return nil
}

// CheckDisplayHere is CheckDisplay for this machine.
func CheckDisplayHere(getenv func(string) string) error { return CheckDisplay(runtime.GOOS, getenv) }
