package main

import (
	"database/sql"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestScreenIssuanceByKeyboard starts the real binary on its embedded
// default under Xvfb and completes one issuance with the keyboard alone
// (xdotool), saving a screenshot of each step in the artifacts. Each step
// is confirmed in the application's own SQLite file, which the test reads
// beside it.
func TestScreenIssuanceByKeyboard(t *testing.T) {
	needDisplay(t)
	app := startApp(t, buildBinary(t))
	db, err := sql.Open("sqlite", "file:"+filepath.Join(app.home, ".config", "madoguchi", "demo", "madoguchi-demo.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	keys := 0 // key presses after sign-in, for the figure in the notes
	typeText := func(s string) {
		t.Helper()
		xdo(t, "type", "--delay", "40", s)
		keys += len([]rune(s))
	}
	key := func(names ...string) {
		t.Helper()
		for _, n := range names {
			xdo(t, "key", n)
			keys++
		}
	}
	// waitRow waits until query returns want (as text).
	waitRow := func(step, want, query string, args ...any) {
		t.Helper()
		var got string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(150 * time.Millisecond) {
			if err := db.QueryRow(query, args...).Scan(&got); err == nil && got == want {
				time.Sleep(400 * time.Millisecond) // let the next screen paint
				return
			}
		}
		app.screenshot(t, "fail-"+step)
		t.Fatalf("%s: %q stayed %q, want %q", step, query, got, want)
	}
	state := func(step, want string) {
		t.Helper()
		waitRow(step, want, "SELECT state FROM sessions ORDER BY created_at DESC LIMIT 1")
		app.screenshot(t, step)
	}

	xdo(t, "type", "--delay", "40", "clerk01")
	xdo(t, "key", "Return")
	xdo(t, "type", "--delay", "40", "madoguchi-demo")
	xdo(t, "key", "Return")
	waitRow("sign-in", "1", "SELECT count(*) FROM audit_log WHERE action = 'staff.sign_in'")
	app.screenshot(t, "01-home")

	key("1") // 新規発行
	time.Sleep(500 * time.Millisecond)
	typeText("taka") // the results follow the typing
	time.Sleep(1500 * time.Millisecond)
	app.screenshot(t, "02-search")
	key("Return") // take the highlighted resident
	waitRow("form", "1", "SELECT count(*) FROM audit_log WHERE action = 'registry.view'")
	app.screenshot(t, "03-form")
	key("Return") // 申請受付
	state("04-identity", "received")
	key("1", "Return") // マイナンバーカード seen; 本人確認済み
	state("05-card", "identified")
	key("F2") // the demo's stand-in for putting a blank card on the reader
	state("06-pin", "card_ready")
	typeText("K8P2M5")
	key("Return")
	typeText("K8P2M5")
	key("Return")
	state("07-deliver", "written")
	key("Return") // 交付
	state("08-done", "delivered")

	path, _ := app.screenshot(t, "08-done")
	if text := ocr(t, path); !strings.Contains(text, "完了") && !strings.Contains(text, "交付") {
		t.Fatalf("final screen does not say the issuance is complete; OCR read %q", text)
	}
	var serial, status string
	if err := db.QueryRow("SELECT serial, status FROM certificates").Scan(&serial, &status); err != nil || serial == "" {
		t.Fatalf("no certificate recorded: %v", err)
	}
	t.Logf("issued certificate %s (%s) with %d key presses after sign-in (one of them F2, the demo's card insertion)", serial, status, keys)
	if keys > 25 {
		t.Errorf("%d key presses for one issuance, want at most 25", keys)
	}
}

// xdo runs xdotool on the test display.
func xdo(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("xdotool", args...).CombinedOutput(); err != nil {
		t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
}
