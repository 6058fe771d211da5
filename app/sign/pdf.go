package sign

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
)

// PDFInfo is what the signature dictionary says besides the signature.
type PDFInfo struct {
	Name     string // /Name, the signer's name as shown by readers
	Reason   string // /Reason, e.g. "住民票の写しの交付申請"
	Location string // /Location
	Date     time.Time
}

// PDF signs the PDF in and returns it with a PAdES signature
// (/SubFilter /ETSI.CAdES.detached, SHA-256, signingCertificateV2, the
// certificate chain) appended as an incremental update whose ByteRange
// covers the whole file except the signature itself. It is an approval
// signature, so a later signature by another party may follow.
func PDF(in []byte, s Signer, info PDFInfo) ([]byte, error) {
	if s.Key == nil || s.Certificate == nil {
		return nil, ErrNoCertificate
	}
	rdr, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, fmt.Errorf("sign: reading the PDF: %w", err)
	}
	if info.Date.IsZero() {
		info.Date = time.Now()
	}
	chain := append([]*x509.Certificate{s.Certificate}, s.Chain...)
	var out bytes.Buffer
	err = sign.Sign(bytes.NewReader(in), &out, rdr, int64(len(in)), sign.SignData{
		Signature: sign.SignDataSignature{
			Info: sign.SignDataSignatureInfo{
				Name: info.Name, Reason: info.Reason, Location: info.Location, Date: info.Date,
			},
			CertType:   sign.ApprovalSignature,
			DocMDPPerm: sign.AllowFillingExistingFormFieldsAndSignaturesPerms,
		},
		Signer:            s.Key,
		DigestAlgorithm:   crypto.SHA256,
		Certificate:       s.Certificate,
		CertificateChains: [][]*x509.Certificate{chain},
	})
	if err != nil {
		return nil, fmt.Errorf("sign: PDF: %w", err)
	}
	return out.Bytes(), nil
}
