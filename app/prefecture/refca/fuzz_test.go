package refca

import (
	"crypto/x509"
	"testing"
	"time"

	"madoguchi/forms"
)

// FuzzCheckRequest feeds the CA's checks of certificate requests from
// terminals: whatever the bytes, checkRequest either refuses with a code
// and a Japanese reason, or returns items the certificate can carry.
func FuzzCheckRequest(f *testing.F) {
	good := resident("山田\u3000太郎")
	f.Add(csrFor(f, rsaKey(f, 0), good).Raw)
	f.Add(csrFor(f, p256Key(f), resident("𠮟山\u3000花子")).Raw)
	f.Add(csrWithSAN(f, p256Key(f), rawSAN(good.Name, "0", "1", "319621317", good.Address, good.AddressPositions)).Raw)
	now := time.Now()
	f.Fuzz(func(t *testing.T, der []byte) {
		csr, err := x509.ParseCertificateRequest(der)
		if err != nil {
			return
		}
		req, ref := checkRequest(csr, true, now)
		if ref != nil {
			if ref.Code == "" || ref.ReasonJA == "" || ref.status != 400 {
				t.Fatalf("refusal without code, Japanese reason or 400: %+v", ref)
			}
			return
		}
		if err := req.items.Validate(); err != nil {
			t.Fatalf("accepted invalid items: %v", err)
		}
		if forms.CheckCharset(req.items.Name) != nil || forms.CheckCharset(req.items.Address) != nil {
			t.Fatalf("accepted uncarriable text: %+v", req.items)
		}
		if csr.CheckSignature() != nil {
			t.Fatal("accepted a request whose signature does not verify")
		}
	})
}
