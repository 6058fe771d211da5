package keygen_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"madoguchi/cardio"
	"madoguchi/cardio/pcsctest"
	"madoguchi/keygen"
)

// TestMiddlewareInterop has independent PIV middleware use the emulated
// card through pcscd and vpcd, first blank, then after an issuance
// through our keygen path: yubico-piv-tool (status, read-certificate of
// 9C, verify-pin) and OpenSC (opensc-tool, pkcs15-tool, pkcs11-tool).
//
// yubico-piv-tool selects PIV, then probes other applications (6A82) and
// sends GET VERSION before anything else, so it only works when a failed
// SELECT keeps PIV selected and INS FD is answered. libykpiv connects with
// T=1 only (a T=0-only card gets SCARD_E_PROTO_MISMATCH), so the T=0 card
// is tested with OpenSC alone.
func TestMiddlewareInterop(t *testing.T) {
	for _, tt := range []struct {
		name    string
		opts    cardio.EmulatorOptions
		yubico  bool
		wantExt bool
	}{
		{"T=1", cardio.EmulatorOptions{}, true, true},
		{"T=0", cardio.EmulatorOptions{Protocol: cardio.T0}, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ossl := pcsctest.NewOpenSC(t)
			emu := cardio.NewEmulator(tt.opts)
			slot := pcsctest.AttachSlot(t, emu)
			reader := slot.Reader.Name()
			ossl.UseReader(reader)
			var yk *pcsctest.YubicoPIVTool
			if tt.yubico {
				yk = pcsctest.NewYubicoPIVTool(t, reader)
			}
			contains := func(what, out string, wants ...string) {
				t.Helper()
				for _, w := range wants {
					if !strings.Contains(out, w) {
						t.Fatalf("%s: output lacks %q:\n%s", what, w, out)
					}
				}
			}

			// Blank card.
			if yk != nil {
				out := yk.Must("-a", "status")
				contains("yubico-piv-tool status (blank)", out, "Version:\t5.0.0", "PIN tries left:\t3")
				if out, err := yk.Run("-a", "read-certificate", "-s", "9c"); err == nil || !strings.Contains(out, "Failed fetching certificate") {
					t.Fatalf("read-certificate on a blank card: %v\n%s", err, out)
				}
				contains("yubico-piv-tool verify-pin (blank)", yk.Must("-a", "verify-pin", "-P", string(cardio.DefaultPIN)), "Successfully verified PIN")
			}
			contains("opensc-tool -n (blank)", ossl.Tool("opensc-tool", "-n"), "Personal Identity Verification Card")
			contains("pkcs15-tool -D (blank)", ossl.Tool("pkcs15-tool", "-D"), "PKCS#15 Card [PIV_II]", "PIN [PIN]")
			if out := ossl.PKCS11("--list-objects"); strings.Contains(out, "Certificate Object") {
				t.Fatalf("pkcs11-tool lists a certificate on a blank card:\n%s", out)
			}

			// Issue through keygen, then release the card to the middleware.
			cert := issueCard(t, slot.Reader, keygen.AlgRSA2048)
			if n := openConns[len(openConns)-1].Transmits(); n == 0 {
				t.Fatal("the issuance sent no APDU")
			} else {
				t.Logf("%s: %d APDUs for the card half of the issuance", tt.name, n)
			}
			closeAll()
			if chuid, ok := emu.Object(cardio.ObjCHUID); ok {
				t.Logf("%s: CHUID of %d bytes", tt.name, len(chuid))
			}

			if yk != nil {
				out := yk.Must("-a", "status")
				contains("yubico-piv-tool status (issued)", out, "Slot 9c:", "0000000001", "PIN tries left:\t3")
				t.Logf("yubico-piv-tool -a status on the issued card:\n%s", out)
				if strings.Contains(out, "CHUID:\tNo data available") {
					t.Fatalf("yubico-piv-tool finds no CHUID on the issued card:\n%s", out)
				}
				pemOut := yk.Must("-a", "read-certificate", "-s", "9c")
				block, _ := pem.Decode([]byte(pemOut))
				if block == nil || !bytes.Equal(block.Bytes, cert.Raw) {
					t.Fatalf("yubico-piv-tool reads another certificate than the one written:\n%s", pemOut)
				}
				contains("yubico-piv-tool verify-pin (issued)", yk.Must("-a", "verify-pin", "-P", string(residentPIN)), "Successfully verified PIN")
			}
			contains("opensc-tool -n (issued)", ossl.Tool("opensc-tool", "-n"), "Personal Identity Verification Card")
			contains("pkcs15-tool --list-certificates", ossl.Tool("pkcs15-tool", "--list-certificates"), "Certificate for Digital Signature", "ID             : 02")
			certPEM := ossl.Tool("pkcs15-tool", "--read-certificate", "02")
			if block, _ := pem.Decode([]byte(certPEM)); block == nil || !bytes.Equal(block.Bytes, cert.Raw) {
				t.Fatalf("pkcs15-tool reads another certificate than the one written:\n%s", certPEM)
			}
			contains("pkcs11-tool --list-objects", ossl.PKCS11("--list-objects"), "Certificate Object", "0000000001")
			if got, err := x509.ParseCertificate(ossl.ReadCertificate("02")); err != nil || !got.Equal(cert) {
				t.Fatalf("pkcs11-tool reads another certificate: %v", err)
			}
			if emu.PINTriesLeft() != cardio.DefaultPINTries {
				t.Fatalf("the middleware spent PIN tries: %d left", emu.PINTriesLeft())
			}
		})
	}
}
