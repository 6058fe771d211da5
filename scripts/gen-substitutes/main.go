// Command gen-substitutes generates assets/substitutes/substitutes.tsv, the
// substitute-character table (代替文字), from the MJ 縮退マップ (MJ Shrink
// Map) of the IPA 文字情報基盤, as shipped in machine-readable form by the
// npm package @mandel59/mojidata (the SQLite file dist/moji.db, tables mji
// and mjsm).
//
// Usage, from the repository root:
//
//	go run ./scripts/gen-substitutes            # installs the pinned package with npm into a temp dir
//	go run ./scripts/gen-substitutes -db moji.db  # uses a moji.db already at hand
//
// The generated table is committed; CI does not regenerate it. The run is
// reproducible: the package version is pinned, the SHA-256 of moji.db is
// written into the table's header, and the output is sorted.
//
// For every MJ character of the map, its candidates are the map's 縮退UCS
// characters that a JPKI certificate can carry (JIS X 0208 and JIS X 0212,
// decided by forms.Carriable), in the map's order of preference:
//
//  1. JIS包摂規準・UCS統合規則
//  2. 法務省告示582号別表第四 (一, then 二), by 順位
//  3. 法務省戸籍法関連通達・通知 (民一2842号, 民二5202号)
//  4. 戸籍統一文字情報 親字・正字, by ホップ数
//  5. 辞書類等による関連字
//  6. 読み字形による類推
//
// The MJ map reduces to JIS X 0213, so some characters reach only a JIS X
// 0213 character (剝 → 剝, 𠮟 → 𠮟). The JIS X 0213 and JIS X 0212
// variant pairs of the Kanji Database Project (kdpv_jisx0213/variant,
// kdpv_jisx0212/variant in moji.db, MIT licence) then add carriable
// variants after the map's own candidates: of each uncarriable map target,
// and of uncarriable characters the map does not list (剝 → 剥, 𠮟 → 叱).
//
// The table is keyed by every Unicode form of the MJ character that the
// certificate cannot carry: its Moji_Joho IVS sequence, its SVS, its
// implemented UCS code point, its corresponding UCS code point and its
// CJK compatibility ideograph. A code point shared by several MJ glyphs
// gets the union of their candidates, the glyph implemented at that code
// point first.
package main

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	_ "modernc.org/sqlite"

	"madoguchi/forms"
)

// mojidataVersion is the pinned version of @mandel59/mojidata.
const mojidataVersion = "1.8.1"

// tablePriority orders the sub-tables of the MJ 縮退マップ (the 表 column
// of the mjsm view), most preferred first.
var tablePriority = map[string]int{
	"JIS包摂規準UCS統合規則":           1,
	"法務省告示582号別表第四_一":          2,
	"法務省告示582号別表第四_二":          3,
	"民一2842号通達別表_誤字俗字正字一覧表_無印": 4,
	"民一2842号通達別表_誤字俗字正字一覧表_俗字": 4,
	"民一2842号通達別表_誤字俗字正字一覧表_別字": 4,
	"民二5202号通知別表_正字俗字等対照表":     4,
	"戸籍統一文字情報_親字正字":            5,
	"辞書類等による関連字":               6,
	"読み字形による類推":                7,
}

// mjChar is one MJ character with its Unicode forms.
type mjChar struct {
	name        string   // MJ文字図形名, e.g. MJ028902
	implemented string   // 実装したUCS
	corresponds string   // 対応するUCS
	ivs         string   // 実装したMoji_JohoコレクションIVS
	svs         string   // 実装したSVS
	compat      string   // 対応する互換漢字
	juki        string   // 住基ネット統一文字コード
	koseki      string   // 戸籍統一文字番号
	candidates  []string // from the MJ map
	extra       []string // from the variant pairs, after candidates
}

// forms returns the Unicode forms of c, the implemented one first.
func (c *mjChar) unicodeForms() []string {
	var out []string
	for _, f := range []string{c.ivs, c.svs, c.implemented, c.corresponds, c.compat} {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("gen-substitutes: ")
	dbPath := flag.String("db", "", "path of mojidata's dist/moji.db (default: npm install @mandel59/mojidata@"+mojidataVersion+" into a temp dir)")
	out := flag.String("out", filepath.Join("assets", "substitutes", "substitutes.tsv"), "table to write")
	flag.Parse()

	if *dbPath == "" {
		dir, err := os.MkdirTemp("", "gen-substitutes-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		*dbPath = install(dir)
	}
	sum, err := fileSHA256(*dbPath)
	if err != nil {
		log.Fatal(err)
	}

	table, stats, err := generate(*dbPath)
	if err != nil {
		log.Fatal(err)
	}
	if err := write(*out, table, sum, stats); err != nil {
		log.Fatal(err)
	}
	for _, l := range stats {
		fmt.Println(l)
	}
}

// generate reads moji.db and returns the table and its coverage counts.
func generate(dbPath string) (map[string][]string, []string, error) {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	chars, err := loadMJ(db)
	if err != nil {
		return nil, nil, err
	}
	variants, err := loadVariants(db)
	if err != nil {
		return nil, nil, err
	}
	if err := loadMap(db, chars, variants); err != nil {
		return nil, nil, err
	}
	table := buildTable(chars, variants)
	stats, err := coverage(chars, table)
	if err != nil {
		return nil, nil, err
	}
	return table, stats, nil
}

// install puts the pinned package into dir with npm and returns the path
// of its moji.db.
func install(dir string) string {
	cmd := exec.Command("npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--ignore-scripts",
		"--no-save", "@mandel59/mojidata@"+mojidataVersion)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("npm install: %v", err)
	}
	pkg := filepath.Join(dir, "node_modules", "@mandel59", "mojidata")
	b, err := os.ReadFile(filepath.Join(pkg, "package.json"))
	if err != nil {
		log.Fatal(err)
	}
	var meta struct{ Version string }
	if err := json.Unmarshal(b, &meta); err != nil {
		log.Fatal(err)
	}
	if meta.Version != mojidataVersion {
		log.Fatalf("npm installed @mandel59/mojidata %s, want %s", meta.Version, mojidataVersion)
	}
	return filepath.Join(pkg, "dist", "moji.db")
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// loadMJ reads the MJ characters and their Unicode forms.
func loadMJ(db *sql.DB) (map[string]*mjChar, error) {
	rows, err := db.Query(`SELECT "MJ文字図形名",
		coalesce("実装したUCS", ''), coalesce("対応するUCS", ''),
		coalesce("実装したMoji_JohoコレクションIVS", ''), coalesce("実装したSVS", ''),
		coalesce("対応する互換漢字", ''), coalesce("住基ネット統一文字コード", ''),
		coalesce("戸籍統一文字番号", '')
		FROM mji`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	chars := map[string]*mjChar{}
	for rows.Next() {
		c := &mjChar{}
		if err := rows.Scan(&c.name, &c.implemented, &c.corresponds, &c.ivs, &c.svs, &c.compat, &c.juki, &c.koseki); err != nil {
			return nil, err
		}
		chars[c.name] = c
	}
	return chars, rows.Err()
}

// loadVariants reads the JIS X 0213 and JIS X 0212 variant pairs of the
// Kanji Database Project, both ways, keeping carriable variants only.
func loadVariants(db *sql.DB) (map[string][]string, error) {
	rows, err := db.Query(`SELECT subject, object FROM "kdpv_jisx0213/variant"
		UNION ALL SELECT subject, object FROM "kdpv_jisx0212/variant"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	variants := map[string][]string{}
	add := func(from, to string) {
		if from != to && !forms.Carriable(from) && forms.Carriable(to) && !slices.Contains(variants[from], to) {
			variants[from] = append(variants[from], to)
		}
	}
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return nil, err
		}
		add(a, b)
		add(b, a)
	}
	return variants, rows.Err()
}

// loadMap reads the MJ 縮退マップ and sets each character's carriable
// candidates in order of preference, then the carriable variants of its
// uncarriable targets.
func loadMap(db *sql.DB, chars map[string]*mjChar, variants map[string][]string) error {
	rows, err := db.Query(`SELECT "MJ文字図形名", "縮退UCS", "表", coalesce("順位", 0), coalesce("ホップ数", 0) FROM mjsm`)
	if err != nil {
		return err
	}
	defer rows.Close()
	type entry struct {
		target     string
		prio, rank int
		seq        int
	}
	entries := map[string][]entry{}
	seq := 0
	for rows.Next() {
		var name, target, table string
		var order, hops int
		if err := rows.Scan(&name, &target, &table, &order, &hops); err != nil {
			return err
		}
		prio, ok := tablePriority[table]
		if !ok {
			return fmt.Errorf("unknown sub-table %q of the MJ map", table)
		}
		seq++
		entries[name] = append(entries[name], entry{target, prio, order + hops, seq})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for name, es := range entries {
		c, ok := chars[name]
		if !ok {
			return fmt.Errorf("MJ map names %s, which is not in the MJ list", name)
		}
		slices.SortStableFunc(es, func(a, b entry) int {
			return cmp.Or(cmp.Compare(a.prio, b.prio), cmp.Compare(a.rank, b.rank), cmp.Compare(a.seq, b.seq))
		})
		for _, e := range es {
			if forms.Carriable(e.target) && !slices.Contains(c.candidates, e.target) {
				c.candidates = append(c.candidates, e.target)
			}
		}
		for _, e := range es {
			for _, v := range variants[e.target] {
				if !slices.Contains(c.candidates, v) && !slices.Contains(c.extra, v) {
					c.extra = append(c.extra, v)
				}
			}
		}
	}
	return nil
}

// buildTable keys each MJ character's candidates by its uncarriable
// Unicode forms, then adds the variant pairs' candidates.
func buildTable(chars map[string]*mjChar, variants map[string][]string) map[string][]string {
	names := make([]string, 0, len(chars))
	for n := range chars {
		names = append(names, n)
	}
	slices.Sort(names)
	// Pass 0 adds the glyph implemented at a code point (and IVS, SVS,
	// compatibility forms, which name one glyph), pass 1 the glyphs that
	// only correspond to it.
	table := map[string][]string{}
	add := func(k string, cands []string) {
		if k == "" || forms.Carriable(k) {
			return
		}
		for _, cand := range cands {
			if cand != k && !slices.Contains(table[k], cand) {
				table[k] = append(table[k], cand)
			}
		}
	}
	// Pass 0: the map's candidates, pass 1: the variants' candidates.
	for pass := 0; pass < 2; pass++ {
		for _, n := range names {
			c := chars[n]
			cands := c.candidates
			if pass == 1 {
				cands = c.extra
			}
			// The glyph implemented at a code point (and the IVS, SVS and
			// compatibility forms, which name one glyph) before the glyphs
			// that only correspond to it.
			for _, k := range []string{c.ivs, c.svs, c.implemented, c.compat} {
				add(k, cands)
			}
		}
		for _, n := range names {
			c := chars[n]
			cands := c.candidates
			if pass == 1 {
				cands = c.extra
			}
			add(c.corresponds, cands)
		}
	}
	// Characters that only the variant pairs know, or whose MJ entries
	// offered nothing.
	for k, vs := range variants {
		add(k, vs)
	}
	return table
}

// coverage checks that every MJ character that needs a substitute and has
// a carriable candidate is reachable from each of its Unicode forms, and
// returns the counts for the header, or an error if one is not.
func coverage(chars map[string]*mjChar, table map[string][]string) ([]string, error) {
	type counts struct{ all, carriable, covered, variantOnly, noCandidate, noUnicode int }
	var juki, koseki, all counts
	for _, c := range chars {
		var groups []*counts
		groups = append(groups, &all)
		if c.juki != "" {
			groups = append(groups, &juki)
		}
		if c.koseki != "" {
			groups = append(groups, &koseki)
		}
		fs := c.unicodeForms()
		var k func(*counts)
		switch {
		case c.implemented != "" && forms.Carriable(c.implemented):
			k = func(n *counts) { n.carriable++ }
		case len(fs) == 0:
			k = func(n *counts) { n.noUnicode++ }
		case len(c.candidates) == 0 && len(c.extra) > 0:
			k = func(n *counts) { n.variantOnly++ }
		case len(c.candidates) == 0:
			k = func(n *counts) { n.noCandidate++ }
		default:
			for _, f := range fs {
				if !forms.Carriable(f) && len(table[f]) == 0 {
					return nil, fmt.Errorf("%s: form %+q has candidates %q but no table entry", c.name, f, c.candidates)
				}
			}
			k = func(n *counts) { n.covered++ }
		}
		for _, g := range groups {
			g.all++
			k(g)
		}
	}
	line := func(label string, n counts) string {
		return fmt.Sprintf("%s: %d MJ characters; %d carriable as they stand; %d need a substitute and have an allowed candidate in the map (all in the table); %d more have one from the variant pairs only; %d have none; %d have no Unicode form",
			label, n.all, n.carriable, n.covered, n.variantOnly, n.noCandidate, n.noUnicode)
	}
	return []string{
		fmt.Sprintf("table: %d keys", len(table)),
		line("住基ネット統一文字 (registry characters)", juki),
		line("戸籍統一文字", koseki),
		line("all MJ characters", all),
	}, nil
}

// write writes the table sorted by key, with a header naming the source,
// its licence and the coverage counts.
func write(path string, table map[string][]string, sum string, stats []string) error {
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return slices.Compare([]rune(a), []rune(b)) })

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "# Substitute characters (代替文字) for the JPKI certificate, JIS X 0208 and JIS X 0212.\n")
	fmt.Fprintf(w, "# Derived from the MJ縮退マップ (MJ Shrink Map) Ver.1.2.0 and the MJ文字情報一覧表 of the IPA 文字情報基盤,\n")
	fmt.Fprintf(w, "# © IPA (Information-technology Promotion Agency, Japan), licensed under CC BY-SA 2.1 JP.\n")
	fmt.Fprintf(w, "# This table is a derived work under the same licence: see LICENSE.md beside it.\n")
	fmt.Fprintf(w, "# Source: npm package @mandel59/mojidata@%s, dist/moji.db sha256 %s\n", mojidataVersion, sum)
	fmt.Fprintf(w, "# Generated by scripts/gen-substitutes; do not edit by hand.\n")
	for _, s := range stats {
		fmt.Fprintf(w, "# %s\n", s)
	}
	fmt.Fprintf(w, "# Format: character (one code point or a variation sequence) TAB candidates separated by spaces, best first.\n")
	for _, k := range keys {
		if !utf8.ValidString(k) || strings.ContainsAny(k, " \t\n#") {
			return fmt.Errorf("unusable key %+q", k)
		}
		fmt.Fprintf(w, "%s\t%s\n", k, strings.Join(table[k], " "))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
