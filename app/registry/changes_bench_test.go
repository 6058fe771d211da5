package registry

import (
	"bufio"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"madoguchi/app/store"
	"madoguchi/forms"
)

// writeCSVWith writes n demo residents as a UTF-8 snapshot, each passed
// through mod first (mod may be nil).
func writeCSVWith(b *testing.B, path string, n int, mod func(i int, r *Resident)) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	w.Write([]string{"住民コード", "氏", "名", "氏ふりがな", "名ふりがな", "生年月日", "性別", "住所", "状態", "住民となった日", "異動日"})
	i := 0
	for r := range Demo(DemoOptions{Seed: 7, Count: n, Prefecture: "東京都", Municipality: "千代田区"}) {
		if mod != nil {
			mod(i, &r)
		}
		i++
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

// BenchmarkChangeDetection is the check step of a full snapshot of
// benchResidents residents (1,000,000) against a registry in which a tenth
// of them (100,000) hold a valid certificate, with a hundredth (10,000)
// changed in a way that revokes: 住所, 氏名, 死亡, 転出 and 消除 in turn.
// Target: at most 30 s. It reports the check (DryRun: read, compare,
// list) and the import that writes the changes and the outbox.
//
//	go test -run X -bench ChangeDetection -benchtime 1x ./app/registry
func BenchmarkChangeDetection(b *testing.B) {
	ctx := context.Background()
	n := benchResidents(b)
	dir := b.TempDir()
	base := filepath.Join(dir, "base.csv")
	writeCSVWith(b, base, n, nil)
	db, err := store.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	g := New(db)
	f, _ := os.Open(base)
	start := time.Now()
	if _, err := g.Import(ctx, "bench", f, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.Logf("initial import of %d residents: %s", n, time.Since(start).Round(time.Millisecond))

	// A tenth of the registry, current residents spread over the file, hold
	// a certificate; every tenth holder changes.
	holders := map[int]int{} // row → holder number
	var codes []string
	i := 0
	for r := range Demo(DemoOptions{Seed: 7, Count: n, Prefecture: "東京都", Municipality: "千代田区"}) {
		if i%9 == 0 && r.Status == StatusResident && len(codes) < n/10 {
			holders[i] = len(codes)
			codes = append(codes, r.Code)
		}
		i++
	}
	start = time.Now()
	addCertificates(b, db, codes...)
	b.Logf("%d certificates recorded: %s", len(codes), time.Since(start).Round(time.Millisecond))
	changes := 0
	changedOn := forms.Date{Year: 2026, Month: 11, Day: 30}
	changed := filepath.Join(dir, "changed.csv")
	writeCSVWith(b, changed, n, func(i int, r *Resident) {
		if h, ok := holders[i]; !ok || h%10 != 0 {
			return
		}
		switch changes % 5 {
		case 0:
			r.Address += "別館"
		case 1:
			r.GivenName += "子"
		case 2:
			r.Status, r.StatusChangedOn = StatusDeceased, changedOn
		case 3:
			r.Status, r.StatusChangedOn = StatusMovedOut, changedOn
		case 4:
			r.Status, r.StatusChangedOn = StatusErased, changedOn
		}
		changes++
	})
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			f, _ := os.Open(changed)
			start := time.Now()
			rep, err := g.Import(ctx, "bench", f, ImportOptions{DryRun: true})
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			if len(rep.Notices) != changes || rep.Updated != changes || rep.Unchanged != n-changes {
				b.Fatalf("%d notices, %d updated, %d unchanged; want %d changes", len(rep.Notices), rep.Updated, rep.Unchanged, changes)
			}
			b.ReportMetric(time.Since(start).Seconds(), "s/check")
			b.ReportMetric(float64(changes), "notices")
			b.ReportMetric(float64(len(codes)), "holders")
		}
	})
	b.Run("import", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if i > 0 {
				b.Skip("the changes are in; one run only")
			}
			f, _ := os.Open(changed)
			start := time.Now()
			rep, err := g.Import(ctx, "bench", f, ImportOptions{})
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			if rep.Queued != changes {
				b.Fatalf("queued %d of %d", rep.Queued, changes)
			}
			b.ReportMetric(time.Since(start).Seconds(), "s/import")
		}
	})
}
