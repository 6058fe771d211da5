package main

import (
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// makeDB writes a small database with the shape of mojidata's moji.db:
// the columns of mji, mjsm and the variant tables that the generator reads.
func makeDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "moji.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts := []string{
		`CREATE TABLE mji ("MJ文字図形名" TEXT PRIMARY KEY, "対応するUCS" TEXT, "実装したUCS" TEXT,
			"実装したMoji_JohoコレクションIVS" TEXT, "実装したSVS" TEXT, "対応する互換漢字" TEXT,
			"住基ネット統一文字コード" TEXT, "戸籍統一文字番号" TEXT)`,
		`CREATE TABLE mjsm ("MJ文字図形名" TEXT, "縮退UCS" TEXT, "縮退X0213" TEXT, "表" TEXT, "順位" INTEGER, "ホップ数" INTEGER)`,
		`CREATE TABLE "kdpv_jisx0213/variant" (subject TEXT, object TEXT, comment TEXT)`,
		`CREATE TABLE "kdpv_jisx0212/variant" (subject TEXT, object TEXT, comment TEXT)`,
		// 高: carriable as it stands.
		`INSERT INTO mji VALUES ('MJ028901', '高', '高', '', '', '', 'J+9AD8', '513270')`,
		`INSERT INTO mjsm VALUES ('MJ028901', '高', '1-25-66', 'JIS包摂規準UCS統合規則', NULL, NULL)`,
		// 髙: IBM extension, reduced to 高 twice.
		`INSERT INTO mji VALUES ('MJ028902', '髙', '髙', '', '', '', 'J+9AD9', '513280')`,
		`INSERT INTO mjsm VALUES ('MJ028902', '高', '1-25-66', 'JIS包摂規準UCS統合規則', NULL, NULL)`,
		`INSERT INTO mjsm VALUES ('MJ028902', '高', '1-25-66', '戸籍統一文字情報_親字正字', NULL, 1)`,
		// 﨑 and an IVS glyph of it: the map's first target is 﨑 itself (JIS X 0213).
		`INSERT INTO mji VALUES ('MJ030196', '﨑', '﨑', '﨑` + "\U000E0102" + `', '', '', 'J+FA11', '094190')`,
		`INSERT INTO mjsm VALUES ('MJ030196', '﨑', '1-47-82', 'JIS包摂規準UCS統合規則', NULL, NULL)`,
		`INSERT INTO mjsm VALUES ('MJ030196', '崎', '1-26-74', '戸籍統一文字情報_親字正字', NULL, 1)`,
		`INSERT INTO mji VALUES ('MJ030197', '﨑', NULL, '﨑` + "\U000E0103" + `', '', '', 'J+B07A', '')`,
		`INSERT INTO mjsm VALUES ('MJ030197', '﨑', '1-47-82', 'JIS包摂規準UCS統合規則', NULL, NULL)`,
		`INSERT INTO "kdpv_jisx0213/variant" VALUES ('﨑', '嵜', NULL)`,
		// 𠮷: the sub-tables' order decides, whatever the row order.
		`INSERT INTO mji VALUES ('MJ032129', '𠮷', '𠮷', '', '', '', 'J+AEAC', '038140')`,
		`INSERT INTO mjsm VALUES ('MJ032129', '土', '', '読み字形による類推', NULL, NULL)`,
		`INSERT INTO mjsm VALUES ('MJ032129', '士', '', '辞書類等による関連字', NULL, NULL)`,
		`INSERT INTO mjsm VALUES ('MJ032129', '吉', '1-21-40', 'JIS包摂規準UCS統合規則', NULL, NULL)`,
		// 告示582号: by 順位.
		`INSERT INTO mji VALUES ('MJ000010', '㐆', '㐆', '', '', '', '', '000100')`,
		`INSERT INTO mjsm VALUES ('MJ000010', '乙', '', '法務省告示582号別表第四_一', 2, NULL)`,
		`INSERT INTO mjsm VALUES ('MJ000010', '甲', '', '法務省告示582号別表第四_一', 1, NULL)`,
		// No carriable candidate at all (𠀋 is JIS X 0213 only).
		`INSERT INTO mji VALUES ('MJ015185', '𠀋', '𠀋', '', '', '', 'J+6CBE', '')`,
		`INSERT INTO mjsm VALUES ('MJ015185', '𠀋', '1-14-02', 'JIS包摂規準UCS統合規則', NULL, NULL)`,
		// Only the variant pairs know 剝.
		`INSERT INTO "kdpv_jisx0213/variant" VALUES ('剥', '剝', NULL)`,
		`INSERT INTO "kdpv_jisx0212/variant" VALUES ('亜', '亞', NULL)`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

func TestGenerate(t *testing.T) {
	table, stats, err := generate(makeDB(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"髙":           {"高"},
		"﨑":           {"崎", "嵜"},
		"﨑\U000E0102": {"崎", "嵜"},
		"﨑\U000E0103": {"嵜"},
		"𠮷":           {"吉", "士", "土"},
		"㐆":           {"甲", "乙"},
		"剝":           {"剥"},
	}
	if !reflect.DeepEqual(table, want) {
		t.Errorf("table =\n%q\nwant\n%q", table, want)
	}
	// 住基: 高 carriable; 髙, 﨑 (MJ030196), 𠮷 covered by the map;
	// MJ030197 by the variants only; 沾 has nothing.
	if !strings.Contains(stats[1], "6 MJ characters; 1 carriable as they stand; 3 need a substitute and have an allowed candidate in the map (all in the table); 1 more have one from the variant pairs only; 1 have none") {
		t.Errorf("registry stats = %q", stats[1])
	}
}

func TestGenerateRejectsUnknownSubTable(t *testing.T) {
	path := makeDB(t)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO mjsm VALUES ('MJ028902', '高', '', '新しい表', NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, _, err := generate(path); err == nil || !strings.Contains(err.Error(), "新しい表") {
		t.Errorf("generate with an unknown sub-table: %v", err)
	}
}
