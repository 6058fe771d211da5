package records

import (
	"context"
	"crypto/x509"
	"database/sql"
	"testing"
	"time"

	"madoguchi/app/store"
	"madoguchi/forms"
)

func TestDayRangeIsTheMunicipalityDay(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	// 23:30 UTC on 1 December is 08:30 on 2 December in Tokyo.
	at := time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		day  forms.Date
		loc  *time.Location
		want bool
	}{
		{forms.Date{Year: 2026, Month: 12, Day: 2}, tokyo, true},
		{forms.Date{Year: 2026, Month: 12, Day: 1}, tokyo, false},
		{forms.Date{Year: 2026, Month: 12, Day: 1}, time.UTC, true},
		{forms.Date{Year: 2026, Month: 12, Day: 31}, tokyo, false},
	}
	for _, tt := range tests {
		from, to := DayRange(tt.day, tt.loc)
		in := !at.Before(from) && at.Before(to)
		if in != tt.want || to.Sub(from) != 24*time.Hour {
			t.Errorf("DayRange(%v, %v) = [%v, %v): contains %v = %v, want %v", tt.day, tt.loc, from, to, at, in, tt.want)
		}
	}
}

func TestCertStateAndRevocations(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, jst)
	at := func(h float64) time.Time { return day.Add(time.Duration(h * float64(time.Hour))) }
	tx := func(fn func(*sql.Tx) error) {
		t.Helper()
		if err := db.Tx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	issue := func(serial int64, resident, session string, h float64) string {
		c := NewCertificate(testCert(t, serial, at(h), at(h).AddDate(5, 0, 0)), []*x509.Certificate{}, resident, session, "clerk01", at(h))
		tx(func(tx *sql.Tx) error { return Insert(ctx, tx, c) })
		tx(func(tx *sql.Tx) error { return MarkDelivered(ctx, tx, c.Serial, at(h+0.1)) })
		return c.Serial
	}
	// 髙橋 is issued aa, then renews: bb replaces aa (revoked as superseded).
	addSession(t, db, "s1", "new", "22222222222", "clerk01", "completed", at(9), "aa")
	issue(0xaa, "22222222222", "s1", 9)
	addSession(t, db, "s2", "renewal", "22222222222", "clerk01", "completed", at(10), "bb")
	issue(0xbb, "22222222222", "s2", 10)
	tx(func(tx *sql.Tx) error { return MarkRevoked(ctx, tx, "aa", at(10.05), "superseded") })
	// 山田 is issued cc and revokes it at the counter.
	addSession(t, db, "s3", "new", "11111111111", "clerk02", "completed", at(11), "cc")
	issue(0xcc, "11111111111", "s3", 11)
	if _, err := db.Exec(`INSERT INTO sessions (id, kind, resident_code, clerk, state, outcome, created_at, updated_at, finished_at, target_serial)
		VALUES ('s4', 'revocation', '11111111111', 'clerk02', 'revoked', 'completed', ?, ?, ?, 'cc')`,
		store.FormatTime(at(12)), store.FormatTime(at(12)), store.FormatTime(at(12.1))); err != nil {
		t.Fatal(err)
	}
	tx(func(tx *sql.Tx) error { return MarkRevoked(ctx, tx, "cc", at(12.1), "resident-request") })

	list, err := List(ctx, db, Filter{From: day, To: day.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"s1": "失効（新たな証明書 bb の発行による）",
		"s2": "交付",
		"s3": "失効（本人の申請）",
		"s4": "失効（本人の申請）",
	}
	if len(list) != len(want) {
		t.Fatalf("List = %+v", list)
	}
	for _, r := range list {
		if got := r.Cert.Label(); got != want[r.SessionID] {
			t.Errorf("%s: state %q, want %q", r.SessionID, got, want[r.SessionID])
		}
	}
	st, err := State(ctx, db, "aa")
	if err != nil || st.SupersededBy != "bb" || st.RevokeReason != "superseded" {
		t.Errorf("State(aa) = %+v, %v", st, err)
	}

	from, to := DayRange(forms.DateOf(day), jst)
	counts, err := Revocations(ctx, db, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 || counts[0] != (ReasonCount{"resident-request", 1}) && counts[0] != (ReasonCount{"superseded", 1}) {
		t.Errorf("Revocations = %+v", counts)
	}
	if n, _ := Revocations(ctx, db, to, to.AddDate(0, 0, 1)); len(n) != 0 {
		t.Errorf("Revocations of the next day = %+v", n)
	}
	for _, c := range counts {
		if ReasonLabel(c.Reason) == c.Reason {
			t.Errorf("reason %q has no Japanese label", c.Reason)
		}
	}
}

func TestListInTimeOrder(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, jst)
	// a starts first but ends last (a long session); b ends before it.
	addSession(t, db, "a", "new", "11111111111", "clerk01", "", day.Add(9*time.Hour), "")
	db.Exec("UPDATE sessions SET outcome = 'completed', finished_at = ? WHERE id = 'a'", store.FormatTime(day.Add(11*time.Hour)))
	addSession(t, db, "b", "new", "22222222222", "clerk02", "completed", day.Add(10*time.Hour), "")
	addSession(t, db, "c", "new", "22222222222", "clerk02", "", day.Add(10*time.Hour+30*time.Minute), "")
	list, err := List(ctx, db, Filter{From: day, To: day.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for i, r := range list {
		order = append(order, r.SessionID)
		if i > 0 && r.At().Before(list[i-1].At()) {
			t.Errorf("row %d (%s at %v) before row %d (%v)", i, r.SessionID, r.At(), i-1, list[i-1].At())
		}
	}
	if len(order) != 3 || order[0] != "b" || order[1] != "c" || order[2] != "a" {
		t.Errorf("order %v, want [b c a]", order)
	}
}

func TestStaffLabel(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	db.Exec("UPDATE staff SET display_name = '窓口 太郎' WHERE id = 'clerk01'")
	names, err := StaffNames(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ id, want string }{
		{"clerk01", "窓口 太郎（clerk01）"},
		{"clerk02", "clerk02"}, // name is the ID itself
		{"ghost", "ghost"},
	}
	for _, tt := range tests {
		if got := StaffLabel(tt.id, names); got != tt.want {
			t.Errorf("StaffLabel(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

// TestDailyCountsTheMunicipalityDay: on a machine in UTC, a session
// started at 23:30 UTC on 1 December belongs to 2 December in Tokyo.
func TestDailyCountsTheMunicipalityDay(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	// The machine is in UTC (TestMain); the municipality works in JST.
	addSession(t, db, "late", "new", "11111111111", "clerk01", "completed", time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC), "")
	tests := []struct {
		day  forms.Date
		want int
	}{
		{forms.Date{Year: 2026, Month: 12, Day: 1}, 0},
		{forms.Date{Year: 2026, Month: 12, Day: 2}, 1},
	}
	for _, tt := range tests {
		counts, err := Daily(ctx, db, tt.day, tokyo)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range counts {
			n += c.N
		}
		if n != tt.want {
			t.Errorf("Daily(%v) counts %d sessions, want %d", tt.day, n, tt.want)
		}
	}
}
