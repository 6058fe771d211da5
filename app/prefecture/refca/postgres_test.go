package refca

import (
	"context"
	"crypto/x509"
	"database/sql"
	"fmt"
	"io/fs"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"madoguchi/app/prefecture"
	"madoguchi/app/store/storetest"
)

// testDatabaseURL is the DatabaseURL the suite's CAs in dir run on: ""
// (the directory's SQLite file), or under MADOGUCHI_TEST_BACKEND=postgres
// a fresh PostgreSQL schema of their own.
func testDatabaseURL(t testing.TB, dir string) string {
	t.Helper()
	if !storetest.OnPostgres() {
		return ""
	}
	return storetest.Target(t, filepath.Join(dir, FileDatabase))
}

// openTestStore opens a fresh store of backend b, closed when the test ends.
func openTestStore(t *testing.T, b storetest.Backend) (*store, string) {
	t.Helper()
	target := b.Target(t)
	s, err := openStore(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, target
}

// TestMigrationsHaveTheSameVersions checks that every SQLite migration has
// its PostgreSQL counterpart with the same version and name.
func TestMigrationsHaveTheSameVersions(t *testing.T) {
	lite, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := postgresMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) || len(lite) < 4 {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL ones", len(lite), len(pg))
	}
	for i, name := range lite {
		if base := filepath.Base(name); base != pg[i].name || pg[i].version != i+1 {
			t.Errorf("migration %d: SQLite %s, PostgreSQL %s (version %d)", i+1, base, pg[i].name, pg[i].version)
		}
	}
}

// TestStoreInvariantsOnBothBackends checks, on SQLite and PostgreSQL, that
// the database itself refuses a second valid certificate for a holder, a
// serial twice and a public key twice, and that the store's own steps
// (superseding, nonces, ignored duplicates) work in both dialects.
func TestStoreInvariantsOnBothBackends(t *testing.T) {
	ctx := context.Background()
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s, target := openTestStore(t, b)
			now := time.Now().Truncate(time.Second)
			rec := func(serial string, spki, holder byte) *record {
				return &record{Serial: serial, SPKI: []byte{spki}, Items: []byte{1}, Holder: []byte{holder}, Municipality: "131016",
					Terminal: "t", RASerial: "ra", IssuedAt: now, NotAfter: now.Add(time.Hour), DER: []byte{0x30, 0}}
			}
			if _, err := s.municipalityShards(ctx, "131016", 2); err != nil {
				t.Fatal(err)
			}
			if n, err := s.municipalityShards(ctx, "131016", 7); err != nil || n != 2 {
				t.Fatalf("shards fixed at the first issuance: %d, %v", n, err)
			}
			if sup, err := s.insert(ctx, rec("0a", 1, 1)); err != nil || len(sup) != 0 {
				t.Fatalf("first: %v, %v", sup, err)
			}
			if sup, err := s.insert(ctx, rec("0b", 2, 1)); err != nil || len(sup) != 1 || sup[0] != "0a" {
				t.Fatalf("second for the holder: %v, %v", sup, err)
			}
			if _, err := s.insert(ctx, rec("0c", 2, 2)); err != errDuplicateKey {
				t.Fatalf("same key again: %v", err)
			}
			if r, err := s.revocationBySerial(ctx, "0a"); err != nil || r == nil || r.Reason != prefecture.ReasonSuperseded || r.Seq != 1 {
				t.Fatalf("superseded certificate indexed: %+v, %v", r, err)
			}
			// The database refuses what the store's logic would never do.
			raw := func(serial string, spki, holder byte) error {
				return s.write(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO certificates (`+recordColumns+`) VALUES (?, ?, ?, ?, '131016', 't', 'ra', ?, ?, ?, NULL, NULL, NULL)`,
						serial, []byte{spki}, []byte{1}, []byte{holder}, now.Unix(), now.Add(time.Hour).Unix(), []byte{0x30, 0})
					return err
				})
			}
			for _, c := range []struct {
				name         string
				serial       string
				spki, holder byte
			}{
				{"second valid certificate for a holder", "0d", 9, 1},
				{"serial twice", "0b", 10, 3},
				{"public key twice", "0e", 2, 4},
			} {
				if err := raw(c.serial, c.spki, c.holder); err == nil || !strings.Contains(strings.ToLower(err.Error()), "unique") {
					t.Errorf("%s: %v, want a unique constraint refusing it", c.name, err)
				}
			}
			if err := raw("0f", 11, 5); err != nil {
				t.Errorf("a new holder refused: %v", err)
			}
			if n, err := s.count(ctx); err != nil || n != 3 {
				t.Errorf("%d certificates, %v", n, err)
			}
			// Duplicates that are meant to be ignored are.
			for range 2 {
				if err := s.revokeTerminal(ctx, "ra9", "lost", now); err != nil {
					t.Fatal(err)
				}
			}
			if rev, err := s.terminalRevoked(ctx, "ra9"); err != nil || !rev {
				t.Errorf("terminal revoked %v, %v", rev, err)
			}
			if err := s.useNonce(ctx, "ra1", "n1", []byte("body"), now); err != nil {
				t.Fatal(err)
			}
			if err := s.useNonce(ctx, "ra1", "n1", []byte("other"), now); err != errReplay {
				t.Errorf("replay: %v", err)
			}
			if a, err := s.nextCRLNumber(ctx); err != nil || a != 1 {
				t.Errorf("CRL number %d, %v", a, err)
			}
			if b.Name == "postgres" {
				var idle, lock, schema string
				if err := s.db.QueryRowContext(ctx, "SELECT current_setting('idle_in_transaction_session_timeout'), current_setting('lock_timeout'), current_schema()").Scan(&idle, &lock, &schema); err != nil ||
					idle != "5min" || lock != "1min" || !strings.HasPrefix(schema, "t_") {
					t.Errorf("session settings %q %q, schema %q, %v", idle, lock, schema, err)
				}
			}
			// Reopening applies no migration twice and keeps the data.
			s2, err := openStore(ctx, target)
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if n, err := s2.count(ctx); err != nil || n != 3 {
				t.Errorf("reopened: %d certificates, %v", n, err)
			}
		})
	}
}

// TestConcurrentIssuersOnPostgres runs four CA processes' worth of CA
// values on one PostgreSQL database, each serving its own TLS endpoint,
// and has every one of them enroll each resident at once with a new key:
// each resident ends with exactly one valid certificate, no serial is
// issued twice, the revocation sequence has no gap or repeat, and every CA
// serves delta and full CRLs listing exactly the superseded certificates.
func TestConcurrentIssuersOnPostgres(t *testing.T) {
	pg, ok := storetest.Postgres(t)
	if !ok {
		t.Skip(storetest.EnvURL + " is not set (scripts/test.sh starts PostgreSQL)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := Setup(dir, SetupOptions{Prefecture: testPrefecture, Municipality: testMunicipality, MunicipalityCode: testCode,
		Terminal: "counter-01", AllowP256: true, CRLShards: 2}); err != nil {
		t.Fatal(err)
	}
	url := pg.Target(t)
	ra, err := LoadTerminal(filepath.Join(dir, FileTerminalCert), filepath.Join(dir, FileTerminalKey))
	if err != nil {
		t.Fatal(err)
	}
	const issuers, residents = 4, 6
	envs := make([]*env, issuers)
	for i := range envs {
		ca, err := Open(ctx, dir, Options{DatabaseURL: url})
		if err != nil {
			t.Fatal(err)
		}
		srv, err := ca.Listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve()
		t.Cleanup(func() { srv.Close(); ca.Close() })
		envs[i] = &env{dir: dir, ca: ca, srv: srv, url: srv.URL(), ra: ra}
	}
	if _, err := envs[0].ca.RegenerateCRLs(ctx); err != nil { // a full run before: the deltas cover everything after
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, issuers*residents)
	for r := range residents {
		items := resident(fmt.Sprintf("並行\u3000%c", rune('一'+r)))
		for i, e := range envs {
			csr := csrFor(t, p256Key(t), items)
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, body, err := e.postEnroll(e.rawEnroller(), csr)
				if err != nil || status != 200 {
					errs <- fmt.Errorf("resident %d at CA %d: status %d, %v: %s", r, i, status, err, body)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	db := envs[0].ca.store.db
	var total, serials, holders, valid int
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT serial), count(DISTINCT holder),
		count(*) FILTER (WHERE revoked_at IS NULL) FROM certificates`).Scan(&total, &serials, &holders, &valid); err != nil {
		t.Fatal(err)
	}
	if total != issuers*residents || serials != total || holders != residents || valid != residents {
		t.Fatalf("%d certificates, %d serials, %d holders, %d valid; want %d, %d, %d, %d",
			total, serials, holders, valid, issuers*residents, issuers*residents, residents, residents)
	}
	rows, err := db.QueryContext(ctx, "SELECT serial FROM certificates WHERE revoked_at IS NOT NULL AND reason = ?", prefecture.ReasonSuperseded.String())
	if err != nil {
		t.Fatal(err)
	}
	superseded, err := scanStrings(rows)
	if err != nil || len(superseded) != (issuers-1)*residents {
		t.Fatalf("%d superseded, %v", len(superseded), err)
	}
	var nrev, nseq, maxSeq int
	if err := db.QueryRowContext(ctx, "SELECT count(*), count(DISTINCT seq), max(seq) FROM revocations").Scan(&nrev, &nseq, &maxSeq); err != nil {
		t.Fatal(err)
	}
	if nrev != len(superseded) || nseq != nrev || maxSeq != nrev {
		t.Errorf("revocation index: %d rows, %d distinct seq, max %d; want %d, gapless", nrev, nseq, maxSeq, len(superseded))
	}

	want := map[string]bool{}
	for _, sn := range superseded {
		want[sn] = true
	}
	// crlSerials returns the serials listed by every partition's CRL from ca.
	crlSerials := func(ca *CA, get func(context.Context, Partition) ([]byte, error)) map[string]bool {
		t.Helper()
		parts, err := ca.Partitions(ctx, testCode)
		if err != nil || len(parts) != 2 {
			t.Fatalf("partitions %v, %v", parts, err)
		}
		got := map[string]bool{}
		for _, p := range parts {
			der, err := get(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			crl, err := x509.ParseRevocationList(der)
			if err != nil {
				t.Fatal(err)
			}
			if err := crl.CheckSignatureFrom(ca.Root()); err != nil {
				t.Fatal(err)
			}
			for _, ent := range crl.RevokedCertificateEntries {
				if ent.ReasonCode != prefecture.CRLReasonSuperseded {
					t.Errorf("%v: reason %d", ent.SerialNumber, ent.ReasonCode)
				}
				got[prefecture.FormatSerial(ent.SerialNumber)] = true
			}
		}
		return got
	}
	same := func(what string, got map[string]bool) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s lists %d serials, want %d", what, len(got), len(want))
		}
		for sn := range want {
			if !got[sn] {
				t.Errorf("%s lacks %s", what, sn)
			}
		}
	}
	for i, e := range envs {
		same(fmt.Sprintf("delta CRL of CA %d", i), crlSerials(e.ca, e.ca.DeltaCRL))
	}
	if _, err := envs[1].ca.RegenerateCRLs(ctx); err != nil {
		t.Fatal(err)
	}
	same("full CRL of CA 3 after CA 1's run", crlSerials(envs[3].ca, envs[3].ca.FullCRL))
	for i, e := range envs {
		st, err := e.ca.CertificateStatus(ctx, mustSerial(t, superseded[i]))
		if err != nil || !st.Revoked || st.Reason != prefecture.ReasonSuperseded {
			t.Errorf("CA %d: status of %s %+v, %v", i, superseded[i], st, err)
		}
	}
}

// TestDatabaseURLMustBePostgres checks that a database URL that is not
// postgres://… is refused rather than taken as a file.
func TestDatabaseURLMustBePostgres(t *testing.T) {
	dir := t.TempDir()
	if err := Setup(dir, SetupOptions{Prefecture: "p", Municipality: "m", MunicipalityCode: "1", Terminal: "t"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"mysql://x/y", "/tmp/other.db"} {
		if _, err := Open(context.Background(), dir, Options{DatabaseURL: u}); err == nil || !strings.Contains(err.Error(), "postgres") {
			t.Errorf("%s: %v", u, err)
		}
		if err := Setup(t.TempDir(), SetupOptions{Prefecture: "p", Municipality: "m", MunicipalityCode: "1", Terminal: "t", DatabaseURL: u}); err == nil {
			t.Errorf("setup with database_url %s accepted", u)
		}
	}
	// Setup writes a PostgreSQL URL into the settings, password hidden in
	// messages.
	dir2 := t.TempDir()
	const u = "postgres://ca:secret@db.example/refca?search_path=refca"
	if err := Setup(dir2, SetupOptions{Prefecture: "p", Municipality: "m", MunicipalityCode: "1", Terminal: "t", DatabaseURL: u}); err != nil {
		t.Fatal(err)
	}
	if s, err := LoadSettings(dir2); err != nil || s.DatabaseURL != u {
		t.Errorf("settings: %q, %v", s.DatabaseURL, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := Open(ctx, dir2, Options{}); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("unreachable database: %v", err)
	}
}

// mustSerial parses a stored (hexadecimal) serial.
func mustSerial(t testing.TB, hex string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(hex, 16)
	if !ok {
		t.Fatalf("serial %q", hex)
	}
	return n
}

// TestCommandDatabaseURL checks that -database-url points the command
// line at the PostgreSQL store rather than the directory's SQLite file.
func TestCommandDatabaseURL(t *testing.T) {
	pg, ok := storetest.Postgres(t)
	if !ok {
		t.Skip(storetest.EnvURL + " is not set (scripts/test.sh starts PostgreSQL)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := Setup(dir, SetupOptions{Prefecture: "p", Municipality: "m", MunicipalityCode: "1", Terminal: "t"}); err != nil {
		t.Fatal(err)
	}
	url := pg.Target(t)
	var out, errOut strings.Builder
	if err := Command(ctx, []string{"add-verifier", "-dir", dir, "-database-url", url, "-name", "検証者", "-category", "zeirishi",
		"-member", "税理士A", "-out", filepath.Join(t.TempDir(), "v")}, &out, &errOut); err != nil {
		t.Fatalf("%v: %s%s", err, out.String(), errOut.String())
	}
	count := func(o Options) int {
		t.Helper()
		ca, err := Open(ctx, dir, o)
		if err != nil {
			t.Fatal(err)
		}
		defer ca.Close()
		var n int
		if err := ca.store.db.QueryRowContext(ctx, "SELECT count(*) FROM verifiers").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(Options{DatabaseURL: url}); n != 1 {
		t.Errorf("%d verifiers on PostgreSQL, want 1", n)
	}
	if n := count(Options{}); n != 0 {
		t.Errorf("%d verifiers in the directory's SQLite file, want 0", n)
	}
}

// BenchmarkEnrollBackends measures enrollments per second with 8 EST
// clients over loopback TLS: one CA on its SQLite file beside four CA
// values sharing one PostgreSQL database (the clients spread over them).
// Resident keys are P-256, as in BenchmarkEnroll8Clients.
func BenchmarkEnrollBackends(b *testing.B) {
	for _, c := range []struct {
		name    string
		backend string
		cas     int
	}{{"sqlite-1ca", "sqlite", 1}, {"postgres-4cas", "postgres", 4}} {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			if err := Setup(dir, SetupOptions{Prefecture: testPrefecture, Municipality: testMunicipality, MunicipalityCode: testCode,
				Terminal: "counter-01", AllowP256: true}); err != nil {
				b.Fatal(err)
			}
			url := ""
			if c.backend == "postgres" {
				pg, ok := storetest.Postgres(b)
				if !ok {
					b.Skip(storetest.EnvURL + " is not set")
				}
				url = pg.Target(b)
			}
			ra, err := LoadTerminal(filepath.Join(dir, FileTerminalCert), filepath.Join(dir, FileTerminalKey))
			if err != nil {
				b.Fatal(err)
			}
			envs := make([]*env, c.cas)
			for i := range envs {
				ca, err := Open(context.Background(), dir, Options{DatabaseURL: url})
				if err != nil {
					b.Fatal(err)
				}
				srv, err := ca.Listen("127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				go srv.Serve()
				b.Cleanup(func() { srv.Close(); ca.Close() })
				envs[i] = &env{dir: dir, ca: ca, srv: srv, url: srv.URL(), ra: ra}
			}
			csrs := make([]*x509.CertificateRequest, b.N)
			for i := range csrs {
				csrs[i] = csrFor(b, p256Key(b), numberedResident(i))
			}
			const clients = 8
			var next, failures atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for cl := range clients {
				e := envs[cl%len(envs)]
				wg.Add(1)
				go func(hc *http.Client) {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						if status, _, err := e.postEnroll(hc, csrs[i]); err != nil || status != http.StatusOK {
							failures.Add(1)
						}
					}
				}(e.rawEnroller())
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "enroll/s")
			if failures.Load() > 0 {
				b.Fatalf("%d of %d enrollments failed", failures.Load(), b.N)
			}
			if n, _ := envs[0].ca.IssuedCount(context.Background()); n != b.N {
				b.Fatalf("store holds %d certificates after %d enrollments", n, b.N)
			}
		})
	}
}

// TestRevocationByAnotherProcessIsServed checks that a CA process's cached
// delta CRL and OCSP answers catch up with a revocation another process
// sharing the PostgreSQL store made.
func TestRevocationByAnotherProcessIsServed(t *testing.T) {
	pg, ok := storetest.Postgres(t)
	if !ok {
		t.Skip(storetest.EnvURL + " is not set (scripts/test.sh starts PostgreSQL)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := Setup(dir, SetupOptions{Prefecture: testPrefecture, Municipality: testMunicipality, MunicipalityCode: testCode,
		Terminal: "counter-01", AllowP256: true, CRLShards: 1}); err != nil {
		t.Fatal(err)
	}
	url := pg.Target(t)
	a, err := Open(ctx, dir, Options{DatabaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := a.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close(); a.Close() })
	b, err := Open(ctx, dir, Options{DatabaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ra, err := LoadTerminal(filepath.Join(dir, FileTerminalCert), filepath.Join(dir, FileTerminalKey))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{dir: dir, ca: a, srv: srv, url: srv.URL(), ra: ra}
	client := e.clientWith(t, ra)
	items := resident("別所\u3000一郎")
	first, err := client.Enroll(ctx, csrFor(t, p256Key(t), items))
	if err != nil {
		t.Fatal(err)
	}
	part := Partition{testCode, 0}
	deltaLen := func() int {
		t.Helper()
		der, err := b.DeltaCRL(ctx, part)
		if err != nil {
			t.Fatal(err)
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		return len(crl.RevokedCertificateEntries)
	}
	req, err := ocsp.CreateRequest(first.Certificate, a.Root(), nil) // SHA-1 CertID: the cached kind
	if err != nil {
		t.Fatal(err)
	}
	state := func() CertState {
		t.Helper()
		_, st, err := b.OCSPRespond(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return st.State
	}
	if n, st := deltaLen(), state(); n != 0 || st != StateGood {
		t.Fatalf("before: delta has %d entries, OCSP says %s", n, st)
	}
	if _, err := client.Enroll(ctx, csrFor(t, p256Key(t), items)); err != nil { // supersedes the first, at CA a
		t.Fatal(err)
	}
	if n, st := deltaLen(), state(); n != 1 || st != StateRevoked {
		t.Errorf("after another process revoked: delta has %d entries, OCSP says %s", n, st)
	}
}
