package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"madoguchi/app/registry"
)

func TestRegistryImport(t *testing.T) {
	s, w := testShell(t)
	s.noBackground = true
	signInAs(t, s, "super01")
	w.Canvas().OnTypedRune()('7')
	if s.Screen() != "registry-import" {
		t.Fatalf("screen %q after key 7", s.Screen())
	}
	const header = "住民コード,氏,名,氏（フリガナ）,名（フリガナ）,生年月日,性別,住所,状態,異動日\n"
	const good = "12345678903,﨑山,未来,サキヤマ,ミライ,平成2年4月1日,女,東京都窓口市本町一丁目２番３号,住民,\n"
	const bad = "23456789014,山田,太郎,やまだ,たろう,19801345,1,東京都窓口市栄町二丁目１番１号,,\n"
	path := filepath.Join(t.TempDir(), "registry.csv")
	if err := os.WriteFile(path, []byte(header+good+bad), 0o600); err != nil {
		t.Fatal(err)
	}
	imported := func() int {
		res, err := s.desk.Search(context.Background(), registry.Query{Code: "12345678903"})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Residents)
	}
	report := func() string { return screenText(w) }

	// The bad row is reported by line; the import is refused until a check passes.
	test.Type(findEntry(t, w, "住民基本台帳"), path)
	test.Tap(findButtons(w)["取込"])
	s.runner.Wait()
	if !strings.Contains(report(), "検査") || imported() != 0 {
		t.Fatalf("import without a check: %s", report())
	}
	test.Tap(findButtons(w)["検査（書き込みません）"])
	s.runner.Wait()
	if !strings.Contains(report(), "3行目") || !strings.Contains(report(), "1件も取り込んでいません") || imported() != 0 {
		t.Fatalf("bad row not reported by line, or rows written:\n%s", report())
	}

	// Fixed, checked, imported: the resident can be found.
	if err := os.WriteFile(path, []byte(header+good), 0o600); err != nil {
		t.Fatal(err)
	}
	test.Tap(findButtons(w)["検査（書き込みません）"])
	s.runner.Wait()
	if !strings.Contains(report(), "誤りはありません") || imported() != 0 {
		t.Fatalf("check wrote or failed:\n%s", report())
	}
	test.Tap(findButtons(w)["取込"])
	// 取込 asks first; やめる writes nothing.
	if !strings.Contains(report(), "よろしいですか") {
		t.Fatalf("no confirmation:\n%s", report())
	}
	test.Tap(findButtons(w)["やめる (Esc)"])
	s.runner.Wait()
	if imported() != 0 {
		t.Fatal("imported without confirmation")
	}
	test.Tap(findButtons(w)["取込"])
	test.Tap(findButtons(w)["取り込む"])
	s.runner.Wait()
	if !strings.Contains(report(), "取り込みました") || imported() != 1 {
		t.Fatalf("import:\n%s", report())
	}
}

func TestRegistryImportHiddenFromClerks(t *testing.T) {
	s, w := testShell(t)
	signInAs(t, s, "clerk01")
	if findButtons(w)["7  住民データ取込"] != nil {
		t.Fatal("clerk sees the registry import")
	}
	w.Canvas().OnTypedRune()('7')
	if s.Screen() != "home" {
		t.Fatalf("clerk reached %q with key 7", s.Screen())
	}
}

// screenText joins the labels on the window and its overlays.
func screenText(w fyne.Window) string { return strings.Join(texts(w), "\n") }

// findEntry returns the entry whose placeholder contains hint.
func findEntry(t *testing.T, w fyne.Window, hint string) *widget.Entry {
	t.Helper()
	var found *widget.Entry
	walk(w.Content(), func(o fyne.CanvasObject) {
		switch e := o.(type) {
		case *widget.Entry:
			if strings.Contains(e.PlaceHolder, hint) {
				found = e
			}
		case *keyEntry:
			if strings.Contains(e.PlaceHolder, hint) {
				found = &e.Entry
			}
		}
	})
	if found == nil {
		t.Fatalf("no entry with placeholder %q", hint)
	}
	return found
}
