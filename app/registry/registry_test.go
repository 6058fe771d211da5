package registry

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"madoguchi/app/store"
	"madoguchi/app/store/storetest"
	"madoguchi/forms"
)

func openRegistry(t testing.TB) (*Registry, *store.DB) {
	t.Helper()
	db, err := store.Open(context.Background(), storetest.Target(t, filepath.Join(t.TempDir(), "r.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(db), db
}

var demoOpts = DemoOptions{Seed: 42, Count: 3000, Prefecture: "東京都", Municipality: "千代田区"}

func date(y int, m time.Month, d int) forms.Date { return forms.Date{Year: y, Month: m, Day: d} }

func validResident() Resident {
	return Resident{
		Code: "12345678903", FamilyName: "髙橋", GivenName: "花子", FamilyKana: "タカハシ", GivenKana: "ﾊﾅｺ",
		Birth: date(1962, 6, 17), Sex: forms.SexFemale, Address: "東京都千代田区本町一丁目２番３号", Status: StatusResident,
	}
}

func TestNormalizeAndValidate(t *testing.T) {
	r := validResident()
	r.Code = "１２３４５-６７８９０３"
	n := r.Normalize()
	if n.Code != "12345678903" || n.FamilyKana != "たかはし" || n.GivenKana != "はなこ" || n.FamilyName != "髙橋" {
		t.Fatalf("Normalize = %+v", n)
	}
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		edit  func(*Resident)
		field string
	}{
		{"short code", func(r *Resident) { r.Code = "1234" }, "code"},
		{"letters in code", func(r *Resident) { r.Code = "1234567890A" }, "code"},
		{"no family name", func(r *Resident) { r.FamilyName = "" }, "family_name"},
		{"kanji kana", func(r *Resident) { r.FamilyKana = "高橋" }, "family_kana"},
		{"given without kana", func(r *Resident) { r.GivenKana = "" }, "given_kana"},
		{"no birth", func(r *Resident) { r.Birth = forms.Date{} }, "birth"},
		{"impossible birth", func(r *Resident) { r.Birth = date(1990, 2, 30) }, "birth"},
		{"future birth", func(r *Resident) { r.Birth = forms.DateOf(time.Now().AddDate(1, 0, 0)) }, "birth"},
		{"bad sex", func(r *Resident) { r.Sex = 7 }, "sex"},
		{"no address", func(r *Resident) { r.Address = "" }, "address"},
		{"long address", func(r *Resident) { r.Address = strings.Repeat("長", 201) }, "address"},
		{"bad status", func(r *Resident) { r.Status = 9 }, "status"},
		{"replacement char", func(r *Resident) { r.FamilyName = "高\ufffd" }, "family_name"},
	}
	for _, tt := range tests {
		r := validResident()
		tt.edit(&r)
		err := r.Normalize().Validate()
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: Validate = %v", tt.name, err)
			continue
		}
		if !slices.ContainsFunc(ve.Problems, func(p Problem) bool { return p.Field == tt.field }) || ve.UserMessage() == "" {
			t.Errorf("%s: problems %+v lack field %s", tt.name, ve.Problems, tt.field)
		}
	}
	// A one-part name is allowed.
	r = validResident()
	r.GivenName, r.GivenKana = "", ""
	if err := r.Normalize().Validate(); err != nil || r.Name() != "髙橋" {
		t.Errorf("one-part name: %v", err)
	}
}

func TestCheckDigit(t *testing.T) {
	for base, want := range map[string]byte{"1234567890": '3', "0000000001": '9', "0000000000": '0'} {
		if got := CheckDigit(base); got != want {
			t.Errorf("CheckDigit(%s) = %c, want %c", base, got, want)
		}
	}
}

func TestDemoIsDeterministicAndRealistic(t *testing.T) {
	collect := func(o DemoOptions) []Resident { return slices.Collect(Demo(o)) }
	a, b := collect(demoOpts), collect(demoOpts)
	if len(a) != demoOpts.Count || !slices.Equal(a, b) {
		t.Fatalf("same seed gave different data (%d, %d residents)", len(a), len(b))
	}
	o := demoOpts
	o.Seed++
	if c := collect(o); slices.Equal(a[:50], c[:50]) {
		t.Error("different seeds gave the same data")
	}
	codes := map[string]bool{}
	statuses := map[Status]int{}
	var needSubstitute, variants int
	for _, r := range a {
		if err := r.Normalize().Validate(); err != nil {
			t.Fatalf("demo resident invalid: %+v: %v", r, err)
		}
		if codes[r.Code] {
			t.Fatalf("duplicate code %s", r.Code)
		}
		codes[r.Code] = true
		if CheckDigit(r.Code[:10]) != r.Code[10] {
			t.Errorf("code %s has a wrong check digit", r.Code)
		}
		if !strings.HasPrefix(r.Address, "東京都千代田区") {
			t.Errorf("address %s outside the municipality", r.Address)
		}
		statuses[r.Status]++
		if forms.CheckCharset(r.FamilyName+r.GivenName) != nil {
			needSubstitute++
		}
		if strings.ContainsAny(r.FamilyName, "邊邉齋") {
			variants++
		}
		if r.Birth.Year < 1920 || r.Birth.Compare(DemoReference) > 0 {
			t.Errorf("birth %v out of range", r.Birth)
		}
		if r.Status != StatusResident && r.StatusChangedOn.IsZero() {
			t.Errorf("%s is %s without a date", r.Code, r.Status.Label())
		}
	}
	for _, s := range []Status{StatusResident, StatusMovedOut, StatusDeceased, StatusErased} {
		if statuses[s] == 0 {
			t.Errorf("no resident with status %s", s.Label())
		}
	}
	if statuses[StatusResident] < len(a)*9/10 {
		t.Errorf("only %d of %d are current residents", statuses[StatusResident], len(a))
	}
	if needSubstitute == 0 || needSubstitute > len(a)/10 || variants == 0 {
		t.Errorf("%d names need substitutes, %d have variants", needSubstitute, variants)
	}
}

func TestLoadDemoAndGet(t *testing.T) {
	ctx := context.Background()
	g, _ := openRegistry(t)
	n, err := g.LoadDemo(ctx, "system", DemoOptions{Seed: 1, Count: 500, Prefecture: "東京都", Municipality: "千代田区"})
	if err != nil || n != 500 {
		t.Fatalf("LoadDemo = %d, %v", n, err)
	}
	if n, err := g.LoadDemo(ctx, "system", demoOpts); err != nil || n != 0 {
		t.Errorf("second LoadDemo = %d, %v; want 0 (registry not empty)", n, err)
	}
	first := slices.Collect(Demo(DemoOptions{Seed: 1, Count: 1, Prefecture: "東京都", Municipality: "千代田区"}))[0]
	got, err := g.Get(ctx, first.Code)
	if err != nil || got != first.Normalize() {
		t.Errorf("Get = %+v, %v; want %+v", got, err, first)
	}
	if _, err := g.Get(ctx, "00000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(missing) = %v", err)
	}
}

func TestSuggestSubstitutes(t *testing.T) {
	r := validResident()
	r.Address = "東京都千代田区髙田町一丁目１番１号"
	a := r.Application(forms.KindNew, date(2026, 11, 25))
	s := SuggestSubstitutes(a)
	if s.Name[0] != "高" || len(s.Name) != 1 {
		t.Errorf("name substitutes %v", s.Name)
	}
	if s.Address[7] != "高" || len(s.Address) != 1 {
		t.Errorf("address substitutes %v", s.Address)
	}
	a.Substitutes = s
	if err := a.Validate(); err != nil {
		t.Errorf("pre-filled application with suggestions does not validate: %v", err)
	}
}
