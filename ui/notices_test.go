package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"madoguchi/app/audit"
	"madoguchi/app/notice"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/store"
)

// The check step counts right (issue 13: it said 新規 0件 for 3 new
// residents), and 取込 takes only the content that was checked.
func TestRegistryImportCountsAndTheCheckedFile(t *testing.T) {
	s, w := testShell(t)
	s.noBackground = true
	signInAs(t, s, "super01")
	w.Canvas().OnTypedRune()('7')
	const header = "住民コード,氏,名,氏（フリガナ）,名（フリガナ）,生年月日,性別,住所,状態,異動日\n"
	rows := "12345678903,﨑山,未来,サキヤマ,ミライ,平成2年4月1日,女,東京都窓口市本町一丁目２番３号,住民,\n" +
		"23456789014,山田,太郎,やまだ,たろう,19800101,1,東京都窓口市栄町二丁目１番１号,,\n" +
		"34567890125,佐藤,一郎,サトウ,イチロウ,1950-03-04,男,東京都窓口市旭町三丁目４番５号,,\n"
	path := filepath.Join(t.TempDir(), "registry.csv")
	if err := os.WriteFile(path, []byte(header+rows), 0o600); err != nil {
		t.Fatal(err)
	}
	test.Type(findEntry(t, w, "住民基本台帳"), path)
	test.Tap(findButtons(w)["検査（書き込みません）"])
	s.runner.Wait()
	if got := screenText(w); !strings.Contains(got, "新規 3件、更新 0件、変更なし 0件、誤り 0件") || !strings.Contains(got, "失効する電子証明書はありません") {
		t.Fatalf("check report:\n%s", got)
	}
	// The file changes after its check: 取込 refuses it and writes nothing.
	if err := os.WriteFile(path, []byte(header+rows+"45678901236,鈴木,次郎,すずき,じろう,20000101,1,東京都窓口市中央一丁目１番１号,,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	test.Tap(findButtons(w)["取込"])
	test.Tap(findButtons(w)["取り込む"])
	s.runner.Wait()
	if got := screenText(w); !strings.Contains(got, "確認したときと異なります") {
		t.Fatalf("changed file imported:\n%s", got)
	}
	if res, _ := s.desk.Search(context.Background(), registry.Query{Code: "12345678903"}); len(res.Residents) != 0 {
		t.Fatal("rows written from an unchecked file")
	}
	// Without a new check, 取込 is not offered.
	test.Tap(findButtons(w)["取込"])
	if findButtons(w)["取り込む"] != nil && strings.Contains(screenText(w), "よろしいですか") {
		t.Fatal("取込 offered without a new check")
	}
}

// Done-when of issue 14 on the screens: a supervisor imports a registry
// file in which a certificate holder has died; the check lists the
// certificate and why; with no other action the CA revokes it, and the
// notices screen (key 9) shows the notice as sent.
func TestHolderDiesNoticeShownAsSent(t *testing.T) {
	ctx := context.Background()
	s, w := testShell(t)
	s.noBackground = true
	signInAs(t, s, "super01")
	r := findResident(t, s, eligible)
	issueThroughWizard(t, s, r)
	certs, err := s.desk.ValidCertificates(ctx, r.Code)
	if err != nil || len(certs) != 1 {
		t.Fatalf("valid certificates %+v, %v", certs, err)
	}
	serial := certs[0].Serial

	s.showHome()
	w.Canvas().OnTypedRune()('7')
	path := filepath.Join(t.TempDir(), "idou.csv")
	if err := os.WriteFile(path, []byte("住民コード,異動事由,異動日\n"+r.Code+",死亡,2026-11-30\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	test.Type(findEntry(t, w, "住民基本台帳"), path)
	test.Tap(findButtons(w)["検査（書き込みません）"])
	s.runner.Wait()
	got := screenText(w)
	if !strings.Contains(got, "異動ファイル") || !strings.Contains(got, "シリアル "+serial) || !strings.Contains(got, "失効理由：死亡") {
		t.Fatalf("check does not list the certificate:\n%s", got)
	}
	test.Tap(findButtons(w)["取込"])
	if !strings.Contains(screenText(w), "1件の電子証明書が失効します") {
		t.Fatalf("confirmation:\n%s", screenText(w))
	}
	test.Tap(findButtons(w)["取り込む"])
	s.runner.Wait()
	if !strings.Contains(screenText(w), "取り込みました") {
		t.Fatalf("import:\n%s", screenText(w))
	}

	s.showHome()
	if findButtons(w)["9  異動通知"] == nil {
		t.Fatal("no 9 異動通知 on the supervisor's home screen")
	}
	w.Canvas().OnTypedRune()('9')
	if s.Screen() != "notices" {
		t.Fatalf("screen %q after key 9", s.Screen())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		w.Canvas().OnTypedKey()(keyEvent("F5"))
		s.runner.Wait()
		if strings.Contains(screenText(w), "【送信済】") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	got = screenText(w)
	if !strings.Contains(got, "【送信済】") || !strings.Contains(got, "送信済 1件") || !strings.Contains(got, "シリアル "+serial+" を失効（死亡）") {
		t.Fatalf("notices screen:\n%s", got)
	}
	n, _ := records.ParseSerial(serial)
	if st, err := s.counter.CA().CA.CertificateStatus(ctx, n); err != nil || !st.Revoked {
		t.Errorf("CA status %+v, %v", st, err)
	}
	w.Canvas().OnTypedKey()(keyEvent("Escape"))
	if s.Screen() != "home" {
		t.Errorf("Esc left %q", s.Screen())
	}
}

func TestNoticesHiddenFromClerks(t *testing.T) {
	s, w := testShell(t)
	signInAs(t, s, "clerk01")
	if findButtons(w)["9  異動通知"] != nil {
		t.Fatal("clerk sees the notices")
	}
	w.Canvas().OnTypedRune()('9')
	if s.Screen() != "home" {
		t.Fatalf("clerk reached %q with key 9", s.Screen())
	}
}

// A notice the CA refuses shows as failed with the CA's reason, and 再送
// sends it again.
func TestNoticesScreenFailedAndRetry(t *testing.T) {
	ctx := context.Background()
	s, w := testShell(t)
	s.noBackground = true
	signInAs(t, s, "super01")
	r := findResident(t, s, eligible)
	issueThroughWizard(t, s, r)
	// The CA never issued the serial the records now name: it will refuse.
	db, err := store.Open(ctx, s.counter.Config().DatabasePath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "UPDATE certificates SET serial = 'abcdef0123' WHERE resident_code = ?", r.Code); err != nil {
		t.Fatal(err)
	}
	if _, err := s.desk.ImportRegistry(ctx, strings.NewReader("住民コード,異動事由,異動日\n"+r.Code+",転出,2026-11-30\n"), registry.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	s.showHome()
	w.Canvas().OnTypedRune()('9')
	deadline := time.Now().Add(30 * time.Second)
	for {
		w.Canvas().OnTypedKey()(keyEvent("F5"))
		s.runner.Wait()
		if strings.Contains(screenText(w), "【失敗】") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := screenText(w); !strings.Contains(got, "【失敗】") || !strings.Contains(got, "認証局が受け付けませんでした") || !strings.Contains(got, "発行されていません") {
		t.Fatalf("notices screen:\n%s", got)
	}
	retry := findButtons(w)["再送"]
	if retry == nil {
		t.Fatal("no 再送 button on a failed notice")
	}
	test.Tap(retry)
	s.runner.Wait()
	es, err := s.desk.Audit(ctx, audit.Filter{Action: audit.ActionNoticeRetry})
	if err != nil || len(es) != 1 || es[0].Staff != "super01" {
		t.Fatalf("retry audit %+v, %v", es, err)
	}
	// Refused again: failed after a second attempt.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ns, _ := s.desk.Notices(ctx, notice.Failed, 0)
		if len(ns) == 1 && ns[0].Attempts == 2 {
			return
		}
	}
	t.Fatal("the retried notice was not sent again")
}
