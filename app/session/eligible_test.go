package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"madoguchi/app/registry"
	"madoguchi/forms"
)

func TestAge(t *testing.T) {
	d := func(y int, m, day int) forms.Date { return forms.Date{Year: y, Month: time.Month(m), Day: day} }
	for _, c := range []struct {
		birth, on forms.Date
		want      int
	}{
		{d(2010, 5, 10), d(2025, 5, 9), 14},
		{d(2010, 5, 10), d(2025, 5, 10), 15},
		{d(2010, 5, 10), d(2025, 12, 31), 15},
		{d(2008, 2, 29), d(2023, 2, 28), 14}, // a 29 February birthday comes on 1 March in a common year
		{d(2008, 2, 29), d(2023, 3, 1), 15},
		{d(2008, 2, 29), d(2024, 2, 29), 16},
		{d(2025, 1, 1), d(2024, 1, 1), 0}, // born after the date
		{d(2024, 6, 1), d(2025, 6, 1), 1},
	} {
		if got := Age(c.birth, c.on); got != c.want {
			t.Errorf("Age(%s, %s) = %d, want %d", c.birth, c.on, got, c.want)
		}
	}
}

// TestEligibility: each refusal happens when the resident is selected, with
// a Japanese reason, and no session is recorded for it.
func TestEligibility(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	reg := registry.New(e.db)
	today := forms.Today()
	birthAged := func(years, days int) forms.Date {
		return forms.DateOf(today.Time().AddDate(-years, 0, days))
	}
	put := func(code string, birth forms.Date, status registry.Status, ward bool) string {
		r := registry.Resident{Code: code, FamilyName: "試験", GivenName: "太郎", FamilyKana: "しけん", GivenKana: "たろう",
			Birth: birth, Sex: forms.SexMale, Address: "東京都千代田区本町一丁目１番１号", Status: status, AdultWard: ward}
		if status != registry.StatusResident {
			r.StatusChangedOn = today
		}
		if err := reg.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, _ := reg.Get(ctx, code)
		if got.AdultWard != ward {
			t.Fatalf("AdultWard %v stored as %v", ward, got.AdultWard)
		}
		return code
	}
	const ok = ""
	one := put("90000000001", birthAged(1, 0), registry.StatusResident, false)
	fourteen := put("90000000002", birthAged(15, 1), registry.StatusResident, false) // 15 tomorrow
	fifteen := put("90000000003", birthAged(15, 0), registry.StatusResident, false)  // 15 today
	ward := put("90000000004", birthAged(40, 0), registry.StatusResident, true)
	dead := put("90000000005", birthAged(70, 0), registry.StatusDeceased, false)
	erased := put("90000000006", birthAged(30, 0), registry.StatusErased, false)
	holder := e.issue(yamada, newFakeCard()).ResidentCode

	for _, c := range []struct {
		name, code string
		kind       forms.ApplicationKind
		want       string // "" to pass, else a fragment of the Japanese reason
	}{
		{"aged 1, new", one, forms.KindNew, "15歳未満"},
		{"day before the 15th birthday", fourteen, forms.KindNew, "14歳"},
		{"15th birthday", fifteen, forms.KindNew, ok},
		{"adult ward, new", ward, forms.KindNew, "成年被後見人"},
		{"moved out, new", movedOut, forms.KindNew, "転出"},
		{"deceased, revocation", dead, forms.KindRevocation, "死亡"},
		{"erased, PIN reset", erased, forms.KindPINReset, "消除"},
		{"renewal without certificate", fifteen, forms.KindRenewal, "有効な署名用電子証明書がない"},
		{"revocation without certificate", takahashi, forms.KindRevocation, "失効の手続はできません"},
		{"PIN reset without certificate", takahashi, forms.KindPINReset, "暗証番号初期化の手続はできません"},
		{"renewal with certificate", holder, forms.KindRenewal, ok},
		{"revocation with certificate", holder, forms.KindRevocation, ok},
		{"new, of age", takahashi, forms.KindNew, ok},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := e.m.Eligible(ctx, c.code, c.kind, today)
			var ie *IneligibleError
			if c.want == ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.As(err, &ie) || !strings.Contains(ie.UserMessage(), c.want) {
				t.Fatalf("Eligible = %v; want a refusal saying %q", err, c.want)
			}
			// Start refuses too, before anything is recorded.
			var before, after int
			e.db.QueryRowContext(ctx, "SELECT count(*) FROM sessions").Scan(&before)
			if s, err := e.m.Start(ctx, "clerk01", c.code, e.app(c.code, c.kind)); !errors.As(err, &ie) || s != nil {
				t.Fatalf("Start = %v, %v", s, err)
			}
			e.db.QueryRowContext(ctx, "SELECT count(*) FROM sessions").Scan(&after)
			if after != before {
				t.Fatalf("sessions %d → %d for a refused resident", before, after)
			}
		})
	}

	// Without a date, the day is the Manager's clock in JST: 15:30 UTC on
	// the day before the 15th birthday is already the birthday in Japan.
	birthday := forms.DateOf(today.Time().AddDate(-20, 0, 0))
	born := put("90000000007", birthday, registry.StatusResident, false)
	eve := time.Date(today.Year-5, today.Month, today.Day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{eve.Add(14 * time.Hour), false}, // 23:00 JST the day before
		{eve.Add(15*time.Hour + 30*time.Minute), true},
	} {
		e.m.Now = func() time.Time { return c.at }
		if err := e.m.Eligible(ctx, born, forms.KindNew, forms.Date{}); (err == nil) != c.want {
			t.Errorf("at %s: Eligible = %v, want eligible %v", c.at, err, c.want)
		}
	}
	e.m.Now = nil

	// The minimum age is a setting.
	e.m.MinAge = 1
	if err := e.m.Eligible(ctx, one, forms.KindNew, today); err != nil {
		t.Errorf("min age 1: %v", err)
	}
}
