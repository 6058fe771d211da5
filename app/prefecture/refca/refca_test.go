package refca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/globalsign/est"

	"madoguchi/app/prefecture"
	"madoguchi/forms"
	"madoguchi/forms/jpkicert"
)

func TestEnrollIssuesTheJPKIProfile(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	items := resident("山田\u3000太郎")
	csr := csrFor(t, rsaKey(t, 0), items)
	before := time.Now()

	got, err := e.client.Enroll(ctx, csr)
	if err != nil {
		t.Fatal(err)
	}
	c := got.Certificate

	// Subject: C=JP, L=prefecture, L=municipality, CN=serial, as separate RDNs.
	var rdns pkix.RDNSequence
	if _, err := asn1.Unmarshal(c.RawSubject, &rdns); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		oid asn1.ObjectIdentifier
		val string
	}{{oidCountry, "JP"}, {oidLocality, testPrefecture}, {oidLocality, testMunicipality}, {oidCommonName, c.SerialNumber.String()}}
	if len(rdns) != len(want) {
		t.Fatalf("subject has %d RDNs: %v", len(rdns), rdns)
	}
	for i, w := range want {
		if len(rdns[i]) != 1 || !rdns[i][0].Type.Equal(w.oid) || rdns[i][0].Value != w.val {
			t.Errorf("RDN %d = %v, want %v=%s", i, rdns[i], w.oid, w.val)
		}
	}

	// keyUsage critical digitalSignature + nonRepudiation, nothing else.
	if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment {
		t.Errorf("KeyUsage = %b", c.KeyUsage)
	}
	critical := map[string]bool{}
	for _, x := range c.Extensions {
		critical[x.Id.String()] = x.Critical
	}
	if !critical["2.5.29.15"] {
		t.Error("keyUsage is not critical")
	}
	if crit, ok := critical["2.5.29.17"]; !ok || crit {
		t.Errorf("subjectAltName present=%v critical=%v, want present and non-critical", ok, crit)
	}
	if len(c.Policies) != 1 || c.Policies[0].String() != DefaultPolicyOID {
		t.Errorf("policies = %v", c.Policies)
	}
	part := Partition{testCode, shardOf(c.SerialNumber, DefaultCRLShards)}
	wantDP := "http://127.0.0.1" + part.FullPath()
	if len(c.CRLDistributionPoints) != 1 || c.CRLDistributionPoints[0] != wantDP {
		t.Errorf("CRL DP = %v, want %s", c.CRLDistributionPoints, wantDP)
	}
	if len(c.OCSPServer) != 1 || c.OCSPServer[0] != "http://127.0.0.1/ocsp" {
		t.Errorf("OCSP = %v", c.OCSPServer)
	}
	if !bytes.Equal(c.AuthorityKeyId, e.ca.Root().SubjectKeyId) || len(c.SubjectKeyId) != 20 {
		t.Errorf("AKI %x (CA SKI %x), SKI %x", c.AuthorityKeyId, e.ca.Root().SubjectKeyId, c.SubjectKeyId)
	}
	if !bytes.Equal(c.SubjectKeyId, keyID(csr.PublicKey)) {
		t.Error("SKI is not the key's")
	}
	if c.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("signature algorithm %v", c.SignatureAlgorithm)
	}
	gotItems, err := jpkicert.FromExtensions(c.Extensions)
	if err != nil || gotItems != items {
		t.Errorf("items = %+v, %v", gotItems, err)
	}
	if c.IsCA || c.BasicConstraintsValid && c.IsCA {
		t.Error("resident certificate is a CA")
	}

	// Validity: from now until the end of the 5th birthday (17 June) after issue.
	if c.NotBefore.Before(before.Add(-2*time.Second)) || c.NotBefore.After(time.Now()) {
		t.Errorf("NotBefore %v", c.NotBefore)
	}
	wantEnd := FifthBirthday(c.NotBefore, forms.Date{Year: 1962, Month: 6, Day: 17})
	if !c.NotAfter.Equal(wantEnd) {
		t.Errorf("NotAfter %v, want %v", c.NotAfter, wantEnd)
	}
	if end := c.NotAfter.In(jst); end.Month() != 6 || end.Day() != 17 || end.Hour() != 23 {
		t.Errorf("NotAfter in JST %v is not the end of a 17 June", end)
	}

	// The chain ends with the pinned root.
	if len(got.Chain) != 1 || !got.Chain[0].Equal(e.ca.Root()) {
		t.Errorf("chain = %v", got.Chain)
	}
	if n, _ := e.ca.IssuedCount(ctx); n != 1 {
		t.Errorf("store holds %d certificates", n)
	}
}

func TestFifthBirthday(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, jst)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		issued string
		birth  forms.Date
		want   string // JST date of the 5th birthday
	}{
		{"2026-03-01 10:00", forms.Date{Year: 1962, Month: 6, Day: 17}, "2030-06-17"},
		{"2026-06-17 10:00", forms.Date{Year: 1962, Month: 6, Day: 17}, "2031-06-17"}, // issued on the birthday: it does not count
		{"2026-06-18 10:00", forms.Date{Year: 1962, Month: 6, Day: 17}, "2031-06-17"},
		{"2026-01-01 10:00", forms.Date{Year: 2000, Month: 2, Day: 29}, "2030-02-28"}, // 2026..2030: 2028 is leap, 2030 is not
		{"2027-03-01 10:00", forms.Date{Year: 2000, Month: 2, Day: 29}, "2032-02-29"},
		{"2026-06-16 23:30", forms.Date{Year: 1990, Month: 6, Day: 17}, "2030-06-17"},
		{"2026-12-31 23:59", forms.Date{Year: 1990, Month: 1, Day: 1}, "2031-01-01"},
	}
	for _, tt := range tests {
		got := FifthBirthday(at(tt.issued), tt.birth).In(jst)
		want := at(tt.want + " 00:00").Add(24*time.Hour - time.Second)
		if !got.Equal(want) {
			t.Errorf("issued %s, born %v: %v, want %v", tt.issued, tt.birth, got, want)
		}
	}
}

func TestThreeYearValidityAndP256(t *testing.T) {
	e := newEnv(t, SetupOptions{Validity: ValidityThreeYears, AllowP256: true}, nil)
	got, err := e.client.Enroll(context.Background(), csrFor(t, p256Key(t), resident("佐藤\u3000花子")))
	if err != nil {
		t.Fatal(err)
	}
	c := got.Certificate
	if _, ok := c.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Fatalf("public key %T", c.PublicKey)
	}
	if want := c.NotBefore.AddDate(3, 0, 0); !c.NotAfter.Equal(want) {
		t.Errorf("NotAfter %v, want %v", c.NotAfter, want)
	}
}

func TestEnrollIsIdempotent(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	csr := csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎"))
	first, err := e.client.Enroll(ctx, csr)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.client.Enroll(ctx, csr)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Certificate.Equal(first.Certificate) {
		t.Errorf("second answer is another certificate: %v vs %v", again.Certificate.SerialNumber, first.Certificate.SerialNumber)
	}
	// A fresh request (new signature) for the same key and items is the same request.
	resigned := csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎"))
	third, err := e.client.Enroll(ctx, resigned)
	if err != nil || !third.Certificate.Equal(first.Certificate) {
		t.Errorf("re-signed request: %v, %v", third, err)
	}
	if n, _ := e.ca.IssuedCount(ctx); n != 1 {
		t.Errorf("store holds %d certificates, want 1", n)
	}
	st, err := e.ca.CertificateStatus(ctx, first.Certificate.SerialNumber)
	if err != nil || st.Revoked {
		t.Errorf("status %+v, %v", st, err)
	}
}

// TestRetryAfterLostAnswerDoesNotIssueTwice drops the connection after the
// CA has issued, as a network failure would: the client retries and gets
// the same certificate, and the store holds one.
func TestRetryAfterLostAnswerDoesNotIssueTwice(t *testing.T) {
	var enrolls, dropped atomic.Int32
	e := newEnv(t, SetupOptions{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/simpleenroll") {
				next.ServeHTTP(w, r)
				return
			}
			if enrolls.Add(1) > 1 {
				next.ServeHTTP(w, r)
				return
			}
			// Let the CA do its work, then lose the answer.
			next.ServeHTTP(discardWriter{h: http.Header{}}, r)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			dropped.Add(1)
			conn.Close()
		})
	})
	ctx := context.Background()
	csr := csrFor(t, rsaKey(t, 1), resident("鈴木\u3000一郎"))
	got, err := e.client.Enroll(ctx, csr)
	if err != nil {
		t.Fatal(err)
	}
	if dropped.Load() != 1 || enrolls.Load() != 2 {
		t.Fatalf("dropped %d, enroll attempts %d", dropped.Load(), enrolls.Load())
	}
	if n, _ := e.ca.IssuedCount(ctx); n != 1 {
		t.Fatalf("store holds %d certificates, want 1", n)
	}
	st, err := e.ca.CertificateStatus(ctx, got.Certificate.SerialNumber)
	if err != nil || st.Revoked {
		t.Fatalf("the returned certificate is not the issued one: %+v %v", st, err)
	}
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

// TestTransientServerErrorsAreRetried answers 503 twice before letting the
// request through.
func TestTransientServerErrorsAreRetried(t *testing.T) {
	var calls atomic.Int32
	e := newEnv(t, SetupOptions{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/simpleenroll") && calls.Add(1) <= 2 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	if _, err := e.client.Enroll(context.Background(), csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎"))); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d enroll attempts, want 3", calls.Load())
	}
	// With only two attempts allowed, the client gives up: unreachable.
	calls.Store(0)
	c, err := prefecture.NewEST(prefecture.Config{URL: e.url, Roots: []*x509.Certificate{e.ca.Root()}, Certificate: e.ra, Attempts: 2, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Enroll(context.Background(), csrFor(t, rsaKey(t, 1), resident("鈴木\u3000一郎")))
	var pe *prefecture.Error
	if !errors.Is(err, prefecture.ErrUnreachable) || !errors.As(err, &pe) || pe.Status != 503 {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(pe.UserMessage(), "接続できない") {
		t.Errorf("UserMessage = %s", pe.UserMessage())
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	good := resident("山田\u3000太郎")

	tamper := func(csr *x509.CertificateRequest) *x509.CertificateRequest {
		raw := bytes.Clone(csr.Raw)
		raw[len(raw)-1] ^= 0x01 // the last byte of the signature
		bad, err := x509.ParseCertificateRequest(raw)
		if err != nil {
			t.Fatal(err)
		}
		return bad
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		csr      *x509.CertificateRequest
		client   *prefecture.ESTClient
		status   int
		code     string
		contains string // in the English or Japanese reason
	}{
		{"bad signature", tamper(csrFor(t, rsaKey(t, 2), good)), nil, 400, "", "signature"}, // refused by globalsign/est's router before the CA
		{"RSA-1024", csrFor(t, rsa1024, good), nil, 400, prefecture.RefusalBadKey, "1024 bits"},
		{"P-256 not configured", csrFor(t, p256Key(t), good), nil, 400, prefecture.RefusalBadKey, "P-256"},
		{"JIS X 0213 character in the name", csrFor(t, rsaKey(t, 2), resident("𠮟山\u3000花子")), nil, 400, prefecture.RefusalCharset, "1文字目「𠮟」"},
		{"JIS X 0213 character in the address", csrFor(t, rsaKey(t, 2), func() jpkicert.Items {
			it := good
			it.Address, it.AddressPositions = "東京都𩸽区", "00000"
			return it
		}()), nil, 400, prefecture.RefusalCharset, "U+29E3D"},
		{"birth month 13", csrFor(t, rsaKey(t, 2), func() jpkicert.Items { it := good; it.Birth = "319621317"; return it }()), nil, 400, prefecture.RefusalBadBirth, "319621317"},
		{"birth era mismatch", csrFor(t, rsaKey(t, 2), func() jpkicert.Items { it := good; it.Birth = "419620617"; return it }()), nil, 400, prefecture.RefusalBadBirth, "419620617"},
		{"birth era digit 7", csrWithSAN(t, rsaKey(t, 2), rawSAN(good.Name, good.NamePositions, "1", "719620617", good.Address, good.AddressPositions)), nil, 400, prefecture.RefusalBadBirth, "生年月日"},
		{"sex code 4", csrWithSAN(t, rsaKey(t, 2), rawSAN(good.Name, good.NamePositions, "4", good.Birth, good.Address, good.AddressPositions)), nil, 400, prefecture.RefusalBadItems, "性別"},
		{"name positions too short", csrWithSAN(t, rsaKey(t, 2), rawSAN(good.Name, "000", "1", good.Birth, good.Address, good.AddressPositions)), nil, 400, prefecture.RefusalBadPositions, "3 digits for 5 characters"},
		{"address positions not 0/1", csrWithSAN(t, rsaKey(t, 2), rawSAN(good.Name, good.NamePositions, "1", good.Birth, good.Address, strings.Repeat("2", 14))), nil, 400, prefecture.RefusalBadPositions, "代替文字の使用位置"},
		{"no JPKI subjectAltName", csrWithSAN(t, rsaKey(t, 2), rawSAN(good.Name)), nil, 400, prefecture.RefusalBadItems, "missing"},
		{"terminal without cmcRA", csrFor(t, rsaKey(t, 2), good), e.clientWith(t, e.terminal(t, TerminalOptions{OmitCMCRA: true})), 403, prefecture.RefusalRANotCMCRA, "id-kp-cmcRA"},
		{"terminal of another prefecture", csrFor(t, rsaKey(t, 2), good), e.clientWith(t, e.terminal(t, TerminalOptions{Prefecture: "大阪府"})), 403, prefecture.RefusalRAWrongPrefecture, "大阪府"},
		{"expired terminal", csrFor(t, rsaKey(t, 2), good), e.clientWith(t, e.terminal(t, TerminalOptions{Validity: -time.Minute})), 403, prefecture.RefusalRAUntrusted, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.client
			if c == nil {
				c = e.client
			}
			_, err := c.Enroll(ctx, tt.csr)
			pe := refusalOf(t, err)
			if pe.Status != tt.status || pe.Refusal.Code != tt.code {
				t.Errorf("status %d code %q, want %d %q (%s)", pe.Status, pe.Refusal.Code, tt.status, tt.code, pe.Refusal.Reason)
			}
			if text := pe.Refusal.Reason + "|" + pe.Refusal.ReasonJA; !strings.Contains(text, tt.contains) {
				t.Errorf("reason %q does not mention %q", text, tt.contains)
			}
			if tt.code != "" && pe.Refusal.ReasonJA == "" {
				t.Error("no Japanese reason")
			}
			if strings.Contains(pe.UserMessage(), pe.Refusal.Reason) {
				t.Errorf("UserMessage shows the English reason: %s", pe.UserMessage())
			}
			if msg := pe.UserMessage(); !strings.Contains(msg, "受け付けませんでした") {
				t.Errorf("UserMessage = %s", msg)
			}
		})
	}
	if n, _ := e.ca.IssuedCount(ctx); n != 0 {
		t.Errorf("refused requests left %d certificates", n)
	}
}

func TestRefusesUnauthenticatedTerminals(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	csr := csrFor(t, rsaKey(t, 2), resident("山田\u3000太郎"))
	host := strings.TrimPrefix(e.url, "https://")
	roots := x509.NewCertPool()
	roots.AddCert(e.ca.Root())

	// No client certificate at all (plain globalsign/est client).
	_, err := (&est.Client{Host: host, ExplicitAnchor: roots, DisableKeepAlives: true}).Enroll(ctx, csr)
	var estErr est.Error
	if !errors.As(err, &estErr) || estErr.StatusCode() != 403 || !strings.Contains(err.Error(), prefecture.RefusalNoClientCert) {
		t.Errorf("no client certificate: %v", err)
	}

	// A terminal certificate from another RA root.
	other := t.TempDir()
	if err := Setup(other, SetupOptions{Prefecture: testPrefecture, Municipality: testMunicipality, MunicipalityCode: testCode, Terminal: "x"}); err != nil {
		t.Fatal(err)
	}
	foreign, err := LoadTerminal(other+"/"+FileTerminalCert, other+"/"+FileTerminalKey)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.clientWith(t, foreign).Enroll(ctx, csr)
	if pe := refusalOf(t, err); pe.Refusal.Code != prefecture.RefusalRAUntrusted {
		t.Errorf("foreign terminal: %v", err)
	}

	// A revoked terminal.
	revoked := e.terminal(t, TerminalOptions{Terminal: "stolen"})
	c := e.clientWith(t, revoked)
	if _, err := c.Enroll(ctx, csr); err != nil {
		t.Fatalf("before revocation: %v", err)
	}
	if err := e.ca.RevokeTerminal(ctx, revoked.Leaf, "stolen laptop"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Enroll(ctx, csrFor(t, rsaKey(t, 3), resident("高橋\u3000次郎")))
	if pe := refusalOf(t, err); pe.Refusal.Code != prefecture.RefusalRARevoked || pe.Status != 403 {
		t.Errorf("revoked terminal: %v", err)
	}
	_, err = c.Revoke(ctx, big.NewInt(1), prefecture.ReasonResidentRequest)
	if pe := refusalOf(t, err); pe.Refusal.Code != prefecture.RefusalRARevoked {
		t.Errorf("revoked terminal revoking: %v", err)
	}
}

func TestTLS12IsRefused(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	roots := x509.NewCertPool()
	roots.AddCert(e.ca.Root())
	conn, err := tls.Dial("tcp", strings.TrimPrefix(e.url, "https://"), &tls.Config{RootCAs: roots, MaxVersion: tls.VersionTLS12})
	if err == nil {
		conn.Close()
		t.Fatal("TLS 1.2 handshake succeeded")
	}
	conn, err = tls.Dial("tcp", strings.TrimPrefix(e.url, "https://"), &tls.Config{RootCAs: roots})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if v := conn.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Errorf("negotiated %x", v)
	}
}

func TestKeyReuseIsRefused(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	if _, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎"))); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 0), resident("山田\u3000花子")))
	if pe := refusalOf(t, err); pe.Status != 409 || pe.Refusal.Code != prefecture.RefusalKeyReused {
		t.Errorf("got %v", err)
	}
}

// crlEntry finds serial in a CRL.
func crlEntry(crl *x509.RevocationList, serial *big.Int) *x509.RevocationListEntry {
	for i := range crl.RevokedCertificateEntries {
		if crl.RevokedCertificateEntries[i].SerialNumber.Cmp(serial) == 0 {
			return &crl.RevokedCertificateEntries[i]
		}
	}
	return nil
}

func TestRevocationAppearsInTheCRL(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()

	crl0, err := e.client.CRL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(crl0.RevokedCertificateEntries) != 0 {
		t.Fatalf("fresh CA has %d revoked entries", len(crl0.RevokedCertificateEntries))
	}

	tests := []struct {
		name      string
		reason    prefecture.Reason
		crlReason int
	}{
		{"key compromise", prefecture.ReasonKeyCompromise, 1},
		{"resident's request", prefecture.ReasonResidentRequest, 0},
		{"address change", prefecture.ReasonAddressChange, 3},
		{"death", prefecture.ReasonDeath, 5},
	}
	prevNumber := crl0.Number
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, i), resident("住民"+string(rune('一'+i))+"\u3000太郎")))
			if err != nil {
				t.Fatal(err)
			}
			serial := got.Certificate.SerialNumber
			rev, err := e.client.Revoke(ctx, serial, tt.reason)
			if err != nil {
				t.Fatal(err)
			}
			if rev.Already || rev.Reason != tt.reason || rev.Serial.Cmp(serial) != 0 || time.Since(rev.RevokedAt) > time.Minute {
				t.Errorf("revocation %+v", rev)
			}
			crl, err := e.client.CRL(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if crl.Number.Cmp(prevNumber) <= 0 {
				t.Errorf("CRL number %v did not increase from %v", crl.Number, prevNumber)
			}
			prevNumber = crl.Number
			if !crl.NextUpdate.After(crl.ThisUpdate) || time.Since(crl.ThisUpdate) > time.Minute {
				t.Errorf("thisUpdate %v nextUpdate %v", crl.ThisUpdate, crl.NextUpdate)
			}
			ent := crlEntry(crl, serial)
			if ent == nil {
				t.Fatalf("serial %v not in the CRL", serial)
			}
			if ent.ReasonCode != tt.crlReason {
				t.Errorf("reason code %d, want %d", ent.ReasonCode, tt.crlReason)
			}
			hasReasonExt := false
			for _, x := range ent.Extensions {
				hasReasonExt = hasReasonExt || x.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 21})
			}
			if hasReasonExt != (tt.crlReason != 0) {
				t.Errorf("reasonCode extension present=%v for reason %d", hasReasonExt, tt.crlReason)
			}

			// Revoking again reports the first revocation.
			again, err := e.client.Revoke(ctx, serial, prefecture.ReasonKeyCompromise)
			if err != nil || !again.Already || again.Reason != tt.reason || !again.RevokedAt.Equal(rev.RevokedAt) {
				t.Errorf("second revocation: %+v, %v", again, err)
			}
		})
	}

	// Unknown serial.
	_, err = e.client.Revoke(ctx, big.NewInt(12345), prefecture.ReasonKeyCompromise)
	if pe := refusalOf(t, err); pe.Status != 404 || pe.Refusal.Code != prefecture.RefusalUnknownSerial {
		t.Errorf("unknown serial: %v", err)
	}
}

func TestSecondIssuanceRevokesTheFirst(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	items := resident("田中\u3000三郎")
	first, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 0), items))
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 1), resident("田中\u3000四郎")))
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 2), items))
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.ca.CertificateStatus(ctx, first.Certificate.SerialNumber)
	if err != nil || !st.Revoked || st.Reason != prefecture.ReasonSuperseded {
		t.Fatalf("first certificate: %+v, %v", st, err)
	}
	for _, c := range []*x509.Certificate{second.Certificate, other.Certificate} {
		if st, err := e.ca.CertificateStatus(ctx, c.SerialNumber); err != nil || st.Revoked {
			t.Errorf("certificate %v: %+v, %v", c.SerialNumber, st, err)
		}
	}
	crl, err := e.client.CRL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ent := crlEntry(crl, first.Certificate.SerialNumber); ent == nil || ent.ReasonCode != prefecture.CRLReasonSuperseded {
		t.Errorf("CRL entry %+v", ent)
	}
	if len(crl.RevokedCertificateEntries) != 1 {
		t.Errorf("CRL has %d entries", len(crl.RevokedCertificateEntries))
	}
}

func TestChangeNoticeRevokes(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	tests := []struct {
		kind      prefecture.NoticeKind
		crlReason int
	}{
		{prefecture.NoticeAddressChange, prefecture.CRLReasonAffiliationChanged},
		{prefecture.NoticeNameChange, prefecture.CRLReasonAffiliationChanged},
		{prefecture.NoticeDeath, prefecture.CRLReasonCessationOfOperation},
		{prefecture.NoticeMovedOut, prefecture.CRLReasonAffiliationChanged},
		{prefecture.NoticeErased, prefecture.CRLReasonCessationOfOperation},
	}
	for i, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			got, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, i), resident("異動"+string(rune('一'+i))+"\u3000花子")))
			if err != nil {
				t.Fatal(err)
			}
			serial := got.Certificate.SerialNumber
			res, err := e.client.Notify(ctx, serial, tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Revoked) != 1 || res.Revoked[0].Serial.Cmp(serial) != 0 || res.Revoked[0].Reason != tt.kind.Reason() || res.Revoked[0].Already {
				t.Fatalf("notice result %+v", res.Revoked)
			}
			crl, err := e.client.CRL(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ent := crlEntry(crl, serial); ent == nil || ent.ReasonCode != tt.crlReason {
				t.Errorf("CRL entry %+v", ent)
			}
			// The same notice again revokes nothing new.
			res, err = e.client.Notify(ctx, serial, tt.kind)
			if err != nil || len(res.Revoked) != 1 || !res.Revoked[0].Already {
				t.Errorf("repeated notice: %+v, %v", res, err)
			}
		})
	}
}

func TestOtherMunicipalityCannotRevoke(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	got, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎")))
	if err != nil {
		t.Fatal(err)
	}
	neighbour := e.clientWith(t, e.terminal(t, TerminalOptions{Municipality: "中央区", MunicipalityCode: "131024"}))
	_, err = neighbour.Revoke(ctx, got.Certificate.SerialNumber, prefecture.ReasonKeyCompromise)
	if pe := refusalOf(t, err); pe.Status != 403 || pe.Refusal.Code != prefecture.RefusalOtherMunicipality {
		t.Errorf("got %v", err)
	}
	_, err = neighbour.Notify(ctx, got.Certificate.SerialNumber, prefecture.NoticeDeath)
	if pe := refusalOf(t, err); pe.Refusal.Code != prefecture.RefusalOtherMunicipality {
		t.Errorf("notice: %v", err)
	}
	if st, _ := e.ca.CertificateStatus(ctx, got.Certificate.SerialNumber); st.Revoked {
		t.Error("revoked by another municipality")
	}
}

// postSigned sends a raw signed request with the env's terminal.
func (e *env) postSigned(t *testing.T, path string, body []byte) (int, string) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(e.ca.Root())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{e.ra}}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Post(e.url+path, prefecture.SignedRequestType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSignedRequestChecks(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	got, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎")))
	if err != nil {
		t.Fatal(err)
	}
	serial := prefecture.FormatSerial(got.Certificate.SerialNumber)
	signer := e.ra.PrivateKey.(crypto.Signer)
	sign := func(req prefecture.Request) []byte {
		b, err := prefecture.SignRequest(signer, e.ra.Leaf, req)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	now := time.Now().UTC().Truncate(time.Second)
	nonce := prefecture.NewNonce()
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	forged, err := prefecture.SignRequest(otherKey, e.ra.Leaf, prefecture.Request{Op: prefecture.OpRevoke, Serial: serial, Reason: prefecture.ReasonKeyCompromise, Time: now, Nonce: prefecture.NewNonce()})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		path   string
		body   []byte
		status int
		code   string
	}{
		{"stale", prefecture.RevokePath, sign(prefecture.Request{Op: prefecture.OpRevoke, Serial: serial, Reason: prefecture.ReasonKeyCompromise, Time: now.Add(-10 * time.Minute), Nonce: prefecture.NewNonce()}), 400, prefecture.RefusalBadSignedRequest},
		{"signed by another key", prefecture.RevokePath, forged, 400, prefecture.RefusalBadSignedRequest},
		{"notice sent to revoke", prefecture.RevokePath, sign(prefecture.Request{Op: prefecture.OpNotice, Serial: serial, Notice: prefecture.NoticeDeath, Time: now, Nonce: prefecture.NewNonce()}), 400, prefecture.RefusalBadSignedRequest},
		{"superseded is the CA's own", prefecture.RevokePath, sign(prefecture.Request{Op: prefecture.OpRevoke, Serial: serial, Reason: prefecture.ReasonSuperseded, Time: now, Nonce: prefecture.NewNonce()}), 400, prefecture.RefusalBadSignedRequest},
		{"not a JWS", prefecture.NoticePath, []byte("hello"), 400, prefecture.RefusalBadSignedRequest},
		{"first use of a nonce", prefecture.RevokePath, sign(prefecture.Request{Op: prefecture.OpRevoke, Serial: "abc", Reason: prefecture.ReasonKeyCompromise, Time: now, Nonce: nonce}), 404, prefecture.RefusalUnknownSerial},
		{"nonce replayed for another request", prefecture.RevokePath, sign(prefecture.Request{Op: prefecture.OpRevoke, Serial: serial, Reason: prefecture.ReasonKeyCompromise, Time: now, Nonce: nonce}), 409, prefecture.RefusalReplay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.postSigned(t, tt.path, tt.body)
			r := prefecture.ParseRefusal(body)
			if status != tt.status || r.Code != tt.code {
				t.Errorf("status %d %q, want %d %q", status, body, tt.status, tt.code)
			}
		})
	}
	if st, _ := e.ca.CertificateStatus(ctx, got.Certificate.SerialNumber); st.Revoked {
		t.Error("a refused request revoked the certificate")
	}
}

func TestMunicipalityCRL(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	neighbour := e.clientWith(t, e.terminal(t, TerminalOptions{Municipality: "中央区", MunicipalityCode: "131024"}))
	mine, err := e.client.Enroll(ctx, csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎")))
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := neighbour.Enroll(ctx, csrFor(t, rsaKey(t, 1), resident("中央\u3000次郎")))
	if err != nil {
		t.Fatal(err)
	}
	theirPart := Partition{"131024", shardOf(theirs.Certificate.SerialNumber, DefaultCRLShards)}
	if dp := theirs.Certificate.CRLDistributionPoints; len(dp) != 1 || !strings.HasSuffix(dp[0], theirPart.FullPath()) {
		t.Fatalf("neighbour's DP %v", dp)
	}
	// The municipality of theirs, under the neighbour's certificate subject.
	var rdns pkix.RDNSequence
	asn1.Unmarshal(theirs.Certificate.RawSubject, &rdns)
	if rdns[2][0].Value != "中央区" {
		t.Errorf("subject municipality %v", rdns[2][0].Value)
	}
	if _, err := e.client.Revoke(ctx, mine.Certificate.SerialNumber, prefecture.ReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	if _, err := neighbour.Revoke(ctx, theirs.Certificate.SerialNumber, prefecture.ReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ca.RegenerateCRLs(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		code string
		want *big.Int
	}{{testCode, mine.Certificate.SerialNumber}, {"131024", theirs.Certificate.SerialNumber}} {
		p := Partition{tt.code, shardOf(tt.want, DefaultCRLShards)}
		der, err := e.ca.FullCRL(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		if err := crl.CheckSignatureFrom(e.ca.Root()); err != nil {
			t.Fatal(err)
		}
		if len(crl.RevokedCertificateEntries) != 1 || crlEntry(crl, tt.want) == nil {
			t.Errorf("CRL %s: %d entries", p, len(crl.RevokedCertificateEntries))
		}
		var idp *pkix.Extension
		for i := range crl.Extensions {
			if crl.Extensions[i].Id.Equal(oidIssuingDistributionPoint) {
				idp = &crl.Extensions[i]
			}
		}
		if idp == nil || !idp.Critical || !bytes.Contains(idp.Value, []byte(p.FullPath())) {
			t.Errorf("CRL %s: IDP %+v", p, idp)
		}
	}
	// Each terminal reads only its own municipality's partitions.
	for _, c := range []*prefecture.ESTClient{e.client, neighbour} {
		all, err := c.CRL(ctx)
		if err != nil || len(all.RevokedCertificateEntries) != 1 {
			t.Fatalf("municipality CRL: %v, %v", all, err)
		}
		// Unchanged state: the cached delta CRLs (same numbers) are served.
		again, err := c.CRL(ctx)
		if err != nil || again.Number.Cmp(all.Number) != 0 {
			t.Errorf("cached CRL number %v vs %v (%v)", again.Number, all.Number, err)
		}
	}
}

func TestUnreachable(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	csr := csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎"))

	// Nobody listening.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := prefecture.NewEST(prefecture.Config{URL: "https://" + addr, Roots: []*x509.Certificate{e.ca.Root()}, Certificate: e.ra, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Enroll(ctx, csr)
	var pe *prefecture.Error
	if !errors.Is(err, prefecture.ErrUnreachable) || !errors.As(err, &pe) || pe.Kind != prefecture.Unreachable {
		t.Fatalf("closed port: %v", err)
	}
	if errors.Is(err, prefecture.ErrRefused) {
		t.Error("unreachable also matches ErrRefused")
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %v", time.Since(start))
	}

	// The wrong pinned root: TLS fails, no retry can help.
	other := t.TempDir()
	if err := Setup(other, SetupOptions{Prefecture: "x", Municipality: "y", MunicipalityCode: "1", Terminal: "z"}); err != nil {
		t.Fatal(err)
	}
	wrongRoot, _, err := loadPair(other+"/"+FileCACert, other+"/"+FileCAKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err = prefecture.NewEST(prefecture.Config{URL: e.url, Roots: []*x509.Certificate{wrongRoot}, Certificate: e.ra})
	if err != nil {
		t.Fatal(err)
	}
	for _, call := range []func() error{
		func() error { _, err := c.Enroll(ctx, csr); return err },
		func() error { _, err := c.CRL(ctx); return err },
		func() error { _, err := c.Revoke(ctx, big.NewInt(1), prefecture.ReasonKeyCompromise); return err },
	} {
		err := call()
		var verr *tls.CertificateVerificationError
		if !errors.Is(err, prefecture.ErrUnreachable) || !errors.As(err, &verr) {
			t.Errorf("wrong root: %v", err)
		}
	}

	// A cancelled context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.client.Enroll(cctx, csr); !errors.Is(err, context.Canceled) || !errors.Is(err, prefecture.ErrUnreachable) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestConcurrentIdenticalRequests sends the same request from 8 terminals
// connections at once: one certificate is issued and every connection
// receives it.
func TestConcurrentIdenticalRequests(t *testing.T) {
	e := newEnv(t, SetupOptions{}, nil)
	ctx := context.Background()
	csr := csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎"))
	const n = 8
	type answer struct {
		status int
		body   []byte
		err    error
	}
	answers := make(chan answer, n)
	for i := 0; i < n; i++ {
		go func() {
			status, body, err := e.postEnroll(e.rawEnroller(), csr)
			answers <- answer{status, body, err}
		}()
	}
	var first []byte
	for i := 0; i < n; i++ {
		a := <-answers
		if a.err != nil || a.status != 200 {
			t.Fatalf("status %d, %v: %s", a.status, a.err, a.body)
		}
		if first == nil {
			first = a.body
		} else if !bytes.Equal(a.body, first) {
			t.Error("two different answers to one request")
		}
	}
	if c, _ := e.ca.IssuedCount(ctx); c != 1 {
		t.Errorf("store holds %d certificates", c)
	}
	// And the client sees that certificate.
	got, err := e.client.Enroll(ctx, csr)
	p7, _ := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(first)))
	if err != nil || !bytes.Contains(p7, got.Certificate.Raw) {
		t.Errorf("client got another certificate (%v)", err)
	}
}

// TestCheckRequestProofOfPossession checks the CA's own signature check,
// which globalsign/est's router normally reaches first.
func TestCheckRequestProofOfPossession(t *testing.T) {
	csr := csrFor(t, rsaKey(t, 0), resident("山田\u3000太郎"))
	raw := bytes.Clone(csr.Raw)
	raw[len(raw)-1] ^= 0x80
	bad, err := x509.ParseCertificateRequest(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, ref := checkRequest(bad, false, time.Now()); ref == nil || ref.Code != prefecture.RefusalBadSignature || ref.status != 400 {
		t.Errorf("tampered request: %+v", ref)
	}
	if req, ref := checkRequest(csr, false, time.Now()); ref != nil || req.birth != (forms.Date{Year: 1962, Month: 6, Day: 17}) {
		t.Errorf("good request: %+v %+v", req, ref)
	}
	future := resident("山田\u3000太郎")
	future.Birth = "520990101"
	if _, ref := checkRequest(csrFor(t, rsaKey(t, 0), future), false, time.Now()); ref == nil || ref.Code != prefecture.RefusalBadBirth {
		t.Errorf("future birth: %+v", ref)
	}
}
