package verify

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// RevocationSource tells whether a certificate was revoked at a time. The
// verifier uses it for every signature; an implementation caches answers
// as long as they are fresh.
//
// Contract: a nil error means Info says the status at `at` from a source
// whose answer covers `at` (an OCSP response or CRL with thisUpdate ≤ at ≤
// nextUpdate). A revoked certificate is returned as a *RevokedError along
// with its Info; an answer that no longer covers `at` as a *StaleError;
// a responder that does not know the certificate as an
// *UnknownStatusError. A verifier without registered access returns
// ErrNotRegistered. Any other error means the status could not be
// learned; the signature is then refused, never accepted.
type RevocationSource interface {
	Status(ctx context.Context, cert, issuer *x509.Certificate, at time.Time) (*RevocationInfo, error)
}

// RevocationInfo records which revocation information a decision used.
type RevocationInfo struct {
	// Method is "ocsp" or "crl".
	Method string `json:"method"`
	// URL is where it came from.
	URL string `json:"url,omitempty"`
	// ProducedAt is the OCSP response's producedAt.
	ProducedAt time.Time `json:"produced_at,omitzero"`
	// ThisUpdate and NextUpdate bound the answer's validity.
	ThisUpdate time.Time `json:"this_update,omitzero"`
	NextUpdate time.Time `json:"next_update,omitzero"`
	// CRLNumber is the CRL's number (crl only).
	CRLNumber *big.Int `json:"crl_number,omitempty"`
	// DeltaURL and DeltaCRLNumber name the delta CRL applied on top of
	// the base CRL, if any (its thisUpdate/nextUpdate are then those
	// above).
	DeltaURL       string   `json:"delta_url,omitempty"`
	DeltaCRLNumber *big.Int `json:"delta_crl_number,omitempty"`
	// Cached says the answer came from the cache.
	Cached bool `json:"cached,omitempty"`
	// Revoked, RevokedAt and Reason describe a revocation.
	Revoked   bool      `json:"revoked"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	Reason    int       `json:"reason,omitempty"`
}

// ErrNotRegistered means the verifier has no registered access to the
// prefecture's revocation information (no verifier certificate
// configured): the signature cannot be accepted.
var ErrNotRegistered = errors.New("verify: no registered access to revocation information (verifier certificate not configured)")

// RevokedError says the signer's certificate was revoked.
type RevokedError struct {
	Serial *big.Int
	At     time.Time
	Reason int // RFC 5280 CRLReason
}

func (e *RevokedError) Error() string {
	return fmt.Sprintf("verify: certificate %s revoked at %s (reason %d)", serialString(e.Serial), e.At.UTC().Format(time.RFC3339), e.Reason)
}

// UserMessage says it in Japanese.
func (e *RevokedError) UserMessage() string {
	return fmt.Sprintf("証明書は失効しています (失効日時 %s、理由 %s)", e.At.In(jst).Format("2006-01-02 15:04"), reasonLabel(e.Reason))
}

// StaleError says the newest revocation information no longer covers the
// time of receipt.
type StaleError struct {
	Method     string
	NextUpdate time.Time
	At         time.Time
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("verify: %s answer expired at %s, before %s", e.Method, e.NextUpdate.UTC().Format(time.RFC3339), e.At.UTC().Format(time.RFC3339))
}

// UserMessage says it in Japanese.
func (e *StaleError) UserMessage() string {
	return "失効情報が古く、受付時点の状態を確認できません"
}

// UnknownStatusError says the responder does not know the certificate.
type UnknownStatusError struct{ Serial *big.Int }

func (e *UnknownStatusError) Error() string {
	return fmt.Sprintf("verify: revocation status of certificate %s is unknown", serialString(e.Serial))
}

// UserMessage says it in Japanese.
func (e *UnknownStatusError) UserMessage() string {
	return "失効情報提供者がこの証明書を知りません"
}

// reasonLabel names an RFC 5280 CRLReason in Japanese.
func reasonLabel(r int) string {
	switch r {
	case 0:
		return "理由なし"
	case 1:
		return "鍵の危殆化"
	case 3:
		return "記載事項の変更 (異動)"
	case 4:
		return "新しい証明書の発行"
	case 5:
		return "利用の停止"
	case 9:
		return "特権の撤回"
	}
	return fmt.Sprintf("理由コード %d", r)
}
