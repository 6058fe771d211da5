package refca

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/globalsign/est"

	"madoguchi/app/prefecture"
	"madoguchi/forms/jpkicert"
)

// estBackend connects globalsign/est's server router to the CA.
type estBackend struct{ ca *CA }

var (
	oidSHA256WithRSA    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidExtensionRequest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 14}
)

var errNoAPS = refuse(http.StatusNotFound, prefecture.RefusalUnsupported,
	"this CA serves no additional path segments", "この認証局のURLが正しくありません")

// CACerts returns the CA root.
func (b estBackend) CACerts(ctx context.Context, aps string, r *http.Request) ([]*x509.Certificate, error) {
	if aps != "" {
		return nil, errNoAPS
	}
	return []*x509.Certificate{b.ca.cert}, nil
}

// CSRAttrs asks for sha256WithRSAEncryption and an extension request
// carrying the subjectAltName (the six JPKI items).
func (b estBackend) CSRAttrs(ctx context.Context, aps string, r *http.Request) (est.CSRAttrs, error) {
	if aps != "" {
		return est.CSRAttrs{}, errNoAPS
	}
	return est.CSRAttrs{
		OIDs: []asn1.ObjectIdentifier{oidSHA256WithRSA},
		Attributes: []est.Attribute{{
			Type:   oidExtensionRequest,
			Values: est.AttributeValueSET{jpkicert.OIDSubjectAltName},
		}},
	}, nil
}

// Enroll authenticates the terminal and issues (or re-sends) a certificate.
func (b estBackend) Enroll(ctx context.Context, csr *x509.CertificateRequest, aps string, r *http.Request) (*x509.Certificate, error) {
	if aps != "" {
		return nil, errNoAPS
	}
	t, ref := b.ca.authenticate(ctx, r)
	if ref != nil {
		b.ca.log.Info("request from an unaccepted terminal", "code", ref.Code, "remote", r.RemoteAddr)
		return nil, ref
	}
	return b.ca.enroll(ctx, t, csr)
}

func errUnsupported(what string) error {
	return refuse(http.StatusNotImplemented, prefecture.RefusalUnsupported,
		what+" is not offered: a new certificate is requested with /simpleenroll and a key generated on the card",
		"この認証局はこの種類の申請を受け付けません")
}

// Reenroll is refused: renewal (更新) is a new enrollment with a new key.
func (b estBackend) Reenroll(ctx context.Context, cert *x509.Certificate, csr *x509.CertificateRequest, aps string, r *http.Request) (*x509.Certificate, error) {
	return nil, errUnsupported("/simplereenroll")
}

// ServerKeyGen is refused: keys are generated on the card only.
func (b estBackend) ServerKeyGen(ctx context.Context, csr *x509.CertificateRequest, aps string, r *http.Request) (*x509.Certificate, []byte, error) {
	return nil, nil, errUnsupported("/serverkeygen")
}

// TPMEnroll is refused.
func (b estBackend) TPMEnroll(ctx context.Context, csr *x509.CertificateRequest, ekcerts []*x509.Certificate, ekPub, akPub []byte, aps string, r *http.Request) ([]byte, []byte, []byte, error) {
	return nil, nil, nil, errUnsupported("/tpmenroll")
}

// estLogger passes the EST router's errors to slog; its per-request access
// log is dropped.
type estLogger struct{ l *slog.Logger }

func (e estLogger) Errorf(format string, args ...interface{}) {
	e.l.Error(fmt.Sprintf(format, args...))
}
func (e estLogger) Errorw(msg string, kv ...interface{})     { e.l.Error(msg, kv...) }
func (e estLogger) Infof(format string, args ...interface{}) {}
func (e estLogger) Infow(msg string, kv ...interface{})      {}
func (e estLogger) With(kv ...interface{}) est.Logger        { return estLogger{e.l.With(kv...)} }
