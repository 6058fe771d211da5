package cardio_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
)

// benchRoundTrip measures one small APDU (GET DATA of the discovery
// object) and its answer.
func benchRoundTrip(b *testing.B, card *cardio.Card) {
	ctx := context.Background()
	piv, err := cardio.SelectPIV(ctx, card)
	if err != nil {
		b.Fatal(err)
	}
	start := card.Transmits()
	for b.Loop() {
		if _, err := piv.GetData(ctx, cardio.ObjDiscovery); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(card.Transmits()-start)/float64(b.N), "apdus/op")
}

// BenchmarkAPDURoundTrip compares the in-process emulator with the same
// emulator behind pcscd and vpcd.
func BenchmarkAPDURoundTrip(b *testing.B) {
	b.Run("in-process", func(b *testing.B) {
		r := cardio.NewEmulatedReader("r")
		r.Insert(cardio.NewEmulator(cardio.EmulatorOptions{}))
		card, err := r.Connect(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		defer card.Close()
		benchRoundTrip(b, card)
	})
	b.Run("pcscd", func(b *testing.B) {
		slot := pcsctest.AttachSlot(b, cardio.NewEmulator(cardio.EmulatorOptions{}))
		card, err := slot.Reader.Connect(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		defer card.Close()
		benchRoundTrip(b, card)
	})
}

// typicalCertificate returns a certificate of the size an issued JPKI
// signing certificate has (RSA-2048 key and signature, the subjectAltName
// with the four items): about 1.3 KB.
func typicalCertificate(b *testing.B) []byte {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Country: []string{"JP"}, Locality: []string{"東京都", "千代田区"}, CommonName: "0001234567"},
		NotBefore:             time.Now(),
		NotAfter:              time.Now().AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		CRLDistributionPoints: []string{"http://crl.example.jp/13101.crl"},
		DNSNames:              []string{strings.Repeat("x", 250) + ".jp"}, // stands in for the four items
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	return der
}

// BenchmarkGenerateAndWrite counts the APDUs of generating an RSA-2048
// key in 9C and writing its certificate, with extended length and with
// command chaining.
func BenchmarkGenerateAndWrite(b *testing.B) {
	cert := typicalCertificate(b)
	b.Logf("certificate: %d bytes", len(cert))
	for _, mode := range []struct {
		name string
		opts cardio.EmulatorOptions
	}{
		{"extended", cardio.EmulatorOptions{}},
		{"chaining", cardio.EmulatorOptions{ShortOnly: true}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			ctx := context.Background()
			_, _, piv := insertNew(b, mode.opts)
			if err := piv.Authenticate(ctx, cardio.DefaultManagementKey()); err != nil {
				b.Fatal(err)
			}
			var apdus uint64
			for b.Loop() {
				start := piv.Card().Transmits()
				if _, err := piv.GenerateKey(ctx, cardio.SlotSignature, cardio.AlgRSA2048); err != nil {
					b.Fatal(err)
				}
				if err := piv.WriteCertificate(ctx, cardio.SlotSignature, cert); err != nil {
					b.Fatal(err)
				}
				apdus += piv.Card().Transmits() - start
			}
			b.ReportMetric(float64(apdus)/float64(b.N), "apdus/op")
		})
	}
}
