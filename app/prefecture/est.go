package prefecture

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/globalsign/est"

	"madoguchi/forms/jpkicert"
)

// Config configures the EST client.
type Config struct {
	// URL is the CA's EST base: "https://host:port", optionally followed by
	// "/.well-known/est" and an additional path segment (RFC 7030 3.2.2).
	// The RA endpoints and the CRL are served from the same host.
	URL string
	// Roots are the pinned CA roots: the server's TLS certificate and every
	// issued certificate and CRL must chain to one of them. The system
	// roots are never used.
	Roots []*x509.Certificate
	// Certificate is this terminal's RA certificate (with its chain, if
	// any) and private key, for mutual TLS and for signing RA requests.
	// The key must be a crypto.Signer (a file key, or an HSM).
	Certificate tls.Certificate
	// Timeout bounds each attempt (connect, TLS, request and answer).
	// Zero means 30 seconds.
	Timeout time.Duration
	// Attempts is how many times a transient failure is tried in all.
	// Zero means 3.
	Attempts int
	// Backoff is the wait before the first retry, doubled for each next
	// one; a longer Retry-After from the CA (up to a minute) is honoured.
	// Zero means 500 ms.
	Backoff time.Duration
}

// ConfigFromFiles builds a Config from the configuration file's settings:
// the CA URL, the pinned root certificate file (PEM, one or more
// certificates), and this terminal's RA certificate and key files (PEM).
func ConfigFromFiles(caURL, rootCertFile, raCertFile, raKeyFile string) (Config, error) {
	pemBytes, err := os.ReadFile(rootCertFile)
	if err != nil {
		return Config{}, fmt.Errorf("prefecture: CA root: %w", err)
	}
	roots, err := ParseCertificatesPEM(pemBytes)
	if err != nil {
		return Config{}, fmt.Errorf("prefecture: CA root %s: %w", rootCertFile, err)
	}
	cert, err := tls.LoadX509KeyPair(raCertFile, raKeyFile)
	if err != nil {
		return Config{}, fmt.Errorf("prefecture: RA certificate: %w", err)
	}
	return Config{URL: caURL, Roots: roots, Certificate: cert}, nil
}

// ParseCertificatesPEM reads every CERTIFICATE block of a PEM file; there
// must be at least one.
func ParseCertificatesPEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return certs, nil
}

// estMu serialises the calls into globalsign/est's client process-wide:
// the go.mozilla.org/pkcs7 version it decodes answers with updates a
// package-level counter on every parse (a data race, harmless but reported
// by the race detector). The counter enrolls one resident at a time, so
// this costs nothing in practice; the revocation, notice and CRL requests
// are not affected.
var estMu sync.Mutex

// ESTClient is the Client (and Notifier) that speaks EST to the CA.
//
// Enrollment goes through github.com/globalsign/est's client. It opens a
// fresh TLS connection per request (keep-alives off, so no connection
// outlives its request); TLS 1.3 is what it negotiates with a TLS 1.3 CA,
// and the reference CA accepts nothing lower. The revocation, notice and
// CRL requests use this package's own HTTP client, which requires TLS 1.3.
//
// Transient failures are retried. This is safe because the CA treats a
// request for a public key it has already certified as the same request and
// returns the same certificate, and because a revocation is idempotent.
type ESTClient struct {
	base     string // https://host:port
	est      *est.Client
	http     *http.Client
	roots    *x509.CertPool
	rootList []*x509.Certificate
	leaf     *x509.Certificate
	signer   crypto.Signer
	timeout  time.Duration
	attempts int
	backoff  time.Duration

	mu      sync.Mutex
	cacerts []*x509.Certificate // from /cacerts, verified
}

// NewEST returns an EST client for cfg.
func NewEST(cfg Config) (*ESTClient, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("prefecture: CA URL %q is not https://host[:port][%s[/segment]]", cfg.URL, ESTPath)
	}
	var aps string
	switch p := strings.TrimSuffix(u.Path, "/"); {
	case p == "" || p == ESTPath:
	case strings.HasPrefix(p, ESTPath+"/") && !strings.Contains(p[len(ESTPath)+1:], "/"):
		aps = p[len(ESTPath)+1:]
	default:
		return nil, fmt.Errorf("prefecture: CA URL path %q is not %s[/segment]", u.Path, ESTPath)
	}
	if len(cfg.Roots) == 0 {
		return nil, errors.New("prefecture: no pinned CA root")
	}
	if len(cfg.Certificate.Certificate) == 0 {
		return nil, errors.New("prefecture: no RA certificate")
	}
	signer, ok := cfg.Certificate.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("prefecture: the RA private key cannot sign")
	}
	var chain []*x509.Certificate
	for _, der := range cfg.Certificate.Certificate {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("prefecture: RA certificate: %w", err)
		}
		chain = append(chain, c)
	}
	roots := x509.NewCertPool()
	for _, r := range cfg.Roots {
		roots.AddCert(r)
	}
	c := &ESTClient{
		base:     "https://" + u.Host,
		roots:    roots,
		rootList: cfg.Roots,
		leaf:     chain[0],
		signer:   signer,
		timeout:  cfg.Timeout,
		attempts: cfg.Attempts,
		backoff:  cfg.Backoff,
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if c.attempts <= 0 {
		c.attempts = 3
	}
	if c.backoff <= 0 {
		c.backoff = 500 * time.Millisecond
	}
	c.est = &est.Client{
		Host:                  u.Host,
		AdditionalPathSegment: aps,
		ExplicitAnchor:        roots,
		Certificates:          chain,
		PrivateKey:            signer,
		DisableKeepAlives:     true,
	}
	c.http = &http.Client{
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{
				MinVersion:   tls.VersionTLS13,
				RootCAs:      roots,
				Certificates: []tls.Certificate{cfg.Certificate},
			},
			IdleConnTimeout:     30 * time.Second,
			TLSHandshakeTimeout: c.timeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// Close releases idle connections.
func (c *ESTClient) Close() { c.http.CloseIdleConnections() }

// Enroll implements Client. The returned certificate has been checked: it
// chains to a pinned root, and carries the request's public key and
// subjectAltName.
func (c *ESTClient) Enroll(ctx context.Context, csr *x509.CertificateRequest) (*Enrollment, error) {
	if csr == nil || len(csr.Raw) == 0 {
		return nil, errors.New("prefecture: enroll: no certificate request")
	}
	var cert *x509.Certificate
	err := c.retry(ctx, "enroll", func(ctx context.Context) *attemptError {
		estMu.Lock()
		defer estMu.Unlock()
		var err error
		cert, err = c.est.Enroll(ctx, csr)
		return classifyEST(err)
	})
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(cert.RawSubjectPublicKeyInfo, csr.RawSubjectPublicKeyInfo) {
		return nil, &Error{Op: "enroll", Kind: BadResponse, Err: errors.New("the certificate's public key is not the request's")}
	}
	if want, err := jpkicert.FromExtensions(csr.Extensions); err == nil {
		got, err := jpkicert.FromExtensions(cert.Extensions)
		if err != nil || got != want {
			return nil, &Error{Op: "enroll", Kind: BadResponse, Err: fmt.Errorf("the certificate's subjectAltName differs from the request's (%v)", err)}
		}
	}
	chain, err := c.verify(ctx, cert)
	if err != nil {
		return nil, err
	}
	return &Enrollment{Certificate: cert, Chain: chain}, nil
}

// verify checks cert against the pinned roots, with the CA certificates
// from /cacerts as intermediates, and returns its chain without the leaf.
func (c *ESTClient) verify(ctx context.Context, cert *x509.Certificate) ([]*x509.Certificate, error) {
	for refreshed := false; ; refreshed = true {
		cas, err := c.caCerts(ctx, refreshed)
		if err != nil {
			return nil, err
		}
		inter := x509.NewCertPool()
		for _, ca := range cas {
			inter.AddCert(ca)
		}
		chains, err := cert.Verify(x509.VerifyOptions{
			Roots:         c.roots,
			Intermediates: inter,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		})
		if err == nil {
			return chains[0][1:], nil
		}
		if refreshed {
			return nil, &Error{Op: "enroll", Kind: BadResponse, Err: fmt.Errorf("the certificate does not chain to the pinned root: %w", err)}
		}
	}
}

// caCerts returns the CA certificates from /cacerts, fetched once and
// cached, or fetched again when refresh is set.
func (c *ESTClient) caCerts(ctx context.Context, refresh bool) ([]*x509.Certificate, error) {
	c.mu.Lock()
	cached := c.cacerts
	c.mu.Unlock()
	if cached != nil && !refresh {
		return cached, nil
	}
	var certs []*x509.Certificate
	err := c.retry(ctx, "cacerts", func(ctx context.Context) *attemptError {
		estMu.Lock()
		defer estMu.Unlock()
		var err error
		certs, err = c.est.CACerts(ctx)
		return classifyEST(err)
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.cacerts = certs
	c.mu.Unlock()
	return certs, nil
}

// Revoke implements Client.
func (c *ESTClient) Revoke(ctx context.Context, serial *big.Int, reason Reason) (*Revocation, error) {
	if serial == nil || serial.Sign() <= 0 {
		return nil, errors.New("prefecture: revoke: no serial")
	}
	if !reason.Valid() || reason == ReasonSuperseded {
		return nil, fmt.Errorf("prefecture: revoke: reason %v cannot be requested", reason)
	}
	resp, err := c.signed(ctx, "revoke", RevokePath, Request{Op: OpRevoke, Serial: FormatSerial(serial), Reason: reason})
	if err != nil {
		return nil, err
	}
	if len(resp) != 1 || resp[0].Serial.Cmp(serial) != 0 {
		return nil, &Error{Op: "revoke", Kind: BadResponse, Err: errors.New("the answer does not name the requested certificate")}
	}
	return &resp[0], nil
}

// Notify implements Notifier.
func (c *ESTClient) Notify(ctx context.Context, serial *big.Int, kind NoticeKind) (*NoticeResult, error) {
	if serial == nil || serial.Sign() <= 0 {
		return nil, errors.New("prefecture: notice: no serial")
	}
	if !kind.Valid() {
		return nil, fmt.Errorf("prefecture: notice: invalid kind %d", int(kind))
	}
	resp, err := c.signed(ctx, "notice", NoticePath, Request{Op: OpNotice, Serial: FormatSerial(serial), Notice: kind})
	if err != nil {
		return nil, err
	}
	return &NoticeResult{Revoked: resp}, nil
}

// signed signs req with the RA key and posts it, retrying the same signed
// body on transient failures.
func (c *ESTClient) signed(ctx context.Context, op, path string, req Request) ([]Revocation, error) {
	req.Time = time.Now().UTC().Truncate(time.Second)
	req.Nonce = NewNonce()
	body, err := SignRequest(c.signer, c.leaf, req)
	if err != nil {
		return nil, err
	}
	var raw []byte
	err = c.retry(ctx, op, func(ctx context.Context) *attemptError {
		hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
		if err != nil {
			return &attemptError{kind: BadResponse, err: err}
		}
		hreq.Header.Set("Content-Type", SignedRequestType)
		hreq.Header.Set("Accept", ResponseType)
		raw, err = c.do(hreq, 1<<20)
		return classifyHTTP(err)
	})
	if err != nil {
		return nil, err
	}
	var resp Response
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, &Error{Op: op, Kind: BadResponse, Err: fmt.Errorf("decoding the answer: %w", err)}
	}
	out := make([]Revocation, 0, len(resp.Revoked))
	for _, e := range resp.Revoked {
		n, err := ParseSerial(e.Serial)
		if err != nil || !e.Reason.Valid() {
			return nil, &Error{Op: op, Kind: BadResponse, Err: fmt.Errorf("bad entry in the answer: %+v", e)}
		}
		out = append(out, Revocation{Serial: n, RevokedAt: e.RevokedAt, Reason: e.Reason, Already: e.Already})
	}
	return out, nil
}

// CRL implements Client: it reads the terminal's own municipality's CRL
// partitions (complete and delta, see partitionCRL) and merges them.
func (c *ESTClient) CRL(ctx context.Context) (*x509.RevocationList, error) {
	return c.municipalityCRL(ctx)
}

// fetchCRL fetches one CRL and checks its signature against the pinned
// roots and its nextUpdate against the clock.
func (c *ESTClient) fetchCRL(ctx context.Context, path string) (*x509.RevocationList, error) {
	var raw []byte
	err := c.retry(ctx, "crl", func(ctx context.Context) *attemptError {
		hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
		if err != nil {
			return &attemptError{kind: BadResponse, err: err}
		}
		hreq.Header.Set("Accept", CRLType)
		raw, err = c.do(hreq, 64<<20)
		return classifyHTTP(err)
	})
	if err != nil {
		return nil, err
	}
	crl, err := x509.ParseRevocationList(raw)
	if err != nil {
		return nil, &Error{Op: "crl", Kind: BadResponse, Err: err}
	}
	var sigErr error = errors.New("no pinned root issued the CRL")
	for _, r := range c.rootList {
		if bytes.Equal(r.RawSubject, crl.RawIssuer) {
			if sigErr = crl.CheckSignatureFrom(r); sigErr == nil {
				break
			}
		}
	}
	if sigErr != nil {
		return nil, &Error{Op: "crl", Kind: BadResponse, Err: fmt.Errorf("CRL signature: %w", sigErr)}
	}
	if !crl.NextUpdate.IsZero() && time.Now().After(crl.NextUpdate) {
		return nil, &Error{Op: "crl", Kind: BadResponse, Err: fmt.Errorf("the CRL is stale (nextUpdate %s)", crl.NextUpdate)}
	}
	return crl, nil
}

// httpStatusError is a non-200 answer to one of the package's own HTTP
// requests.
type httpStatusError struct {
	status     int
	body       string
	retryAfter time.Duration
}

func (e *httpStatusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

// do performs req and returns the body of a 200 answer, or an
// *httpStatusError, or the transport error.
func (c *ESTClient) do(req *http.Request, limit int64) ([]byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("answer larger than %d bytes", limit)
	}
	if resp.StatusCode != http.StatusOK {
		e := &httpStatusError{status: resp.StatusCode, body: string(body)}
		if secs, err := time.ParseDuration(resp.Header.Get("Retry-After") + "s"); err == nil && secs > 0 {
			e.retryAfter = secs
		}
		return nil, e
	}
	return body, nil
}

// attemptError is the outcome of one failed attempt.
type attemptError struct {
	kind       Kind
	status     int
	refusal    Refusal
	err        error
	retry      bool          // worth another attempt
	retryAfter time.Duration // the CA's Retry-After, if any
}

// retry runs fn until it succeeds, fails for good, or runs out of attempts
// or time, and turns the last failure into an *Error.
func (c *ESTClient) retry(ctx context.Context, op string, fn func(context.Context) *attemptError) error {
	wait := c.backoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, c.timeout)
		ae := fn(actx)
		cancel()
		if ae == nil {
			return nil
		}
		if ctx.Err() != nil {
			return &Error{Op: op, Kind: Unreachable, Err: ctx.Err()}
		}
		if !ae.retry || attempt >= c.attempts {
			return &Error{Op: op, Kind: ae.kind, Status: ae.status, Refusal: ae.refusal, Err: ae.err}
		}
		d := wait
		if ae.retryAfter > d && ae.retryAfter <= time.Minute {
			d = ae.retryAfter
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return &Error{Op: op, Kind: Unreachable, Err: ctx.Err()}
		}
		wait *= 2
	}
}

// classifyStatus sorts an HTTP error status: 4xx is a refusal except 408
// and 429; 5xx, 408 and 429 (and 202, "come back later") are transient.
func classifyStatus(status int, body string, retryAfter time.Duration, err error) *attemptError {
	ae := &attemptError{status: status, err: err, retryAfter: retryAfter}
	switch {
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests ||
		status == http.StatusAccepted || status >= 500:
		ae.kind, ae.retry = Unreachable, true
	case status >= 400:
		ae.kind = Refused
		ae.refusal = ParseRefusal(body)
	default:
		ae.kind = BadResponse
	}
	return ae
}

// classifyEST sorts an error from the globalsign/est client.
func classifyEST(err error) *attemptError {
	if err == nil {
		return nil
	}
	var estErr interface {
		StatusCode() int
		RetryAfter() int
	}
	if errors.As(err, &estErr) {
		return classifyStatus(estErr.StatusCode(), err.Error(), time.Duration(estErr.RetryAfter())*time.Second, err)
	}
	return classifyTransport(err)
}

// classifyHTTP sorts an error from ESTClient.do.
func classifyHTTP(err error) *attemptError {
	if err == nil {
		return nil
	}
	var se *httpStatusError
	if errors.As(err, &se) {
		return classifyStatus(se.status, se.body, se.retryAfter, err)
	}
	return classifyTransport(err)
}

// classifyTransport sorts an error that is not an HTTP status: failures to
// reach the CA are Unreachable (retried unless the TLS peer is wrong, which
// a retry will not fix); anything else is a BadResponse.
func classifyTransport(err error) *attemptError {
	var (
		verifyErr  *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		alertErr   tls.AlertError
		recordErr  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &verifyErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &alertErr), errors.As(err, &recordErr):
		return &attemptError{kind: Unreachable, err: err}
	}
	var urlErr *url.Error
	var netErr net.Error
	if errors.As(err, &urlErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, net.ErrClosed) {
		return &attemptError{kind: Unreachable, err: err, retry: true}
	}
	return &attemptError{kind: BadResponse, err: err}
}
