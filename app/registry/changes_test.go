package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"madoguchi/app/audit"
	"madoguchi/app/prefecture"
	"madoguchi/app/store"
)

// addCertificates records a valid certificate for each 住民コード, with
// serials "c0", "c1" … in order (a session and a clerk to satisfy the
// foreign keys), in one transaction.
func addCertificates(t testing.TB, db *store.DB, codes ...string) []string {
	t.Helper()
	ctx := context.Background()
	now := store.FormatTime(time.Now())
	later := store.FormatTime(time.Now().AddDate(5, 0, 0))
	var serials []string
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff (id, display_name, role, password_hash, created_at, password_changed_at)
			VALUES ('clerk01', '窓口 花子', 'clerk', 'x', ?, ?) ON CONFLICT (id) DO NOTHING`, now, now); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM certificates").Scan(&n); err != nil {
			return err
		}
		for i, code := range codes {
			serial := fmt.Sprintf("c%x", n+i)
			sid := "s-" + serial
			if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, kind, resident_code, clerk, state, outcome, created_at, updated_at)
				VALUES (?, 'new', ?, 'clerk01', 'delivered', 'completed', ?, ?)`, sid, code, now, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO certificates (serial, resident_code, session_id, clerk, status, issued_at, not_before, not_after, der)
				VALUES (?, ?, ?, 'clerk01', 'valid', ?, ?, ?, ?)`, serial, code, sid, now, now, later, []byte{0}); err != nil {
				return err
			}
			serials = append(serials, serial)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return serials
}

const baseCSV = `住民コード,氏,名,氏（フリガナ）,名（フリガナ）,生年月日,性別,住所,状態,異動日
12345678903,髙橋,花子,タカハシ,ハナコ,昭和37年6月17日,女,東京都千代田区本町一丁目２番３号,住民,
23456789014,山田,太郎,やまだ,たろう,19800101,1,東京都千代田区栄町二丁目１番１号,,
`

// holderLine is the row of 12345678903, who holds a certificate.
const holderLine = "12345678903,髙橋,花子,タカハシ,ハナコ,昭和37年6月17日,女,東京都千代田区本町一丁目２番３号,住民,"

func TestSnapshotChangeDetection(t *testing.T) {
	tests := []struct {
		name  string
		line  string // replaces holderLine; "" drops nothing
		extra string // rows appended
		kind  prefecture.NoticeKind
		cause string
	}{
		{"address", "12345678903,髙橋,花子,タカハシ,ハナコ,昭和37年6月17日,女,東京都千代田区本町一丁目５番３号,住民,", "", prefecture.NoticeAddressChange, "住所"},
		{"住居表示 (町名)", "12345678903,髙橋,花子,タカハシ,ハナコ,昭和37年6月17日,女,東京都千代田区新町一丁目２番３号,住民,", "", prefecture.NoticeAddressChange, "住所"},
		{"name", "12345678903,佐藤,花子,サトウ,ハナコ,昭和37年6月17日,女,東京都千代田区本町一丁目２番３号,住民,", "", prefecture.NoticeNameChange, "氏名"},
		{"name and address", "12345678903,佐藤,花子,サトウ,ハナコ,昭和37年6月17日,女,東京都千代田区本町二丁目２番３号,住民,", "", prefecture.NoticeNameChange, "氏名・住所"},
		{"death", "12345678903,髙橋,花子,タカハシ,ハナコ,昭和37年6月17日,女,東京都千代田区本町一丁目２番３号,死亡,2026-11-30", "", prefecture.NoticeDeath, "死亡"},
		{"転出", "12345678903,髙橋,花子,タカハシ,ハナコ,昭和37年6月17日,女,東京都千代田区本町一丁目２番３号,転出,2026-11-30", "", prefecture.NoticeMovedOut, "転出"},
		{"消除", "12345678903,髙橋,花子,タカハシ,ハナコ,昭和37年6月17日,女,東京都千代田区本町一丁目２番３号,消除,2026-11-30", "", prefecture.NoticeErased, "消除"},
		{"ふりがな only", "12345678903,髙橋,花子,タカハシ,ハナコさん,昭和37年6月17日,女,東京都千代田区本町一丁目２番３号,住民,", "", 0, ""},
		{"same address written differently", "12345678903,髙橋,花子,タカハシ,ハナコ,昭和37年6月17日,女,東京都千代田区本町一丁目2番3号,住民,", "", 0, ""},
		{"new resident", holderLine, "45678901236,鈴木,次郎,すずき,じろう,20260101,1,東京都千代田区中央一丁目１番１号,,\n", 0, ""},
		{"change of a resident without certificate", holderLine, "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			g, db := openRegistry(t)
			if _, err := importString(t, g, []byte(baseCSV), ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			serials := addCertificates(t, db, "12345678903")
			file := strings.Replace(baseCSV, holderLine, tt.line, 1) + tt.extra
			if tt.name == "change of a resident without certificate" {
				file = strings.Replace(file, "東京都千代田区栄町二丁目１番１号,,", "東京都千代田区栄町九丁目１番１号,死亡,2026-11-30", 1)
			}
			check, err := importString(t, g, []byte(file), ImportOptions{DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			var n int
			db.QueryRowContext(ctx, "SELECT count(*) FROM notices").Scan(&n)
			if n != 0 {
				t.Fatal("the check step wrote notices")
			}
			rep, err := importString(t, g, []byte(file), ImportOptions{CheckedSHA256: check.SHA256})
			if err != nil {
				t.Fatal(err)
			}
			if tt.kind == 0 {
				if len(check.Notices) != 0 || len(rep.Notices) != 0 || rep.Queued != 0 {
					t.Fatalf("notices %+v", rep.Notices)
				}
				return
			}
			for _, r := range []*ImportReport{check, rep} {
				if len(r.Notices) != 1 {
					t.Fatalf("notices %+v", r.Notices)
				}
				p := r.Notices[0]
				if p.Serial != serials[0] || p.Kind != tt.kind || p.Cause != tt.cause || p.Code != "12345678903" || p.Line != 2 || p.Name != "髙橋\u3000花子" {
					t.Errorf("planned %+v", p)
				}
			}
			var kind, state, cause string
			if err := db.QueryRowContext(ctx, "SELECT kind, state, cause FROM notices WHERE serial = ?", serials[0]).Scan(&kind, &state, &cause); err != nil {
				t.Fatal(err)
			}
			if kind != tt.kind.String() || state != "pending" || cause != tt.cause || rep.Queued != 1 {
				t.Errorf("outbox row %s %s %s, queued %d", kind, state, cause, rep.Queued)
			}
			es, _ := audit.List(ctx, db, audit.Filter{Action: audit.ActionNoticeQueued})
			if len(es) != 1 || !strings.Contains(es[0].Detail, serials[0]) {
				t.Errorf("audit %+v", es)
			}
			// The same file again: nothing changes, no second notice.
			again, err := importString(t, g, []byte(file), ImportOptions{})
			if err != nil || len(again.Notices) != 0 || again.Unchanged != again.Rows {
				t.Fatalf("again: %v %+v", err, again)
			}
			db.QueryRowContext(ctx, "SELECT count(*) FROM notices").Scan(&n)
			if n != 1 {
				t.Errorf("%d notices after the second import", n)
			}
		})
	}
}

// A 異動 file: one row per change, UTF-8 or CP932, applied in order.
func TestChangeFile(t *testing.T) {
	const header = "住民コード,異動事由,異動日,氏,名,ふりがな,生年月日,性別,住所\n"
	tests := []struct {
		name    string
		rows    string
		sjis    bool
		kind    prefecture.NoticeKind
		inserts int
		check   func(t *testing.T, g *Registry)
	}{
		{"転居", "12345678903,転居,2026-11-01,,,,,,東京都千代田区本町三丁目１番１号\n", false, prefecture.NoticeAddressChange, 0, func(t *testing.T, g *Registry) {
			if r, _ := g.Get(context.Background(), "12345678903"); r.Address != "東京都千代田区本町三丁目１番１号" {
				t.Errorf("address %q", r.Address)
			}
		}},
		{"住居表示実施 CP932", "12345678903,住居表示実施,令和8年11月1日,,,,,,東京都千代田区本町一丁目９番９号\n", true, prefecture.NoticeAddressChange, 0, nil},
		{"氏名変更", "12345678903,婚姻,2026-11-01,佐藤,花子,さとう はなこ,,,\n", false, prefecture.NoticeNameChange, 0, func(t *testing.T, g *Registry) {
			if r, _ := g.Get(context.Background(), "12345678903"); r.FamilyName != "佐藤" || r.FamilyKana != "さとう" {
				t.Errorf("name %+v", r)
			}
		}},
		{"死亡", "12345678903,死亡,2026-11-29,,,,,,\n", false, prefecture.NoticeDeath, 0, func(t *testing.T, g *Registry) {
			if r, _ := g.Get(context.Background(), "12345678903"); r.Status != StatusDeceased || r.StatusChangedOn != date(2026, 11, 29) {
				t.Errorf("status %+v", r)
			}
		}},
		{"転出", "12345678903,転出,2026-11-29,,,,,,\n", false, prefecture.NoticeMovedOut, 0, nil},
		{"職権消除 CP932", "12345678903,職権消除,2026-11-29,,,,,,\n", true, prefecture.NoticeErased, 0, nil},
		{"ふりがな変更", "12345678903,ふりがな変更,2026-11-01,,,たかはし はなえ,,,\n", false, 0, 0, nil},
		{"出生", "45678901236,出生,2026-11-01,鈴木,三郎,すずき さぶろう,2026-11-01,男,東京都千代田区本町一丁目２番３号\n", false, 0, 1, nil},
		{"転居 then 死亡: one notice, the first", "12345678903,転居,2026-11-01,,,,,,東京都千代田区本町三丁目１番１号\n12345678903,死亡,2026-11-29,,,,,,\n", false, prefecture.NoticeAddressChange, 0, func(t *testing.T, g *Registry) {
			if r, _ := g.Get(context.Background(), "12345678903"); r.Status != StatusDeceased || r.Address != "東京都千代田区本町三丁目１番１号" {
				t.Errorf("both changes not applied: %+v", r)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, db := openRegistry(t)
			if _, err := importString(t, g, []byte(baseCSV), ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			serials := addCertificates(t, db, "12345678903")
			data := []byte(header + tt.rows)
			if tt.sjis {
				data = sjis(t, header+tt.rows)
			}
			check, err := importString(t, g, data, ImportOptions{DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := importString(t, g, data, ImportOptions{CheckedSHA256: check.SHA256})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Shape != ShapeChanges || rep.Inserted != tt.inserts {
				t.Errorf("report %+v", rep)
			}
			for _, r := range []*ImportReport{check, rep} {
				if tt.kind == 0 {
					if len(r.Notices) != 0 {
						t.Errorf("notices %+v", r.Notices)
					}
					continue
				}
				if len(r.Notices) != 1 || r.Notices[0].Kind != tt.kind || r.Notices[0].Serial != serials[0] || r.Notices[0].ChangedOn.IsZero() {
					t.Errorf("notices %+v", r.Notices)
				}
			}
			if tt.check != nil {
				tt.check(t, g)
			}
		})
	}
}

func TestChangeFileRejects(t *testing.T) {
	const header = "住民コード,異動事由,異動日,氏,名,ふりがな,生年月日,性別,住所\n"
	tests := []struct {
		name, rows, want string
	}{
		{"unknown event", "12345678903,引越し祝い,2026-11-01,,,,,,\n", "異動事由"},
		{"no date", "12345678903,死亡,,,,,,,\n", "異動日"},
		{"address missing", "12345678903,転居,2026-11-01,,,,,,\n", "住所が必要"},
		{"unknown resident", "99999999990,死亡,2026-11-01,,,,,,\n", "台帳にありません"},
		{"birth without items", "45678901236,出生,2026-11-01,鈴木,,,,,\n", "生年月日が必要"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, db := openRegistry(t)
			if _, err := importString(t, g, []byte(baseCSV), ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			addCertificates(t, db, "12345678903")
			rep, err := importString(t, g, []byte(header+tt.rows), ImportOptions{})
			var ie *ImportError
			if !errors.As(err, &ie) || rep.Refused() != 1 || !strings.Contains(ie.UserMessage(), tt.want) {
				t.Fatalf("got %v, %+v", err, rep)
			}
			var n int
			db.QueryRowContext(context.Background(), "SELECT count(*) FROM notices").Scan(&n)
			if r, _ := g.Get(context.Background(), "12345678903"); n != 0 || r.Status != StatusResident {
				t.Error("a rejected file wrote something")
			}
		})
	}
}

// 取込 after the check needs the very file that was checked.
func TestImportNeedsTheCheckedFile(t *testing.T) {
	g, _ := openRegistry(t)
	check, err := importString(t, g, []byte(baseCSV), ImportOptions{DryRun: true})
	if err != nil || check.Inserted != 2 {
		t.Fatalf("check %v %+v", err, check)
	}
	other := baseCSV + "45678901236,鈴木,次郎,すずき,じろう,20260101,1,東京都千代田区中央一丁目１番１号,,\n"
	if _, err := importString(t, g, []byte(other), ImportOptions{CheckedSHA256: check.SHA256}); !errors.Is(err, ErrNotChecked) {
		t.Fatalf("import of another file: %v", err)
	}
	if n, _ := g.Count(context.Background()); n != 0 {
		t.Fatalf("%d residents written", n)
	}
	if _, err := importString(t, g, []byte(baseCSV), ImportOptions{CheckedSHA256: check.SHA256}); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseChanges(f *testing.F) {
	f.Add([]byte("住民コード,異動事由,異動日,住所\n12345678903,転居,2026-11-01,東京都千代田区本町\n"))
	f.Add([]byte("住民コード,異動事由,異動日\n1,死亡,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var n int
		rep, err := parse(context.Background(), strings.NewReader(string(data)), ImportOptions{}, nil, func(line int, c Change) error {
			if len(c.Resident.Code) != 11 || c.Event == 0 || c.Date.IsZero() {
				t.Fatalf("emitted a bad change on line %d: %+v", line, c)
			}
			n++
			return nil
		})
		if err == nil && rep.Shape == ShapeChanges && n != rep.Rows {
			t.Fatalf("%d changes emitted of %d rows", n, rep.Rows)
		}
	})
}
