package app

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"madoguchi/app/config"
	"madoguchi/app/prefecture/refca"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/staff"
	"madoguchi/forms"
)

// TestConfiguredTerminal runs a terminal the way a deployment does: the
// reference CA made by `madoguchi refca setup` and served on loopback TLS,
// the app started from the configuration file that set-up wrote (EST with
// the terminal's RA certificate, the pinned root, the master secret), the
// first supervisor added with AddStaff, a registry imported from CSV, and
// one issuance on the emulated card.
func TestConfiguredTerminal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	var out bytes.Buffer
	if err := refca.Command(ctx, []string{"setup", "-dir", dir, "-addr", addr, "-reader", "emulated"}, &out, &out); err != nil {
		t.Fatalf("refca setup: %v\n%s", err, out.String())
	}
	ca, err := refca.Open(ctx, dir, refca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close()
	srv, err := ca.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()

	cfg, err := config.Load(filepath.Join(dir, refca.FileAppConfig))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Demo || cfg.CA.Mode != config.CAEST {
		t.Fatalf("set-up wrote %+v", cfg)
	}
	if st, err := os.Stat(cfg.MasterSecretFile); err != nil || !ownerOnly(t, cfg.MasterSecretFile, st) || st.Size() < 32 {
		t.Fatalf("master secret: %v %v", st, err)
	}

	// No demo accounts on a configured terminal: the first supervisor is
	// added from the command line, and a weak password is refused.
	sup := staff.Account{ID: "kanri01", DisplayName: "管理 一郎", Role: staff.RoleSupervisor}
	if err := AddStaff(ctx, cfg, sup, []byte("short")); err == nil {
		t.Fatal("weak password accepted")
	}
	if err := AddStaff(ctx, cfg, sup, []byte("correct horse battery")); err != nil {
		t.Fatal(err)
	}
	c, err := Open(ctx, cfg, Options{StaffParams: &fastStaff})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.SignIn(ctx, staff.DemoClerk, []byte(staff.DemoPassword)); err == nil {
		t.Fatal("demo account exists on a configured terminal")
	}
	d, err := c.SignIn(ctx, "kanri01", []byte("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	const csv = "住民コード,氏,名,氏（フリガナ）,名（フリガナ）,生年月日,性別,住所,状態,異動日\n" +
		"12345678903,髙橋,花子,タカハシ,ハナコ,昭和37年6月17日,女,東京都窓口市本町一丁目２番３号,住民,\n"
	if _, err := d.ImportRegistry(ctx, strings.NewReader(csv), registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}

	if _, err := c.InsertBlankCard(); err != nil {
		t.Fatal(err)
	}
	a, err := d.Prefill(ctx, "12345678903", forms.KindNew)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Start(ctx, "12345678903", a)
	if err != nil {
		t.Fatal(err)
	}
	if err := drive(ctx, d, s.ID); err != nil {
		t.Fatal(err)
	}
	s, _ = d.Session(ctx, s.ID)
	if s.CertSerial == "" || s.Outcome != "completed" {
		t.Fatalf("session %+v", s)
	}
	// The prefecture CA holds the certificate it issued over EST.
	serial, err := records.ParseSerial(s.CertSerial)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ca.CertificateStatus(ctx, serial)
	if err != nil {
		t.Fatalf("CA does not know serial %s: %v", s.CertSerial, err)
	}
	if st.Revoked || st.Municipality != "999999" || st.Serial.Cmp(serial) != 0 {
		t.Fatalf("CA status %+v", st)
	}
}
