package prefecture

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

var oidDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}

// municipalityCRL reads the index of the terminal's municipality's CRL
// partitions, fetches each complete CRL and its delta (of the partitions
// that have revocations), checks that the
// delta is relative to that complete CRL (retrying when a new full run
// came in between), and merges them all into one list: Number is the
// highest CRL number seen, ThisUpdate the oldest and NextUpdate the
// earliest. The list is not a signed CRL; it only feeds the records.
func (c *ESTClient) municipalityCRL(ctx context.Context) (*x509.RevocationList, error) {
	var idx CRLIndex
	err := c.retry(ctx, "crl", func(ctx context.Context) *attemptError {
		hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+RACRLIndexPath, nil)
		if err != nil {
			return &attemptError{kind: BadResponse, err: err}
		}
		raw, err := c.do(hreq, 1<<20)
		if err != nil {
			return classifyHTTP(err)
		}
		if err := json.Unmarshal(raw, &idx); err != nil {
			return &attemptError{kind: BadResponse, err: fmt.Errorf("CRL index: %w", err)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	merged := &x509.RevocationList{Number: new(big.Int)}
	seen := map[string]bool{}
	add := func(crl *x509.RevocationList) {
		if crl.Number != nil && crl.Number.Cmp(merged.Number) > 0 {
			merged.Number = crl.Number
		}
		if merged.ThisUpdate.IsZero() || crl.ThisUpdate.Before(merged.ThisUpdate) {
			merged.ThisUpdate = crl.ThisUpdate
		}
		if merged.NextUpdate.IsZero() || crl.NextUpdate.Before(merged.NextUpdate) {
			merged.NextUpdate = crl.NextUpdate
		}
		merged.RawIssuer, merged.Issuer = crl.RawIssuer, crl.Issuer
		for _, e := range crl.RevokedCertificateEntries {
			if k := e.SerialNumber.Text(16); !seen[k] {
				seen[k] = true
				merged.RevokedCertificateEntries = append(merged.RevokedCertificateEntries, e)
			}
		}
	}
	for _, p := range idx.Partitions {
		if p.Revoked == 0 {
			continue
		}
		var full, delta *x509.RevocationList
		for attempt := 0; ; attempt++ {
			if full, err = c.fetchCRL(ctx, p.Full); err != nil {
				return nil, err
			}
			if delta, err = c.fetchCRL(ctx, p.Delta); err != nil {
				return nil, err
			}
			base, err := DeltaBase(delta)
			if err != nil {
				return nil, &Error{Op: "crl", Kind: BadResponse, Err: err}
			}
			if base != nil && base.Cmp(full.Number) == 0 {
				break
			}
			if attempt == 2 {
				return nil, &Error{Op: "crl", Kind: BadResponse, Err: fmt.Errorf("delta CRL %s is relative to CRL %v, not %v", p.Delta, base, full.Number)}
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
		add(full)
		add(delta)
	}
	return merged, nil
}

// DeltaBase returns the base CRL number of a delta CRL (its
// deltaCRLIndicator), or nil when crl is not a delta CRL.
func DeltaBase(crl *x509.RevocationList) (*big.Int, error) {
	for _, e := range crl.Extensions {
		if e.Id.Equal(oidDeltaCRLIndicator) {
			n := new(big.Int)
			s := cryptobyte.String(e.Value)
			if !s.ReadASN1Integer(n) || !s.Empty() {
				return nil, fmt.Errorf("malformed deltaCRLIndicator")
			}
			return n, nil
		}
	}
	return nil, nil
}
