package refca

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// TestMigrationIndexesEarlierRevocations opens a store made by the first
// migration holding one valid and two revoked certificates: 0002 indexes
// the revocations (one shard for the municipalities that existed), in
// revocation order.
func TestMigrationIndexesEarlierRevocations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	first, err := migrations.ReadFile("migrations/0001_initial.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, string(first)); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	for i, c := range []struct {
		serial, muni string
		revokedAt    any
		reason       any
	}{
		{"a1", "131016", nil, nil},
		{"b2", "131016", now - 10, "death"},
		{"c3", "131024", now - 20, "key-compromise"},
	} {
		if _, err := db.ExecContext(ctx, `INSERT INTO certificates (`+recordColumns+`) VALUES (?, ?, ?, ?, ?, 't', 'ra', ?, ?, x'3000', ?, ?, 'ca')`,
			c.serial, []byte{byte(i)}, []byte{1}, []byte{byte(i)}, c.muni, now-100, now+1000, c.revokedAt, c.reason); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, "PRAGMA user_version = 1"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := openStore(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	munis, err := s.crlMunicipalities(ctx)
	if err != nil || len(munis) != 2 || munis[0].shards != 1 {
		t.Fatalf("municipalities %+v, %v", munis, err)
	}
	for _, tt := range []struct {
		serial string
		seq    int64
		muni   string
	}{{"c3", 1, "131024"}, {"b2", 2, "131016"}} {
		r, err := s.revocationBySerial(ctx, tt.serial)
		if err != nil || r == nil || r.Seq != tt.seq || r.Municipality != tt.muni || r.Shard != 0 {
			t.Errorf("%s: %+v, %v", tt.serial, r, err)
		}
	}
	if r, err := s.revocationBySerial(ctx, "a1"); err != nil || r != nil {
		t.Errorf("valid certificate indexed: %+v, %v", r, err)
	}
	if n, err := s.maxSeq(ctx); err != nil || n != 2 {
		t.Errorf("max seq %d, %v", n, err)
	}
}
