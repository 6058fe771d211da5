package ui

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestWindowSizeFitsSmallScreens(t *testing.T) {
	// A 768-pixel screen less a taskbar (40) and a title bar (about 40).
	for _, screen := range []fyne.Size{fyne.NewSize(1366, 768), fyne.NewSize(1024, 768)} {
		if WindowSize.Width > screen.Width || WindowSize.Height > screen.Height-80 {
			t.Errorf("default window %v does not fit a %v screen with a taskbar", WindowSize, screen)
		}
	}
}

func TestRememberedWindowSize(t *testing.T) {
	tests := []struct {
		name   string
		saved  *fyne.Size
		want   fyne.Size
		stored bool
	}{
		{"first start", nil, WindowSize, false},
		{"left larger", &fyne.Size{Width: 1280, Height: 720}, fyne.NewSize(1280, 720), true},
		{"too small to mean anything", &fyne.Size{Width: 120, Height: 40}, WindowSize, false},
		{"broken", &fyne.Size{Width: 1e9, Height: 700}, WindowSize, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := test.NewApp()
			defer a.Quit()
			p := a.Preferences()
			if tt.saved != nil {
				RememberWindowSize(p, *tt.saved)
				if stored := p.FloatWithFallback(prefWindowWidth, 0) != 0; stored != tt.stored {
					t.Fatalf("stored = %v, want %v", stored, tt.stored)
				}
			}
			if got := RememberedWindowSize(p); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSizeWindowRemembersOnClose: the size the window is closed at is the
// next start's.
func TestSizeWindowRemembersOnClose(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	w := a.NewWindow("t")
	SizeWindow(a, w)
	if got := w.Canvas().Size(); got != WindowSize {
		t.Fatalf("first size %v, want %v", got, WindowSize)
	}
	w.Resize(fyne.NewSize(1200, 700))
	closeRemembering(a.Preferences(), w)() // the close button
	if got := RememberedWindowSize(a.Preferences()); got != fyne.NewSize(1200, 700) {
		t.Fatalf("remembered %v", got)
	}
}

func TestCheckDisplay(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		goos    string
		getenv  func(string) string
		wantErr bool
	}{
		{"linux", env(), true},
		{"linux", env("DISPLAY", ":0"), false},
		{"linux", env("WAYLAND_DISPLAY", "wayland-0"), false},
		{"freebsd", env(), true},
		{"windows", env(), false},
		{"darwin", env(), false},
	}
	for _, tt := range tests {
		err := CheckDisplay(tt.goos, tt.getenv)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err %v, want error %v", tt.goos, err, tt.wantErr)
		}
		var de *DisplayError
		if err != nil && (!errors.As(err, &de) || !strings.Contains(de.UserMessage(), "画面を開けません")) {
			t.Errorf("%s: %v has no Japanese message", tt.goos, err)
		}
	}
}

func TestRunWindowTurnsAPanicIntoAMessage(t *testing.T) {
	err := RunWindow(func() { panic("NotInitialized: The GLFW library is not initialized") })
	var de *DisplayError
	if !errors.As(err, &de) || !strings.Contains(de.UserMessage(), "画面に接続できませんでした") {
		t.Fatalf("err %v", err)
	}
	if err := RunWindow(func() {}); err != nil {
		t.Fatalf("a window that ran: %v", err)
	}
}
