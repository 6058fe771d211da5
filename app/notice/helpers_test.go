package notice

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"madoguchi/app/prefecture"
	"madoguchi/app/prefecture/refca"
	"madoguchi/app/records"
	"madoguchi/app/registry"
	"madoguchi/app/store"
	"madoguchi/app/store/storetest"
	"madoguchi/forms"
	"madoguchi/forms/jpkicert"
)

// caEnv is a reference CA served over real TLS on loopback, with every
// change-notice request body kept for inspection.
type caEnv struct {
	dir  string
	ca   *refca.CA
	srv  *refca.Server
	addr string

	mu     sync.Mutex
	bodies [][]byte
}

func startCA(t testing.TB, dir string) *caEnv {
	t.Helper()
	if !refca.Exists(dir) {
		if err := refca.Setup(dir, refca.SetupOptions{Prefecture: "東京都", Municipality: "千代田区", MunicipalityCode: "131016",
			Terminal: "counter-01", AllowP256: true}); err != nil {
			t.Fatal(err)
		}
	}
	ca, err := refca.Open(context.Background(), dir, refca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &caEnv{dir: dir, ca: ca}
	t.Cleanup(func() { e.stop(); ca.Close() })
	e.serve(t, "127.0.0.1:0")
	return e
}

// serve starts the TLS server on addr.
func (e *caEnv) serve(t testing.TB, addr string) {
	t.Helper()
	var srv *refca.Server
	var err error
	for i := 0; i < 50; i++ { // the port may take a moment to be free again
		if srv, err = e.ca.Listen(addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv.WrapHandler(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == prefecture.NoticePath {
				b, _ := io.ReadAll(r.Body)
				e.mu.Lock()
				e.bodies = append(e.bodies, b)
				e.mu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(b))
			}
			h.ServeHTTP(w, r)
		})
	})
	go srv.Serve()
	e.srv, e.addr = srv, srv.Addr().String()
}

// stop closes the server (the CA is down).
func (e *caEnv) stop() {
	if e.srv != nil {
		e.srv.Close()
		e.srv = nil
	}
}

// client returns an EST client of the CA's terminal with short waits.
func (e *caEnv) client(t testing.TB) *prefecture.ESTClient {
	t.Helper()
	ra, err := refca.LoadTerminal(filepath.Join(e.dir, refca.FileTerminalCert), filepath.Join(e.dir, refca.FileTerminalKey))
	if err != nil {
		t.Fatal(err)
	}
	c, err := prefecture.NewEST(prefecture.Config{URL: "https://" + e.addr, Roots: []*x509.Certificate{e.ca.Root()}, Certificate: ra,
		Timeout: 5 * time.Second, Attempts: 1, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// payloads decodes the JSON payloads of the notice requests received.
func (e *caEnv) payloads(t testing.TB) []map[string]any {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []map[string]any
	for _, b := range e.bodies {
		parts := strings.Split(string(bytes.TrimSpace(b)), ".")
		if len(parts) != 3 {
			t.Fatalf("notice body is not a compact JWS: %q", b)
		}
		raw, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		m["_raw"] = string(raw)
		out = append(out, m)
	}
	return out
}

const baseCSV = "住民コード,氏,名,ふりがな（氏）,ふりがな（名）,生年月日,性別,住所,状態,異動日\n" +
	"10000000001,山田,一郎,やまだ,いちろう,1970-01-01,男,東京都千代田区本町一丁目１番１号,住民,\n" +
	"10000000002,山田,二郎,やまだ,じろう,1971-02-02,男,東京都千代田区本町一丁目２番２号,住民,\n" +
	"10000000003,山田,三郎,やまだ,さぶろう,1972-03-03,男,東京都千代田区本町一丁目３番３号,住民,\n" +
	"10000000004,山田,四郎,やまだ,しろう,1973-04-04,男,東京都千代田区本町一丁目４番４号,住民,\n" +
	"10000000005,山田,五郎,やまだ,ごろう,1974-05-05,男,東京都千代田区本町一丁目５番５号,住民,\n" +
	"10000000006,山田,六郎,やまだ,ろくろう,1975-06-06,男,東京都千代田区本町一丁目６番６号,住民,\n"

// changesCSV changes residents 1-5 (one per notice kind) and resident 6's
// ふりがな only.
const changesCSV = "住民コード,異動事由,異動日,氏,名,ふりがな,住所\n" +
	"10000000001,転居,2026-11-20,,,,東京都千代田区栄町九丁目９番９号\n" +
	"10000000002,氏名変更,2026-11-20,佐藤,二郎,さとう じろう,\n" +
	"10000000003,死亡,2026-11-20,,,,\n" +
	"10000000004,転出,2026-11-20,,,,\n" +
	"10000000005,職権消除,2026-11-20,,,,\n" +
	"10000000006,ふりがな変更,2026-11-20,,,やまだ むつお,\n"

// openCounterDB opens the counter database at path with the base registry
// (imported once).
func openCounterDB(t testing.TB, path string) (*store.DB, *registry.Registry) {
	t.Helper()
	db, err := store.Open(context.Background(), storetest.Target(t, path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g := registry.New(db)
	if n, _ := g.Count(context.Background()); n == 0 {
		if _, err := g.Import(context.Background(), "super01", strings.NewReader(baseCSV), registry.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return db, g
}

// issue enrolls a certificate for the resident at the CA over EST, as the
// counter would, and records it as handed over.
func issue(t testing.TB, db *store.DB, g *registry.Registry, client *prefecture.ESTClient, code string) string {
	t.Helper()
	ctx := context.Background()
	r, err := g.Get(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	a := r.Application(forms.KindNew, forms.Today())
	a.Substitutes = registry.SuggestSubstitutes(a)
	items, err := a.CertificateItems()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ext, err := items.Extension()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "resident"}, ExtraExtensions: []pkix.Extension{{Id: jpkicert.OIDSubjectAltName, Value: ext.Value}},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, _ := x509.ParseCertificateRequest(der)
	en, err := client.Enroll(ctx, csr)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := records.NewCertificate(en.Certificate, en.Chain, code, "s-"+code, "clerk01", now)
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		at := store.FormatTime(now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff (id, display_name, role, password_hash, created_at, password_changed_at)
			VALUES ('clerk01', '窓口 花子', 'clerk', 'x', ?, ?) ON CONFLICT (id) DO NOTHING`, at, at); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, kind, resident_code, clerk, state, outcome, created_at, updated_at)
			VALUES (?, 'new', ?, 'clerk01', 'delivered', 'completed', ?, ?)`, "s-"+code, code, at, at); err != nil {
			return err
		}
		if err := records.Insert(ctx, tx, c); err != nil {
			return err
		}
		return records.MarkDelivered(ctx, tx, c.Serial, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.Serial
}

// crlReason returns the reason code of serial in the CRL, or -1.
func crlReason(crl *x509.RevocationList, serial string) int {
	for _, e := range crl.RevokedCertificateEntries {
		if records.FormatSerial(e.SerialNumber) == serial {
			return e.ReasonCode
		}
	}
	return -1
}

// openCAForChild makes the child's EST client from the CA folder's files.
func openCAForChild(e *caEnv) (*prefecture.ESTClient, error) {
	ra, err := refca.LoadTerminal(filepath.Join(e.dir, refca.FileTerminalCert), filepath.Join(e.dir, refca.FileTerminalKey))
	if err != nil {
		return nil, err
	}
	pemBytes, err := os.ReadFile(filepath.Join(e.dir, refca.FileCACert))
	if err != nil {
		return nil, err
	}
	roots, err := prefecture.ParseCertificatesPEM(pemBytes)
	if err != nil {
		return nil, err
	}
	return prefecture.NewEST(prefecture.Config{URL: "https://" + e.addr, Roots: roots, Certificate: ra, Timeout: 5 * time.Second, Attempts: 1})
}
