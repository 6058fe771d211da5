package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"

	"madoguchi/app"
	"madoguchi/app/config"
)

// runStaffAdmin is `madoguchi staff unlock|reset|disable|enable -config
// FILE ID` (the ID may also come first): a supervisor's account actions
// from the command line, audited under "cli:<OS user>". reset prints the
// temporary password on stdout.
func runStaffAdmin(op string, args []string, stdout io.Writer) error {
	usage := fmt.Errorf("usage: madoguchi staff %s -config FILE ID", op)
	var id string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		id, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("staff "+op, flag.ContinueOnError)
	configPath := fs.String("config", "", "the terminal's configuration file (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	} else if fs.NArg() != 0 || id == "" {
		return usage
	}
	if *configPath == "" {
		return errors.New("-config is required")
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	tmp, err := app.AdminStaff(context.Background(), cfg, op, id, cliActor())
	if err != nil {
		var um interface{ UserMessage() string }
		if errors.As(err, &um) {
			fmt.Fprintln(os.Stderr, um.UserMessage())
		}
		return err
	}
	switch op {
	case app.StaffReset:
		fmt.Fprintf(stdout, "staff account %s: temporary password %s (to be changed at the next sign-in; lock-out lifted)\n", id, tmp)
	case app.StaffUnlock:
		fmt.Fprintf(stdout, "staff account %s unlocked\n", id)
	case app.StaffDisable:
		fmt.Fprintf(stdout, "staff account %s disabled\n", id)
	case app.StaffEnable:
		fmt.Fprintf(stdout, "staff account %s enabled\n", id)
	}
	return nil
}

// cliActor names who acts from the command line in the audit trail.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return "cli:" + name
	}
	return "cli"
}
