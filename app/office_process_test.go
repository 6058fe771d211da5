package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/config"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/app/store/storetest"
	"madoguchi/forms"
	"madoguchi/forms/printing"
)

// Environment of the counter processes of TestOfficeProcesses.
const (
	envOfficeURL      = "MADOGUCHI_TEST_OFFICE_URL"      // the office database
	envOfficeDir      = "MADOGUCHI_TEST_OFFICE_DIR"      // the counter's own data folder
	envOfficeTerminal = "MADOGUCHI_TEST_OFFICE_TERMINAL" // its terminal name
	envOfficeCodes    = "MADOGUCHI_TEST_OFFICE_CODES"    // residents to issue to, comma-separated
)

// officeConfig is the embedded default in dir, on the office database.
func officeConfig(dir, url, terminal string) config.Config {
	cfg := demoConfig(dir)
	cfg.Database = config.Database{URL: url, Terminal: terminal}
	return cfg
}

// officeChild is one counter process: it issues a certificate to each of
// its residents on an emulated card and exits 0.
func officeChild() int {
	ctx := context.Background()
	cfg := officeConfig(os.Getenv(envOfficeDir), os.Getenv(envOfficeURL), os.Getenv(envOfficeTerminal))
	c, err := Open(ctx, cfg, Options{DemoResidents: 300, StaffParams: &fastStaff})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	d, err := c.SignIn(ctx, staff.DemoClerk, []byte(staff.DemoPassword))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i, code := range strings.Split(os.Getenv(envOfficeCodes), ",") {
		if i > 0 {
			if _, err := c.RemoveCard(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		if _, err := c.InsertBlankCard(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		a, err := d.Prefill(ctx, code, forms.KindNew)
		if err != nil {
			fmt.Fprintln(os.Stderr, code, err)
			return 1
		}
		s, err := d.Start(ctx, code, a)
		if err == nil {
			err = drive(ctx, d, s.ID)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, code, err)
			return 1
		}
	}
	return 0
}

// Done-when of the office database: two counter processes and a
// supervisor share one PostgreSQL, the counters issue at the same time,
// and the supervisor's 交付記録簿 covers both counters with the audit
// chain verified.
func TestOfficeProcesses(t *testing.T) {
	pg, ok := storetest.Postgres(t)
	if !ok {
		t.Skip("no PostgreSQL (MADOGUCHI_TEST_PG_URL)")
	}
	ctx := context.Background()
	url := pg.Target(t)
	root := t.TempDir()

	// The supervisor's terminal opens first: it creates the schema and the
	// demo registry and staff the counters then find there.
	sup, err := Open(ctx, officeConfig(filepath.Join(root, "supervisor"), url, "supervisor"), Options{DemoResidents: 300, StaffParams: &fastStaff})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Close()
	clerk := signIn(t, sup, staff.DemoClerk)
	var codes []string
	for r := range registry.Demo(registry.DemoOptions{Seed: DemoSeed, Count: 300, Prefecture: sup.cfg.Prefecture, Municipality: sup.cfg.Municipality}) {
		if len(codes) == 6 {
			break
		}
		if clerk.Eligible(ctx, r.Code, forms.KindNew) != nil {
			continue
		}
		if a, err := clerk.Prefill(ctx, r.Code, forms.KindNew); err != nil || a.Validate() != nil {
			continue
		}
		codes = append(codes, r.Code)
	}
	if len(codes) != 6 {
		t.Fatalf("only %d eligible demo residents", len(codes))
	}

	start := time.Now().Add(-time.Minute)
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i, term := range []string{"counter-1", "counter-2"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envOfficeURL+"="+url, envOfficeDir+"="+filepath.Join(root, term),
			envOfficeTerminal+"="+term, envOfficeCodes+"="+strings.Join(codes[i*3:i*3+3], ","))
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("counter-%d: %v\n%s", i+1, err, outs[i])
		}
	}

	d := signIn(t, sup, staff.DemoSupervisor)
	book, err := d.RecordBook(ctx, start, time.Now().Add(time.Minute), "本庁舎 市民課")
	if err != nil {
		t.Fatal(err)
	}
	if !book.Audit.OK {
		t.Fatalf("audit check on the record book: %s", book.Audit.Detail)
	}
	issued := map[string]bool{}
	for _, r := range book.Rows {
		if r.Result == "交付" {
			issued[r.ResidentCode] = true
		}
	}
	for _, code := range codes {
		if !issued[code] {
			t.Errorf("record book lacks the issuance to %s: %+v", code, book.Rows)
		}
	}
	recs, err := d.Records(ctx, records.Filter{From: start})
	if err != nil {
		t.Fatal(err)
	}
	perTerminal := map[string]int{}
	for _, r := range recs {
		perTerminal[r.Terminal]++
	}
	if perTerminal["counter-1"] != 3 || perTerminal["counter-2"] != 3 {
		t.Errorf("sessions per terminal: %v", perTerminal)
	}
	rep, err := d.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	terms := map[string]bool{}
	es, _ := d.Audit(ctx, audit.Filter{Limit: 100000})
	for _, e := range es {
		terms[e.Terminal] = true
	}
	if !terms["counter-1"] || !terms["counter-2"] || !terms["supervisor"] {
		t.Errorf("audit rows name terminals %v", terms)
	}
	font, err := printing.LoadFont("")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Japanese font in CI: %v", err)
		}
		t.Logf("record book not rendered (no font): %v", err)
		return
	}
	var pdf bytes.Buffer
	if _, err := printing.WriteRecordBook(&pdf, font, book); err != nil || !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF")) {
		t.Fatalf("record book PDF: %v", err)
	}
	t.Logf("交付記録簿: %d rows over both counters, audit %d rows verified, %d bytes of PDF", len(book.Rows), rep.Rows, pdf.Len())
}

// A session held by a counter that broke down: another counter's clerk
// sees it in use with the holder's name, a clerk cannot take it over, a
// supervisor can, and the clerk then finishes it there.
func TestOfficeTakeOver(t *testing.T) {
	pg, ok := storetest.Postgres(t)
	if !ok {
		t.Skip("no PostgreSQL (MADOGUCHI_TEST_PG_URL)")
	}
	ctx := context.Background()
	url := pg.Target(t)
	root := t.TempDir()
	a, err := Open(ctx, officeConfig(filepath.Join(root, "a"), url, "counter-a"), Options{DemoResidents: 300, StaffParams: &fastStaff})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, officeConfig(filepath.Join(root, "b"), url, "counter-b"), Options{DemoResidents: 300, StaffParams: &fastStaff})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.Terminal() != "counter-a" || b.Terminal() != "counter-b" {
		t.Fatalf("terminals %q %q", a.Terminal(), b.Terminal())
	}
	da := signIn(t, a, staff.DemoClerk)
	r, err := findSubstituteResident(ctx, da)
	if err != nil {
		t.Fatal(err)
	}
	app, err := da.Prefill(ctx, r.Code, forms.KindNew)
	if err != nil {
		t.Fatal(err)
	}
	s, err := da.Start(ctx, r.Code, app)
	if err != nil {
		t.Fatal(err)
	}
	db := signIn(t, b, staff.DemoClerk)
	_, err = db.CheckIdentity(ctx, s.ID, license)
	var inUse *session.InUseError
	if !errors.As(err, &inUse) || !strings.Contains(inUse.UserMessage(), "counter-a") {
		t.Fatalf("step at the other counter: %v", err)
	}
	if _, err := db.TakeOverSession(ctx, s.ID); err == nil {
		t.Fatal("a clerk took the session over")
	}
	sup := signIn(t, b, staff.DemoSupervisor)
	if _, err := sup.TakeOverSession(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.InsertBlankCard(); err != nil {
		t.Fatal(err)
	}
	if err := drive(ctx, db, s.ID); err != nil {
		t.Fatal(err)
	}
	// Counter a now sees it finished.
	got, err := da.Session(ctx, s.ID)
	if err != nil || got.State != session.Delivered {
		t.Fatalf("at counter a: %v %v", got, err)
	}
}
