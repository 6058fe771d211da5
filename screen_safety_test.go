package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScreenLeftoverCardIsRefused runs the real binary under Xvfb with its
// own card watcher: after 交付 the card stays in the reader, and the next
// resident's card step neither uses it nor, when it is seated again,
// writes to it; the resident's PIN screen opens only for a blank card, and
// Esc on it leads back to the clerk.
func TestScreenLeftoverCardIsRefused(t *testing.T) {
	needDisplay(t)
	app := startApp(t, buildBinary(t))
	db, err := sql.Open("sqlite", "file:"+filepath.Join(app.home, ".config", "madoguchi", "demo", "madoguchi-demo.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key := func(names ...string) {
		t.Helper()
		for _, n := range names {
			xdo(t, "key", n)
			time.Sleep(150 * time.Millisecond)
		}
	}
	waitRow := func(step, want, query string, args ...any) {
		t.Helper()
		var got string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(150 * time.Millisecond) {
			if err := db.QueryRow(query, args...).Scan(&got); err == nil && got == want {
				time.Sleep(400 * time.Millisecond)
				app.screenshot(t, "safety-"+step)
				return
			}
		}
		app.screenshot(t, "safety-fail-"+step)
		t.Fatalf("%s: %q stayed %q, want %q", step, query, got, want)
	}
	const lastState = "SELECT state FROM sessions ORDER BY created_at DESC, id DESC LIMIT 1"

	xdo(t, "type", "--delay", "40", "clerk01")
	key("Return")
	xdo(t, "type", "--delay", "40", "madoguchi-demo")
	key("Return")
	waitRow("01-home", "1", "SELECT count(*) FROM audit_log WHERE action = 'staff.sign_in'")

	// A's issuance, as a clerk would do it.
	key("1")
	time.Sleep(500 * time.Millisecond)
	xdo(t, "type", "--delay", "40", "taka")
	time.Sleep(1500 * time.Millisecond)
	key("Return")
	waitRow("02-form", "1", "SELECT count(*) FROM audit_log WHERE action = 'registry.view'")
	key("Return")
	waitRow("03-identity", "received", lastState)
	key("1", "Return")
	waitRow("04-card", "identified", lastState)
	key("F2")
	waitRow("05-pin", "card_ready", lastState)
	xdo(t, "type", "--delay", "40", "K8P2M5")
	key("Return")
	xdo(t, "type", "--delay", "40", "K8P2M5")
	key("Return")
	waitRow("06-deliver", "written", lastState)
	key("Return")
	waitRow("07-done", "delivered", lastState)
	var codeA, serialA string
	if err := db.QueryRow("SELECT resident_code, cert_serial FROM sessions").Scan(&codeA, &serialA); err != nil {
		t.Fatal(err)
	}

	// The next resident, A's card still in the reader.
	var codeB string
	adult := time.Now().AddDate(-30, 0, 0).Format("2006-01-02")
	if err := db.QueryRow(`SELECT code FROM residents WHERE status = 1 AND adult_ward = 0 AND birth < ? AND code <> ?
		ORDER BY code LIMIT 1`, adult, codeA).Scan(&codeB); err != nil {
		t.Fatal(err)
	}
	key("Return") // ホームに戻る
	time.Sleep(500 * time.Millisecond)
	key("1")
	time.Sleep(500 * time.Millisecond)
	key("shift+Tab") // from ふりがな to 住民コード
	xdo(t, "type", "--delay", "40", codeB)
	time.Sleep(1500 * time.Millisecond)
	key("Return")
	time.Sleep(1500 * time.Millisecond)
	app.screenshot(t, "safety-08-form-b")
	key("Return")
	waitRow("09-identity-b", "2", "SELECT count(*) FROM sessions")
	waitRow("09-identity-b", "received", lastState)
	key("1", "Return")
	waitRow("10-card-b", "identified", lastState)
	time.Sleep(2 * time.Second) // the watcher has seen the card in the reader
	waitRow("11-leftover-not-used", "identified", lastState)

	// Taken out and seated again: A's card is refused, nothing written.
	key("F4")
	time.Sleep(time.Second)
	key("F3")
	waitRow("12-a-card-refused", "1", "SELECT count(*) FROM audit_log WHERE action = 'card.refused'")
	waitRow("12-still-identified", "identified", lastState)
	waitRow("12-a-still-valid", "valid", "SELECT status FROM certificates WHERE serial = ?", serialA)

	// A blank card opens the resident's screen; Esc leads back to the clerk
	// and nothing reopens it.
	key("F4")
	time.Sleep(time.Second)
	key("F2")
	waitRow("13-pin-b", "card_ready", lastState)
	key("Escape")
	time.Sleep(2 * time.Second)
	path, _ := app.screenshot(t, "safety-14-after-esc")
	if text := ocr(t, path); !strings.Contains(text, "取り消しました") {
		t.Fatalf("after Esc the clerk's screen does not say the entry was cancelled; OCR read %q", text)
	}
}
