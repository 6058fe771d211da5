package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

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

	a := fyneapp.NewWithID(appID)
	a.Settings().SetTheme(ui.NewTheme(font.Path, font.Data))
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	w := a.NewWindow(ui.WindowTitle)
	ui.NewShell(w, placeholderStaff{})
	w.Resize(ui.WindowSize)
	w.ShowAndRun()
	return nil
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

// placeholderStaff signs in the demo accounts until the staff store is in.
type placeholderStaff struct{}

func (placeholderStaff) SignIn(_ context.Context, id, password string) (ui.StaffMember, error) {
	if password == "madoguchi-demo" {
		switch id {
		case "clerk01":
			return ui.StaffMember{ID: id, Name: "窓口 一郎", Role: ui.RoleClerk}, nil
		case "super01":
			return ui.StaffMember{ID: id, Name: "監督 花子", Role: ui.RoleSupervisor}, nil
		}
	}
	return ui.StaffMember{}, errors.New("unknown staff or wrong password")
}
