package staff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"madoguchi/app/audit"
)

// answer is what a sign-in attempt shows: the error's kind and its
// Japanese message.
func answer(err error) string {
	var um interface{ UserMessage() string }
	if errors.As(err, &um) {
		return fmt.Sprintf("%T: %s", err, um.UserMessage())
	}
	return fmt.Sprintf("%T: %v", err, err)
}

// An unknown ID gets, attempt after attempt, exactly the answers a real ID
// with a wrong password gets, lock-out included: staff IDs cannot be
// discovered by trying them.
func TestUnknownIDAnsweredLikeWrongPassword(t *testing.T) {
	ctx := context.Background()
	s, db, now := newStore(t)
	if err := s.Create(ctx, "system", Account{ID: "clerk07", DisplayName: "山田", Role: RoleClerk}, []byte("kumo-no-ue-7")); err != nil {
		t.Fatal(err)
	}
	attempts := []struct {
		name string
		pw   func(id string) string
	}{
		{"wrong 1", func(string) string { return "wrong-pass" }},
		{"wrong 2", func(string) string { return "wrong-pass" }},
		{"wrong 3", func(string) string { return "wrong-pass" }},
		{"wrong 4", func(string) string { return "wrong-pass" }},
		{"wrong 5 locks", func(string) string { return "wrong-pass" }},
		{"right password while locked", func(string) string { return "kumo-no-ue-7" }},
		{"wrong while locked", func(string) string { return "wrong-pass" }},
	}
	var real, ghost []string
	for _, a := range attempts {
		_, err1 := s.Authenticate(ctx, "clerk07", []byte(a.pw("clerk07")))
		_, err2 := s.Authenticate(ctx, "ghost99", []byte(a.pw("ghost99")))
		real, ghost = append(real, answer(err1)), append(ghost, answer(err2))
		if err1 == nil || err2 == nil {
			t.Fatalf("%s: signed in (%v, %v)", a.name, err1, err2)
		}
		if answer(err1) != answer(err2) {
			t.Errorf("%s: real ID answered %q, unknown ID %q", a.name, answer(err1), answer(err2))
		}
	}
	var le *LockedError
	_, err := s.Authenticate(ctx, "ghost99", []byte("x"))
	if !errors.As(err, &le) {
		t.Fatalf("unknown ID not locked after %d failures: %v", s.Policy.MaxFailures, err)
	}
	// The lock expires alike; the real ID then signs in.
	*now = now.Add(s.Policy.LockDuration + time.Minute)
	if _, err := s.Authenticate(ctx, "ghost99", []byte("kumo-no-ue-7")); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("unknown ID after expiry: %v", err)
	}
	if _, err := s.Authenticate(ctx, "clerk07", []byte("kumo-no-ue-7")); err != nil {
		t.Errorf("real ID after expiry: %v", err)
	}
	// The audit trail, which only supervisors read, does tell them apart.
	unknown, _ := audit.List(ctx, db, audit.Filter{Action: audit.ActionSignInFailed, Subject: "ghost99"})
	if len(unknown) == 0 || unknown[0].Detail == "" {
		t.Errorf("unknown-ID failures not audited: %+v", unknown)
	}
	if !slices.Equal(real, ghost) {
		t.Errorf("answers differ:\n%q\n%q", real, ghost)
	}
}

// A disabled account says so only to someone who knows its password.
func TestDisabledNeedsThePassword(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	s.Create(ctx, "system", Account{ID: "clerk07", DisplayName: "山田", Role: RoleClerk}, []byte("kumo-no-ue-7"))
	s.SetDisabled(ctx, "super01", "clerk07", true)
	if _, err := s.Authenticate(ctx, "clerk07", []byte("wrong-pass")); answer(err) != answer(ErrBadCredentials) {
		t.Errorf("disabled, wrong password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "clerk07", []byte("kumo-no-ue-7")); !errors.Is(err, ErrDisabled) {
		t.Errorf("disabled, right password: %v", err)
	}
}

// The time a refusal takes does not tell an unknown ID from a wrong
// password, nor a locked ID from a free one: every attempt runs one
// argon2id verification with the store's parameters.
func TestSignInTimingDoesNotTellIDsApart(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	ctx := context.Background()
	s, _, _ := newStore(t)
	s.Params = Params{Time: 2, MemoryKiB: 32 * 1024, Threads: 1}
	s.Policy.MaxFailures = 3
	for _, id := range []string{"free01", "locked01"} {
		if err := s.Create(ctx, "system", Account{ID: id, DisplayName: id, Role: RoleClerk}, []byte("kumo-no-ue-7")); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		s.Authenticate(ctx, "locked01", []byte("wrong-pass"))
		s.Authenticate(ctx, "lockedghost", []byte("wrong-pass"))
	}
	ids := []string{"free01", "ghost", "locked01", "lockedghost"}
	times := make(map[string][]time.Duration)
	for round := 0; round < 7; round++ {
		for _, id := range ids { // interleaved, so that load on the machine hits all alike
			start := time.Now()
			s.Authenticate(ctx, id, []byte("wrong-pass"))
			times[id] = append(times[id], time.Since(start))
			if id == "free01" || id == "ghost" {
				s.db.Exec("DELETE FROM signin_failures WHERE id = ?", id)
			}
		}
	}
	// The fastest of several tries is the work itself; load on the
	// machine only ever adds to it.
	fastest := func(id string) time.Duration { return slices.Min(times[id]) }
	// Known and unknown IDs are compared in the same state: the work on
	// the database differs between a counted failure and a locked ID, the
	// hashing does not.
	for _, pair := range [][2]string{{"free01", "ghost"}, {"locked01", "lockedghost"}} {
		known, unknown := fastest(pair[0]), fastest(pair[1])
		t.Logf("%s: %v, %s: %v", pair[0], known, pair[1], unknown)
		if unknown < known/2 || unknown > known*2 {
			t.Errorf("%s took %v, %s %v: the time tells them apart", pair[1], unknown, pair[0], known)
		}
	}
	// A locked ID is not answered without hashing.
	if locked, free := fastest("locked01"), fastest("free01"); locked < free/4 {
		t.Errorf("a locked ID is answered in %v, a wrong password in %v", locked, free)
	}
}

// A supervisor's reset gives a temporary password that works at once, even
// on a locked ID, and must be changed; unlock lifts a lock; disable and
// enable take effect; each is in the audit trail under the supervisor.
func TestSupervisorActions(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newStore(t)
	s.Create(ctx, "system", Account{ID: "clerk07", DisplayName: "山田", Role: RoleClerk}, []byte("kumo-no-ue-7"))
	lock := func() {
		for i := 0; i < s.Policy.MaxFailures; i++ {
			s.Authenticate(ctx, "clerk07", []byte("wrong-pass"))
		}
		var le *LockedError
		if _, err := s.Authenticate(ctx, "clerk07", []byte("kumo-no-ue-7")); !errors.As(err, &le) {
			t.Fatalf("not locked: %v", err)
		}
	}
	lock()
	tmp, err := s.ResetPassword(ctx, "super01", "clerk07")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Authenticate(ctx, "clerk07", []byte(tmp))
	if err != nil || !a.MustChangePassword {
		t.Fatalf("temporary password: %+v, %v", a, err)
	}
	if err := s.SetPassword(ctx, "clerk07", "clerk07", []byte("atarashii-kagi-9")); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Get(ctx, "clerk07"); a.MustChangePassword {
		t.Error("must-change flag not cleared by the staff member's own password")
	}
	lock()
	if a, _ := s.Get(ctx, "clerk07"); a.LockedUntil.IsZero() {
		t.Error("Get does not show the lock")
	}
	if err := s.Unlock(ctx, "super01", "clerk07"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "clerk07", []byte("atarashii-kagi-9")); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	s.SetDisabled(ctx, "super01", "clerk07", true)
	if _, err := s.Authenticate(ctx, "clerk07", []byte("atarashii-kagi-9")); !errors.Is(err, ErrDisabled) {
		t.Errorf("disabled: %v", err)
	}
	s.SetDisabled(ctx, "super01", "clerk07", false)
	if _, err := s.Authenticate(ctx, "clerk07", []byte("atarashii-kagi-9")); err != nil {
		t.Errorf("enabled: %v", err)
	}
	if _, err := s.ResetPassword(ctx, "super01", "ghost"); !errors.Is(err, ErrNotFound) {
		t.Errorf("reset ghost: %v", err)
	}
	for _, action := range []string{audit.ActionStaffPasswordReset, audit.ActionStaffUnlocked, audit.ActionStaffDisabled, audit.ActionStaffEnabled} {
		es, _ := audit.List(ctx, db, audit.Filter{Action: action, Subject: "clerk07"})
		if len(es) != 1 || es[0].Staff != "super01" {
			t.Errorf("%s: audit %+v", action, es)
		}
		for _, e := range es {
			if strings.Contains(e.Detail, tmp) {
				t.Errorf("%s: the temporary password is in the audit trail", action)
			}
		}
	}
}
