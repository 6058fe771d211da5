package refca

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"madoguchi/forms/jpkicert"
)

// numberedResident returns valid items whose name encodes i in kanji
// digits, so that every index is a different holder.
func numberedResident(i int) jpkicert.Items {
	digits := []rune("〇一二三四五六七八九")
	given := []rune{}
	for _, d := range fmt.Sprint(i) {
		given = append(given, digits[d-'0'])
	}
	return resident("山田\u3000" + string(given))
}

// BenchmarkEnroll8Clients measures enrollments per second over loopback
// TLS with 8 concurrent EST clients, each request on a fresh TLS 1.3
// connection with client authentication (as globalsign/est's client
// makes). The clients post /simpleenroll directly, because that client's
// PKCS#7 decoding is not safe for concurrent use in one process (see
// prefecture.ESTClient). Resident keys are P-256 so that the requests can
// be prepared quickly; the CA's work (request checks, RSA-2048 signature,
// SQLite commit with synchronous=FULL) is the same as for RSA-2048 keys.
func BenchmarkEnroll8Clients(b *testing.B) {
	e := newEnv(b, SetupOptions{AllowP256: true}, nil)
	const clients = 8
	csrs := make([]*x509.CertificateRequest, b.N)
	for i := range csrs {
		csrs[i] = csrFor(b, p256Key(b), numberedResident(i))
	}
	ctx := context.Background()
	var next, failures atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(hc *http.Client) {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				status, body, err := e.postEnroll(hc, csrs[i])
				if err != nil || status != http.StatusOK {
					failures.Add(1)
					once.Do(func() { firstErr = fmt.Errorf("status %d, %v: %s", status, err, body) })
				}
			}
		}(e.rawEnroller())
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "enroll/s")
	b.ReportMetric(float64(failures.Load()), "errors")
	if failures.Load() > 0 {
		b.Fatalf("%d of %d enrollments failed; first: %v", failures.Load(), b.N, firstErr)
	}
	if n, _ := e.ca.IssuedCount(ctx); n != b.N {
		b.Fatalf("store holds %d certificates after %d enrollments", n, b.N)
	}
}

// BenchmarkEnrollESTClient measures one prefecture.ESTClient enrolling
// requests one after another, with the checks of each answer (key, items,
// chain to the pinned root). Resident keys are P-256, as above.
func BenchmarkEnrollESTClient(b *testing.B) {
	e := newEnv(b, SetupOptions{AllowP256: true}, nil)
	ctx := context.Background()
	csrs := make([]*x509.CertificateRequest, b.N)
	for i := range csrs {
		csrs[i] = csrFor(b, p256Key(b), numberedResident(i))
	}
	// Warm the client's /cacerts cache.
	if _, err := e.client.Enroll(ctx, csrFor(b, p256Key(b), numberedResident(b.N+1))); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.client.Enroll(ctx, csrs[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "enroll/s")
}
