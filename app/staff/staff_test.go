package staff

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/store"
	"madoguchi/app/store/storetest"
)

var fastParams = Params{Time: 1, MemoryKiB: 1024, Threads: 1}

func newStore(t *testing.T) (*Store, *store.DB, *time.Time) {
	t.Helper()
	db, err := store.Open(context.Background(), storetest.Target(t, filepath.Join(t.TempDir(), "s.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := New(db)
	s.Params = fastParams
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	return s, db, &now
}

func TestHashRoundTrip(t *testing.T) {
	phc, err := DefaultParams.Hash([]byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("PHC = %s", phc)
	}
	if !VerifyHash(phc, []byte("correct horse")) || VerifyHash(phc, []byte("correct horsE")) {
		t.Error("VerifyHash wrong")
	}
	phc2, _ := DefaultParams.Hash([]byte("correct horse"))
	if phc == phc2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

func TestParseHashRejects(t *testing.T) {
	for _, s := range []string{
		"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=16$m=1024,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=0,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=1024,t=1,p=0$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=1024,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$a2V5",
	} {
		if _, _, _, err := ParseHash(s); err == nil {
			t.Errorf("ParseHash(%q) accepted", s)
		}
	}
}

func FuzzParseHash(f *testing.F) {
	phc, _ := fastParams.Hash([]byte("password1"))
	f.Add(phc)
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := ParseHash(s)
		if err != nil {
			return
		}
		if p.Time == 0 || p.MemoryKiB == 0 || p.Threads == 0 || len(salt) < 8 || len(key) < 16 {
			t.Fatalf("accepted bad parameters %+v", p)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw string
		ok bool
	}{
		{"madoguchi-demo", true},
		{"短いけど八文字以上です", true},
		{"short", false},
		{"aaaaaaaaaaaa", false},
		{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", false},
	}
	for _, tt := range tests {
		if err := CheckPassword([]byte(tt.pw)); (err == nil) != tt.ok {
			t.Errorf("CheckPassword(%q) = %v", tt.pw, err)
		}
	}
}

func TestCreateAndAuthenticate(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newStore(t)
	if err := s.Create(ctx, "system", Account{ID: "clerk07", DisplayName: "山田", Role: RoleClerk}, []byte("kumo-no-ue-7")); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "system", Account{ID: "clerk07", DisplayName: "山田", Role: RoleClerk}, []byte("kumo-no-ue-7")); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate Create = %v", err)
	}
	for _, bad := range []Account{{ID: "", DisplayName: "x", Role: RoleClerk}, {ID: "a b", DisplayName: "x", Role: RoleClerk}, {ID: "ok", DisplayName: " ", Role: RoleClerk}, {ID: "ok", DisplayName: "x", Role: "admin"}} {
		if err := s.Create(ctx, "system", bad, []byte("kumo-no-ue-7")); !errors.Is(err, ErrInvalid) {
			t.Errorf("Create(%+v) = %v", bad, err)
		}
	}
	a, err := s.Authenticate(ctx, "clerk07", []byte("kumo-no-ue-7"))
	if err != nil || a.ID != "clerk07" || a.Role != RoleClerk {
		t.Fatalf("Authenticate = %+v, %v", a, err)
	}
	if _, err := s.Authenticate(ctx, "clerk07", []byte("kumo-no-ue-8")); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "nobody", []byte("kumo-no-ue-7")); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("unknown account: %v", err)
	}
	// The password is in no row of the database.
	db.Close()
	if db.Dialect() != store.SQLite {
		return
	}
	raw, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(db.Path() + "-wal")
	if strings.Contains(string(raw)+string(wal), "kumo-no-ue-7") {
		t.Error("the password is stored in clear")
	}
}

func TestLockOut(t *testing.T) {
	ctx := context.Background()
	s, db, now := newStore(t)
	s.Create(ctx, "system", Account{ID: "c1", DisplayName: "c", Role: RoleClerk}, []byte("kumo-no-ue-1"))
	for i := 1; i < s.Policy.MaxFailures; i++ {
		if _, err := s.Authenticate(ctx, "c1", []byte("wrong-pass")); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	_, err := s.Authenticate(ctx, "c1", []byte("wrong-pass"))
	var le *LockedError
	if !errors.As(err, &le) || !le.Until.Equal(now.Add(15*time.Minute)) {
		t.Fatalf("5th failure = %v, want lock until +15m", err)
	}
	// Even the right password is refused while locked.
	if _, err := s.Authenticate(ctx, "c1", []byte("kumo-no-ue-1")); !errors.As(err, &le) {
		t.Fatalf("right password while locked = %v", err)
	}
	// After the lock expires the right password works.
	*now = now.Add(16 * time.Minute)
	if _, err := s.Authenticate(ctx, "c1", []byte("kumo-no-ue-1")); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	// A supervisor may lift a lock early.
	for i := 0; i < s.Policy.MaxFailures; i++ {
		s.Authenticate(ctx, "c1", []byte("wrong-pass"))
	}
	if _, err := s.Authenticate(ctx, "c1", []byte("kumo-no-ue-1")); !errors.As(err, &le) {
		t.Fatalf("not locked again: %v", err)
	}
	if err := s.Unlock(ctx, "super01", "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "c1", []byte("kumo-no-ue-1")); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	// A success in between resets the count.
	for i := 0; i < s.Policy.MaxFailures-1; i++ {
		s.Authenticate(ctx, "c1", []byte("wrong-pass"))
	}
	s.Authenticate(ctx, "c1", []byte("kumo-no-ue-1"))
	if _, err := s.Authenticate(ctx, "c1", []byte("wrong-pass")); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("count not reset by success: %v", err)
	}
	// Everything is in the audit trail, intact.
	locks, _ := audit.List(ctx, db, audit.Filter{Action: audit.ActionLockedOut})
	unlocks, _ := audit.List(ctx, db, audit.Filter{Action: audit.ActionStaffUnlocked})
	if len(locks) != 2 || len(unlocks) != 1 || unlocks[0].Staff != "super01" {
		t.Errorf("audit: %d locks, %d unlocks", len(locks), len(unlocks))
	}
	if _, err := audit.Verify(ctx, db); err != nil {
		t.Error(err)
	}
}

func TestDisableAndPasswordChange(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	s.Create(ctx, "system", Account{ID: "c1", DisplayName: "c", Role: RoleClerk}, []byte("kumo-no-ue-1"))
	if err := s.SetDisabled(ctx, "super01", "c1", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "c1", []byte("kumo-no-ue-1")); !errors.Is(err, ErrDisabled) {
		t.Errorf("disabled: %v", err)
	}
	s.SetDisabled(ctx, "super01", "c1", false)
	if err := s.SetPassword(ctx, "c1", "c1", []byte("short")); !errors.Is(err, ErrWeakPassword) {
		t.Errorf("weak: %v", err)
	}
	if err := s.SetPassword(ctx, "c1", "c1", []byte("atarashii-kagi-9")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "c1", []byte("kumo-no-ue-1")); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password still works: %v", err)
	}
	if _, err := s.Authenticate(ctx, "c1", []byte("atarashii-kagi-9")); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := s.Unlock(ctx, "super01", "ghost"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unlock ghost: %v", err)
	}
}

func TestHashUpgradedOnSignIn(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newStore(t)
	s.Create(ctx, "system", Account{ID: "c1", DisplayName: "c", Role: RoleClerk}, []byte("kumo-no-ue-1"))
	s.Params = Params{Time: 2, MemoryKiB: 2048, Threads: 1}
	if _, err := s.Authenticate(ctx, "c1", []byte("kumo-no-ue-1")); err != nil {
		t.Fatal(err)
	}
	var phc string
	db.QueryRowContext(ctx, "SELECT password_hash FROM staff WHERE id = 'c1'").Scan(&phc)
	if p, _, _, _ := ParseHash(phc); p != s.Params {
		t.Errorf("hash not upgraded: %s", phc)
	}
}

func TestRoles(t *testing.T) {
	clerk := Account{ID: "c", Role: RoleClerk}
	super := Account{ID: "s", Role: RoleSupervisor}
	if clerk.Require(RoleClerk) != nil || super.Require(RoleClerk) != nil || super.Require(RoleSupervisor) != nil {
		t.Error("allowed role refused")
	}
	var fe *ForbiddenError
	if err := clerk.Require(RoleSupervisor); !errors.As(err, &fe) || fe.UserMessage() == "" {
		t.Errorf("clerk as supervisor: %v", err)
	}
}

func TestEnsureDemo(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	for i := 0; i < 2; i++ {
		if err := s.EnsureDemo(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for id, role := range map[string]Role{DemoClerk: RoleClerk, DemoSupervisor: RoleSupervisor} {
		a, err := s.Authenticate(ctx, id, []byte(DemoPassword))
		if err != nil || a.Role != role {
			t.Errorf("%s: %+v %v", id, a, err)
		}
	}
	all, _ := s.List(ctx)
	if len(all) != 2 {
		t.Errorf("List = %d accounts", len(all))
	}
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		DefaultParams.Hash([]byte("madoguchi-demo"))
	}
}
