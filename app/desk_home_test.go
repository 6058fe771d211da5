package app

import (
	"context"
	"testing"
	"time"

	"madoguchi/app/registry"
	"madoguchi/app/session"
	"madoguchi/app/staff"
	"madoguchi/forms"
)

func TestTodayIsTheDayInJapan(t *testing.T) {
	c := openCounter(t, t.TempDir(), session.Hooks{})
	defer c.Close()
	d := signIn(t, c, staff.DemoClerk)
	tests := []struct {
		utc  string
		want string
	}{
		{"2026-12-01T14:59:59Z", "2026-12-01"}, // 23:59:59 JST
		{"2026-12-01T15:00:00Z", "2026-12-02"}, // 00:00 JST, still the 1st in UTC
		{"2026-12-31T15:00:00Z", "2027-01-01"},
	}
	for _, tt := range tests {
		now, _ := time.Parse(time.RFC3339, tt.utc)
		if got := d.Today(now).String(); got != tt.want {
			t.Errorf("Today(%s) = %s, want %s", tt.utc, got, tt.want)
		}
	}
	if name, off := time.Now().In(c.DayZone()).Zone(); off != 9*60*60 {
		t.Fatalf("day zone %s is UTC%+d", name, off/3600)
	}
}

// TestDayTallies: today's sessions are counted by procedure and outcome,
// the completed ones of the signed-in clerk apart, and tomorrow has none.
func TestDayTallies(t *testing.T) {
	ctx := context.Background()
	c := openCounter(t, t.TempDir(), session.Hooks{})
	defer c.Close()
	d := signIn(t, c, staff.DemoClerk)

	// One issuance completed, one abandoned, one left open.
	r := residentNeedingSubstitute(t, d)
	s, err := d.Start(ctx, r.Code, mustPrefill(t, d, r.Code, forms.KindNew))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertBlankCard(); err != nil {
		t.Fatal(err)
	}
	if err := drive(ctx, d, s.ID); err != nil {
		t.Fatal(err)
	}
	res, err := d.Search(ctx, registry.Query{Kana: "ka", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var started []string
	for _, o := range res.Residents {
		if len(started) == 2 {
			break
		}
		if o.Status != registry.StatusResident || o.Code == r.Code {
			continue
		}
		s, err := d.Start(ctx, o.Code, mustPrefill(t, d, o.Code, forms.KindNew))
		if err != nil {
			continue // not eligible (age, an open session …)
		}
		started = append(started, s.ID)
	}
	if len(started) != 2 {
		t.Fatalf("started %d sessions", len(started))
	}
	if err := d.Abandon(ctx, started[0], "テスト"); err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	day, tallies, err := d.DayTallies(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if day != d.Today(now) {
		t.Fatalf("day %v, want %v", day, d.Today(now))
	}
	want := DayTally{Kind: forms.KindNew, Completed: 1, Open: 1, Abandoned: 1, Mine: 1}
	if len(tallies) != 4 || tallies[0] != want {
		t.Fatalf("tallies %+v, want first %+v", tallies, want)
	}
	for _, tl := range tallies[1:] {
		if tl.Total() != 0 {
			t.Fatalf("%v counted: %+v", tl.Kind, tl)
		}
	}
	if tallies[0].Total() != 3 {
		t.Fatalf("total %d", tallies[0].Total())
	}

	// The supervisor sees the counter's counts, none of them theirs.
	sup := signIn(t, c, staff.DemoSupervisor)
	if _, tallies, err := sup.DayTallies(ctx, now); err != nil || tallies[0].Completed != 1 || tallies[0].Mine != 0 {
		t.Fatalf("supervisor: %+v %v", tallies, err)
	}
	if _, tallies, err := d.DayTallies(ctx, now.Add(24*time.Hour)); err != nil || tallies[0].Total() != 0 {
		t.Fatalf("tomorrow: %+v %v", tallies, err)
	}
}

func TestReaderState(t *testing.T) {
	ctx := context.Background()
	c := openCounter(t, t.TempDir(), session.Hooks{})
	defer c.Close()
	d := signIn(t, c, staff.DemoClerk)
	st, err := d.ReaderState(ctx)
	if err != nil || st != ReaderEmpty {
		t.Fatalf("empty reader: %v %v", st, err)
	}
	if _, err := c.InsertBlankCard(); err != nil {
		t.Fatal(err)
	}
	if st, err := d.ReaderState(ctx); err != nil || st != ReaderCard {
		t.Fatalf("card in the reader: %v %v", st, err)
	}
	for _, s := range []ReaderState{ReaderMissing, ReaderEmpty, ReaderCard} {
		if s.Label() == "" {
			t.Errorf("state %d has no label", s)
		}
	}
}
