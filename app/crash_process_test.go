package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/records"
	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/cardio"
	"madoguchi/forms"
)

// Environment of the crashing child process of TestProcessCrash.
const (
	envCrashDir    = "MADOGUCHI_TEST_CRASH_DIR"    // the counter's data folder
	envCrashState  = "MADOGUCHI_TEST_CRASH_STATE"  // the state whose commit it dies at
	envCrashBefore = "MADOGUCHI_TEST_CRASH_BEFORE" // "1": before the commit, else after
)

// exitCrashed is the child's exit status when it died where it was told.
const exitCrashed = 3

func TestMain(m *testing.M) {
	// Tests run as on a machine in UTC, before any goroutine reads the
	// zone: the municipality's JST must not depend on the machine's.
	time.Local = time.UTC
	if os.Getenv(envOfficeURL) != "" {
		os.Exit(officeChild())
	}
	if dir := os.Getenv(envCrashDir); dir != "" {
		os.Exit(crashChild(dir, session.State(os.Getenv(envCrashState)), os.Getenv(envCrashBefore) == "1"))
	}
	os.Exit(m.Run())
}

// crashChild runs an issuance on the embedded default in dir and exits the
// process with os.Exit(exitCrashed) at the commit of state at. The
// embedded default has saved the emulated card's memory just before, as a
// real card keeps its memory when the PC dies.
func crashChild(dir string, at session.State, before bool) int {
	ctx := context.Background()
	hook := func(id string, to session.State) error {
		if to == at {
			os.Exit(exitCrashed)
		}
		return nil
	}
	hooks := session.Hooks{AfterCommit: hook}
	if before {
		hooks = session.Hooks{BeforeCommit: hook}
	}
	c, err := Open(ctx, demoConfig(dir), Options{DemoResidents: 300, StaffParams: &fastStaff, Hooks: hooks})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	if _, err := c.InsertBlankCard(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	d, err := c.SignIn(ctx, staff.DemoClerk, []byte(staff.DemoPassword))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r, err := findSubstituteResident(ctx, d)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	app, err := d.Prefill(ctx, r.Code, forms.KindNew)
	if err == nil {
		var s *session.Session
		if s, err = d.Start(ctx, r.Code, app); err == nil {
			err = drive(ctx, d, s.ID)
		}
	}
	fmt.Fprintln(os.Stderr, "the child did not crash:", err)
	return 1
}

// A real process dies (os.Exit) at the commit of each step; a new one
// opens the same files, finds the session and completes it, and the CA
// has issued exactly one certificate, which the card holds.
func TestProcessCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process per step; skipped with -short")
	}
	type point struct {
		at     session.State
		before bool
	}
	var points []point
	for _, st := range session.Path(forms.KindNew)[:7] { // up to Written
		points = append(points, point{st, false})
	}
	points = append(points, point{session.Issued, true}, point{session.Written, true})
	for _, p := range points {
		name := fmt.Sprintf("after-%s", p.at)
		if p.before {
			name = fmt.Sprintf("before-%s", p.at)
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			before := "0"
			if p.before {
				before = "1"
			}
			cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashState+"="+string(p.at), envCrashBefore+"="+before)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitCrashed {
				t.Fatalf("child: %v\n%s", err, stderr.String())
			}

			c := openCounter(t, dir, session.Hooks{})
			defer c.Close()
			emu := c.EmulatedReader().Card()
			if emu == nil {
				t.Fatal("the card is not back in the reader")
			}
			d := signIn(t, c, staff.DemoClerk)
			open, err := d.Interrupted(ctx)
			if err != nil || len(open) != 1 {
				t.Fatalf("Interrupted = %d, %v", len(open), err)
			}
			if err := drive(ctx, d, open[0].ID); err != nil {
				t.Fatalf("resume from %s: %v", open[0].State, err)
			}
			s, _ := d.Session(ctx, open[0].ID)
			issued, _ := c.CA().CA.IssuedCount(ctx)
			if s.State != session.Delivered || issued != 1 {
				t.Fatalf("state %s, CA issued %d", s.State, issued)
			}
			rec, _ := records.Get(ctx, c.db, s.CertSerial)
			if onCard, ok := emu.Object(cardio.SlotSignature.CertObject()); !ok || !bytes.Contains(onCard, rec.DER) {
				t.Error("the card does not hold the certificate")
			}
			if _, err := audit.Verify(ctx, c.db); err != nil {
				t.Error(err)
			}
			noSecrets(t, c)
		})
	}
}
