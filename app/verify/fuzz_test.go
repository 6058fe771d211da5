package verify_test

import (
	"context"
	"crypto/x509"
	"testing"

	"madoguchi/app/verify"
)

// FuzzParseCMS feeds outside input to the CMS parser: it must never
// panic, and what it accepts has a signer.
func FuzzParseCMS(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x06, 0x01, 0x00})
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := verify.ParseCMS(data)
		if err == nil && len(sd.Signers) == 0 {
			t.Fatal("accepted a SignedData without signers")
		}
	})
}

// FuzzParseForm feeds outside JSON to the form reader and the identity
// comparison: no panic.
func FuzzParseForm(f *testing.F) {
	f.Add([]byte(`{"氏名":"髙橋 﨑子","生年月日":"昭和37年6月17日"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		form, err := verify.ParseForm(data)
		if err != nil {
			return
		}
		verify.CompareIdentity(fuzzItems, *form)
	})
}

// FuzzVerifyPDF feeds outside bytes to the PDF signature scan and the PDF
// reader behind it: no panic, and nothing unsigned passes.
func FuzzVerifyPDF(f *testing.F) {
	f.Add([]byte("%PDF-1.4\n/ByteRange [0 10 20 5] <3000>\n%%EOF"))
	f.Add([]byte("%PDF-1.7\n1 0 obj << /FT /Sig /V << /ByteRange [0 1 2 3] /Contents <00> >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"))
	ver, err := verify.New(verify.Options{Roots: []*x509.Certificate{fuzzRoot}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if r := ver.VerifyPDF(context.Background(), data, nil); r.OK {
			t.Fatal("a fuzzed PDF verified")
		}
	})
}
