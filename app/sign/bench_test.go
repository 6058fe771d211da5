package sign_test

import (
	"bytes"
	"context"
	"testing"

	"madoguchi/app/sign"
	"madoguchi/app/sign/signtest"
	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
)

// BenchmarkSignPCSC measures one CMS signature of a 10 KB application on
// an issued emulated card through pcscd + vpcd: PIN verification and the
// card's RSA-2048 operation, each signature a fresh PIN check as slot 9C
// requires.
func BenchmarkSignPCSC(b *testing.B) {
	ca := signtest.NewCA(b, "東京都")
	slot := pcsctest.AttachSlot(b, cardio.NewEmulator(cardio.EmulatorOptions{}))
	ca.IssueCard(b, slot.Reader, signtest.Items(b, signtest.Form()), "")
	card, err := sign.OpenCard(context.Background(), slot.Reader)
	if err != nil {
		b.Fatal(err)
	}
	defer card.Close()
	doc := bytes.Repeat([]byte("x"), 10*1024)
	s := card.Signer(signtest.PIN, ca.Chain())
	b.ResetTimer()
	for range b.N {
		if _, err := sign.CMS(doc, s, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/signature")
}
