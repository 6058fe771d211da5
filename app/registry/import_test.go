package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"madoguchi/app/audit"
	"madoguchi/forms"
)

const goodCSV = `住民コード,氏,名,氏（フリガナ）,名（フリガナ）,生年月日,性別,住所,状態,異動日
12345678903,髙橋,花子,タカハシ,ハナコ,昭和37年6月17日,女,東京都千代田区本町一丁目２番３号,住民,
23456789014,山田,太郎,やまだ,たろう,19800101,1,東京都千代田区栄町二丁目１番１号,,
34567890125,佐藤,一郎,サトウ,イチロウ,1950-03-04,男,東京都千代田区旭町三丁目４番５号,転出,2024-04-01
`

func sjis(t *testing.T, s string) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(b)
}

func importString(t *testing.T, g *Registry, data []byte, opt ImportOptions) (*ImportReport, error) {
	t.Helper()
	return g.Import(context.Background(), "super01", bytes.NewReader(data), opt)
}

func TestImportEncodings(t *testing.T) {
	// 髙 is a CP932 (NEC/IBM extension) character; plain Shift_JIS has no 髙,
	// so the Shift_JIS sample uses 高.
	sjisCSV := strings.ReplaceAll(goodCSV, "髙橋", "高橋")
	tests := []struct {
		name string
		data []byte
		enc  Encoding
		want Encoding
	}{
		{"utf8 auto", []byte(goodCSV), EncodingAuto, EncodingUTF8},
		{"utf8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, goodCSV...), EncodingAuto, EncodingUTF8},
		{"utf8 flagged", []byte(goodCSV), EncodingUTF8, EncodingUTF8},
		{"sjis auto", sjis(t, sjisCSV), EncodingAuto, EncodingShiftJIS},
		{"sjis flagged", sjis(t, sjisCSV), EncodingShiftJIS, EncodingShiftJIS},
		{"crlf", []byte(strings.ReplaceAll(goodCSV, "\n", "\r\n")), EncodingAuto, EncodingUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := openRegistry(t)
			rep, err := importString(t, g, tt.data, ImportOptions{Encoding: tt.enc})
			if err != nil {
				t.Fatalf("Import: %v (%+v)", err, rep)
			}
			if rep.Encoding != tt.want || rep.Rows != 3 || rep.Inserted != 3 || rep.Updated != 0 || len(rep.SHA256) != 64 {
				t.Errorf("report %+v", rep)
			}
			r, err := g.Get(context.Background(), "12345678903")
			if err != nil || r.FamilyKana != "たかはし" || r.GivenName != "花子" || r.Birth != date(1962, 6, 17) || r.Sex != forms.SexFemale {
				t.Errorf("Get = %+v, %v", r, err)
			}
			r, _ = g.Get(context.Background(), "34567890125")
			if r.Status != StatusMovedOut || r.StatusChangedOn != date(2024, 4, 1) {
				t.Errorf("moved-out resident = %+v", r)
			}
		})
	}
}

// CP932 exports carry NEC and IBM extension characters such as 髙 and 﨑;
// they must arrive intact.
func TestImportCP932Extensions(t *testing.T) {
	g, _ := openRegistry(t)
	data := sjis(t, "住民コード,氏名,ふりがな,生年月日,性別,住所\n12345678903,髙橋　﨑子,たかはし　さきこ,S37.6.17,2,東京都千代田区本町一丁目２番３号\n")
	if _, err := importString(t, g, data, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	r, _ := g.Get(context.Background(), "12345678903")
	if r.FamilyName != "髙橋" || r.GivenName != "﨑子" || r.GivenKana != "さきこ" {
		t.Errorf("resident = %+v", r)
	}
}

func TestImportRejects(t *testing.T) {
	header := "住民コード,氏,名,氏ふりがな,名ふりがな,生年月日,性別,住所,状態\n"
	row := func(code, birth, sex, status string) string {
		return fmt.Sprintf("%s,山田,太郎,やまだ,たろう,%s,%s,東京都千代田区本町一丁目１番１号,%s\n", code, birth, sex, status)
	}
	tests := []struct {
		name  string
		data  []byte
		opt   ImportOptions
		lines []int    // rejected lines, in order
		want  []string // a fragment of each line's Japanese message
	}{
		{"missing columns", []byte("住民コード,氏,生年月日\n12345678903,山田,19800101\n"), ImportOptions{}, []int{1}, []string{"ふりがな"}},
		{"empty file", nil, ImportOptions{}, []int{1}, []string{"空"}},
		{"header only", []byte(header), ImportOptions{}, []int{1}, []string{"データ行"}},
		{"bad dates", []byte(header + row("12345678903", "1980-02-30", "1", "") + row("23456789014", "昭和65年1月1日", "1", "") + row("34567890125", "", "1", "") + row("45678901236", "19800101", "1", "")),
			ImportOptions{}, []int{2, 3, 4}, []string{"1980-02-30", "昭和65年1月1日", "生年月日が空"}},
		{"duplicate codes", []byte(header + row("12345678903", "19800101", "1", "") + row("23456789014", "19800101", "1", "") + row("12345678903", "19800102", "2", "")),
			ImportOptions{}, []int{4}, []string{"2行目と重複"}},
		{"bad code, sex and status", []byte(header + row("1234", "19800101", "X", "") + row("23456789014", "19800101", "1", "引越")),
			ImportOptions{}, []int{2, 3}, []string{"11桁", "引越"}},
		{"short row", []byte(header + "12345678903,山田,太郎\n"), ImportOptions{}, []int{2}, []string{"列が足りません"}},
		{"unbalanced quote", []byte(header + row("12345678903", "19800101", "1", "") + "23456789014,\"山田,太郎,やまだ,たろう,19800101,1,住所,\n"),
			ImportOptions{}, []int{3}, []string{"引用符"}},
		{"sjis flagged as utf8", sjis(t, header+row("12345678903", "19800101", "1", "")), ImportOptions{Encoding: EncodingUTF8}, []int{1}, []string{"UTF-8"}},
		{"utf8 flagged as sjis", []byte(header + row("12345678903", "19800101", "1", "")), ImportOptions{Encoding: EncodingShiftJIS}, []int{1}, []string{"Shift_JIS"}},
		{"sjis rows in a utf8 file", append([]byte(header+row("12345678903", "19800101", "1", "")), sjis(t, row("23456789014", "19800101", "1", ""))...),
			ImportOptions{Encoding: EncodingUTF8}, []int{3}, []string{"文字コード"}},
		{"kanji in kana", []byte(header + "12345678903,山田,太郎,山田,たろう,19800101,1,東京都千代田区本町,\n"), ImportOptions{}, []int{2}, []string{"かな"}},
		{"mapped column absent", []byte(header + row("12345678903", "19800101", "1", "")), ImportOptions{Columns: map[Field]string{FieldAddress: "現住所"}}, []int{1}, []string{"現住所"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, db := openRegistry(t)
			rep, err := importString(t, g, tt.data, tt.opt)
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("Import = %v, want *ImportError", err)
			}
			if ie.UserMessage() == "" || !strings.Contains(ie.UserMessage(), "1件も更新していません") {
				t.Errorf("user message %q", ie.UserMessage())
			}
			var lines []int
			for _, r := range rep.Rejected {
				lines = append(lines, r.Line)
			}
			if fmt.Sprint(lines) != fmt.Sprint(tt.lines) {
				t.Fatalf("rejected lines %v, want %v: %v", lines, tt.lines, rep.Rejected)
			}
			for i, frag := range tt.want {
				if i < len(rep.Rejected) && !strings.Contains(rep.Rejected[i].Message(), frag) {
					t.Errorf("line %d message %q lacks %q", rep.Rejected[i].Line, rep.Rejected[i].Message(), frag)
				}
			}
			// All or nothing: no resident was written, and the rejected
			// attempt is in the audit trail.
			if n, _ := g.Count(context.Background()); n != 0 {
				t.Errorf("%d residents written by a rejected import", n)
			}
			es, _ := audit.List(context.Background(), db, audit.Filter{Action: audit.ActionRegistryImport})
			if len(es) != 1 || !strings.HasPrefix(es[0].Detail, "rejected") {
				t.Errorf("audit %+v", es)
			}
		})
	}
}

func TestImportFullNameColumnsAndMapping(t *testing.T) {
	ctx := context.Background()
	g, _ := openRegistry(t)
	data := "ID,NAME,YOMI,DOB,S,ADDR\n" +
		"12345678903,髙橋　花子,ﾀｶﾊｼ ﾊﾅｺ,S37.6.17,F,東京都千代田区本町一丁目２番３号\n" +
		"\n" + // blank lines are skipped
		"23456789014,\"Smith, John\",すみす　じょん,1990-01-02,M,東京都千代田区栄町\n"
	opt := ImportOptions{Columns: map[Field]string{FieldCode: "ID", FieldName: "NAME", FieldKana: "YOMI", FieldBirth: "DOB", FieldSex: "S", FieldAddress: "ADDR"}}
	rep, err := importString(t, g, []byte(data), opt)
	if err != nil {
		t.Fatalf("%v %+v", err, rep.Rejected)
	}
	r, _ := g.Get(ctx, "12345678903")
	if r.FamilyName != "髙橋" || r.GivenName != "花子" || r.FamilyKana != "たかはし" || r.GivenKana != "はなこ" {
		t.Errorf("split name = %+v", r)
	}
	r, _ = g.Get(ctx, "23456789014")
	if r.FamilyName != "Smith," || r.GivenName != "John" {
		t.Errorf("second = %+v", r)
	}
}

func TestImportNoHeaderTSV(t *testing.T) {
	g, _ := openRegistry(t)
	data := "東京都千代田区本町一丁目２番３号\t12345678903\t山田\t太郎\tやまだ\tたろう\t19800101\t1\n"
	opt := ImportOptions{NoHeader: true, Comma: '\t', Columns: map[Field]string{
		FieldAddress: "1", FieldCode: "2", FieldFamilyName: "3", FieldGivenName: "4", FieldFamilyKana: "5", FieldGivenKana: "6", FieldBirth: "7", FieldSex: "8"}}
	rep, err := importString(t, g, []byte(data), opt)
	if err != nil || rep.Inserted != 1 {
		t.Fatalf("%v %+v", err, rep)
	}
	opt.Columns[FieldSex] = "zero"
	if _, err := importString(t, g, []byte(data), opt); err == nil {
		t.Error("bad column number accepted")
	}
}

func TestImportUpdatesAndDryRun(t *testing.T) {
	ctx := context.Background()
	g, db := openRegistry(t)
	if _, err := importString(t, g, []byte(goodCSV), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(goodCSV, "23456789014,山田,太郎,やまだ,たろう,19800101,1,東京都千代田区栄町二丁目１番１号,,",
		"23456789014,山田,太郎,やまだ,たろう,19800101,1,東京都千代田区栄町二丁目１番１号,死亡,2025-01-01", 1)
	moved += "45678901236,鈴木,次郎,すずき,じろう,20000101,1,東京都千代田区中央一丁目１番１号,,\n"
	rep, err := importString(t, g, []byte(moved), ImportOptions{DryRun: true})
	// The check step counts as the import will (issue 13: it said 新規 0件).
	if err != nil || rep.Rows != 4 || rep.Inserted != 1 || rep.Updated != 1 || rep.Unchanged != 2 || rep.Refused() != 0 {
		t.Fatalf("dry run: %v %+v", err, rep)
	}
	if r, _ := g.Get(ctx, "23456789014"); r.Status != StatusResident {
		t.Error("dry run wrote")
	}
	rep, err = importString(t, g, []byte(moved), ImportOptions{})
	if err != nil || rep.Inserted != 1 || rep.Updated != 1 || rep.Unchanged != 2 {
		t.Fatalf("update: %v %+v", err, rep)
	}
	if r, _ := g.Get(ctx, "23456789014"); r.Status != StatusDeceased || r.StatusChangedOn != date(2025, 1, 1) {
		t.Errorf("not updated: %+v", r)
	}
	es, _ := audit.List(ctx, db, audit.Filter{Action: audit.ActionRegistryImport})
	if len(es) != 2 || !strings.Contains(es[1].Detail, "1 inserted, 1 updated, 2 unchanged") || es[1].Staff != "super01" {
		t.Errorf("audit = %+v", es)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(goodCSV))
	f.Add([]byte("住民コード,氏名,ふりがな,生年月日,性別,住所\n1,\"a\nb\",c,d,e,f\n"))
	f.Add([]byte{0x82, 0xa0, 0x2c, 0x0a})
	f.Add([]byte("住民コード,氏,名,氏ふりがな,名ふりがな,生年月日,性別,住所,成年被後見人\n12345678903,山田,太郎,やまだ,たろう,19800101,1,東京都,該当\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var emitted []int
		rep, err := Parse(context.Background(), bytes.NewReader(data), ImportOptions{}, func(line int, r Resident) error {
			if err := r.Validate(); err != nil {
				t.Fatalf("emitted an invalid row on line %d: %v", line, err)
			}
			emitted = append(emitted, line)
			return nil
		})
		if err == nil {
			if rep.Rows == 0 || len(rep.Rejected) != 0 || len(emitted) != rep.Rows {
				t.Fatalf("success with report %+v, %d rows emitted", rep, len(emitted))
			}
			return
		}
		var ie *ImportError
		if !errors.As(err, &ie) {
			t.Fatalf("error %v is not an *ImportError", err)
		}
		for _, r := range ie.Report.Rejected {
			if r.Line < 1 || len(r.Problems) == 0 || r.Message() == "" {
				t.Fatalf("bad row error %+v", r)
			}
			for _, l := range emitted {
				if l >= r.Line {
					t.Fatalf("row on line %d emitted after line %d was rejected", l, r.Line)
				}
			}
		}
	})
}

func TestImportAdultWardColumn(t *testing.T) {
	header := "住民コード,氏,名,氏ふりがな,名ふりがな,生年月日,性別,住所,成年被後見人\n"
	row := func(code, ward string) string {
		return fmt.Sprintf("%s,山田,太郎,やまだ,たろう,19800101,1,東京都千代田区本町一丁目１番１号,%s\n", code, ward)
	}
	for _, tt := range []struct {
		name string
		data string
		want map[string]bool // code → AdultWard; nil when the file is refused
	}{
		{"flags", header + row("12345678903", "1") + row("23456789014", "") + row("34567890125", "該当") + row("45678901236", "0"),
			map[string]bool{"12345678903": true, "23456789014": false, "34567890125": true, "45678901236": false}},
		{"no column", goodCSV, map[string]bool{"12345678903": false, "23456789014": false}},
		{"unreadable flag", header + row("12345678903", "たぶん"), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := openRegistry(t)
			_, err := importString(t, g, []byte(tt.data), ImportOptions{})
			if tt.want == nil {
				var ie *ImportError
				if !errors.As(err, &ie) || len(ie.Report.Rejected) != 1 || !strings.Contains(ie.Report.Rejected[0].Message(), "成年被後見人") {
					t.Fatalf("Import = %v, want a refusal naming 成年被後見人", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for code, want := range tt.want {
				r, err := g.Get(context.Background(), code)
				if err != nil || r.AdultWard != want {
					t.Errorf("%s: AdultWard %v (%v), want %v", code, r.AdultWard, err, want)
				}
			}
		})
	}
}
