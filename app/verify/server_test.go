package verify_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"madoguchi/app/sign"
	"madoguchi/app/sign/signtest"
	"madoguchi/app/verify"
)

// TestHandler posts signed applications to the API over TLS: a valid one
// answers ok, a changed form answers 200 with ok false and the failing
// check, a malformed request 400.
func TestHandler(t *testing.T) {
	fx := newFixture(t)
	srv := httptest.NewTLSServer(verify.Handler(fx.ver))
	defer srv.Close()
	cert, key := fx.ca.IssueKey(t, signtest.Items(t, signtest.Form()), fx.rs.OCSPURL())
	s := sign.Signer{Key: key, Certificate: cert, Chain: []*x509.Certificate{fx.ca.Issuing}}
	cms, err := sign.CMS(application, s, true)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := sign.PDF(testPDF(t), s, sign.PDFInfo{})
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	changed := bytes.Replace(application, []byte(`"通数":1`), []byte(`"通数":2`), 1)
	tests := []struct {
		name   string
		ctype  string
		body   string
		status int
		ok     bool
		failed verify.CheckID
	}{
		{name: "bare PDF", ctype: "application/pdf", body: string(pdf), status: 200, ok: true},
		{"form and CMS", "", `{"form":` + string(application) + `,"cms":"` + b64(cms) + `"}`, 200, true, ""},
		{"form as base64", "", `{"form_base64":"` + b64(application) + `","cms":"` + b64(cms) + `"}`, 200, true, ""},
		{"changed form", "", `{"form":` + string(changed) + `,"cms":"` + b64(cms) + `"}`, 200, false, verify.CheckSignature},
		{"PDF with form", "", `{"form":` + string(application) + `,"pdf":"` + b64(pdf) + `"}`, 200, true, ""},
		{"PDF with bytes appended", "", `{"pdf":"` + b64(append(append([]byte{}, pdf...), "xx"...)) + `"}`, 200, false, verify.CheckByteRange},
		{"both", "", `{"cms":"` + b64(cms) + `","pdf":"` + b64(pdf) + `"}`, 400, false, ""},
		{"not JSON", "", `hello`, 400, false, ""},
		{"CMS without form", "", `{"cms":"` + b64(cms) + `"}`, 400, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctype := tc.ctype
			if ctype == "" {
				ctype = "application/json"
			}
			resp, err := srv.Client().Post(srv.URL+"/v1/verify", ctype, bytes.NewBufferString(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d; want %d", resp.StatusCode, tc.status)
			}
			if tc.status != http.StatusOK {
				var eb struct{ Error, Message string }
				if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || eb.Message == "" {
					t.Fatalf("error body: %+v, %v", eb, err)
				}
				return
			}
			var rep verify.Report
			if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
				t.Fatal(err)
			}
			if rep.OK != tc.ok {
				t.Fatalf("ok = %v; want %v: %+v", rep.OK, tc.ok, rep.Checks)
			}
			if tc.failed != "" {
				if c := rep.Check(tc.failed); c == nil || c.Status != verify.Failed {
					t.Fatalf("check %s = %+v; want failed", tc.failed, c)
				}
			}
		})
	}
}
