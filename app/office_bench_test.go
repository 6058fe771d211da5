package app

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"madoguchi/app/registry"
	"madoguchi/app/staff"
	"madoguchi/app/store/storetest"
	"madoguchi/forms"
)

// BenchmarkOfficeCounters measures whole issuances per second as the
// counter runs them (registry, session steps, emulated card, the
// in-process reference CA over TLS): one counter on its own SQLite file
// beside 8 counters sharing one PostgreSQL (when MADOGUCHI_TEST_PG_URL is
// set). Each counter has its own emulated reader and CA, as each terminal
// has its own reader; the shared part is the office database.
//
//	go test -run X -bench OfficeCounters -benchtime 40x ./app
func BenchmarkOfficeCounters(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		counters := 1
		if be.Name != storetest.SQLiteBackend.Name {
			counters = 8
		}
		b.Run(fmt.Sprintf("%s-%dcounters", be.Name, counters), func(b *testing.B) {
			ctx := context.Background()
			root := b.TempDir()
			var url string
			if counters > 1 {
				url = be.Target(b)
			}
			var cs []*Counter
			for i := range counters {
				cfg := demoConfig(filepath.Join(root, fmt.Sprint(i)))
				if url != "" {
					cfg = officeConfig(filepath.Join(root, fmt.Sprint(i)), url, fmt.Sprintf("counter-%d", i+1))
				}
				c, err := Open(ctx, cfg, Options{DemoResidents: 1000, StaffParams: &fastStaff})
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				cs = append(cs, c)
			}
			clerk := signIn(b, cs[0], staff.DemoClerk)
			n := max(b.N, counters)
			work := make(chan string, n)
			for r := range registry.Demo(registry.DemoOptions{Seed: DemoSeed, Count: 1000, Prefecture: cs[0].cfg.Prefecture, Municipality: cs[0].cfg.Municipality}) {
				if len(work) == n {
					break
				}
				if clerk.Eligible(ctx, r.Code, forms.KindNew) != nil {
					continue
				}
				if a, err := clerk.Prefill(ctx, r.Code, forms.KindNew); err != nil || a.Validate() != nil {
					continue
				}
				work <- r.Code
			}
			if len(work) < n {
				b.Fatalf("only %d eligible demo residents for %d issuances", len(work), n)
			}
			close(work)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for _, c := range cs {
				d := signIn(b, c, staff.DemoClerk)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for code := range work {
						c.RemoveCard()
						if _, err := c.InsertBlankCard(); err != nil {
							errs <- err
							return
						}
						a, err := d.Prefill(ctx, code, forms.KindNew)
						if err != nil {
							errs <- fmt.Errorf("%s: %w", code, err)
							continue
						}
						s, err := d.Start(ctx, code, a)
						if err == nil {
							err = drive(ctx, d, s.ID)
						}
						if err != nil {
							errs <- fmt.Errorf("%s: %w", code, err)
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "issuances/s")
		})
	}
}
