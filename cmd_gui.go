package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"madoguchi/app"
	"madoguchi/app/config"
	"madoguchi/assets"
	"madoguchi/forms/jpfont"
	"madoguchi/ui"
)

// appID is the application's unique ID (also in FyneApp.toml).
const appID = "jp.madoguchi.counter"

func runGUI(args []string) error {
	fs := flag.NewFlagSet("madoguchi", flag.ContinueOnError)
	configPath := fs.String("config", "", "configuration file (default: the user config dir's madoguchi/config.toml, else the embedded demo)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	setLocale()
	// Without a display the graphics library would die with a panic in
	// English; say it in Japanese before anything is opened.
	if err := ui.CheckDisplayHere(os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, err.(*ui.DisplayError).UserMessage())
		return err
	}

	cfg, err := config.Resolve(*configPath)
	if err != nil {
		return err
	}
	font, err := jpfont.Find(cfg.FontPath)
	if err != nil {
		var nf *jpfont.NotFoundError
		if errors.As(err, &nf) {
			fmt.Fprintln(os.Stderr, nf.UserMessage())
		}
		return err
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	useMJFont(cfg.MJFontPath, font.Data, logger)
	counter, err := app.Open(context.Background(), cfg, app.Options{Logger: logger})
	if err != nil {
		var um interface{ UserMessage() string }
		if errors.As(err, &um) {
			fmt.Fprintln(os.Stderr, um.UserMessage())
		}
		return err
	}
	defer counter.Close()

	// A display that is set but cannot be opened makes the graphics
	// library panic: RunWindow turns that into a message.
	err = ui.RunWindow(func() {
		a := fyneapp.NewWithID(appID)
		a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
		a.Settings().SetTheme(ui.NewTheme(font.Path, font.Data))
		w := a.NewWindow(ui.WindowTitle)
		shell := ui.NewShell(w, counter)
		a.Lifecycle().SetOnStarted(func() {
			fyne.Do(shell.FocusFirst)
			// Start-up (font, registry, CA) leaves garbage behind; hand the
			// freed pages back so that the counter idles small.
			time.AfterFunc(2*time.Second, debug.FreeOSMemory)
		})
		ui.SizeWindow(a, w)
		w.ShowAndRun()
	})
	var de *ui.DisplayError
	if errors.As(err, &de) {
		fmt.Fprintln(os.Stderr, de.UserMessage())
	}
	return err
}

// setLocale gives Fyne a Japanese UTF-8 locale when the environment has
// none (LANG=C in services and CI), so it does not log a locale error.
func setLocale() {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" && l != "C" && l != "POSIX" && !strings.HasPrefix(l, "C.") {
			return
		}
	}
	os.Unsetenv("LC_ALL")
	os.Unsetenv("LC_MESSAGES")
	os.Setenv("LANG", "ja_JP.UTF-8")
}
