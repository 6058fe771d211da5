package refca

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"strings"
	"testing"

	"madoguchi/app/prefecture"
)

// fillerA is an endless reader of 'A's (valid base64, so only the size is
// wrong).
type fillerA struct{}

func (fillerA) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'A'
	}
	return len(p), nil
}

// unsized hides a reader's length so that the client sends it chunked.
type unsized struct{ io.Reader }

// A 100 MB body, announced or chunked, is refused with 413 before the CA
// reads it; a body within the bound still reaches the EST router.
func TestOversizedBodiesAre413(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	roots := x509.NewCertPool()
	roots.AddCert(e.ca.Root())
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: roots, Certificates: []tls.Certificate{e.ra}, MinVersion: tls.VersionTLS13}}}
	t.Cleanup(client.CloseIdleConnections)
	const huge = 100 << 20
	tests := []struct {
		name string
		path string
		body func() io.Reader
		size int64
		want int
	}{
		{"enroll, announced", prefecture.ESTPath + "/simpleenroll", func() io.Reader { return io.LimitReader(fillerA{}, huge) }, huge, http.StatusRequestEntityTooLarge},
		{"enroll, chunked", prefecture.ESTPath + "/simpleenroll", func() io.Reader { return unsized{io.LimitReader(fillerA{}, huge)} }, -1, http.StatusRequestEntityTooLarge},
		{"revoke, announced", prefecture.RevokePath, func() io.Reader { return io.LimitReader(fillerA{}, huge) }, huge, http.StatusRequestEntityTooLarge},
		{"just over the bound", prefecture.ESTPath + "/simpleenroll", func() io.Reader { return io.LimitReader(fillerA{}, MaxBodySize+1) }, MaxBodySize + 1, http.StatusRequestEntityTooLarge},
		{"small garbage reaches the router", prefecture.ESTPath + "/simpleenroll", func() io.Reader { return bytes.NewReader([]byte("AAAA")) }, 4, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, e.url+tt.path, tt.body())
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = tt.size
			req.Header.Set("Content-Type", "application/pkcs10")
			req.Header.Set("Content-Transfer-Encoding", "base64")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, strings.TrimSpace(string(b)), tt.want)
			}
		})
	}
}
