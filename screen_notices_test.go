package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScreenNotices opens the supervisor's 異動通知 screen with key 9 in the
// real binary under Xvfb and reads it back by OCR; Esc goes home again.
func TestScreenNotices(t *testing.T) {
	needDisplay(t)
	app := startApp(t, buildBinary(t))
	db, err := sql.Open("sqlite", "file:"+filepath.Join(app.home, ".config", "madoguchi", "demo", "madoguchi-demo.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	xdo(t, "type", "--delay", "40", "super01")
	xdo(t, "key", "Return")
	xdo(t, "type", "--delay", "40", "madoguchi-demo")
	xdo(t, "key", "Return")
	var n int
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && n == 0; time.Sleep(150 * time.Millisecond) {
		db.QueryRow("SELECT count(*) FROM audit_log WHERE action = 'staff.sign_in'").Scan(&n)
	}
	if n == 0 {
		app.screenshot(t, "fail-notices-sign-in")
		t.Fatal("supervisor not signed in")
	}
	time.Sleep(800 * time.Millisecond)
	xdo(t, "key", "9")
	time.Sleep(1500 * time.Millisecond)
	path, _ := app.screenshot(t, "notices")
	text := ocr(t, path)
	found := 0
	for _, want := range []string{"異動通知", "送信待ち", "送信済", "認証局"} {
		if strings.Contains(text, want) {
			found++
		}
	}
	if found < 2 {
		t.Fatalf("notices screen not shown; OCR read %q", text)
	}
	xdo(t, "key", "Escape")
	time.Sleep(1000 * time.Millisecond)
	path, _ = app.screenshot(t, "notices-back-home")
	if text := ocr(t, path); strings.Contains(text, "異動通知（") {
		t.Fatalf("Esc did not leave the notices screen; OCR read %q", text)
	}
}
