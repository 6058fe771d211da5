package verify_test

import (
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
