package prefecture

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// selfSigned returns a throwaway certificate for key.
func selfSigned(t testing.TB, key crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "terminal"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSignAndVerifyRequest(t *testing.T) {
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now().UTC().Truncate(time.Second)
	for _, key := range []crypto.Signer{ecKey, rsaKey} {
		cert := selfSigned(t, key)
		req := Request{Op: OpRevoke, Serial: "1f2e", Reason: ReasonKeyCompromise, Time: now, Nonce: NewNonce()}
		body, err := SignRequest(key, cert, req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := VerifyRequest(body, cert, now.Add(time.Minute))
		if err != nil {
			t.Fatalf("%T: %v", key, err)
		}
		if got != req {
			t.Errorf("%T: got %+v, want %+v", key, got, req)
		}
		// Whitespace around the token is tolerated.
		if _, err := VerifyRequest(append(append([]byte("\n"), body...), '\n'), cert, now); err != nil {
			t.Errorf("%T with surrounding newlines: %v", key, err)
		}

		// Any change to the payload breaks the signature.
		parts := strings.Split(string(body), ".")
		other, _ := SignRequest(key, cert, Request{Op: OpRevoke, Serial: "1f2f", Reason: ReasonKeyCompromise, Time: now, Nonce: req.Nonce})
		swapped := parts[0] + "." + strings.Split(string(other), ".")[1] + "." + parts[2]
		if _, err := VerifyRequest([]byte(swapped), cert, now); !errors.Is(err, ErrBadSignedRequest) {
			t.Errorf("%T: payload swap accepted: %v", key, err)
		}
	}
}

func TestVerifyRequestRejects(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := selfSigned(t, key)
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherCert := selfSigned(t, otherKey)
	now := time.Now().UTC().Truncate(time.Second)
	good := Request{Op: OpRevoke, Serial: "ab", Reason: ReasonDeath, Time: now, Nonce: NewNonce()}
	sign := func(r Request) []byte {
		b, err := SignRequest(key, cert, r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		body []byte
		cert *x509.Certificate
		want string
	}{
		{"other certificate", sign(good), otherCert, "another certificate"},
		{"stale", sign(func() Request { r := good; r.Time = now.Add(-6 * time.Minute); return r }()), cert, "from the CA's clock"},
		{"future", sign(func() Request { r := good; r.Time = now.Add(6 * time.Minute); return r }()), cert, "from the CA's clock"},
		{"short nonce", sign(func() Request { r := good; r.Nonce = "abc"; return r }()), cert, "nonce"},
		{"bad serial", sign(func() Request { r := good; r.Serial = "xyz"; return r }()), cert, "hexadecimal"},
		{"zero serial", sign(func() Request { r := good; r.Serial = "00"; return r }()), cert, "positive"},
		{"unknown op", sign(func() Request { r := good; r.Op = "delete"; return r }()), cert, "unknown operation"},
		{"revoke without reason", sign(func() Request { r := good; r.Reason = 0; return r }()), cert, "allowed reason"},
		{"revoke as superseded", sign(func() Request { r := good; r.Reason = ReasonSuperseded; return r }()), cert, "allowed reason"},
		{"notice without kind", sign(func() Request { r := good; r.Op = OpNotice; r.Reason = 0; return r }()), cert, "notice kind"},
		{"notice key too short", sign(func() Request {
			r := good
			r.Op, r.Reason, r.Notice, r.Key = OpNotice, 0, NoticeDeath, "short"
			return r
		}()), cert, "notice key"},
		{"notice key with a name", sign(func() Request {
			r := good
			r.Op, r.Reason, r.Notice, r.Key = OpNotice, 0, NoticeDeath, "山田太郎-0123456789abcdef"
			return r
		}()), cert, "notice key"},
		{"revoke with a notice key", sign(func() Request { r := good; r.Key = "0123456789abcdef0123"; return r }()), cert, "allowed reason"},
		{"two parts", []byte("a.b"), cert, "compact JWS"},
		{"not base64", []byte("a.b.*"), cert, "base64url"},
		{"too large", bytes.Repeat([]byte("a"), MaxSignedRequestSize+1), cert, "larger"},
		{"unknown header field", func() []byte {
			b := sign(good)
			p := strings.Split(string(b), ".")
			hdr, _ := base64.RawURLEncoding.DecodeString(p[0])
			hdr = bytes.Replace(hdr, []byte("{"), []byte(`{"x":1,`), 1)
			return []byte(base64.RawURLEncoding.EncodeToString(hdr) + "." + p[1] + "." + p[2])
		}(), cert, "header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyRequest(tt.body, tt.cert, now)
			if !errors.Is(err, ErrBadSignedRequest) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseRefusal(t *testing.T) {
	tests := []struct {
		in   string
		want Refusal
	}{
		{"400 charset: name holds 𠮟\nja: 氏名の1文字目「𠮟」は記録できません\n",
			Refusal{Code: "charset", Reason: "name holds 𠮟", ReasonJA: "氏名の1文字目「𠮟」は記録できません"}},
		{"403 ra-revoked: terminal certificate 1a has been revoked", Refusal{Code: "ra-revoked", Reason: "terminal certificate 1a has been revoked"}},
		{"400 invalid PKCS10 certificate signing request signature\n", Refusal{Reason: "invalid PKCS10 certificate signing request signature"}},
		{"Service Unavailable", Refusal{Reason: "Service Unavailable"}},
		{"", Refusal{}},
		{"500 Internal: x", Refusal{Reason: "Internal: x"}},
		{"bad\xffutf8", Refusal{Reason: "bad\uFFFDutf8"}},
	}
	for _, tt := range tests {
		if got := ParseRefusal(tt.in); got != tt.want {
			t.Errorf("ParseRefusal(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	// String and ParseRefusal round-trip.
	r := Refusal{Code: "bad-birth", Reason: "birth code 319621317", ReasonJA: "生年月日のコードが正しくありません"}
	if got := ParseRefusal("400 " + r.String() + "\n"); got != r {
		t.Errorf("round trip: %+v", got)
	}
}

func TestReasons(t *testing.T) {
	tests := []struct {
		r    Reason
		wire string
		crl  int
	}{
		{ReasonResidentRequest, "resident-request", 0},
		{ReasonKeyCompromise, "key-compromise", 1},
		{ReasonAddressChange, "address-change", 3},
		{ReasonNameChange, "name-change", 3},
		{ReasonSuperseded, "superseded", 4},
		{ReasonDeath, "death", 5},
		{ReasonMovedOut, "moved-out", 3},
		{ReasonErased, "erased", 5},
	}
	for _, tt := range tests {
		if tt.r.String() != tt.wire || tt.r.CRLReason() != tt.crl || !tt.r.Valid() || tt.r.Japanese() == "不明な理由" {
			t.Errorf("%d: %q %d %q", tt.r, tt.r.String(), tt.r.CRLReason(), tt.r.Japanese())
		}
		b, err := tt.r.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Reason
		if err := back.UnmarshalText(b); err != nil || back != tt.r {
			t.Errorf("round trip %q: %v %v", b, back, err)
		}
	}
	if _, err := Reason(0).MarshalText(); err == nil {
		t.Error("reason 0 marshals")
	}
	if _, err := ParseReason("lost"); err == nil {
		t.Error("unknown reason parses")
	}
	notices := map[NoticeKind]Reason{NoticeAddressChange: ReasonAddressChange, NoticeNameChange: ReasonNameChange, NoticeDeath: ReasonDeath,
		NoticeMovedOut: ReasonMovedOut, NoticeErased: ReasonErased}
	if len(notices) != len(NoticeKinds) {
		t.Errorf("NoticeKinds lists %d kinds", len(NoticeKinds))
	}
	for k, r := range notices {
		var back NoticeKind
		b, _ := k.MarshalText()
		if k.Reason() != r || back.UnmarshalText(b) != nil || back != k {
			t.Errorf("notice %v", k)
		}
	}
	if NoticeKind(9).Valid() || NoticeKind(9).Reason() != 0 {
		t.Error("notice 9 valid")
	}
}

func TestSerials(t *testing.T) {
	for _, s := range []string{"1", "ff", "FF", "193d96bd71a8ca12", strings.Repeat("f", 40)} {
		n, err := ParseSerial(s)
		if err != nil || !strings.EqualFold(FormatSerial(n), strings.TrimLeft(s, "0")) {
			t.Errorf("%q: %v %v", s, n, err)
		}
	}
	for _, s := range []string{"", "0", "-1", "0x1f", "g", strings.Repeat("f", 41)} {
		if _, err := ParseSerial(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestNewESTConfig(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := selfSigned(t, key)
	good := Config{Roots: []*x509.Certificate{cert}, Certificate: tlsCert(cert, key)}
	tests := []struct {
		url, base, aps string
		ok             bool
	}{
		{"https://ca.example.jp", "https://ca.example.jp", "", true},
		{"https://127.0.0.1:8443/.well-known/est", "https://127.0.0.1:8443", "", true},
		{"https://127.0.0.1:8443/.well-known/est/", "https://127.0.0.1:8443", "", true},
		{"https://ca:8443/.well-known/est/tokyo", "https://ca:8443", "tokyo", true},
		{"http://ca:8443", "", "", false},
		{"https://ca/other", "", "", false},
		{"https://ca/.well-known/est/a/b", "", "", false},
		{"https://user@ca", "", "", false},
		{"ca:8443", "", "", false},
	}
	for _, tt := range tests {
		cfg := good
		cfg.URL = tt.url
		c, err := NewEST(cfg)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v", tt.url, err)
			continue
		}
		if err == nil && (c.base != tt.base || c.est.AdditionalPathSegment != tt.aps || !c.est.DisableKeepAlives) {
			t.Errorf("%s: base %s aps %q", tt.url, c.base, c.est.AdditionalPathSegment)
		}
	}
	if _, err := NewEST(Config{URL: "https://ca", Certificate: good.Certificate}); err == nil {
		t.Error("no pinned root accepted")
	}
	if _, err := NewEST(Config{URL: "https://ca", Roots: good.Roots}); err == nil {
		t.Error("no RA certificate accepted")
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err      *Error
		sentinel error
		ja       string
	}{
		{&Error{Op: "enroll", Kind: Refused, Status: 400, Refusal: Refusal{Code: "charset", Reason: "x", ReasonJA: "氏名の1文字目「𠮟」は証明書に記録できない文字です"}}, ErrRefused, "理由: 氏名の1文字目「𠮟」"},
		{&Error{Op: "revoke", Kind: Refused, Status: 403, Refusal: Refusal{Reason: "forbidden"}}, ErrRefused, "失効申請を都道府県の認証局が受け付けませんでした。理由: forbidden"},
		{&Error{Op: "enroll", Kind: Unreachable, Err: errors.New("dial tcp: refused")}, ErrUnreachable, "二重に発行されることはありません"},
		{&Error{Op: "crl", Kind: BadResponse, Err: errors.New("bad")}, ErrBadResponse, "管理者に連絡"},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.sentinel) {
			t.Errorf("%v is not %v", tt.err, tt.sentinel)
		}
		for _, s := range []error{ErrRefused, ErrUnreachable, ErrBadResponse} {
			if s != tt.sentinel && errors.Is(tt.err, s) {
				t.Errorf("%v also matches %v", tt.err, s)
			}
		}
		if msg := tt.err.UserMessage(); !strings.Contains(msg, tt.ja) {
			t.Errorf("UserMessage = %q, want %q", msg, tt.ja)
		}
		var um interface{ UserMessage() string }
		if !errors.As(error(tt.err), &um) {
			t.Error("no UserMessage through errors.As")
		}
	}
}

func TestClassifyStatus(t *testing.T) {
	tests := []struct {
		status int
		kind   Kind
		retry  bool
	}{
		{400, Refused, false}, {401, Refused, false}, {403, Refused, false}, {404, Refused, false}, {409, Refused, false},
		{408, Unreachable, true}, {429, Unreachable, true}, {500, Unreachable, true}, {503, Unreachable, true}, {202, Unreachable, true},
		{301, BadResponse, false},
	}
	for _, tt := range tests {
		ae := classifyStatus(tt.status, "400 x: y", 0, errors.New("e"))
		if ae.kind != tt.kind || ae.retry != tt.retry {
			t.Errorf("%d: kind %v retry %v", tt.status, ae.kind, ae.retry)
		}
	}
}

// FuzzVerifyRequest feeds the CA's parser of RA-signed requests.
func FuzzVerifyRequest(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := selfSigned(f, key)
	now := time.Now().UTC().Truncate(time.Second)
	good, err := SignRequest(key, cert, Request{Op: OpNotice, Serial: "abc", Notice: NoticeDeath, Time: now, Nonce: NewNonce()})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("e30.e30.AA"))
	f.Add([]byte(".."))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := VerifyRequest(body, cert, now)
		if err != nil {
			if !errors.Is(err, ErrBadSignedRequest) {
				t.Fatalf("error %v does not wrap ErrBadSignedRequest", err)
			}
			return
		}
		if req.Op != OpRevoke && req.Op != OpNotice {
			t.Fatalf("accepted op %q", req.Op)
		}
		if _, err := ParseSerial(req.Serial); err != nil {
			t.Fatalf("accepted serial %q", req.Serial)
		}
	})
}

// FuzzParseRefusal feeds the client's parser of CA error texts.
func FuzzParseRefusal(f *testing.F) {
	f.Add("400 charset: name\nja: 氏名")
	f.Add("503 Service Unavailable")
	f.Add("ja: only")
	f.Fuzz(func(t *testing.T, body string) {
		r := ParseRefusal(body)
		for _, s := range []string{r.Code, r.Reason, r.ReasonJA} {
			if !utf8Valid(s) {
				t.Fatalf("invalid UTF-8 in %+v", r)
			}
		}
		if r.Code != "" && !codePrefix.MatchString(r.Code+": ") {
			t.Fatalf("code %q", r.Code)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

func tlsCert(cert *x509.Certificate, key crypto.Signer) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}
