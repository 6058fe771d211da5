package keygen_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"madoguchi/cardio"
	"madoguchi/keygen"
)

// BenchmarkCardHalf times the whole card half of an issuance on the
// in-process emulator (open, prepare, PIN, RSA-2048 generation, request
// signed on the card, write and read back, finish) and counts its APDUs.
// The prefecture's signing of the certificate is left out of the time.
// It reports the median time per issuance besides the mean.
func BenchmarkCardHalf(b *testing.B) {
	items := testItems(b)
	theCA(b)
	for _, mode := range []struct {
		name string
		opts cardio.EmulatorOptions
	}{
		{"extended", cardio.EmulatorOptions{}},
		{"chaining", cardio.EmulatorOptions{ShortOnly: true}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			ctx := context.Background()
			var times []time.Duration
			var apdus uint64
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				r := cardio.NewEmulatedReader("bench")
				r.Insert(cardio.NewEmulator(mode.opts))
				conn, err := r.Connect(ctx)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()

				start := time.Now()
				card, err := keygen.Open(conn)
				must(b, err)
				must(b, card.Prepare(ctx, testMaster))
				must(b, card.SetPIN(ctx, residentPIN, residentPIN))
				if _, err := card.GenerateKey(ctx, keygen.AlgRSA2048); err != nil {
					b.Fatal(err)
				}
				csr, err := card.CreateRequest(ctx, testSubject, items, residentPIN)
				must(b, err)
				elapsed := time.Since(start)

				b.StopTimer()
				cert := theCA(b).issue(b, csr)
				b.StartTimer()

				start = time.Now()
				must(b, card.WriteCertificate(ctx, cert, items))
				must(b, card.Finish(ctx, testMaster))
				elapsed += time.Since(start)

				times = append(times, elapsed)
				apdus += conn.Transmits()
				b.StopTimer()
				conn.Close()
				b.StartTimer()
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
			b.ReportMetric(float64(apdus)/float64(b.N), "apdus/op")
		})
	}
}
