package jpfont

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestWindowsPaths(t *testing.T) {
	j := filepath.Join
	tests := []struct {
		name               string
		exe, local, windir string
		file               string
		collections        bool
		want               []string
	}{
		{"all folders, collections", "E", "L", "W", "ipaexg.ttf", true, []string{
			j("E", "fonts", "ipaexg.ttf"), j("L", "Microsoft", "Windows", "Fonts", "ipaexg.ttf"), j("W", "Fonts", "ipaexg.ttf"),
			j("W", "Fonts", "YuGothM.ttc"), j("W", "Fonts", "YuGothR.ttc"), j("W", "Fonts", "meiryo.ttc"), j("W", "Fonts", "msgothic.ttc"),
		}},
		{"MJ font: no collections", "E", "", "W", "ipamjm.ttf", false, []string{
			j("E", "fonts", "ipamjm.ttf"), j("W", "Fonts", "ipamjm.ttf"),
		}},
		{"nothing known", "", "", "", "ipaexg.ttf", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := windowsPaths(tt.exe, tt.local, tt.windir, tt.file, tt.collections)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestFindCollection: a known path holding a collection (as Windows'
// msgothic.ttc) yields its first face, after a missing known path.
func TestFindCollection(t *testing.T) {
	t.Setenv(EnvVar, "")
	ttf, err := os.ReadFile("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
	if err != nil {
		t.Fatalf("the test font: %v", err)
	}
	ttc := buildTTC([]map[string][]byte{sfntTables(t, ttf)})
	dir := t.TempDir()
	p := filepath.Join(dir, "msgothic.ttc")
	if err := os.WriteFile(p, ttc, 0o600); err != nil {
		t.Fatal(err)
	}
	old := knownPaths
	defer func() { knownPaths = old }()
	knownPaths = []string{filepath.Join(dir, "ipaexg.ttf"), p}
	f, err := Find("")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ExtractTTC(ttc, 0)
	if f.Path != p || !bytes.Equal(f.Data, want) {
		t.Fatalf("Find = %s (%d bytes), want the first face of %s", f.Path, len(f.Data), p)
	}
}
