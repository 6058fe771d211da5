package ui

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"madoguchi/app/sign"
	"madoguchi/app/sign/signtest"
	"madoguchi/app/verify"
)

type goodRevocation struct{}

func (goodRevocation) Status(context.Context, *x509.Certificate, *x509.Certificate, time.Time) (*verify.RevocationInfo, error) {
	now := time.Now()
	return &verify.RevocationInfo{Method: "ocsp", ProducedAt: now, ThisUpdate: now, NextUpdate: now.Add(time.Hour)}, nil
}

// TestSignWindow walks the resident's signing window on an issued
// emulated card: the card's holder shown, signing refused before a file
// is chosen, a wrong password refused with the card's reason and nothing
// saved, then the right one saves a signature that verifies.
func TestSignWindow(t *testing.T) {
	a := test.NewApp()
	t.Cleanup(a.Quit)
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	ca := signtest.NewCA(t, "東京都")
	r, _ := ca.EmulatedCard(t, signtest.Items(t, signtest.Form()), "")
	open := func(ctx context.Context) (*sign.Card, error) { return sign.OpenCard(ctx, r) }
	s := NewSignWindow(w, open, ca.Chain())

	s.CheckCard()
	s.runner.Wait()
	if !strings.Contains(s.cardLabel.Text, "高橋\u3000崎子 様の署名用電子証明書") {
		t.Fatalf("card label %q", s.cardLabel.Text)
	}
	if !s.signBtn.Disabled() {
		t.Fatal("signing enabled without a file")
	}
	doc := filepath.Join(t.TempDir(), "申請書.json")
	content := []byte(`{"氏名":"髙橋 﨑子","住所":"東京都千代田区霞が関1-2-3 髙ハイツ101"}`)
	if err := os.WriteFile(doc, content, 0o600); err != nil {
		t.Fatal(err)
	}
	s.SetFile(doc)
	if s.signBtn.Disabled() {
		t.Fatal("signing disabled with a file")
	}

	test.Type(s.pin, "ZZZZ99")
	test.Tap(s.signBtn)
	s.runner.Wait()
	if !strings.Contains(s.status.Text, "暗証番号が違います") || s.pin.Text != "" {
		t.Fatalf("wrong password: status %q, field %q", s.status.Text, s.pin.Text)
	}
	if _, err := os.Stat(doc + ".p7s"); err == nil {
		t.Fatal("a signature was saved with a wrong password")
	}

	test.Type(s.pin, string(signtest.PIN))
	test.Tap(s.signBtn)
	s.runner.Wait()
	if !strings.Contains(s.status.Text, "署名しました") {
		t.Fatalf("status %q", s.status.Text)
	}
	der, err := os.ReadFile(doc + ".p7s")
	if err != nil {
		t.Fatal(err)
	}
	ver, err := verify.New(verify.Options{Roots: []*x509.Certificate{ca.Root}, Revocation: goodRevocation{}})
	if err != nil {
		t.Fatal(err)
	}
	form, _ := verify.ParseForm(content)
	if rep := ver.VerifyCMS(context.Background(), der, content, form); !rep.OK {
		t.Fatalf("the saved signature does not verify:\n%s", rep.Text())
	}
}
