package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"madoguchi/app/store"
	"madoguchi/app/store/storetest"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), storetest.Target(t, filepath.Join(t.TempDir(), "a.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func fill(t *testing.T, db *store.DB, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		_, err := Record(context.Background(), db, Entry{Staff: "clerk01", Action: ActionSessionStep, SessionID: "s1", Subject: fmt.Sprint(i), Detail: fmt.Sprintf("step %d", i)})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestAppendAndVerify(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	if rep, err := Verify(ctx, db); err != nil || rep.Rows != 0 {
		t.Fatalf("empty log: %v %+v", err, rep)
	}
	fill(t, db, 10)
	rep, err := Verify(ctx, db)
	if err != nil || rep.Rows != 10 || rep.HeadSeq != 10 || !rep.Intact() {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	es, err := List(ctx, db, Filter{Subject: "3"})
	if err != nil || len(es) != 1 || es[0].Seq != 3 || es[0].Detail != "step 3" {
		t.Fatalf("List = %+v, %v", es, err)
	}
	es, _ = List(ctx, db, Filter{Action: "session."})
	if len(es) != 10 {
		t.Errorf("prefix filter found %d rows", len(es))
	}
	es, _ = List(ctx, db, Filter{Action: "session"})
	if len(es) != 0 {
		t.Errorf("exact filter 'session' found %d rows", len(es))
	}
	es, _ = List(ctx, db, Filter{From: time.Now().Add(time.Hour)})
	if len(es) != 0 {
		t.Errorf("future filter found %d rows", len(es))
	}
}

func TestAppendRollsBackWithItsTransaction(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	fill(t, db, 2)
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := Append(ctx, tx, Entry{Staff: "x", Action: "a"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	fill(t, db, 1)
	if rep, err := Verify(ctx, db); err != nil || rep.Rows != 3 {
		t.Fatalf("after rollback: %+v %v", rep, err)
	}
}

func TestTriggersRefuseUpdateAndDelete(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	fill(t, db, 2)
	if _, err := db.ExecContext(ctx, "UPDATE audit_log SET detail = 'x' WHERE seq = 1"); err == nil {
		t.Error("update allowed")
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM audit_log WHERE seq = 1"); err == nil {
		t.Error("delete allowed")
	}
}

// Every kind of tampering, done by someone who first drops the triggers,
// is found, and the report points at the right row.
func TestVerifyFindsTampering(t *testing.T) {
	tests := []struct {
		name   string
		sql    []string
		seq    int64
		kind   ProblemKind
		recalc int64 // recompute this row's hash after the change (a careful forger)
	}{
		{name: "changed detail", sql: []string{"UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 4"}, seq: 4, kind: Altered},
		{name: "changed staff", sql: []string{"UPDATE audit_log SET staff = 'super01' WHERE seq = 1"}, seq: 1, kind: Altered},
		{name: "changed time", sql: []string{"UPDATE audit_log SET at = '2000-01-01T00:00:00.000000Z' WHERE seq = 7"}, seq: 7, kind: Altered},
		{name: "changed and rehashed", sql: []string{"UPDATE audit_log SET detail = 'forged' WHERE seq = 4"}, recalc: 4, seq: 5, kind: BrokenLink},
		{name: "deleted middle row", sql: []string{"DELETE FROM audit_log WHERE seq = 5"}, seq: 6, kind: Gap},
		{name: "deleted first row", sql: []string{"DELETE FROM audit_log WHERE seq = 1"}, seq: 2, kind: Gap},
		{name: "deleted last row", sql: []string{"DELETE FROM audit_log WHERE seq = 10"}, seq: 9, kind: HeadMismatch},
		{name: "appended without head", sql: []string{"INSERT INTO audit_log (seq, at, staff, action, session_id, subject, detail, prev_hash, hash) SELECT 11, at, staff, action, session_id, subject, detail, hash, hash FROM audit_log WHERE seq = 10"}, seq: 11, kind: Altered},
		{name: "inserted between (renumbered)", sql: []string{
			"UPDATE audit_log SET seq = seq + 100 WHERE seq > 5",
			"UPDATE audit_log SET seq = seq - 99 WHERE seq > 100",
			"INSERT INTO audit_log (seq, at, staff, action, session_id, subject, detail, prev_hash, hash) SELECT 6, at, staff, action, session_id, 'inserted', detail, hash, hash FROM audit_log WHERE seq = 5",
		}, seq: 6, kind: Altered},
		{name: "swapped rows", sql: []string{
			"UPDATE audit_log SET seq = 100 WHERE seq = 3",
			"UPDATE audit_log SET seq = 3 WHERE seq = 2",
			"UPDATE audit_log SET seq = 2 WHERE seq = 100",
		}, seq: 2, kind: BrokenLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t)
			fill(t, db, 10)
			dropTriggers(t, db)
			for _, q := range tt.sql {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if tt.recalc != 0 {
				es, _ := List(ctx, db, Filter{})
				for _, e := range es {
					if e.Seq == tt.recalc {
						db.ExecContext(ctx, "UPDATE audit_log SET hash = ? WHERE seq = ?", Sum(e.PrevHash, e), e.Seq)
					}
				}
			}
			rep, err := Verify(ctx, db)
			var te *TamperError
			if !errors.As(err, &te) {
				t.Fatalf("Verify = %v, want *TamperError", err)
			}
			if te.UserMessage() == "" || rep.Intact() {
				t.Error("no user message or report says intact")
			}
			found := false
			for _, p := range rep.Problems {
				if p.Seq == tt.seq && p.Kind == tt.kind {
					found = true
				}
			}
			if !found {
				t.Errorf("problems %+v do not include row %d %s", rep.Problems, tt.seq, tt.kind)
			}
		})
	}
}

func BenchmarkAppend(b *testing.B) {
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "a.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for b.Loop() {
		if _, err := Record(context.Background(), db, Entry{Staff: "clerk01", Action: ActionSessionStep, Detail: "x"}); err != nil {
			b.Fatal(err)
		}
	}
}

// dropTriggers removes the append-only triggers, as someone tampering
// with the database would.
func dropTriggers(t testing.TB, db *store.DB) {
	t.Helper()
	on := ""
	if db.Dialect() == store.Postgres {
		on = " ON audit_log"
	}
	for _, tr := range []string{"audit_log_no_update", "audit_log_no_delete"} {
		if _, err := db.ExecContext(context.Background(), "DROP TRIGGER "+tr+on); err != nil {
			t.Fatal(err)
		}
	}
}
