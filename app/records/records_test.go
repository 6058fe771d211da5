package records

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"madoguchi/app/registry"
	"madoguchi/app/store"
	"madoguchi/app/store/storetest"
	"madoguchi/forms"
)

var jst = time.FixedZone("JST", 9*3600)

func setup(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.Target(t, filepath.Join(t.TempDir(), "r.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg := registry.New(db)
	for _, r := range []registry.Resident{
		{Code: "11111111111", FamilyName: "山田", GivenName: "太郎", FamilyKana: "やまだ", GivenKana: "たろう", Birth: forms.Date{Year: 1980, Month: 1, Day: 1}, Sex: 1, Address: "東京都千代田区本町", Status: 1},
		{Code: "22222222222", FamilyName: "髙橋", GivenName: "花子", FamilyKana: "たかはし", GivenKana: "はなこ", Birth: forms.Date{Year: 1962, Month: 6, Day: 17}, Sex: 2, Address: "東京都千代田区本町", Status: 1},
	} {
		if err := reg.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"clerk01", "clerk02"} {
		db.ExecContext(ctx, `INSERT INTO staff (id, display_name, role, password_hash, created_at, password_changed_at) VALUES (?, ?, 'clerk', 'x', '', '')`, id, id)
	}
	return db
}

func addSession(t *testing.T, db *store.DB, id, kind, resident, clerk, outcome string, at time.Time, serial string) {
	t.Helper()
	finished := ""
	if outcome != "" {
		finished = store.FormatTime(at.Add(10 * time.Minute))
	}
	_, err := db.Exec(`INSERT INTO sessions (id, kind, resident_code, clerk, state, outcome, created_at, updated_at, finished_at, cert_serial)
		VALUES (?, ?, ?, ?, 'x', ?, ?, ?, ?, ?)`, id, kind, resident, clerk, outcome, store.FormatTime(at), store.FormatTime(at), finished, serial)
	if err != nil {
		t.Fatal(err)
	}
}

func testCert(t *testing.T, serial int64, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "t"}, NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func TestCertificateLifecycle(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, jst)
	addSession(t, db, "s1", "new", "22222222222", "clerk01", "", now, "")
	addSession(t, db, "s2", "renewal", "22222222222", "clerk01", "", now.Add(time.Hour), "")
	cert := testCert(t, 0xabc, now.Add(-time.Minute), now.AddDate(5, 0, 0))
	chain := []*x509.Certificate{testCert(t, 1, now, now.AddDate(10, 0, 0)), testCert(t, 2, now, now.AddDate(10, 0, 0))}
	c := NewCertificate(cert, chain, "22222222222", "s1", "clerk01", now)
	tx := func(fn func(*sql.Tx) error) {
		if err := db.Tx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	tx(func(tx *sql.Tx) error { return Insert(ctx, tx, c) })
	tx(func(tx *sql.Tx) error { return Insert(ctx, tx, c) }) // repeatable
	got, err := Get(ctx, db, "abc")
	if err != nil || got.Status != CertIssued || got.ResidentCode != "22222222222" || !got.NotAfter.Equal(cert.NotAfter) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	gotChain, err := got.ParseChain()
	if err != nil || len(gotChain) != 2 || gotChain[1].SerialNumber.Int64() != 2 {
		t.Fatalf("chain %v %v", gotChain, err)
	}
	if p, err := got.Parse(); err != nil || p.SerialNumber.Cmp(cert.SerialNumber) != 0 {
		t.Fatal("Parse")
	}
	// Not valid for a new issuance's warning until handed over.
	if v, _ := ValidFor(ctx, db, "22222222222", now); len(v) != 0 {
		t.Errorf("undelivered certificate counted as valid: %+v", v)
	}
	tx(func(tx *sql.Tx) error { return MarkDelivered(ctx, tx, "abc", now.Add(time.Minute)) })
	if v, _ := ValidFor(ctx, db, "22222222222", now); len(v) != 1 || v[0].Status != CertValid || v[0].DeliveredAt.IsZero() {
		t.Errorf("ValidFor after delivery = %+v", v)
	}
	if v, _ := ValidFor(ctx, db, "22222222222", now.AddDate(6, 0, 0)); len(v) != 0 {
		t.Errorf("expired certificate counted as valid")
	}
	tx(func(tx *sql.Tx) error { return MarkRevoked(ctx, tx, "abc", now.Add(2*time.Hour), "superseded") })
	tx(func(tx *sql.Tx) error { return MarkRevoked(ctx, tx, "abc", now.Add(3*time.Hour), "resident-request") })
	got, _ = Get(ctx, db, "abc")
	if got.Status != CertRevoked || got.RevokeReason != "superseded" || !got.RevokedAt.Equal(now.Add(2*time.Hour)) || got.ValidAt(now) {
		t.Errorf("after revocation %+v", got)
	}
	if err := db.Tx(ctx, func(tx *sql.Tx) error { return MarkRevoked(ctx, tx, "def", now, "x") }); err == nil {
		t.Error("revoking an unknown serial succeeded")
	}
	if _, err := Get(ctx, db, "def"); err != ErrNotFound {
		t.Errorf("Get unknown = %v", err)
	}
	list, _ := Certificates(ctx, db, CertFilter{Status: CertRevoked, Clerk: "clerk01"})
	if len(list) != 1 {
		t.Errorf("Certificates = %d", len(list))
	}
	list, _ = ForResident(ctx, db, "11111111111")
	if len(list) != 0 {
		t.Errorf("ForResident(other) = %d", len(list))
	}
}

func TestListAndDaily(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, jst)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	addSession(t, db, "a", "new", "11111111111", "clerk01", "completed", at(9), "a1")
	addSession(t, db, "b", "new", "22222222222", "clerk01", "abandoned", at(10), "")
	addSession(t, db, "c", "revocation", "22222222222", "clerk02", "completed", at(11), "")
	addSession(t, db, "d", "new", "22222222222", "clerk02", "", at(23), "")
	addSession(t, db, "e", "new", "11111111111", "clerk01", "completed", at(24), "e1")  // the next day in JST
	addSession(t, db, "f", "pin_reset", "11111111111", "clerk01", "failed", at(-1), "") // the day before

	all, err := List(ctx, db, Filter{From: day, To: day.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 || all[0].SessionID != "a" || all[0].ResidentName != "山田\u3000太郎" || all[0].Serial != "a1" || all[0].Result() != "交付" {
		t.Fatalf("List = %+v", all)
	}
	results := map[string]string{}
	for _, r := range all {
		results[r.SessionID] = r.Result()
	}
	if results["b"] != "中止" || results["c"] != "完了" || results["d"] != "処理中" {
		t.Errorf("results %v", results)
	}
	tests := []struct {
		f    Filter
		want int
	}{
		{Filter{Clerk: "clerk02"}, 2},
		{Filter{ResidentCode: "22222222222"}, 3},
		{Filter{Kind: forms.KindNew}, 4},
		{Filter{Outcome: OutcomeFilter(OutcomeOpen)}, 1},
		{Filter{Outcome: OutcomeFilter(OutcomeCompleted), Clerk: "clerk01"}, 2},
		{Filter{Limit: 2}, 2},
		{Filter{Offset: 5}, 1},
	}
	for _, tt := range tests {
		got, err := List(ctx, db, tt.f)
		if err != nil || len(got) != tt.want {
			t.Errorf("List(%+v) = %d, %v; want %d", tt.f, len(got), err, tt.want)
		}
	}

	counts, err := Daily(ctx, db, forms.DateOf(day), jst)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Count]bool{
		{forms.KindNew, OutcomeCompleted, "clerk01", 1}:        true,
		{forms.KindNew, OutcomeAbandoned, "clerk01", 1}:        true,
		{forms.KindRevocation, OutcomeCompleted, "clerk02", 1}: true,
		{forms.KindNew, OutcomeOpen, "clerk02", 1}:             true,
	}
	if len(counts) != len(want) {
		t.Fatalf("Daily = %+v", counts)
	}
	for _, c := range counts {
		if !want[c] {
			t.Errorf("unexpected count %+v", c)
		}
	}
}

func TestSerials(t *testing.T) {
	n, err := ParseSerial(FormatSerial(big.NewInt(0x1234abcd)))
	if err != nil || n.Int64() != 0x1234abcd {
		t.Fatal(n, err)
	}
	for _, s := range []string{"", "xyz", "-1", "0"} {
		if _, err := ParseSerial(s); err == nil {
			t.Errorf("ParseSerial(%q) accepted", s)
		}
	}
	for _, k := range []forms.ApplicationKind{forms.KindNew, forms.KindRenewal, forms.KindRevocation, forms.KindPINReset} {
		if got, err := ParseKind(KindCode(k)); err != nil || got != k {
			t.Errorf("kind %v round trip: %v %v", k, got, err)
		}
	}
}
