package refca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"madoguchi/app/prefecture"
)

// httpsClient returns a TLS 1.3 client trusting the CA root, presenting
// cert (if any).
func (e *env) httpsClient(cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: poolOf(e.ca.Root())}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

// addVerifier registers a verifier and returns its TLS credentials.
func (e *env) addVerifier(t testing.TB, name string, cat VerifierCategory, members ...string) (*Verifier, tls.Certificate) {
	t.Helper()
	v, cert, key, err := e.ca.AddVerifier(context.Background(), VerifierOptions{Name: name, Category: cat, Members: members})
	if err != nil {
		t.Fatal(err)
	}
	return v, tlsPair(cert, key)
}

func tlsPair(cert *x509.Certificate, key *ecdsa.PrivateKey) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

// get fetches url and returns the status, body and the refusal code.
func get(t testing.TB, c *http.Client, method, url, ctype string, body []byte) (int, []byte, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	code := ""
	if resp.StatusCode != http.StatusOK {
		s := strings.TrimSpace(string(b))
		if _, rest, ok := strings.Cut(s, " "); ok {
			code = prefecture.ParseRefusal(rest).Code
		}
	}
	return resp.StatusCode, b, code
}

func extension(crl *x509.RevocationList, oid []int) []byte {
	for _, x := range crl.Extensions {
		if x.Id.Equal(oid) {
			return x.Value
		}
	}
	return nil
}

// TestRevocationInformationEndToEnd is the "done when": a
// registered verifier fetches a partition, its delta and an OCSP answer
// for a certificate revoked by a change notice and sees it revoked with
// its reason; an unregistered client, an RA terminal and a removed
// verifier are each refused; openssl accepts every CRL and OCSP response.
func TestRevocationInformationEndToEnd(t *testing.T) {
	openssl := needTool(t, "openssl")
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	work := t.TempDir()
	caPEM := filepath.Join(e.dir, FileCACert)

	victim, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎")))
	if err != nil {
		t.Fatal(err)
	}
	cert := victim.Certificate
	other, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 1), resident("山田\u3000花子")))
	if err != nil {
		t.Fatal(err)
	}
	part := Partition{testCode, shardOf(cert.SerialNumber, DefaultCRLShards)}
	if got := cert.CRLDistributionPoints; len(got) != 1 || got[0] != e.ca.RevocationURL()+part.FullPath() || !strings.HasPrefix(got[0], "http://") {
		t.Fatalf("DP %v", got)
	}
	base, err := e.ca.RegenerateCRLs(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// A change notice (death) revokes the certificate.
	if _, err := e.client.Notify(ctx, cert.SerialNumber, prefecture.NoticeDeath); err != nil {
		t.Fatal(err)
	}

	v, vcert := e.addVerifier(t, "民間認証株式会社", CategoryAccreditedCA)
	vc := e.httpsClient(&vcert)

	// The partition's complete CRL (from before the notice) and its delta.
	st, fullDER, _ := get(t, vc, "GET", e.url+part.FullPath(), "", nil)
	if st != http.StatusOK {
		t.Fatalf("full CRL: HTTP %d %s", st, fullDER)
	}
	full, err := x509.ParseRevocationList(fullDER)
	if err != nil || full.Number.Int64() != base.Number || crlEntry(full, cert.SerialNumber) != nil {
		t.Fatalf("full CRL: number %v (run %d), %v", full.Number, base.Number, err)
	}
	if !bytes.Contains(extension(full, oidIssuingDistributionPoint), []byte(e.ca.RevocationURL()+part.FullPath())) ||
		!bytes.Contains(extension(full, oidFreshestCRL), []byte(part.DeltaPath())) {
		t.Errorf("full CRL extensions %+v", full.Extensions)
	}
	st, deltaDER, _ := get(t, vc, "GET", e.url+part.DeltaPath(), "", nil)
	if st != http.StatusOK {
		t.Fatalf("delta CRL: HTTP %d %s", st, deltaDER)
	}
	delta, err := x509.ParseRevocationList(deltaDER)
	if err != nil {
		t.Fatal(err)
	}
	if err := delta.CheckSignatureFrom(e.ca.Root()); err != nil {
		t.Fatal(err)
	}
	ent := crlEntry(delta, cert.SerialNumber)
	if ent == nil || ent.ReasonCode != prefecture.CRLReasonCessationOfOperation {
		t.Fatalf("delta CRL entry %+v", ent)
	}
	if b, err := prefecture.DeltaBase(delta); err != nil || b == nil || b.Int64() != base.Number || delta.Number.Int64() <= base.Number {
		t.Errorf("delta CRL number %v base %v (%v), full %d", delta.Number, b, err, base.Number)
	}
	// The next full run lists it too.
	if _, err := e.ca.RegenerateCRLs(ctx); err != nil {
		t.Fatal(err)
	}
	_, full2DER, _ := get(t, vc, "GET", e.url+part.FullPath(), "", nil)
	full2, err := x509.ParseRevocationList(full2DER)
	if err != nil || crlEntry(full2, cert.SerialNumber) == nil || full2.Number.Cmp(delta.Number) <= 0 {
		t.Fatalf("second full CRL: %v", err)
	}

	// OCSP by POST (with openssl's nonce) and by GET.
	certFile := filepath.Join(work, "cert.pem")
	writePEM(t, certFile, "CERTIFICATE", cert.Raw)
	otherFile := filepath.Join(work, "other.pem")
	writePEM(t, otherFile, "CERTIFICATE", other.Certificate.Raw)
	reqFile, respFile := filepath.Join(work, "req.der"), filepath.Join(work, "resp.der")
	if out, err := run(t, openssl, "ocsp", "-issuer", caPEM, "-cert", certFile, "-reqout", reqFile, "-nonce"); err != nil {
		t.Fatalf("openssl ocsp -reqout: %v\n%s", err, out)
	}
	reqDER, err := os.ReadFile(reqFile)
	if err != nil {
		t.Fatal(err)
	}
	st, respDER, _ := get(t, vc, "POST", e.url+OCSPPath, ocspRequestType, reqDER)
	if st != http.StatusOK {
		t.Fatalf("OCSP POST: HTTP %d", st)
	}
	resp, err := ocsp.ParseResponseForCert(respDER, cert, e.ca.Root())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != ocsp.Revoked || resp.RevocationReason != ocsp.CessationOfOperation || resp.RevokedAt.IsZero() ||
		resp.Certificate == nil || !resp.Certificate.Equal(e.ca.OCSPResponder()) {
		t.Errorf("OCSP: status %d reason %d at %v", resp.Status, resp.RevocationReason, resp.RevokedAt)
	}
	if err := os.WriteFile(respFile, respDER, 0o600); err != nil {
		t.Fatal(err)
	}
	// With -reqin openssl checks the nonce against the request it sent
	// (and prints no status); with -cert it prints the status.
	out, err := run(t, openssl, "ocsp", "-reqin", reqFile, "-respin", respFile, "-CAfile", caPEM)
	if err != nil || !strings.Contains(out, "Response verify OK") || strings.Contains(strings.ToLower(out), "nonce") {
		t.Errorf("openssl ocsp (nonce): %v\n%s", err, out)
	}
	out, err = run(t, openssl, "ocsp", "-respin", respFile, "-issuer", caPEM, "-cert", certFile, "-CAfile", caPEM, "-no_nonce")
	if err != nil || !strings.Contains(out, "Response verify OK") || !strings.Contains(out, "cert.pem: revoked") ||
		!strings.Contains(out, "Reason: cessationOfOperation") {
		t.Errorf("openssl ocsp (revoked): %v\n%s", err, out)
	}
	// GET, SHA-256 CertID, for the certificate that is still good.
	getReq, err := ocsp.CreateRequest(other.Certificate, e.ca.Root(), &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	st, goodDER, _ := get(t, vc, "GET", e.url+OCSPPath+"/"+url.PathEscape(base64.StdEncoding.EncodeToString(getReq)), "", nil)
	if st != http.StatusOK {
		t.Fatalf("OCSP GET: HTTP %d", st)
	}
	if r, err := ocsp.ParseResponseForCert(goodDER, other.Certificate, e.ca.Root()); err != nil || r.Status != ocsp.Good {
		t.Errorf("OCSP GET: %+v, %v", r, err)
	}
	// Pre-produced responses: the SHA-1 "good" answer is cached, and
	// re-signed as soon as the certificate is revoked.
	sha1Req, _ := ocsp.CreateRequest(other.Certificate, e.ca.Root(), nil)
	ocspStatus := func() int {
		_, der, _ := get(t, vc, "POST", e.url+OCSPPath, ocspRequestType, sha1Req)
		r, err := ocsp.ParseResponseForCert(der, other.Certificate, e.ca.Root())
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	if a, b := ocspStatus(), ocspStatus(); a != ocsp.Good || b != ocsp.Good {
		t.Errorf("pre-produced: %d %d", a, b)
	}
	// A serial the CA never issued is unknown.
	unknownReq, _ := (&ocsp.Request{HashAlgorithm: crypto.SHA1, IssuerNameHash: e.ca.rev.ocsp.issuer[crypto.SHA1][0],
		IssuerKeyHash: e.ca.rev.ocsp.issuer[crypto.SHA1][1], SerialNumber: big.NewInt(12345)}).Marshal()
	if _, der, _ := get(t, vc, "POST", e.url+OCSPPath, ocspRequestType, unknownReq); true {
		if r, err := ocsp.ParseResponse(der, e.ca.Root()); err != nil || r.Status != ocsp.Unknown {
			t.Errorf("unknown serial: %+v, %v", r, err)
		}
	}
	goodFile := filepath.Join(work, "good.der")
	os.WriteFile(goodFile, goodDER, 0o600)
	if out, err := run(t, openssl, "ocsp", "-sha256", "-respin", goodFile, "-issuer", caPEM, "-cert", otherFile, "-CAfile", caPEM, "-no_nonce"); err != nil ||
		!strings.Contains(out, "Response verify OK") || !strings.Contains(out, "other.pem: good") {
		t.Errorf("openssl ocsp (good): %v\n%s", err, out)
	}

	// openssl accepts every CRL: signature, and -crl_check with the delta.
	crlFiles := map[string][]byte{"full.pem": fullDER, "delta.pem": deltaDER, "full2.pem": full2DER}
	for name, der := range crlFiles {
		f := filepath.Join(work, name)
		writePEM(t, f, "X509 CRL", der)
		if out, err := run(t, openssl, "crl", "-in", f, "-CAfile", caPEM, "-noout", "-verify"); err != nil || !strings.Contains(out, "verify OK") {
			t.Errorf("openssl crl -verify %s: %v\n%s", name, err, out)
		}
	}
	for _, tt := range []struct {
		name    string
		args    []string
		cert    string
		revoked bool
	}{
		{"base alone", []string{"-CRLfile", filepath.Join(work, "full.pem")}, certFile, false},
		{"base and delta", []string{"-use_deltas", "-CRLfile", filepath.Join(work, "full.pem"), "-CRLfile", filepath.Join(work, "delta.pem")}, certFile, true},
		{"next full", []string{"-CRLfile", filepath.Join(work, "full2.pem")}, certFile, true},
	} {
		args := append([]string{"verify", "-crl_check", "-CAfile", caPEM}, tt.args...)
		out, err := run(t, openssl, append(args, tt.cert)...)
		if tt.revoked && (err == nil || !strings.Contains(out, "certificate revoked")) || !tt.revoked && (err != nil || !strings.Contains(out, "OK")) {
			t.Errorf("openssl verify -crl_check (%s): %v\n%s", tt.name, err, out)
		}
	}

	// 現況確認: statuses and changes since a time.
	q, _ := json.Marshal(StatusQuery{Serials: []string{cert.SerialNumber.Text(16), other.Certificate.SerialNumber.Text(16), "abc"},
		Since: time.Now().Add(-time.Hour)})
	st, body, _ := get(t, vc, "POST", e.url+StatusPath, "application/json", q)
	var ans StatusAnswer
	if err := json.Unmarshal(body, &ans); st != http.StatusOK || err != nil || len(ans.Statuses) != 3 {
		t.Fatalf("status: HTTP %d %s", st, body)
	}
	if ans.Statuses[0].State != StateRevoked || ans.Statuses[0].Reason != "death" || ans.Statuses[1].State != StateGood ||
		ans.Statuses[2].State != StateUnknown || len(ans.Changes) != 1 || ans.Changes[0].Serial != cert.SerialNumber.Text(16) {
		t.Errorf("status answer %+v", ans)
	}

	// Refusals: no certificate, an RA terminal, a verifier certificate at
	// the RA endpoints, and a removed verifier.
	ra := e.ra
	for _, tt := range []struct {
		name   string
		client *http.Client
		code   string
	}{
		{"unregistered", e.httpsClient(nil), prefecture.RefusalNoClientCert},
		{"RA terminal", e.httpsClient(&ra), prefecture.RefusalRANotVerifier},
	} {
		for _, path := range []string{part.FullPath(), part.DeltaPath(), OCSPPath, "/crl/all.crl", StatusPath} {
			method, body := "GET", []byte(nil)
			if path == OCSPPath || path == StatusPath {
				method, body = "POST", reqDER
			}
			if st, b, code := get(t, tt.client, method, e.url+path, ocspRequestType, body); st != http.StatusForbidden || code != tt.code {
				t.Errorf("%s %s: HTTP %d %q %s", tt.name, path, st, code, b)
			}
		}
	}
	if st, _, code := get(t, vc, "GET", e.url+"/crl/all.crl", "", nil); st != http.StatusGone || code != prefecture.RefusalNoPartition {
		t.Errorf("retired complete CRL: HTTP %d %q", st, code)
	}
	verifierAsRA := e.clientWith(t, vcert)
	if _, err := verifierAsRA.Revoke(ctx, other.Certificate.SerialNumber, prefecture.ReasonResidentRequest); err == nil ||
		!strings.Contains(err.Error(), prefecture.RefusalVerifierNotRA) {
		t.Errorf("verifier revoking: %v", err)
	}
	if _, err := verifierAsRA.Enroll(ctx, csrFor(t, rsaKey(t, 2), resident("鈴木\u3000一郎"))); err == nil {
		t.Error("verifier certificate enrolled")
	}
	if _, err := verifierAsRA.Notify(ctx, other.Certificate.SerialNumber, prefecture.NoticeAddressChange); err == nil ||
		!strings.Contains(err.Error(), prefecture.RefusalVerifierNotRA) {
		t.Errorf("verifier sending a notice: %v", err)
	}
	// The good certificate is revoked: its pre-produced answer changes at once.
	if _, err := e.client.Revoke(ctx, other.Certificate.SerialNumber, prefecture.ReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	if st := ocspStatus(); st != ocsp.Revoked {
		t.Errorf("after revocation: OCSP status %d", st)
	}
	if err := e.ca.RemoveVerifier(ctx, v.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if st, b, code := get(t, vc, "GET", e.url+part.FullPath(), "", nil); st != http.StatusForbidden || code != prefecture.RefusalVerifierRemoved {
		t.Errorf("removed verifier: HTTP %d %q %s", st, code, b)
	}
	if st, _, code := get(t, vc, "POST", e.url+OCSPPath, ocspRequestType, reqDER); st != http.StatusForbidden || code != prefecture.RefusalVerifierRemoved {
		t.Errorf("removed verifier OCSP: HTTP %d %q", st, code)
	}

	// The fetch log names the verifier, what and when.
	log, err := e.ca.FetchLog(ctx, time.Now().Add(-time.Hour), v.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var granted, refused int
	for _, r := range log {
		if r.Granted {
			granted++
		} else if r.Detail == prefecture.RefusalVerifierRemoved {
			refused++
		}
	}
	if granted != 11 || refused != 2 || !strings.HasPrefix(log[0].What, "crl "+part.String()) {
		t.Errorf("fetch log: %d granted, %d refused: %+v", granted, refused, log)
	}
	all, _ := e.ca.FetchLog(ctx, time.Time{}, 0, 0)
	if len(all) < len(log)+6 {
		t.Errorf("fetch log has %d entries", len(all))
	}
}

// TestCounterReadsOwnPartitions checks that a terminal reads its own
// municipality's partitions (for SyncRevocations) and no other.
func TestCounterReadsOwnPartitions(t *testing.T) {
	e := newEnv(t, SetupOptions{CRLShards: 4}, nil)
	ctx := context.Background()
	var serials []*big.Int
	for i := range 6 {
		got, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, i), numberedResident(i)))
		if err != nil {
			t.Fatal(err)
		}
		serials = append(serials, got.Certificate.SerialNumber)
	}
	// Half revoked before the full run, half after (in the deltas).
	for i, s := range serials {
		if i == 3 {
			if _, err := e.ca.RegenerateCRLs(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if i%2 == 0 {
			if _, err := e.client.Revoke(ctx, s, prefecture.ReasonKeyCompromise); err != nil {
				t.Fatal(err)
			}
		}
	}
	crl, err := e.client.CRL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range serials {
		if (crlEntry(crl, s) != nil) != (i%2 == 0) {
			t.Errorf("serial %d listed=%v", i, crlEntry(crl, s) != nil)
		}
	}
	neighbour := e.terminal(t, TerminalOptions{Municipality: "中央区", MunicipalityCode: "131024"})
	if _, err := e.clientWith(t, neighbour).Enroll(ctx, csrFor(t, rsaKey(t, 7), numberedResident(7))); err != nil {
		t.Fatal(err)
	}
	c := e.httpsClient(&neighbour)
	if st, _, code := get(t, c, "GET", e.url+"/ra"+Partition{testCode, 0}.FullPath(), "", nil); st != http.StatusForbidden || code != prefecture.RefusalRANotVerifier {
		t.Errorf("other municipality's partition: HTTP %d %q", st, code)
	}
	if st, b, _ := get(t, c, "GET", e.url+"/ra"+Partition{"131024", 3}.DeltaPath(), "", nil); st != http.StatusOK {
		t.Errorf("own partition: HTTP %d %s", st, b)
	}
}

// TestVerifierRegistry checks categories, federation members and removal.
func TestVerifierRegistry(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		cat     VerifierCategory
		members []string
		ok      bool
	}{
		{"東京地方裁判所", CategoryCourt, nil, true},
		{"日本税理士会連合会", CategoryZeirishi, []string{"税理士 山田太郎", "税理士 鈴木花子"}, true},
		{"日本税理士会連合会", CategoryZeirishi, nil, false},
		{"某省", CategoryGovernment, []string{"x"}, false},
		{"", CategoryCourt, nil, false},
		{"謎", VerifierCategory("nobody"), nil, false},
	} {
		v, cert, _, err := e.ca.AddVerifier(ctx, VerifierOptions{Name: tt.name, Category: tt.cat, Members: tt.members})
		if (err == nil) != tt.ok {
			t.Errorf("%s %s: %v", tt.name, tt.cat, err)
			continue
		}
		if err != nil {
			continue
		}
		if !isVerifierCert(cert) || len(cert.UnknownExtKeyUsage) != 0 || cert.Subject.Organization[0] != tt.name ||
			cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth || v.Serial != cert.SerialNumber.Text(16) {
			t.Errorf("access certificate %+v", cert.Subject)
		}
	}
	vs, err := e.ca.Verifiers(ctx)
	if err != nil || len(vs) != 2 || len(vs[1].Members) != 2 || !vs[1].Category.Federation() {
		t.Fatalf("verifiers %+v, %v", vs, err)
	}
	if err := e.ca.RemoveVerifier(ctx, vs[0].ID, "廃止届"); err != nil {
		t.Fatal(err)
	}
	if err := e.ca.RemoveVerifier(ctx, vs[0].ID, "again"); err != ErrUnknownVerifier {
		t.Errorf("second removal: %v", err)
	}
	vs, _ = e.ca.Verifiers(ctx)
	if vs[0].Active() || vs[0].RemovedNote != "廃止届" || !vs[1].Active() {
		t.Errorf("after removal %+v", vs)
	}
}

// TestPlainHTTPRefused checks the plain-http answer at the revocation URL.
func TestPlainHTTPRefused(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	srv := httptest.NewServer(e.ca.PlainHandler())
	defer srv.Close()
	st, body, code := get(t, srv.Client(), "GET", srv.URL+"/crl/"+testCode+"/0.crl", "", nil)
	if st != http.StatusForbidden || code != prefecture.RefusalNoClientCert || !strings.Contains(string(body), e.url+"/crl/"+testCode+"/0.crl") {
		t.Errorf("plain http: HTTP %d %q %s", st, code, body)
	}
	log, err := e.ca.FetchLog(context.Background(), time.Time{}, 0, 0)
	if err != nil || len(log) != 1 || log[0].Granted || !strings.HasPrefix(log[0].Client, "(plain http)") {
		t.Errorf("fetch log %+v, %v", log, err)
	}
}
