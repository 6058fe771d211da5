package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"madoguchi/app/notice"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/forms"
	"madoguchi/forms/printing"
)

// Done-when of issue 14: a supervisor imports a registry file in which a
// certificate holder has died and, with no other action by anyone, the CA
// has revoked that certificate and the notice shows as sent. The embedded
// default: emulated card, reference CA over real loopback TLS.
func TestHolderDiesCertificateRevokedByItself(t *testing.T) {
	ctx := context.Background()
	c := openCounter(t, t.TempDir(), session.Hooks{})
	defer c.Close()
	clerk := signIn(t, c, staff.DemoClerk)
	r := residentNeedingSubstitute(t, clerk)
	s, err := clerk.Start(ctx, r.Code, mustPrefill(t, clerk, r.Code, forms.KindNew))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertBlankCard(); err != nil {
		t.Fatal(err)
	}
	if err := drive(ctx, clerk, s.ID); err != nil {
		t.Fatal(err)
	}
	s, _ = clerk.Session(ctx, s.ID)
	serial, err := records.ParseSerial(s.CertSerial)
	if err != nil {
		t.Fatal(err)
	}

	sup := signIn(t, c, staff.DemoSupervisor)
	file := "住民コード,異動事由,異動日\n" + r.Code + ",死亡,2026-11-30\n"
	if _, err := clerk.ImportRegistry(ctx, strings.NewReader(file), registry.ImportOptions{DryRun: true}); err == nil {
		t.Error("a clerk checked a registry file")
	}
	check, err := sup.ImportRegistry(ctx, strings.NewReader(file), registry.ImportOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(check.Notices) != 1 || check.Notices[0].Serial != s.CertSerial || check.Notices[0].Cause != "死亡" {
		t.Fatalf("check step lists %+v", check.Notices)
	}
	if _, err := sup.ImportRegistry(ctx, strings.NewReader(file), registry.ImportOptions{CheckedSHA256: check.SHA256}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var sent []notice.Notice
	for {
		sent, err = sup.Notices(ctx, notice.Sent, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(sent) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(sent) != 1 || sent[0].Serial != s.CertSerial {
		t.Fatalf("sent notices %+v", sent)
	}
	st, err := c.CA().CA.CertificateStatus(ctx, serial)
	if err != nil || !st.Revoked || st.Reason.String() != "death" {
		t.Errorf("CA status %+v, %v", st, err)
	}
	certs, err := sup.Certificates(ctx, records.CertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cert := range certs {
		if cert.Serial == s.CertSerial && (cert.Status != records.CertRevoked || cert.RevokeReason != "death") {
			t.Errorf("record %+v", cert)
		}
	}
	counts, err := sup.NoticeCounts(ctx, forms.Today())
	if err != nil || counts.Sent != 1 || counts.Total() != 1 {
		t.Errorf("NoticeCounts = %+v, %v", counts, err)
	}
	// The 日計表 counts it.
	sum, err := sup.DailySummary(ctx, forms.Today(), "")
	if err != nil || sum.Notices == nil || *sum.Notices != (printing.NoticeCount{Sent: 1}) {
		t.Errorf("daily summary notices = %+v, %v", sum.Notices, err)
	}
	if _, err := clerk.Notices(ctx, "", 0); err == nil {
		t.Error("a clerk listed the notices")
	}
}
