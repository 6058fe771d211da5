package registry

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"madoguchi/app/store"
	"madoguchi/app/store/storetest"
)

// benchResidents is the registry size of the benchmarks: 1,000,000 unless
// MADOGUCHI_BENCH_RESIDENTS says otherwise.
func benchResidents(b *testing.B) int {
	if s := os.Getenv("MADOGUCHI_BENCH_RESIDENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 1_000_000
}

// writeDemoCSV writes n demo residents as a UTF-8 registry export.
func writeDemoCSV(b *testing.B, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	w.Write([]string{"住民コード", "氏", "名", "氏ふりがな", "名ふりがな", "生年月日", "性別", "住所", "状態", "住民となった日", "異動日"})
	for r := range Demo(DemoOptions{Seed: 7, Count: n, Prefecture: "東京都", Municipality: "千代田区"}) {
		changed := ""
		if !r.StatusChangedOn.IsZero() {
			changed = r.StatusChangedOn.String()
		}
		w.Write([]string{r.Code, r.FamilyName, r.GivenName, r.FamilyKana, r.GivenKana, r.Birth.String(),
			strconv.Itoa(int(r.Sex)), r.Address, r.Status.Label(), r.RegisteredOn.String(), changed})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// BenchmarkRegistry imports a registry of benchResidents residents from a
// CSV file into a fresh database (target: 1,000,000 in at most 60 s) and
// then measures search latency over a mix of clerk queries (target: p99 at
// most 20 ms), on SQLite and, when MADOGUCHI_TEST_PG_URL is set, on
// PostgreSQL (import through COPY; target 20 s), side by side. Run it with
// -benchtime=1x for one import:
//
//	go test -run X -bench Registry -benchtime 1x ./app/registry
func BenchmarkRegistry(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) { benchRegistry(b, be) })
	}
}

func benchRegistry(b *testing.B, be storetest.Backend) {
	ctx := context.Background()
	n := benchResidents(b)
	dir := b.TempDir()
	csvPath := filepath.Join(dir, "registry.csv")
	writeDemoCSV(b, csvPath, n)
	st, _ := os.Stat(csvPath)
	var g *Registry
	outer := b
	b.Run(fmt.Sprintf("import-%d", n), func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			target := filepath.Join(dir, fmt.Sprintf("bench%d.db", i))
			if be.Name != storetest.SQLiteBackend.Name {
				target = be.Target(outer) // kept for the search below
			}
			db, err := store.Open(ctx, target)
			if err != nil {
				b.Fatal(err)
			}
			f, _ := os.Open(csvPath)
			g = New(db)
			start := time.Now()
			rep, err := g.Import(ctx, "bench", f, ImportOptions{})
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			if rep.Inserted != n {
				b.Fatalf("inserted %d of %d", rep.Inserted, n)
			}
			b.ReportMetric(time.Since(start).Seconds(), "s/import")
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "rows/s")
			b.ReportMetric(float64(st.Size())/1e6, "MB-csv")
		}
	})
	if g == nil {
		b.Fatal("import did not run")
	}
	// A deterministic mix of what clerks type, built from residents that exist.
	var sample []Resident
	for r := range Demo(DemoOptions{Seed: 7, Count: n, Prefecture: "東京都", Municipality: "千代田区"}) {
		if len(sample) < 2000 && r.Code[10]%3 == 0 {
			sample = append(sample, r.Normalize())
		}
	}
	queries := make([]Query, 0, 8*len(sample))
	for _, r := range sample {
		queries = append(queries,
			Query{Code: r.Code},
			Query{Kana: r.FamilyKana},
			Query{Kana: r.FamilyKana + " " + r.GivenKana},
			Query{Birth: r.Birth},
			Query{Kana: r.FamilyKana[:3], Birth: r.Birth},
			Query{Name: r.FamilyName},
			Query{Name: r.FamilyName + r.GivenName, Birth: r.Birth},
			Query{Code: r.Code[:6]},
		)
	}
	b.Run("search", func(b *testing.B) {
		lat := make([]time.Duration, 0, len(queries))
		i := 0
		for b.Loop() {
			q := queries[i%len(queries)]
			i++
			start := time.Now()
			if _, err := g.Search(ctx, q); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		// Percentiles over one full pass of the mix at least.
		kinds := make([][]time.Duration, 8) // by the query's place in the mix
		for ; i < len(queries); i++ {
			start := time.Now()
			if _, err := g.Search(ctx, queries[i]); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
			kinds[i%8] = append(kinds[i%8], time.Since(start))
		}
		for k, l := range kinds {
			if len(l) > 0 {
				slices.Sort(l)
				b.Logf("%s: query kind %d (%+v): p99 %v", be.Name, k, queries[k], l[int(0.99*float64(len(l)-1))])
			}
		}
		slices.Sort(lat)
		pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
		b.ReportMetric(pct(1), "max-ms")
		b.ReportMetric(float64(len(lat)), "queries")
	})
}
