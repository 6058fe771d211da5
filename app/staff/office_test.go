package staff

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"madoguchi/app/store"
	"madoguchi/app/store/storetest"
)

// On a database shared by several counters a lock-out holds at every
// counter, and failures at different counters, even at the same moment,
// add up to it.
func TestLockOutEverywhere(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			target := b.Target(t)
			now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
			var counters []*Store
			for range 4 {
				db, err := store.Open(ctx, target)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				s := New(db)
				s.Params = fastParams
				s.Now = func() time.Time { return now }
				counters = append(counters, s)
			}
			if err := counters[0].Create(ctx, "system", Account{ID: "c1", DisplayName: "c", Role: RoleClerk}, []byte("kumo-no-ue-1")); err != nil {
				t.Fatal(err)
			}
			max := counters[0].Policy.MaxFailures
			// max-1 failures spread over the counters, at once.
			var wg sync.WaitGroup
			errs := make(chan error, max)
			for i := range max - 1 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := counters[i%len(counters)].Authenticate(ctx, "c1", []byte("wrong-pass")); !errors.Is(err, ErrBadCredentials) {
						errs <- fmt.Errorf("failure %d: %v", i+1, err)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			// The last one, at yet another counter, locks the account…
			var le *LockedError
			if _, err := counters[3].Authenticate(ctx, "c1", []byte("wrong-pass")); !errors.As(err, &le) {
				t.Fatalf("failure %d = %v, want a lock-out", max, err)
			}
			// …and every counter refuses even the right password.
			for i, s := range counters {
				if _, err := s.Authenticate(ctx, "c1", []byte("kumo-no-ue-1")); !errors.As(err, &le) {
					t.Errorf("counter %d, right password while locked: %v", i, err)
				}
			}
		})
	}
}
