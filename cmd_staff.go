package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"golang.org/x/term"

	"madoguchi/app"
	"madoguchi/app/config"
	"madoguchi/app/staff"
)

// `madoguchi staff add` creates a staff account in a configured terminal's
// database: how a real deployment gets its supervisors and clerks (the
// embedded demo has its own accounts).
func init() {
	register("staff", "staff accounts of a configured terminal: add, unlock, reset, disable, enable", runStaff)
}

func runStaff(args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case app.StaffUnlock, app.StaffReset, app.StaffDisable, app.StaffEnable:
			return runStaffAdmin(args[0], args[1:], os.Stdout)
		}
	}
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: madoguchi staff add -config FILE -id ID -name NAME -role clerk|supervisor (password on standard input)\n" +
			"       madoguchi staff unlock|reset|disable|enable -config FILE ID")
	}
	fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
	configPath := fs.String("config", "", "the terminal's configuration file (required)")
	id := fs.String("id", "", "sign-in ID, e.g. super01")
	name := fs.String("name", "", "name shown on screens and records")
	role := fs.String("role", string(staff.RoleClerk), "clerk or supervisor")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *configPath == "" {
		return errors.New("-config is required: the embedded demo has its own accounts")
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	password, err := readNewPassword()
	if err != nil {
		return err
	}
	defer clear(password)
	acct := staff.Account{ID: *id, DisplayName: *name, Role: staff.Role(*role)}
	if err := app.AddStaff(context.Background(), cfg, acct, password); err != nil {
		var um interface{ UserMessage() string }
		if errors.As(err, &um) {
			fmt.Fprintln(os.Stderr, um.UserMessage())
		}
		return err
	}
	fmt.Printf("staff account %s (%s) created\n", *id, *role)
	return nil
}

// readNewPassword asks twice on a terminal (without echo), or reads one
// line from a pipe.
func readNewPassword() ([]byte, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(os.Stdin).ReadBytes('\n')
		if err != nil && len(line) == 0 {
			return nil, fmt.Errorf("reading the password from standard input: %w", err)
		}
		return bytes.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprint(os.Stderr, "password: ")
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return nil, err
	}
	fmt.Fprint(os.Stderr, "again: ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	defer clear(second)
	if err != nil {
		clear(first)
		return nil, err
	}
	if !bytes.Equal(first, second) {
		clear(first)
		return nil, errors.New("the two passwords differ")
	}
	return first, nil
}
