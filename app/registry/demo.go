package registry

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"math/rand/v2"
	"strings"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/store"
	"madoguchi/forms"
)

// DemoOptions describe a demo registry.
type DemoOptions struct {
	Seed         uint64     // the same seed gives the same residents
	Count        int        // how many residents
	Prefecture   string     // e.g. "東京都"
	Municipality string     // e.g. "千代田区"
	Reference    forms.Date // "today" for ages and dates; DemoReference if zero
}

// DemoReference is the default reference date of demo data, fixed so that
// the generated registry does not depend on the day it is generated.
var DemoReference = forms.Date{Year: 2026, Month: time.April, Day: 1}

// CheckDigit returns the check digit of a ten-digit base as the 住民票コード
// defines it: 11 − (Σ Pn×Qn mod 11), with Pn the n-th digit from the right
// and Qn = n+1 for n ≤ 6, n−5 above; a remainder of 0 or 1 gives 0.
func CheckDigit(base string) byte {
	sum := 0
	for n := 1; n <= len(base); n++ {
		p := int(base[len(base)-n] - '0')
		q := n + 1
		if n > 6 {
			q = n - 5
		}
		sum += p * q
	}
	r := sum % 11
	if r <= 1 {
		return '0'
	}
	return byte('0' + 11 - r)
}

// demoCode maps the i-th demo resident to a unique 11-digit code: an
// affine permutation of 0 … 10¹⁰−1 (so codes look scattered) and a check
// digit.
func demoCode(i uint64) string {
	const m = 10_000_000_000
	base := ((i+1)*7_919_577_131 + 1_234_567_891) % m
	s := fmt.Sprintf("%010d", base)
	return s + string(CheckDigit(s))
}

// Demo yields opt.Count residents, deterministically from opt.Seed:
// households sharing a family name and an address, realistic ages and
// names of their generation, about 3% of them 転出, 死亡 or 消除.
func Demo(opt DemoOptions) iter.Seq[Resident] {
	return func(yield func(Resident) bool) {
		ref := opt.Reference
		if ref.IsZero() {
			ref = DemoReference
		}
		rng := rand.New(rand.NewPCG(opt.Seed, 0x6d61646f67756368)) // "madoguch"
		totalWeight := 0
		for _, f := range demoFamilies {
			totalWeight += f.weight
		}
		pickFamily := func() reading {
			w := rng.IntN(totalWeight)
			for _, f := range demoFamilies {
				if w < f.weight {
					return f.reading
				}
				w -= f.weight
			}
			return demoFamilies[0].reading
		}
		refTime := ref.Time()
		birthAt := func(age int) forms.Date {
			// A day within the year that ends on the reference date.
			t := refTime.AddDate(-age, 0, -rng.IntN(365))
			return forms.DateOf(t)
		}
		given := func(b forms.Date, sex forms.Sex) reading {
			gen := 2
			switch {
			case b.Year < 1960:
				gen = 0
			case b.Year < 1990:
				gen = 1
			}
			list := demoGiven[gen][int(sex)-1]
			return list[rng.IntN(len(list))]
		}
		i := uint64(0)
		for int(i) < opt.Count {
			fam := pickFamily()
			addr := demoAddress(rng, opt.Prefecture, opt.Municipality)
			headAge := 22 + rng.IntN(70)
			ages := []int{headAge}
			if rng.IntN(10) < 6 { // a spouse
				ages = append(ages, max(18, headAge-4+rng.IntN(9)))
			}
			if headAge < 60 {
				for k := rng.IntN(4); k > 0; k-- { // children
					if a := headAge - 24 - rng.IntN(16); a >= 0 {
						ages = append(ages, a)
					}
				}
			}
			headSex := forms.Sex(1 + rng.IntN(2))
			for m, age := range ages {
				if int(i) >= opt.Count {
					return
				}
				sex := forms.Sex(1 + rng.IntN(2))
				switch m {
				case 0:
					sex = headSex
				case 1:
					sex = 3 - headSex
				}
				b := birthAt(age)
				g := given(b, sex)
				r := Resident{
					Code:       demoCode(i),
					FamilyName: fam.text, GivenName: g.text,
					FamilyKana: fam.kana, GivenKana: g.kana,
					Birth: b, Sex: sex, Address: addr,
					Status: StatusResident,
				}
				reg := forms.DateOf(refTime.AddDate(0, 0, -rng.IntN(365*min(age+1, 40))))
				if reg.Compare(b) < 0 {
					reg = b
				}
				r.RegisteredOn = reg
				switch x := rng.IntN(1000); {
				case x < 20:
					r.Status = StatusMovedOut
				case x < 26:
					r.Status = StatusDeceased
				case x < 30:
					r.Status = StatusErased
				}
				if r.Status != StatusResident {
					r.StatusChangedOn = forms.DateOf(refTime.AddDate(0, 0, -1-rng.IntN(5*365)))
					if r.StatusChangedOn.Compare(reg) < 0 {
						r.StatusChangedOn = reg
					}
				}
				if !yield(r) {
					return
				}
				i++
			}
		}
	}
}

// fullWidthDigits writes n with full-width digits, as registry addresses do.
func fullWidthDigits(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for _, c := range s {
		b.WriteRune(c - '0' + '０')
	}
	return b.String()
}

func demoAddress(rng *rand.Rand, pref, muni string) string {
	t := demoTowns[rng.IntN(len(demoTowns))]
	var b strings.Builder
	b.WriteString(pref)
	b.WriteString(muni)
	b.WriteString(t.name)
	if t.numbered {
		b.WriteString(kanjiDigits[1+rng.IntN(t.chome)])
		b.WriteString("丁目")
		b.WriteString(fullWidthDigits(1 + rng.IntN(30)))
		b.WriteString("番")
		b.WriteString(fullWidthDigits(1 + rng.IntN(25)))
		b.WriteString("号")
	} else {
		b.WriteString(fullWidthDigits(1 + rng.IntN(2500)))
		b.WriteString("番地")
		if rng.IntN(3) == 0 {
			b.WriteString("の")
			b.WriteString(fullWidthDigits(1 + rng.IntN(9)))
		}
	}
	if rng.IntN(4) == 0 {
		b.WriteString("\u3000")
		b.WriteString(demoBuildings[rng.IntN(len(demoBuildings))])
		b.WriteString(strings.TrimSuffix(strings.TrimPrefix(t.name, "大字"), "町"))
		b.WriteString(fullWidthDigits(100*(1+rng.IntN(8)) + 1 + rng.IntN(12)))
		b.WriteString("号室")
	}
	return b.String()
}

// LoadDemo fills the registry with demo residents if it is empty and
// returns how many it added (0 if the registry already had residents).
func (g *Registry) LoadDemo(ctx context.Context, by string, opt DemoOptions) (int, error) {
	n, err := g.Count(ctx)
	if err != nil || n > 0 {
		return 0, err
	}
	added := 0
	now := store.FormatTime(g.now())
	err = g.db.Tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, upsertSQL)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for r := range Demo(opt) {
			r = r.Normalize()
			if err := r.Validate(); err != nil {
				return fmt.Errorf("registry: demo resident %s: %w", r.Code, err)
			}
			if _, err := stmt.ExecContext(ctx, rowArgs(r, now)...); err != nil {
				return err
			}
			added++
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Staff: by, Action: audit.ActionRegistryImport,
			Detail: fmt.Sprintf("demo registry: %d residents, seed %d", added, opt.Seed)})
		return err
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}
