package keygen_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"madoguchi/cardio"
	"madoguchi/forms/jpkicert"
	"madoguchi/keygen"
)

func TestIssuanceInProcess(t *testing.T) {
	for _, alg := range []keygen.Algorithm{keygen.AlgRSA2048, keygen.AlgP256} {
		t.Run(map[keygen.Algorithm]string{keygen.AlgRSA2048: "RSA-2048", keygen.AlgP256: "P-256"}[alg], func(t *testing.T) {
			emu, r := emulated(t)
			cert := issueCard(t, r, alg)
			ctx := context.Background()

			card, _ := open(t, r)
			if st, err := card.State(ctx); err != nil || st != keygen.StateIssued {
				t.Fatalf("State after issuance = %v, %v; want issued", st, err)
			}
			got, err := card.Certificate(ctx)
			if err != nil || !bytes.Equal(got.Raw, cert.Raw) {
				t.Fatalf("Certificate() differs from the written one: %v", err)
			}
			if err := got.CheckSignatureFrom(theCA(t).cert); err != nil {
				t.Fatalf("written certificate does not chain to the CA: %v", err)
			}
			// The resident's PIN signs; the signature verifies with the
			// written certificate.
			digest := sha256.Sum256([]byte("電子申請"))
			sig, err := card.Signer(residentPIN).Sign(rand.Reader, digest[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			verify(t, cert.PublicKey, digest[:], sig)
			// The card is now under our management key: the default key is
			// refused, and a second issuance would need Prepare with the
			// master secret.
			conn, _ := r.Connect(ctx)
			defer conn.Close()
			piv, _ := cardio.SelectPIV(ctx, conn)
			if err := piv.Authenticate(ctx, cardio.DefaultManagementKey()); !errors.Is(err, cardio.ErrMgmtAuthFailed) {
				t.Fatalf("default management key after Finish: %v, want refused", err)
			}
			if err := piv.ResetRetryCounter(ctx, cardio.DefaultPUK, []byte("918273")); !errors.Is(err, cardio.ErrWrongPIN) {
				t.Fatalf("default PUK after Finish: %v, want refused", err)
			}
			if emu.PUKTriesLeft() != 2 {
				t.Fatalf("PUK tries %d", emu.PUKTriesLeft())
			}
		})
	}
}

func verify(t *testing.T, pub crypto.PublicKey, digest, sig []byte) {
	t.Helper()
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig); err != nil {
			t.Fatalf("RSA signature does not verify: %v", err)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			t.Fatal("ECDSA signature does not verify")
		}
	}
}

// TestRequestRoundTripsForm checks that the request carries every field
// of a form with substitutes, and that the decoder gives them back.
func TestRequestRoundTripsForm(t *testing.T) {
	_, r := emulated(t)
	ctx := context.Background()
	card, _ := open(t, r)
	must(t, card.Prepare(ctx, testMaster))
	pub, err := card.GenerateKey(ctx, keygen.AlgRSA2048)
	if err != nil {
		t.Fatal(err)
	}
	form := testForm()
	items, err := form.CertificateItems()
	if err != nil {
		t.Fatal(err)
	}
	csrDER, err := card.CreateRequest(ctx, testSubject, items, cardio.DefaultPIN)
	if err != nil {
		t.Fatal(err)
	}
	csr, got, err := keygen.ParseRequest(csrDER)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ name, got, want string }{
		{"氏名", got.Name, "高橋\u3000崎子"},
		{"氏名代替文字の使用位置", got.NamePositions, "10010"},
		{"性別", got.Sex, "2"},
		{"生年月日", got.Birth, "319620617"},
		{"住所", got.Address, "東京都千代田区霞が関１－２－３\u3000高ハイツ１０１"},
		{"住所代替文字の使用位置", got.AddressPositions, "00000000000000001000000"},
	} {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	if got != items {
		t.Errorf("decoded items %+v, want %+v", got, items)
	}
	if !pub.(*rsa.PublicKey).Equal(csr.PublicKey) {
		t.Error("the request carries another public key")
	}
	if csr.Subject.CommonName != testSubject.CommonName || strings.Join(csr.Subject.Locality, "/") != "東京都/千代田区" {
		t.Errorf("subject %v", csr.Subject)
	}
	if _, _, err := keygen.ParseRequest(append(bytes.Clone(csrDER[:len(csrDER)-1]), csrDER[len(csrDER)-1]^1)); err == nil {
		t.Error("ParseRequest accepted a request with a broken signature")
	}
}

func TestPINPolicy(t *testing.T) {
	tests := []struct {
		pin, confirm string
		want         keygen.PINProblem
	}{
		{"5A8K27", "5A8K27", 0},
		{"739164", "739164", 0},
		{"ZX81QW7E", "ZX81QW7E", 0},
		{"12345", "12345", keygen.PINLength},
		{"123456789", "123456789", keygen.PINLength},
		{"", "", keygen.PINLength},
		{"5a8k27", "5a8k27", keygen.PINCharacters},
		{"5A8K2 ", "5A8K2 ", keygen.PINCharacters},
		{"５A8K27", "５A8K27", keygen.PINCharacters},
		{"777777", "777777", keygen.PINAllSame},
		{"AAAAAAAA", "AAAAAAAA", keygen.PINAllSame},
		{"123456", "123456", keygen.PINSequence},
		{"34567890", "34567890", keygen.PINSequence}, // 9 then 0 is not +1: allowed? see below
		{"987654", "987654", keygen.PINSequence},
		{"ABCDEF", "ABCDEF", keygen.PINSequence},
		{"ZYXWVU", "ZYXWVU", keygen.PINSequence},
		{"5A8K27", "5A8K28", keygen.PINMismatch},
		{"5A8K27", "5A8K2", keygen.PINMismatch},
	}
	tests[12].want = 0 // 34567890 breaks the run at 9→0
	for _, tt := range tests {
		err := keygen.CheckPINPolicy([]byte(tt.pin), []byte(tt.confirm))
		if tt.want == 0 {
			if err != nil {
				t.Errorf("%q: %v, want accepted", tt.pin, err)
			}
			continue
		}
		var pe *keygen.PINPolicyError
		if !errors.As(err, &pe) || pe.Problem != tt.want {
			t.Errorf("%q/%q: %v, want problem %d", tt.pin, tt.confirm, err, tt.want)
			continue
		}
		if tt.pin != "" && (strings.Contains(err.Error(), tt.pin) || strings.Contains(pe.UserMessage(), tt.pin)) {
			t.Errorf("%q: the message reveals the PIN", tt.pin)
		}
		if pe.UserMessage() == "" {
			t.Errorf("%q: no user message", tt.pin)
		}
	}
}

func TestSetPINLeavesCallerBuffersAlone(t *testing.T) {
	_, r := emulated(t)
	ctx := context.Background()
	card, _ := open(t, r)
	must(t, card.Prepare(ctx, testMaster))
	pin, confirm := []byte("5A8K27"), []byte("5A8K27")
	must(t, card.SetPIN(ctx, pin, confirm))
	if string(pin) != "5A8K27" || string(confirm) != "5A8K27" {
		t.Fatal("SetPIN modified the caller's buffers")
	}
	if err := card.SetPIN(ctx, []byte("123456"), []byte("123456")); !isProblem(err, keygen.PINSequence) {
		t.Fatalf("SetPIN with a sequence: %v", err)
	}
}

func isProblem(err error, p keygen.PINProblem) bool {
	var pe *keygen.PINPolicyError
	return errors.As(err, &pe) && pe.Problem == p
}

// TestWrongPINAndReset counts wrong PINs down to the block, then resets
// the PIN with the per-card PUK.
func TestWrongPINAndReset(t *testing.T) {
	emu, r := emulated(t)
	cert := issueCard(t, r, keygen.AlgRSA2048)
	ctx := context.Background()
	card, _ := open(t, r)
	digest := sha256.Sum256([]byte("x"))
	for want := 2; want >= 0; want-- {
		_, err := card.Signer([]byte("000000")).Sign(rand.Reader, digest[:], crypto.SHA256)
		var se *cardio.StatusError
		if !errors.As(err, &se) || !errors.Is(err, cardio.ErrWrongPIN) {
			t.Fatalf("wrong PIN: %v", err)
		}
		if n, _ := se.TriesLeft(); n != want || emu.PINTriesLeft() != want {
			t.Fatalf("tries left %d (card %d), want %d", n, emu.PINTriesLeft(), want)
		}
	}
	_, err := card.Signer(residentPIN).Sign(rand.Reader, digest[:], crypto.SHA256)
	if !errors.Is(err, cardio.ErrAuthBlocked) {
		t.Fatalf("right PIN when blocked: %v, want ErrAuthBlocked", err)
	}
	// 暗証番号初期化 with the wrong municipality's master secret fails and
	// says the card is not ours; the right one resets the PIN.
	other := []byte("another municipality's master secret")
	var se *keygen.StepError
	if err := card.ResetPIN(ctx, other, []byte("2468AC"), []byte("2468AC")); !errors.As(err, &se) || !errors.Is(err, keygen.ErrForeignCard) || se.CardUsable {
		t.Fatalf("ResetPIN with another master: %v", err)
	}
	if err := card.ResetPIN(ctx, testMaster, []byte("2468AC"), []byte("2468AD")); !isProblem(err, keygen.PINMismatch) {
		t.Fatalf("ResetPIN with a mismatched confirmation: %v", err)
	}
	must(t, card.ResetPIN(ctx, testMaster, []byte("2468AC"), []byte("2468AC")))
	if emu.PINTriesLeft() != cardio.DefaultPINTries || emu.PUKTriesLeft() != cardio.DefaultPUKTries {
		t.Fatalf("after reset: PIN tries %d, PUK tries %d", emu.PINTriesLeft(), emu.PUKTriesLeft())
	}
	sig, err := card.Signer([]byte("2468AC")).Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, cert.PublicKey, digest[:], sig)
}

func TestPUKBlockedEndsPINReset(t *testing.T) {
	_, r := emulated(t)
	issueCard(t, r, keygen.AlgRSA2048)
	ctx := context.Background()
	card, _ := open(t, r)
	other := []byte("another municipality's master secret")
	for range 3 {
		card.ResetPIN(ctx, other, []byte("2468AC"), []byte("2468AC"))
	}
	err := card.ResetPIN(ctx, testMaster, []byte("2468AC"), []byte("2468AC"))
	var se *keygen.StepError
	if !errors.As(err, &se) || !errors.Is(err, keygen.ErrPUKBlocked) || se.CardUsable {
		t.Fatalf("ResetPIN with a blocked PUK: %v", err)
	}
	if !strings.Contains(se.UserMessage(), "再発行") {
		t.Fatalf("message does not say the card must be replaced: %s", se.UserMessage())
	}
}

// TestCardRemovedBetweenSteps takes the card out after each step: the
// next step fails cleanly with a usable-card StepError, and the card, put
// back, is in a state from which an issuance completes.
func TestCardRemovedBetweenSteps(t *testing.T) {
	ctx := context.Background()
	items := testItems(t)
	type session struct {
		card *keygen.Card
		cert *x509.Certificate
	}
	steps := []struct {
		name string
		run  func(s *session) error
	}{
		{"Prepare", func(s *session) error { return s.card.Prepare(ctx, testMaster) }},
		{"SetPIN", func(s *session) error { return s.card.SetPIN(ctx, residentPIN, residentPIN) }},
		{"GenerateKey", func(s *session) error { _, err := s.card.GenerateKey(ctx, keygen.AlgRSA2048); return err }},
		{"CreateRequest+issue", func(s *session) error {
			csr, err := s.card.CreateRequest(ctx, testSubject, items, residentPIN)
			if err == nil {
				s.cert = theCA(t).issue(t, csr)
			}
			return err
		}},
		{"WriteCertificate", func(s *session) error { return s.card.WriteCertificate(ctx, s.cert, items) }},
		{"Finish", func(s *session) error { return s.card.Finish(ctx, testMaster) }},
	}
	for cut := 1; cut < len(steps); cut++ {
		t.Run("after "+steps[cut-1].name, func(t *testing.T) {
			emu, r := emulated(t)
			s := &session{}
			s.card, _ = open(t, r)
			for _, st := range steps[:cut] {
				must(t, st.run(s))
			}
			r.Remove()
			err := steps[cut].run(s)
			var se *keygen.StepError
			if !errors.As(err, &se) || !se.CardUsable || !cardio.IsCardGone(err) {
				t.Fatalf("%s after removal: %v, want a usable-card StepError for a removed card", steps[cut].name, err)
			}
			if !strings.Contains(se.UserMessage(), "カード") {
				t.Fatalf("message %q", se.UserMessage())
			}

			// Put the card back and finish an issuance on it.
			must(t, r.Insert(emu))
			card, _ := open(t, r)
			st, err := card.State(ctx)
			if err != nil {
				t.Fatal(err)
			}
			written := cut > 4 // the certificate is on the card
			if written && st != keygen.StateIssued || !written && st != keygen.StateBlank {
				t.Fatalf("state after re-insertion %v", st)
			}
			if written {
				// Only Finish is missing: Prepare recognises the unfinished
				// card, Finish completes it.
				must(t, card.Prepare(ctx, testMaster))
				must(t, card.Finish(ctx, testMaster))
			} else {
				emu2 := r.Remove()
				r.Insert(emu2)
				issueCard(t, r, keygen.AlgRSA2048)
			}
			// Finished: our PUK resets the PIN, and the certificate verifies.
			card, _ = open(t, r)
			must(t, card.ResetPIN(ctx, testMaster, []byte("2468AC"), []byte("2468AC")))
			cert, err := card.Certificate(ctx)
			if err != nil || cert.CheckSignatureFrom(theCA(t).cert) != nil {
				t.Fatalf("certificate after recovery: %v", err)
			}
		})
	}
}

// TestFinishInterruptedAfterPUK covers the window inside Finish: the PUK
// is ours but the management key is still the default.
func TestFinishInterruptedAfterPUK(t *testing.T) {
	ctx := context.Background()
	emu, r := emulated(t)
	card, conn := open(t, r)
	items := testItems(t)
	must(t, card.WriteCertificate(ctx, theCA(t).issue(t, request(t, card, keygen.AlgRSA2048, items)), items))
	// Finish on a second card with the same ID gives us this card's PUK:
	// set it by hand, as an interrupted Finish would have.
	id, _ := card.ID()
	puk := keygen.DerivePUKForTest(testMaster, id)
	piv, _ := cardio.SelectPIV(ctx, conn)
	must(t, piv.ChangeReference(ctx, cardio.RefPUK, cardio.DefaultPUK, puk))
	r.Remove()
	r.Insert(emu)

	card, _ = open(t, r)
	must(t, card.Prepare(ctx, testMaster))                        // default key: unfinished
	must(t, card.SetPIN(ctx, []byte("7Q2W9E"), []byte("7Q2W9E"))) // through our PUK
	must(t, card.Finish(ctx, testMaster))                         // PUK proven, key set
	if emu.PUKTriesLeft() != cardio.DefaultPUKTries {
		t.Fatalf("PUK tries after recovery: %d", emu.PUKTriesLeft())
	}
	card, _ = open(t, r)
	must(t, card.Prepare(ctx, testMaster)) // now under our key (renewal path)
	must(t, card.Finish(ctx, testMaster))
}

func TestForeignCardsRefused(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		setup func(t *testing.T, piv *cardio.PIV)
		state keygen.State
		want  error
	}{
		{"other management key, no certificate", func(t *testing.T, piv *cardio.PIV) {
			must(t, piv.Authenticate(ctx, cardio.DefaultManagementKey()))
			must(t, piv.SetManagementKey(ctx, cardio.ManagementKey{Alg: cardio.MgmtAES128, Key: bytes.Repeat([]byte{7}, 16)}))
		}, keygen.StateForeign, keygen.ErrNotBlank},
		{"default management key, someone else's certificate", func(t *testing.T, piv *cardio.PIV) {
			must(t, piv.Authenticate(ctx, cardio.DefaultManagementKey()))
			pub, err := piv.GenerateKey(ctx, cardio.SlotSignature, cardio.AlgECCP256)
			must(t, err)
			must(t, piv.WriteCertificate(ctx, cardio.SlotSignature, otherCert(t, pub, nil)))
		}, keygen.StateForeign, keygen.ErrNotBlank},
		{"issued by another municipality", func(t *testing.T, piv *cardio.PIV) {
			must(t, piv.Authenticate(ctx, cardio.DefaultManagementKey()))
			chuid, _ := cardio.NewCHUID(time.Now().AddDate(1, 0, 0))
			must(t, piv.WriteCHUID(ctx, chuid))
			pub, err := piv.GenerateKey(ctx, cardio.SlotSignature, cardio.AlgECCP256)
			must(t, err)
			ext, _ := testItems(t).Extension()
			must(t, piv.WriteCertificate(ctx, cardio.SlotSignature, otherCert(t, pub, []pkix.Extension{ext})))
			must(t, piv.SetManagementKey(ctx, cardio.ManagementKey{Alg: cardio.MgmtAES256, Key: bytes.Repeat([]byte{9}, 32)}))
		}, keygen.StateIssued, keygen.ErrForeignCard},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			emu, r := emulated(t)
			conn, _ := r.Connect(ctx)
			piv, err := cardio.SelectPIV(ctx, conn)
			must(t, err)
			c.setup(t, piv)
			conn.Close()

			card, _ := open(t, r)
			if st, err := card.State(ctx); err != nil || st != c.state {
				t.Fatalf("State = %v, %v; want %v", st, err, c.state)
			}
			err = card.Prepare(ctx, testMaster)
			var se *keygen.StepError
			if !errors.As(err, &se) || !errors.Is(err, c.want) || se.CardUsable || se.Step != keygen.StepPrepare {
				t.Fatalf("Prepare: %v, want an unusable-card StepError matching %v", err, c.want)
			}
			if !strings.Contains(se.UserMessage(), "使用できません") {
				t.Fatalf("message %q", se.UserMessage())
			}
			if _, err := card.GenerateKey(ctx, keygen.AlgRSA2048); !errors.Is(err, keygen.ErrNotPrepared) {
				t.Fatalf("GenerateKey on a refused card: %v", err)
			}
			if _, ok := emu.Object(cardio.ObjCardCapabilities); ok {
				t.Fatal("Prepare wrote to a refused card")
			}
		})
	}
}

// otherCert makes a certificate for pub signed by a throwaway key.
func otherCert(t *testing.T, pub crypto.PublicKey, exts []pkix.Extension) []byte {
	t.Helper()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(5), Subject: pkix.Name{CommonName: "someone else"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), ExtraExtensions: exts}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	must(t, err)
	return der
}

func TestCertificateChecksBeforeWriting(t *testing.T) {
	ctx := context.Background()
	_, r := emulated(t)
	card, _ := open(t, r)
	items := testItems(t)
	good := theCA(t).issue(t, request(t, card, keygen.AlgRSA2048, items))

	// A certificate for another key, with the right items.
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ext, _ := items.Extension()
	otherCSR, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: testSubject, ExtraExtensions: []pkix.Extension{ext}}, otherKey)
	forOtherKey := theCA(t).issue(t, otherCSR)

	// A certificate for the card's key with other items.
	changed := items
	changed.Birth = "319620618"
	badItems := items
	for _, tt := range []struct {
		name  string
		cert  *x509.Certificate
		items jpkicert.Items
		want  error
	}{
		{"another key", forOtherKey, items, keygen.ErrKeyMismatch},
		{"other items", good, changed, keygen.ErrItemsMismatch},
		{"no JPKI items", parse(t, otherCert(t, good.PublicKey, nil)), badItems, keygen.ErrItemsMismatch},
	} {
		err := card.WriteCertificate(ctx, tt.cert, tt.items)
		var se *keygen.StepError
		if !errors.As(err, &se) || !errors.Is(err, tt.want) || se.Step != keygen.StepCheckCertificate || !se.CardUsable {
			t.Fatalf("%s: %v, want a certificate-check StepError matching %v", tt.name, err, tt.want)
		}
		if _, err := card.Certificate(ctx); !errors.Is(err, keygen.ErrNoCertificate) {
			t.Fatalf("%s: something was written: %v", tt.name, err)
		}
	}
	must(t, card.WriteCertificate(ctx, good, items))
}

func parse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	must(t, err)
	return c
}

func TestStepsNeedPreparation(t *testing.T) {
	ctx := context.Background()
	_, r := emulated(t)
	card, _ := open(t, r)
	for name, err := range map[string]error{
		"SetPIN":        card.SetPIN(ctx, residentPIN, residentPIN),
		"GenerateKey":   func() error { _, err := card.GenerateKey(ctx, keygen.AlgRSA2048); return err }(),
		"CreateRequest": func() error { _, err := card.CreateRequest(ctx, testSubject, testItems(t), residentPIN); return err }(),
		"Finish":        card.Finish(ctx, testMaster),
	} {
		if !errors.Is(err, keygen.ErrNotPrepared) && !errors.Is(err, keygen.ErrNoKey) {
			t.Errorf("%s before Prepare: %v", name, err)
		}
	}
	if err := card.Prepare(ctx, []byte("short")); !errors.Is(err, keygen.ErrMasterSecret) {
		t.Errorf("Prepare with a short master secret: %v", err)
	}
}

func TestSignerSchemes(t *testing.T) {
	ctx := context.Background()
	_, r := emulated(t)
	card, _ := open(t, r)
	must(t, card.Prepare(ctx, testMaster))
	pub, err := card.GenerateKey(ctx, keygen.AlgRSA2048)
	must(t, err)
	s := card.Signer(cardio.DefaultPIN)
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		hh := h.New()
		hh.Write([]byte("data"))
		digest := hh.Sum(nil)
		sig, err := s.Sign(rand.Reader, digest, h)
		if err != nil {
			t.Fatalf("%v: %v", h, err)
		}
		if err := rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), h, digest, sig); err != nil {
			t.Fatalf("%v: %v", h, err)
		}
	}
	digest := sha256.Sum256(nil)
	if _, err := s.Sign(rand.Reader, digest[:], &rsa.PSSOptions{Hash: crypto.SHA256}); !errors.Is(err, keygen.ErrUnsupportedSignature) {
		t.Fatalf("PSS: %v", err)
	}
	if _, err := s.Sign(rand.Reader, digest[:20], crypto.SHA256); err == nil {
		t.Fatal("a 20-byte SHA-256 digest was signed")
	}
}

func TestStepErrorMessages(t *testing.T) {
	removed := &keygen.StepError{Step: keygen.StepWrite, CardUsable: true, Err: cardio.ErrCardRemoved}
	if m := removed.UserMessage(); !strings.Contains(m, "証明書の書込") || !strings.Contains(m, cardio.ErrCardRemoved.UserMessage()) || strings.Contains(m, "使用できません") {
		t.Errorf("removed card message: %s", m)
	}
	foreign := &keygen.StepError{Step: keygen.StepPrepare, CardUsable: false, Err: keygen.ErrForeignCard}
	if m := foreign.UserMessage(); !strings.Contains(m, "カードの準備") || !strings.Contains(m, "使用できません") {
		t.Errorf("foreign card message: %s", m)
	}
	if !strings.Contains(foreign.Error(), "prepare card") || !errors.Is(foreign, keygen.ErrForeignCard) {
		t.Errorf("Error/Unwrap: %v", foreign)
	}
}

// TestIssuanceAPDUBudget counts the APDUs of the whole card half, State
// included, against the budget of 25.
func TestIssuanceAPDUBudget(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts cardio.EmulatorOptions
		max  uint64
	}{
		{"extended", cardio.EmulatorOptions{}, 25},
		{"chaining", cardio.EmulatorOptions{ShortOnly: true}, 0}, // reported only
	} {
		t.Run(mode.name, func(t *testing.T) {
			r := cardio.NewEmulatedReader("r")
			r.Insert(cardio.NewEmulator(mode.opts))
			issueCard(t, r, keygen.AlgRSA2048)
			n := openConns[len(openConns)-1].Transmits()
			t.Logf("%s: %d APDUs for State, Prepare, SetPIN, GenerateKey, CreateRequest, WriteCertificate, Finish", mode.name, n)
			if mode.max > 0 && n > mode.max {
				t.Fatalf("%d APDUs, budget %d", n, mode.max)
			}
		})
	}
}
