package verify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"
)

// Remote is a RevocationSource reaching the prefecture's revocation
// service as a registered verifier: OCSP (RFC 6960, POST) first, the
// certificate's CRL distribution point otherwise, both over mutual TLS
// with the verifier certificate. Answers are cached per certificate while
// they cover the time asked and are younger than MaxAge.
type Remote struct {
	// Client carries the verifier certificate (mutual TLS). Nil means the
	// verifier is not registered: Status returns ErrNotRegistered.
	Client *http.Client
	// ServiceURL is the base (https://host:port) of the prefecture's
	// revocation service. Certificates name their OCSP responder and CRL
	// partitions by stable plain-http URLs that identify rather than
	// serve them; with ServiceURL set, the path of each such URL is
	// fetched from the service over mutual TLS instead.
	ServiceURL string
	// OCSPURL overrides the responder named in the certificate.
	OCSPURL string
	// CRLURL overrides the certificate's CRL distribution point.
	CRLURL string
	// MaxAge bounds how long an answer is reused (default 5 minutes).
	MaxAge time.Duration
	// Now is the clock for the cache (time.Now if nil).
	Now func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	info    RevocationInfo
	fetched time.Time
}

// NewRemote returns a Remote whose client presents verifierCert and
// trusts serverRoots for the service's TLS certificate.
func NewRemote(verifierCert tls.Certificate, serverRoots *x509.CertPool) *Remote {
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			RootCAs:      serverRoots,
			Certificates: []tls.Certificate{verifierCert},
		},
		MaxIdleConnsPerHost: 4,
	}
	return &Remote{Client: &http.Client{Transport: tr, Timeout: 15 * time.Second}}
}

func (s *Remote) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Status implements RevocationSource.
func (s *Remote) Status(ctx context.Context, cert, issuer *x509.Certificate, at time.Time) (*RevocationInfo, error) {
	if s == nil || s.Client == nil {
		return nil, ErrNotRegistered
	}
	key := string(issuer.RawSubject) + "\x00" + cert.SerialNumber.String()
	maxAge := s.MaxAge
	if maxAge == 0 {
		maxAge = 5 * time.Minute
	}
	s.mu.Lock()
	c, ok := s.cache[key]
	s.mu.Unlock()
	if ok && s.now().Sub(c.fetched) < maxAge && covers(&c.info, at) {
		info := c.info
		info.Cached = true
		return &info, decide(&info, cert, at)
	}
	info, ocspErr := s.ocsp(ctx, cert, issuer)
	var unknown *UnknownStatusError
	if ocspErr != nil || info == nil {
		var crlErr error
		info, crlErr = s.crl(ctx, cert, issuer)
		if crlErr != nil {
			if errors.As(ocspErr, &unknown) {
				return nil, ocspErr
			}
			return nil, fmt.Errorf("verify: revocation: OCSP: %v; CRL: %w", ocspErr, crlErr)
		}
	}
	if !covers(info, at) {
		return info, &StaleError{Method: info.Method, NextUpdate: info.NextUpdate, At: at}
	}
	s.mu.Lock()
	if s.cache == nil || len(s.cache) > 100000 {
		s.cache = map[string]cached{}
	}
	s.cache[key] = cached{info: *info, fetched: s.now()}
	s.mu.Unlock()
	return info, decide(info, cert, at)
}

// covers says whether an answer speaks for time at (a small clock skew
// allowed before thisUpdate).
func covers(info *RevocationInfo, at time.Time) bool {
	if at.Before(info.ThisUpdate.Add(-5 * time.Minute)) {
		return false
	}
	return info.NextUpdate.IsZero() || !at.After(info.NextUpdate)
}

// decide turns a revoked answer into a *RevokedError (a revocation after
// `at` does not count against a signature received at `at`).
func decide(info *RevocationInfo, cert *x509.Certificate, at time.Time) error {
	if info.Revoked && !info.RevokedAt.After(at) {
		return &RevokedError{Serial: cert.SerialNumber, At: info.RevokedAt, Reason: info.Reason}
	}
	if info.Revoked {
		info.Revoked = false
	}
	return nil
}

// resolve rewrites a URL named by a certificate or CRL onto ServiceURL.
func (s *Remote) resolve(u string) string {
	if s.ServiceURL == "" {
		return u
	}
	p, err := neturl.Parse(u)
	if err != nil {
		return u
	}
	base, err := neturl.Parse(s.ServiceURL)
	if err != nil {
		return u
	}
	base.Path = strings.TrimSuffix(base.Path, "/") + p.Path
	base.RawQuery = p.RawQuery
	return base.String()
}

func (s *Remote) post(ctx context.Context, url, ctype string, body []byte) ([]byte, error) {
	url = s.resolve(url)
	method := http.MethodGet
	var rd io.Reader
	if body != nil {
		method = http.MethodPost
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized {
		return nil, fmt.Errorf("%w: %s answered %s: %s", ErrNotRegistered, url, resp.Status, bytes.TrimSpace(data[:min(len(data), 200)]))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("verify: %s answered %s", url, resp.Status)
	}
	return data, nil
}

// ocsp asks the responder.
func (s *Remote) ocsp(ctx context.Context, cert, issuer *x509.Certificate) (*RevocationInfo, error) {
	url := s.OCSPURL
	if url == "" && len(cert.OCSPServer) > 0 {
		url = cert.OCSPServer[0]
	}
	if url == "" {
		return nil, errors.New("no OCSP responder")
	}
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return nil, err
	}
	der, err := s.post(ctx, url, "application/ocsp-request", req)
	if err != nil {
		return nil, err
	}
	resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil {
		return nil, fmt.Errorf("verify: OCSP response: %w", err)
	}
	info := &RevocationInfo{Method: "ocsp", URL: url, ProducedAt: resp.ProducedAt, ThisUpdate: resp.ThisUpdate, NextUpdate: resp.NextUpdate}
	switch resp.Status {
	case ocsp.Good:
	case ocsp.Revoked:
		info.Revoked, info.RevokedAt, info.Reason = true, resp.RevokedAt, resp.RevocationReason
	default:
		return nil, &UnknownStatusError{Serial: cert.SerialNumber}
	}
	return info, nil
}

// crl fetches the certificate's CRL and looks the serial up.
func (s *Remote) crl(ctx context.Context, cert, issuer *x509.Certificate) (*RevocationInfo, error) {
	url := s.CRLURL
	if url == "" && len(cert.CRLDistributionPoints) > 0 {
		url = cert.CRLDistributionPoints[0]
	}
	if url == "" {
		return nil, errors.New("no CRL distribution point")
	}
	der, err := s.post(ctx, url, "", nil)
	if err != nil {
		return nil, err
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("verify: CRL: %w", err)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("verify: CRL signature: %w", err)
	}
	info := &RevocationInfo{Method: "crl", URL: url, ThisUpdate: crl.ThisUpdate, NextUpdate: crl.NextUpdate, CRLNumber: crl.Number}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			info.Revoked, info.RevokedAt, info.Reason = true, e.RevocationTime, e.ReasonCode
			break
		}
	}
	deltaURL := freshestCRL(crl.Extensions)
	if deltaURL == "" {
		deltaURL = freshestCRL(cert.Extensions)
	}
	if deltaURL != "" {
		// A delta that cannot be had leaves the base CRL, whose own
		// nextUpdate then decides whether it still covers the time.
		_ = s.applyDelta(ctx, info, deltaURL, crl.Number, cert, issuer)
	}
	return info, nil
}

// Extensions of delta CRLs (RFC 5280, 5.2.4 and 5.2.6).
var (
	oidFreshestCRL       = asn1.ObjectIdentifier{2, 5, 29, 46}
	oidDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}
)

// reasonRemoveFromCRL is CRLReason removeFromCRL: a delta entry that
// lifts a certificate hold.
const reasonRemoveFromCRL = 8

// applyDelta fetches the delta CRL at url, checks that it is the issuer's
// and applies to the base CRL numbered base, and updates info with it.
func (s *Remote) applyDelta(ctx context.Context, info *RevocationInfo, url string, base *big.Int, cert, issuer *x509.Certificate) error {
	der, err := s.post(ctx, url, "", nil)
	if err != nil {
		return err
	}
	delta, err := x509.ParseRevocationList(der)
	if err != nil {
		return err
	}
	if err := delta.CheckSignatureFrom(issuer); err != nil {
		return err
	}
	var baseOf *big.Int
	for _, e := range delta.Extensions {
		if e.Id.Equal(oidDeltaCRLIndicator) {
			baseOf = new(big.Int)
			if rest, err := asn1.Unmarshal(e.Value, &baseOf); err != nil || len(rest) > 0 {
				return errors.New("verify: malformed deltaCRLIndicator")
			}
		}
	}
	if baseOf == nil || base == nil || baseOf.Cmp(base) > 0 {
		return errors.New("verify: the delta CRL does not apply to the base CRL")
	}
	for _, e := range delta.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) != 0 {
			continue
		}
		if e.ReasonCode == reasonRemoveFromCRL {
			info.Revoked, info.RevokedAt, info.Reason = false, time.Time{}, 0
		} else {
			info.Revoked, info.RevokedAt, info.Reason = true, e.RevocationTime, e.ReasonCode
		}
	}
	info.DeltaURL, info.DeltaCRLNumber = url, delta.Number
	info.ThisUpdate, info.NextUpdate = delta.ThisUpdate, delta.NextUpdate
	return nil
}

// freshestCRL returns the first URI of a FreshestCRL extension among
// exts (CRLDistributionPoints syntax), or "".
func freshestCRL(exts []pkix.Extension) string {
	for _, e := range exts {
		if !e.Id.Equal(oidFreshestCRL) {
			continue
		}
		in := cryptobyte.String(e.Value)
		var dps cryptobyte.String
		if !in.ReadASN1(&dps, cbasn1.SEQUENCE) {
			return ""
		}
		for !dps.Empty() {
			var dp, dpName, fullName cryptobyte.String
			if !dps.ReadASN1(&dp, cbasn1.SEQUENCE) {
				return ""
			}
			if !dp.ReadASN1(&dpName, cbasn1.Tag(0).ContextSpecific().Constructed()) ||
				!dpName.ReadASN1(&fullName, cbasn1.Tag(0).ContextSpecific().Constructed()) {
				continue
			}
			for !fullName.Empty() {
				var gn cryptobyte.String
				var tag cbasn1.Tag
				if !fullName.ReadAnyASN1(&gn, &tag) {
					break
				}
				if tag == cbasn1.Tag(6).ContextSpecific() {
					return string(gn)
				}
			}
		}
	}
	return ""
}
