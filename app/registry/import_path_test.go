package registry

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportFromJapanesePath imports registry exports saved under Japanese
// folder and file names, as a Windows counter's export folder is named
// (the file is opened by name as the import screen does; on Windows the
// name goes to the system as UTF-16).
func TestImportFromJapanesePath(t *testing.T) {
	sjisCSV := strings.ReplaceAll(goodCSV, "髙橋", "高橋")
	tests := []struct {
		name, folder, file string
		data               []byte
		want               Encoding
	}{
		{"utf8", "住民基本台帳", "住民データ 令和8年12月.csv", []byte(goodCSV), EncodingUTF8},
		{"shift_jis", "書き出し（市民課）", "異動分・ソ表十.csv", sjis(t, sjisCSV), EncodingShiftJIS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tt.folder)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, tt.file)
			if err := os.WriteFile(p, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			entries, err := os.ReadDir(dir)
			if err != nil || len(entries) != 1 || entries[0].Name() != tt.file {
				t.Fatalf("folder lists %v (%v), want %q", entries, err, tt.file)
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			g, _ := openRegistry(t)
			rep, err := g.Import(context.Background(), "super01", f, ImportOptions{})
			if err != nil {
				t.Fatalf("Import: %v (%+v)", err, rep)
			}
			if rep.Encoding != tt.want || rep.Rows != 3 || rep.Inserted != 3 {
				t.Errorf("report %+v, want 3 rows in %v", rep, tt.want)
			}
		})
	}
}
