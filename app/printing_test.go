package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/forms"
	"madoguchi/forms/printing"
)

// The printing helpers give the printing package what it needs, and the
// documents render.
func TestPrintedDocuments(t *testing.T) {
	ctx := context.Background()
	c := openCounter(t, t.TempDir(), session.Hooks{})
	defer c.Close()
	d := signIn(t, c, staff.DemoClerk)
	r := residentNeedingSubstitute(t, d)
	c.InsertBlankCard()
	s, err := d.Start(ctx, r.Code, mustPrefill(t, d, r.Code, forms.KindNew))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Receipt(ctx, s.ID, "本庁舎"); !errors.Is(err, ErrNotDelivered) {
		t.Errorf("receipt before delivery: %v", err)
	}
	if err := drive(ctx, d, s.ID); err != nil {
		t.Fatal(err)
	}
	rc, err := d.Receipt(ctx, s.ID, "本庁舎 市民課")
	if err != nil || rc.Serial == "" || rc.Name != r.Name() || rc.Kind != "新規発行" || rc.Municipality != c.Config().Municipality || !rc.NotAfter.After(rc.NotBefore) {
		t.Fatalf("receipt %+v %v", rc, err)
	}
	if _, err := d.RecordBook(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "x"); !errors.As(err, new(*staff.ForbiddenError)) {
		t.Errorf("clerk printed the record book: %v", err)
	}
	// The machine is in UTC (TestMain); the municipality works in JST.
	zone := c.Config().Location().String()
	if zone != "Asia/Tokyo" || rc.IssuedAt.Location().String() != zone || !strings.Contains(rc.Clerk, "（"+staff.DemoClerk+"）") {
		t.Errorf("receipt in zone %v (config %s), clerk %q", rc.IssuedAt.Location(), zone, rc.Clerk)
	}
	sup := signIn(t, c, staff.DemoSupervisor)
	book, err := sup.RecordBook(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "本庁舎 市民課")
	if err != nil || len(book.Rows) != 1 || book.Rows[0].Result != "交付" || book.Rows[0].Serial != rc.Serial || !book.Audit.OK {
		t.Fatalf("record book %+v %v", book, err)
	}
	supName := sup.Account().DisplayName + "（" + staff.DemoSupervisor + "）"
	clerkName := d.Account().DisplayName + "（" + staff.DemoClerk + "）"
	if book.PrintedBy != supName || book.Rows[0].Clerk != clerkName || book.Rows[0].Status != "交付" ||
		book.Rows[0].Time.Location().String() != zone || book.PrintedAt.Location().String() != zone || book.Head.Seq == 0 || len(book.Head.Hash) != 32 {
		t.Errorf("record book: printed by %q, row %+v, printed at %v, head %d %x", book.PrintedBy, book.Rows[0], book.PrintedAt, book.Head.Seq, book.Head.Hash)
	}
	today := forms.DateOf(time.Now().In(c.Config().Location()))
	sum, err := sup.DailySummary(ctx, today, "本庁舎 市民課")
	if err != nil || len(sum.Counts) != 1 || sum.Counts[0] != (printing.Count{Clerk: clerkName, Kind: "新規発行", Result: "交付", N: 1}) {
		t.Fatalf("daily summary %+v %v", sum, err)
	}
	if sum.Date.Location().String() != zone || forms.DateOf(sum.Date) != today || sum.Head.Seq < book.Head.Seq || sum.PrintedBy != supName {
		t.Errorf("daily summary of %v, head %d, printed by %q", sum.Date, sum.Head.Seq, sum.PrintedBy)
	}

	font, err := printing.LoadFont("")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no Japanese font in CI: %v", err)
		}
		t.Skipf("no Japanese font to render with (install fonts-ipaexfont-gothic): %v", err)
	}
	for name, render := range map[string]func(*bytes.Buffer) (printing.Result, error){
		"receipt":     func(b *bytes.Buffer) (printing.Result, error) { return printing.WriteReceipt(b, font, rc) },
		"record book": func(b *bytes.Buffer) (printing.Result, error) { return printing.WriteRecordBook(b, font, book) },
		"summary":     func(b *bytes.Buffer) (printing.Result, error) { return printing.WriteDailySummary(b, font, sum) },
	} {
		var b bytes.Buffer
		if _, err := render(&b); err != nil || !bytes.HasPrefix(b.Bytes(), []byte("%PDF")) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
