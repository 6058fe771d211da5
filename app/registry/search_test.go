package registry

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"madoguchi/app/store"
	"madoguchi/forms"
)

func demoRegistry(t *testing.T) (*Registry, []Resident) {
	t.Helper()
	g, _ := openRegistry(t)
	if _, err := g.LoadDemo(context.Background(), "system", demoOpts); err != nil {
		t.Fatal(err)
	}
	var all []Resident
	for r := range Demo(demoOpts) {
		all = append(all, r.Normalize())
	}
	return g, all
}

func TestSearch(t *testing.T) {
	ctx := context.Background()
	g, all := demoRegistry(t)
	// Extra residents to make the ranking visible.
	extra := []Resident{
		{Code: "99999999901", FamilyName: "髙橋", GivenName: "花子", FamilyKana: "たかはし", GivenKana: "はなこ", Birth: date(1962, 6, 17), Sex: 2, Address: "東京都千代田区本町", Status: StatusResident},
		{Code: "99999999902", FamilyName: "高橋", GivenName: "花子", FamilyKana: "たかはし", GivenKana: "はなこ", Birth: date(1962, 6, 17), Sex: 2, Address: "東京都千代田区本町", Status: StatusMovedOut},
		{Code: "99999999903", FamilyName: "高橋", GivenName: "花子", FamilyKana: "たかはし", GivenKana: "はなこ", Birth: date(1962, 6, 17), Sex: 2, Address: "東京都千代田区本町", Status: StatusResident},
		{Code: "99999999904", FamilyName: "高橋田", GivenName: "花", FamilyKana: "たかはしだ", GivenKana: "はな", Birth: date(1962, 6, 17), Sex: 2, Address: "東京都千代田区本町", Status: StatusResident},
	}
	for _, r := range extra {
		if err := g.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	all = append(all, extra...)
	matches := func(pred func(Resident) bool) []string {
		var codes []string
		for _, r := range all {
			if pred(r) {
				codes = append(codes, r.Code)
			}
		}
		return codes
	}
	target := all[123]
	tests := []struct {
		name  string
		q     Query
		want  []string // every code expected, in any order (nil: see first)
		first string   // the code expected first
		more  bool
	}{
		{name: "code", q: Query{Code: target.Code}, want: []string{target.Code}},
		{name: "code full width", q: Query{Code: strings.Map(func(r rune) rune { return r - '0' + '０' }, target.Code)}, want: []string{target.Code}},
		{name: "code prefix", q: Query{Code: target.Code[:6]}, want: matches(func(r Resident) bool { return strings.HasPrefix(r.Code, target.Code[:6]) })},
		{name: "birth", q: Query{Birth: target.Birth}, want: matches(func(r Resident) bool { return r.Birth == target.Birth })},
		{name: "kana and birth", q: Query{Kana: target.FamilyKana, Birth: target.Birth},
			want: matches(func(r Resident) bool {
				return strings.HasPrefix(r.FamilyKana+r.GivenKana, target.FamilyKana) && r.Birth == target.Birth
			})},
		{name: "romaji with given name", q: Query{Kana: "takahashi hanako"},
			want: []string{"99999999901", "99999999902", "99999999903"}, first: "99999999901"},
		{name: "katakana, 氏 exact and 名 prefix", q: Query{Kana: "タカハシ　ハナ", Birth: date(1962, 6, 17)},
			want: []string{"99999999901", "99999999902", "99999999903"}},
		{name: "kana prefix of 氏", q: Query{Kana: "たかはし", Birth: date(1962, 6, 17)},
			want: []string{"99999999901", "99999999902", "99999999903", "99999999904"}},
		{name: "name folds variants, typed form first", q: Query{Name: "高橋花子"},
			want: []string{"99999999901", "99999999902", "99999999903"}, first: "99999999903"},
		{name: "variant typed", q: Query{Name: "髙橋 花子"},
			want: []string{"99999999901", "99999999902", "99999999903"}, first: "99999999901"},
		{name: "name and birth", q: Query{Name: "高橋", Birth: date(1962, 6, 17)},
			want: []string{"99999999901", "99999999902", "99999999903", "99999999904"}},
		{name: "watanabe variants", q: Query{Name: "渡辺", Limit: MaxLimit},
			want: matches(func(r Resident) bool { return strings.HasPrefix(foldVariants(r.FamilyName), "渡辺") })},
		{name: "no match", q: Query{Kana: "ん"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := g.Search(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range res.Residents {
				got = append(got, r.Code)
			}
			w := slices.Clone(tt.want)
			g2 := slices.Clone(got)
			slices.Sort(w)
			slices.Sort(g2)
			if !slices.Equal(w, g2) || res.More != tt.more {
				t.Fatalf("got %d %v (more %v), want %d %v", len(got), got, res.More, len(w), w)
			}
			if tt.first != "" && got[0] != tt.first {
				t.Errorf("first %s, want %s", got[0], tt.first)
			}
		})
	}
	if len(matches(func(r Resident) bool {
		return strings.HasPrefix(r.FamilyName, "渡邊") || strings.HasPrefix(r.FamilyName, "渡邉")
	})) == 0 {
		t.Error("demo data has no 渡邊/渡邉 to find")
	}
}

func TestSearchRankingAndCap(t *testing.T) {
	ctx := context.Background()
	g, all := demoRegistry(t)
	res, err := g.Search(ctx, Query{Kana: "さ", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Residents) != 10 || !res.More {
		t.Fatalf("cap: %d results, more %v", len(res.Residents), res.More)
	}
	// Current residents rank above others among equally good matches.
	res, _ = g.Search(ctx, Query{Kana: "さとう", Limit: MaxLimit})
	seenOther := false
	for _, r := range res.Residents {
		if r.Status != StatusResident {
			seenOther = true
		} else if seenOther {
			t.Fatal("a current resident ranks below a moved-out one")
		}
	}
	if !seenOther {
		t.Log("no non-current さとう in the demo data; ranking by status not exercised")
	}
	// An exact code match comes first even combined with other criteria.
	target := all[7]
	res, _ = g.Search(ctx, Query{Code: target.Code[:4]})
	if len(res.Residents) == 0 {
		t.Fatal("prefix search empty")
	}
}

func TestSearchErrors(t *testing.T) {
	g, _ := openRegistry(t)
	for _, q := range []Query{{}, {Code: "12"}, {Code: "12a45678901"}, {Kana: "xyz!"}, {Kana: "山田"}, {Birth: date(2001, 2, 29)}} {
		_, err := g.Search(context.Background(), q)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.UserMessage() == "" {
			t.Errorf("Search(%+v) = %v, want *QueryError", q, err)
		}
	}
	_, err := g.Search(context.Background(), Query{Kana: "xyz!"})
	var re *forms.RomajiError
	if !errors.As(err, &re) {
		t.Errorf("romaji error not wrapped: %v", err)
	}
}

// The planner uses an index for every kind of search (no full scan of
// the residents table).
func TestSearchUsesIndexes(t *testing.T) {
	g, db := openRegistry(t)
	_ = g
	for _, q := range []Query{
		{Code: "12345678903"}, {Code: "1234"}, {Kana: "たかはし"}, {Kana: "たかはし はなこ"}, {Kana: "takahashi"}, {Kana: "kato hiroshi"},
		{Birth: date(1962, 6, 17)}, {Kana: "た", Birth: date(1962, 6, 17)}, {Name: "高橋"}, {Name: "高", Birth: date(1962, 6, 17)},
	} {
		c, err := q.compile()
		if err != nil {
			t.Fatal(err)
		}
		stmt, args := c.sql()
		if db.Dialect() == store.Postgres {
			pgUsesIndex(t, db, q, stmt, args)
			continue
		}
		rows, err := db.Query("EXPLAIN QUERY PLAN "+stmt, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, " | ")
		t.Logf("%+v: %s", q, p)
		if strings.Contains(p, "SCAN residents") && !strings.Contains(p, "USING") {
			t.Errorf("%+v: full scan: %s", q, p)
		}
		if hasASCIILetter(q.Kana) && !strings.Contains(p, "SEARCH residents") {
			t.Errorf("%+v: romaji does not seek in the index: %s", q, p)
		}
		if strings.Contains(p, "TEMP B-TREE") && q.Birth.IsZero() {
			t.Errorf("%+v: sorts in a temporary b-tree: %s", q, p)
		}
	}
}

// FuzzQuery feeds what a clerk may type into every search field: the
// query either compiles into a statement whose placeholders match its
// arguments, or is refused with a *QueryError.
func FuzzQuery(f *testing.F) {
	f.Add("12345678903", "takahashi hanako", "髙橋", uint16(1962), uint8(6), uint8(17))
	f.Add("１２３４", "ﾀｶﾊｼ", "", uint16(0), uint8(0), uint8(0))
	f.Add("", "kyouko", "渡邊", uint16(2001), uint8(2), uint8(29))
	f.Fuzz(func(t *testing.T, code, kana, name string, y uint16, m, d uint8) {
		q := Query{Code: code, Kana: kana, Name: name}
		if y != 0 {
			q.Birth = forms.Date{Year: int(y), Month: time.Month(m), Day: int(d)}
		}
		c, err := q.compile()
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.UserMessage() == "" {
				t.Fatalf("error %v is not a *QueryError with a message", err)
			}
			return
		}
		stmt, args := c.sql()
		if n := strings.Count(stmt, "?"); n != len(args) {
			t.Fatalf("%d placeholders, %d arguments: %s", n, len(args), stmt)
		}
		if c.limit < 1 || c.limit > MaxLimit {
			t.Fatalf("limit %d", c.limit)
		}
	})
}

// pgUsesIndex is TestSearchUsesIndexes on PostgreSQL: with sequential
// scans priced out (the test registry is tiny), the plan reads residents
// through an index only.
func pgUsesIndex(t *testing.T, db *store.DB, q Query, stmt string, args []any) {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "RESET enable_seqscan")
	rows, err := conn.QueryContext(ctx, "EXPLAIN "+stmt, args...)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var line string
		rows.Scan(&line)
		plan = append(plan, strings.TrimSpace(line))
	}
	rows.Close()
	p := strings.Join(plan, " | ")
	t.Logf("%+v: %s", q, p)
	if strings.Contains(p, "Seq Scan on residents") {
		t.Errorf("%+v: full scan: %s", q, p)
	}
}
