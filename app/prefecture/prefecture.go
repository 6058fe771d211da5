// Package prefecture is the counter's link to the prefecture CA (都道府県知事,
// 証明書発行・失効情報管理機関).
//
// The session logic talks to a Client: Enroll sends the card-signed request
// and gets the certificate and its chain back, Revoke asks for a
// certificate to be revoked, and CRL fetches the current revocation list.
// NewEST returns the Client that speaks EST (RFC 7030) through
// github.com/globalsign/est, with mutual TLS authentication by the
// terminal's RA certificate, the CA's root pinned from configuration,
// timeouts, and retries of transient failures. Another CA connector (CMP, a
// commercial CA's API) only needs to implement Client.
//
// Errors are *Error values that tell a refusal by the CA (with the CA's
// reason) from a CA that could not be reached, each with a Japanese
// UserMessage for the clerk.
//
// The package also holds the wire format of the two RA-authenticated
// requests that EST does not cover (revocation and change notices), shared
// with the reference CA in package refca.
package prefecture

import (
	"context"
	"crypto/x509"
	"fmt"
	"math/big"
	"time"
)

// Client is a connection to the prefecture CA. Implementations are safe for
// concurrent use.
type Client interface {
	// Enroll submits a certificate request signed with the resident's key
	// and returns the issued certificate and its chain. Submitting the same
	// request again returns the same certificate, never a second one.
	Enroll(ctx context.Context, csr *x509.CertificateRequest) (*Enrollment, error)

	// Revoke asks the CA to revoke the certificate with the given serial.
	// Revoking a certificate that is already revoked succeeds and reports
	// the earlier revocation.
	Revoke(ctx context.Context, serial *big.Int, reason Reason) (*Revocation, error)

	// CRL fetches the CA's current certificate revocation list, checked
	// against the pinned root.
	CRL(ctx context.Context) (*x509.RevocationList, error)
}

// Notifier forwards resident-registry changes (住民異動) to the CA, which
// revokes the certificates they affect. The EST client implements it.
type Notifier interface {
	// Notify reports a change for the holder of the certificate with the
	// given serial. The notice carries only the fact, never the new address
	// or name.
	Notify(ctx context.Context, serial *big.Int, kind NoticeKind) (*NoticeResult, error)
}

// Enrollment is the outcome of a successful Enroll.
type Enrollment struct {
	// Certificate is the resident's new signing certificate. Its public key
	// and subjectAltName match the request, and it chains to the pinned root.
	Certificate *x509.Certificate
	// Chain holds the issuing CA certificates, ending with the pinned root.
	Chain []*x509.Certificate
}

// Revocation describes one revoked certificate.
type Revocation struct {
	Serial    *big.Int
	RevokedAt time.Time
	Reason    Reason
	// Already is true when the certificate had been revoked before this
	// request (a retry, or a revocation by another path).
	Already bool
}

// NoticeResult lists the certificates a change notice revoked.
type NoticeResult struct {
	Revoked []Revocation
}

// Reason is why a certificate is revoked. Its text form is used on the
// wire; CRLReason gives the RFC 5280 reason code written in the CRL.
type Reason int

// Revocation reasons. The mapping to RFC 5280 CRL reason codes:
//
//	ReasonResidentRequest  本人の失効申請     → unspecified (0): no reasonCode extension, as RFC 5280 5.3.1 asks
//	ReasonKeyCompromise    紛失・盗難・漏えい  → keyCompromise (1)
//	ReasonAddressChange    住所変更 (異動)     → affiliationChanged (3)
//	ReasonNameChange       氏名変更 (異動)     → affiliationChanged (3)
//	ReasonSuperseded       新たな証明書の発行  → superseded (4)
//	ReasonDeath            死亡               → cessationOfOperation (5)
//
// affiliationChanged is RFC 5280's reason for "the subject's name or other
// information in the certificate has been modified", which is what a
// registry change (異動) is. ReasonSuperseded is set by the CA itself when
// it issues a resident a new certificate; an RA cannot ask for it.
const (
	ReasonResidentRequest Reason = iota + 1
	ReasonKeyCompromise
	ReasonAddressChange
	ReasonNameChange
	ReasonDeath
	ReasonSuperseded
	ReasonMovedOut // 転出 (異動) → affiliationChanged (3)
	ReasonErased   // 住民票の消除 (異動) → cessationOfOperation (5)
)

// RFC 5280 CRL reason codes used by the mapping.
const (
	CRLReasonUnspecified          = 0
	CRLReasonKeyCompromise        = 1
	CRLReasonAffiliationChanged   = 3
	CRLReasonSuperseded           = 4
	CRLReasonCessationOfOperation = 5
)

var reasonNames = map[Reason]struct{ wire, ja string }{
	ReasonResidentRequest: {"resident-request", "本人の申請"},
	ReasonKeyCompromise:   {"key-compromise", "紛失・盗難等による鍵の危殆化"},
	ReasonAddressChange:   {"address-change", "住所変更"},
	ReasonNameChange:      {"name-change", "氏名変更"},
	ReasonDeath:           {"death", "死亡"},
	ReasonSuperseded:      {"superseded", "新たな証明書の発行"},
	ReasonMovedOut:        {"moved-out", "転出"},
	ReasonErased:          {"erased", "住民票の消除"},
}

// String returns the wire name, e.g. "key-compromise".
func (r Reason) String() string {
	if n, ok := reasonNames[r]; ok {
		return n.wire
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// Japanese returns the reason as a clerk reads it, e.g. 住所変更.
func (r Reason) Japanese() string {
	if n, ok := reasonNames[r]; ok {
		return n.ja
	}
	return "不明な理由"
}

// Valid reports whether r is one of the defined reasons.
func (r Reason) Valid() bool {
	_, ok := reasonNames[r]
	return ok
}

// CRLReason returns the RFC 5280 reason code for r (see the table at the
// Reason constants). 0 means unspecified, written as no reasonCode.
func (r Reason) CRLReason() int {
	switch r {
	case ReasonKeyCompromise:
		return CRLReasonKeyCompromise
	case ReasonAddressChange, ReasonNameChange, ReasonMovedOut:
		return CRLReasonAffiliationChanged
	case ReasonSuperseded:
		return CRLReasonSuperseded
	case ReasonDeath, ReasonErased:
		return CRLReasonCessationOfOperation
	default:
		return CRLReasonUnspecified
	}
}

// ParseReason reads a wire name written by String.
func ParseReason(s string) (Reason, error) {
	for r, n := range reasonNames {
		if n.wire == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("prefecture: unknown revocation reason %q", s)
}

// MarshalText implements encoding.TextMarshaler with the wire name.
func (r Reason) MarshalText() ([]byte, error) {
	if !r.Valid() {
		return nil, fmt.Errorf("prefecture: invalid revocation reason %d", int(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Reason) UnmarshalText(b []byte) error {
	v, err := ParseReason(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// NoticeKind is the kind of resident-registry change a notice reports.
type NoticeKind int

// Change notice kinds (住民異動).
const (
	NoticeAddressChange NoticeKind = iota + 1 // 住所変更
	NoticeNameChange                          // 氏名変更
	NoticeDeath                               // 死亡
	NoticeMovedOut                            // 転出
	NoticeErased                              // 住民票の消除 (職権消除)
)

// NoticeKinds lists every notice kind.
var NoticeKinds = []NoticeKind{NoticeAddressChange, NoticeNameChange, NoticeDeath, NoticeMovedOut, NoticeErased}

// Reason returns the revocation reason the notice leads to.
func (k NoticeKind) Reason() Reason {
	switch k {
	case NoticeAddressChange:
		return ReasonAddressChange
	case NoticeNameChange:
		return ReasonNameChange
	case NoticeDeath:
		return ReasonDeath
	case NoticeMovedOut:
		return ReasonMovedOut
	case NoticeErased:
		return ReasonErased
	}
	return 0
}

// Valid reports whether k is one of the defined kinds.
func (k NoticeKind) Valid() bool { return k.Reason() != 0 }

// String returns the wire name, e.g. "address-change".
func (k NoticeKind) String() string {
	if !k.Valid() {
		return fmt.Sprintf("notice(%d)", int(k))
	}
	return k.Reason().String()
}

// MarshalText implements encoding.TextMarshaler with the wire name.
func (k NoticeKind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("prefecture: invalid notice kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *NoticeKind) UnmarshalText(b []byte) error {
	for _, c := range NoticeKinds {
		if c.String() == string(b) {
			*k = c
			return nil
		}
	}
	return fmt.Errorf("prefecture: unknown notice kind %q", b)
}
