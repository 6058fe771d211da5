package session

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/store"
	"madoguchi/app/store/storetest"
	"madoguchi/forms"
)

// counter is one terminal of an office: its own database handle (its own
// connection pool, named by application_name on PostgreSQL) and Manager.
type counter struct {
	name string
	db   *store.DB
	m    *Manager
}

// openCounter opens terminal name on the office database target.
func openCounter(t testing.TB, target, name string, ca CA) *counter {
	t.Helper()
	if store.IsURL(target) {
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("application_name", name)
		u.RawQuery = q.Encode()
		target = u.String()
	}
	db, err := store.Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &counter{name: name, db: db, m: NewManager(db, Options{CA: ca, Master: master, Prefecture: "東京都", Municipality: "千代田区"})}
}

// officeResidents puts n residents into the registry and clerk01..clerk08
// into staff.
func officeResidents(t testing.TB, db *store.DB, n int) []string {
	t.Helper()
	ctx := context.Background()
	reg := registry.New(db)
	var codes []string
	for i := range n {
		base := fmt.Sprintf("5%09d", 100000+i)
		code := base + string(registry.CheckDigit(base))
		r := registry.Resident{Code: code, FamilyName: "窓口", GivenName: fmt.Sprintf("太郎%d", i), FamilyKana: "まどぐち", GivenKana: "たろう",
			Birth: forms.Date{Year: 1970 + i%30, Month: 1 + time.Month(i%12), Day: 1 + i%28}, Sex: forms.SexMale,
			Address: "東京都千代田区本町一丁目２番３号", Status: registry.StatusResident}
		if err := reg.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		codes = append(codes, code)
	}
	for i := 1; i <= 8; i++ {
		id := fmt.Sprintf("clerk%02d", i)
		if _, err := db.ExecContext(ctx, `INSERT INTO staff (id, display_name, role, password_hash, created_at, password_changed_at) VALUES (?, ?, 'clerk', 'x', '', '')`, id, id); err != nil {
			t.Fatal(err)
		}
	}
	return codes
}

// issueAt runs a new issuance for code at counter c from 受付 to 交付.
func (c *counter) issueAt(ctx context.Context, by, code string) error {
	r, err := registry.New(c.db).Get(ctx, code)
	if err != nil {
		return err
	}
	a := r.Application(forms.KindNew, forms.Today())
	s, err := c.m.Start(ctx, by, code, a)
	if err != nil {
		return err
	}
	return c.driveFrom(ctx, by, s.ID, newFakeCard())
}

// driveFrom runs the session from its current state to its end.
func (c *counter) driveFrom(ctx context.Context, by, id string, card *fakeCard) error {
	for {
		s, err := c.m.Get(ctx, id)
		if err != nil {
			return err
		}
		switch s.State {
		case Received:
			_, err = c.m.CheckIdentity(ctx, by, id, photoID)
		case Identified:
			err = c.m.PrepareCard(ctx, by, id, card)
		case CardReady:
			p, cf := pin()
			err = c.m.GenerateKey(ctx, by, id, card, p, cf)
		case KeyGenerated, Requesting:
			_, err = c.m.Request(ctx, by, id)
		case Issued:
			err = c.m.Write(ctx, by, id, card)
		case Written:
			err = c.m.Deliver(ctx, by, id)
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Eight counters issue at once on one database: every resident is issued
// exactly once, the session numbers do not collide, the audit chain (one
// for the office) verifies, and on PostgreSQL the record book names all
// eight terminals.
func TestOfficeCountersIssueConcurrently(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			target := b.Target(t)
			ca := newFakeCA()
			var counters []*counter
			for i := 1; i <= 8; i++ {
				counters = append(counters, openCounter(t, target, fmt.Sprintf("counter-%d", i), ca))
			}
			codes := officeResidents(t, counters[0].db, 32)
			work := make(chan string, len(codes))
			for _, c := range codes {
				work <- c
			}
			close(work)
			var wg sync.WaitGroup
			errs := make(chan error, len(codes))
			for i, c := range counters {
				wg.Add(1)
				go func() {
					defer wg.Done()
					by := fmt.Sprintf("clerk%02d", i+1)
					for code := range work {
						if err := c.issueAt(ctx, by, code); err != nil {
							errs <- fmt.Errorf("%s, %s: %w", c.name, code, err)
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			db := counters[7].db
			for _, code := range codes {
				certs, err := records.ForResident(ctx, db, code)
				if err != nil || len(certs) != 1 {
					t.Errorf("%s: %d certificates, %v", code, len(certs), err)
				}
			}
			book, err := records.List(ctx, db, records.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			ids := map[string]bool{}
			terminals := map[string]int{}
			for _, r := range book {
				if ids[r.SessionID] {
					t.Errorf("session number %s twice", r.SessionID)
				}
				ids[r.SessionID] = true
				if r.Result() != "交付" {
					t.Errorf("%s: %s", r.SessionID, r.Result())
				}
				terminals[r.Terminal]++
			}
			if len(book) != len(codes) {
				t.Errorf("record book has %d sessions, want %d", len(book), len(codes))
			}
			rep, err := audit.Verify(ctx, db)
			if err != nil {
				t.Fatalf("audit chain: %v (%+v)", err, rep.Problems)
			}
			if b.Name == "postgres" {
				if len(terminals) != len(counters) {
					t.Errorf("record book names terminals %v, want all %d", terminals, len(counters))
				}
				// Every row the counters wrote names its terminal.
				for _, table := range []string{"sessions", "session_steps", "certificates"} {
					var unnamed, named int
					if err := db.QueryRowContext(ctx, "SELECT count(*) FILTER (WHERE terminal = ''), count(DISTINCT terminal) FROM "+table).Scan(&unnamed, &named); err != nil {
						t.Fatal(err)
					}
					if unnamed != 0 || named != len(counters) {
						t.Errorf("%s: %d rows without a terminal, %d terminals", table, unnamed, named)
					}
				}
				es, _ := audit.List(ctx, db, audit.Filter{Limit: 100000})
				for _, e := range es {
					if e.Terminal == "" && e.Action != audit.ActionStaffCreated {
						t.Errorf("audit row %d (%s) names no terminal", e.Seq, e.Action)
						break
					}
				}
				// The terminal is part of the hash: changing it breaks the chain.
				dropTriggersSession(t, db)
				if _, err := db.ExecContext(ctx, "UPDATE audit_log SET terminal = 'counter-x' WHERE seq = 5"); err != nil {
					t.Fatal(err)
				}
				if _, err := audit.Verify(ctx, db); err == nil {
					t.Error("a changed terminal went unnoticed")
				}
			}
		})
	}
}

func dropTriggersSession(t *testing.T, db *store.DB) {
	t.Helper()
	for _, tr := range []string{"audit_log_no_update", "audit_log_no_delete"} {
		if _, err := db.ExecContext(context.Background(), "DROP TRIGGER "+tr+" ON audit_log"); err != nil {
			t.Fatal(err)
		}
	}
}

// A counter killed in the middle of a session: another counter sees the
// session held, takes it over when the lease has run out (or at once with
// a supervisor's confirmation), and finishes it with the same card.
func TestOfficeSessionLease(t *testing.T) {
	pg, ok := storetest.Postgres(t)
	if !ok {
		t.Skip("no PostgreSQL (MADOGUCHI_TEST_PG_URL); leases need named terminals")
	}
	for _, how := range []string{"expiry", "supervisor"} {
		t.Run(how, func(t *testing.T) {
			ctx := context.Background()
			target := pg.Target(t)
			ca := newFakeCA()
			a := openCounter(t, target, "counter-a", ca)
			b := openCounter(t, target, "counter-b", ca)
			codes := officeResidents(t, a.db, 1)
			r, _ := registry.New(a.db).Get(ctx, codes[0])
			s, err := a.m.Start(ctx, "clerk01", codes[0], r.Application(forms.KindNew, forms.Today()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.m.CheckIdentity(ctx, "clerk01", s.ID, photoID); err != nil {
				t.Fatal(err)
			}
			card := newFakeCard()
			if err := a.m.PrepareCard(ctx, "clerk01", s.ID, card); err != nil {
				t.Fatal(err)
			}
			a.db.Close() // the counter is gone: no release

			got, _ := b.m.Get(ctx, s.ID)
			if got.LeaseTerminal != "counter-a" || got.Terminal != "counter-a" {
				t.Fatalf("lease %q, terminal %q", got.LeaseTerminal, got.Terminal)
			}
			p, cf := pin()
			err = b.m.GenerateKey(ctx, "clerk02", s.ID, card, p, cf)
			var inUse *InUseError
			if !errors.As(err, &inUse) || inUse.Terminal != "counter-a" || inUse.UserMessage() == "" {
				t.Fatalf("step on a held session: %v", err)
			}
			// The write path refuses too, not only the check before it.
			if err := b.m.Abandon(ctx, "clerk02", s.ID, "test"); !errors.As(err, &inUse) {
				t.Fatalf("abandon of a held session: %v", err)
			}
			switch how {
			case "expiry":
				b.m.Now = func() time.Time { return time.Now().Add(DefaultLease + time.Minute) }
			case "supervisor":
				if _, err := b.m.TakeOver(ctx, "super01", s.ID); err != nil {
					t.Fatal(err)
				}
				es, _ := audit.List(ctx, b.db, audit.Filter{SessionID: s.ID})
				if last := es[len(es)-1]; last.Action != ActionTakenOver || last.Staff != "super01" || last.Terminal != "counter-b" {
					t.Fatalf("take-over not recorded: %+v", last)
				}
			}
			if err := b.driveFrom(ctx, "clerk02", s.ID, card); err != nil {
				t.Fatal(err)
			}
			done, _ := b.m.Get(ctx, s.ID)
			if done.State != Delivered || done.LeaseTerminal != "" {
				t.Fatalf("state %s, lease %q", done.State, done.LeaseTerminal)
			}
			if _, err := audit.Verify(ctx, b.db); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The database connection cut in the middle of a step: the step fails
// with a Japanese message saying so, nothing of it is committed, and the
// same step retried goes through.
func TestOfficeConnectionCut(t *testing.T) {
	pg, ok := storetest.Postgres(t)
	if !ok {
		t.Skip("no PostgreSQL (MADOGUCHI_TEST_PG_URL)")
	}
	ctx := context.Background()
	target := pg.Target(t)
	ca := newFakeCA()
	c := openCounter(t, target, "counter-cut", ca)
	admin := openCounter(t, target, "admin", ca)
	codes := officeResidents(t, c.db, 1)
	r, _ := registry.New(c.db).Get(ctx, codes[0])
	s, err := c.m.Start(ctx, "clerk01", codes[0], r.Application(forms.KindNew, forms.Today()))
	if err != nil {
		t.Fatal(err)
	}
	cut := true
	c.db.TxHook = func() {
		if cut {
			cut = false
			// Inside the step's transaction, every connection of this
			// counter is terminated by the server.
			if _, err := admin.db.ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'counter-cut'"); err != nil {
				t.Error(err)
			}
		}
	}
	_, err = c.m.CheckIdentity(ctx, "clerk01", s.ID, photoID)
	var ue *store.UnavailableError
	if !errors.As(err, &ue) || ue.UserMessage() == "" {
		t.Fatalf("step with the connection cut: %v", err)
	}
	got, err := c.m.Get(ctx, s.ID)
	if err != nil || got.State != Received {
		t.Fatalf("after the cut: %v %v", got, err)
	}
	if _, err := c.m.CheckIdentity(ctx, "clerk01", s.ID, photoID); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if err := c.driveFrom(ctx, "clerk01", s.ID, newFakeCard()); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(ctx, c.db); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkOfficeIssuance measures issuances per second: eight counters
// at once on one PostgreSQL, beside one counter on SQLite (in-process fake
// cards and CA, so that the database is what is measured).
func BenchmarkOfficeIssuance(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		counters := 1
		if be.Name == "postgres" {
			counters = 8
		}
		b.Run(fmt.Sprintf("%s-%dcounters", be.Name, counters), func(b *testing.B) {
			ctx := context.Background()
			target := be.Target(b)
			ca := newFakeCA()
			var cs []*counter
			for i := range counters {
				cs = append(cs, openCounter(b, target, fmt.Sprintf("counter-%d", i+1), ca))
			}
			n := max(b.N, counters)
			codes := officeResidents(b, cs[0].db, n)
			work := make(chan string, len(codes))
			for _, c := range codes {
				work <- c
			}
			close(work)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			var failed sync.Map
			for i, c := range cs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for code := range work {
						if err := c.issueAt(ctx, fmt.Sprintf("clerk%02d", i+1), code); err != nil {
							failed.Store(code, err)
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			failed.Range(func(k, v any) bool { b.Errorf("%v: %v", k, v); return false })
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "issuances/s")
		})
	}
}
