package verify_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"

	"madoguchi/app/sign"
	"madoguchi/app/sign/signtest"
	"madoguchi/app/verify"
)

func testPDF(t testing.TB) []byte {
	t.Helper()
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCompression(false)
	p.AddPage()
	p.SetFont("Helvetica", "", 14)
	p.Cell(40, 10, "Application for a copy of the residence record")
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestVerifyPDF verifies a PAdES-signed PDF, then refuses it with bytes
// appended, with a byte changed under the signature, and with a second
// revision appended by someone else.
func TestVerifyPDF(t *testing.T) {
	fx := newFixture(t)
	cert, key := fx.ca.IssueKey(t, signtest.Items(t, signtest.Form()), fx.rs.OCSPURL())
	s := sign.Signer{Key: key, Certificate: cert, Chain: []*x509.Certificate{fx.ca.Issuing}}
	signed, err := sign.PDF(testPDF(t), s, sign.PDFInfo{Reason: "住民票の写しの交付申請"})
	if err != nil {
		t.Fatal(err)
	}
	form := mustForm(t, application)
	r := fx.ver.VerifyPDF(context.Background(), signed, form)
	if !r.OK || r.Signatures != 1 || r.Check(verify.CheckByteRange).Status != verify.OK {
		t.Fatalf("signed PDF refused:\n%s", r.Text())
	}

	// Counter-signed by a second signer (e.g. the office): both verify.
	other, otherKey := fx.ca.IssueKey(t, signtest.Items(t, signtest.Other()), fx.rs.OCSPURL())
	twice, err := sign.PDF(signed, sign.Signer{Key: otherKey, Certificate: other, Chain: []*x509.Certificate{fx.ca.Issuing}}, sign.PDFInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if r := fx.ver.VerifyPDF(context.Background(), twice, nil); !r.OK || r.Signatures != 2 {
		t.Fatalf("twice-signed PDF: %d signatures\n%s", r.Signatures, r.Text())
	}

	changed := bytes.Replace(signed, []byte("residence record"), []byte("residence RECORD"), 1)
	if bytes.Equal(changed, signed) {
		t.Fatal("the test text is not in the PDF")
	}
	tests := []struct {
		name  string
		data  []byte
		check verify.CheckID
		err   string
	}{
		{"bytes appended", append(append([]byte{}, signed...), []byte("\n1 0 obj (evil) endobj\n")...), verify.CheckByteRange, "ends at"},
		{"content changed", changed, verify.CheckSignature, "message digest"},
		{"unsigned PDF", testPDF(t), verify.CheckFormat, "署名がありません"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fx.ver.VerifyPDF(context.Background(), tc.data, form)
			c := r.Check(tc.check)
			if r.OK || c == nil || c.Status != verify.Failed || !strings.Contains(c.Err, tc.err) {
				t.Fatalf("check %s = %+v; want failed with %q\n%s", tc.check, c, tc.err, r.Text())
			}
		})
	}
}
