package keygen

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"time"

	"madoguchi/cardio"
	"madoguchi/forms/jpkicert"
)

// State is what a card is, as far as an issuance is concerned.
type State int

// Card states.
const (
	// StateBlank: the standard default management key and no certificate
	// in slot 9C. A new issuance may start.
	StateBlank State = iota + 1
	// StateIssued: a certificate of the JPKI profile in 9C and a CHUID.
	// Prepare then proves that the card is ours with the per-card
	// management key (or the default key, when an earlier issuance
	// stopped before Finish).
	StateIssued
	// StateForeign: anything else, such as a card set up by another
	// program or another issuer. It is refused.
	StateForeign
)

func (s State) String() string {
	switch s {
	case StateBlank:
		return "blank"
	case StateIssued:
		return "issued"
	case StateForeign:
		return "foreign"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Algorithm is the key algorithm generated in slot 9C.
type Algorithm int

// Key algorithms; the zero value is the default.
const (
	AlgRSA2048 Algorithm = iota // as in JPKI
	AlgP256                     // ECC P-256, an option
)

func (a Algorithm) piv() (cardio.Algorithm, error) {
	switch a {
	case AlgRSA2048:
		return cardio.AlgRSA2048, nil
	case AlgP256:
		return cardio.AlgECCP256, nil
	}
	return 0, fmt.Errorf("keygen: unknown algorithm %d", int(a))
}

// preparation records how Prepare authenticated in this session.
type preparation int

const (
	notPrepared    preparation = iota
	prepBlank                  // default management key, fresh CHUID
	prepUnfinished             // issued card whose earlier issuance stopped before Finish
	prepOurs                   // issued card under our per-card management key
)

// chuidValidity is how long the CHUID written on a blank card says the
// card is valid.
const chuidValidity = 10 // years

// Card is one card in a reader, ready for the on-card steps of an
// issuance: Open, State, Prepare, SetPIN, GenerateKey, CreateRequest,
// WriteCertificate, Finish. A Card is used by one goroutine at a time.
//
// Every method that talks to the card returns a *StepError on failure
// (policy errors of a new PIN are returned as *PINPolicyError, before the
// card is touched).
type Card struct {
	piv        *cardio.PIV
	id         string           // CHUID GUID in hex, once known
	prep       preparation      // how this session authenticated
	defaultKey bool             // the default management key was proven in this session
	known      State            // what State found, reused once by Prepare
	alg        cardio.Algorithm // algorithm of pub
	pub        crypto.PublicKey // the key in 9C, once generated or expected
	puk        []byte           // derived PUK held between Prepare and Finish, wiped by Wipe
}

// Open selects the PIV application on card.
func Open(card *cardio.Card) (*Card, error) {
	piv, err := cardio.SelectPIV(context.Background(), card)
	if err != nil {
		return nil, stepErr(StepOpen, err)
	}
	return &Card{piv: piv}, nil
}

// State recognises the card. On a card without certificate it proves the
// default management key, which leaves it authenticated for Prepare.
func (c *Card) State(ctx context.Context) (State, error) {
	st, err := c.state(ctx)
	if err == nil {
		c.known = st
	}
	return st, stepErr(StepState, err)
}

func (c *Card) state(ctx context.Context) (State, error) {
	der, err := c.piv.ReadCertificate(ctx, cardio.SlotSignature)
	switch {
	case errors.Is(err, cardio.ErrFileNotFound):
		err := c.piv.Authenticate(ctx, cardio.DefaultManagementKey())
		switch {
		case err == nil:
			c.defaultKey = true
			return StateBlank, nil
		case errors.Is(err, cardio.ErrMgmtAuthFailed):
			return StateForeign, nil
		}
		return 0, err
	case err != nil:
		return 0, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return StateForeign, nil
	}
	if _, err := jpkicert.FromExtensions(cert.Extensions); err != nil {
		return StateForeign, nil
	}
	chuid, err := c.piv.ReadCHUID(ctx)
	switch {
	case errors.Is(err, cardio.ErrFileNotFound), errors.Is(err, cardio.ErrBadResponse):
		return StateForeign, nil
	case err != nil:
		return 0, err
	}
	c.id = chuid.ID()
	return StateIssued, nil
}

// ID returns the card identifier: the CHUID's GUID in hex. It is stable
// across sessions and is the input, with the master secret, of the
// per-card management key and PUK.
func (c *Card) ID() (string, error) {
	if c.id != "" {
		return c.id, nil
	}
	chuid, err := c.piv.ReadCHUID(context.Background())
	if err != nil {
		return "", stepErr(StepState, err)
	}
	c.id = chuid.ID()
	return c.id, nil
}

// Prepare makes the card ready for key generation and writing. On a blank
// card it authenticates with the default management key and writes a
// CHUID with a fresh GUID, signed by the municipality's CHUID signer
// (NewCHUIDSigner), and a CCC, so that PIV middleware recognises the
// card. On a card issued by us it authenticates with the per-card key
// derived from master (a renewal), or with the default key when an earlier
// issuance stopped before Finish. A foreign card is refused with
// ErrNotBlank, an issued card of another issuer with ErrForeignCard, and a
// blank card that lacks SET MANAGEMENT KEY (INS FF), which Finish needs,
// with ErrMgmtKeyUnsupported before anything is written to it.
func (c *Card) Prepare(ctx context.Context, master []byte) error {
	if len(master) < MinMasterLength {
		return stepErr(StepPrepare, ErrMasterSecret)
	}
	c.prep = notPrepared
	// State's answer on this connection still holds: the card cannot have
	// changed without the connection failing.
	st, err := c.known, error(nil)
	c.known = 0
	if st == 0 {
		if st, err = c.state(ctx); err != nil {
			return stepErr(StepPrepare, err)
		}
	}
	switch st {
	case StateBlank:
		return stepErr(StepPrepare, c.prepareBlank(ctx, master))
	case StateIssued:
		return stepErr(StepPrepare, c.prepareIssued(ctx, master))
	}
	return &StepError{Step: StepPrepare, CardUsable: false, Err: ErrNotBlank}
}

func (c *Card) prepareBlank(ctx context.Context, master []byte) error {
	if !c.defaultKey {
		if err := c.piv.Authenticate(ctx, cardio.DefaultManagementKey()); err != nil {
			return err
		}
	}
	// Finish will change the management key with the de-facto SET
	// MANAGEMENT KEY (INS FF), which SP 800-73-4 leaves out. Setting the
	// key the card already has proves that the card implements it before
	// anything is written: a card without it would stay under the
	// well-known default key after the issuance, open to anyone.
	if err := c.piv.SetManagementKey(ctx, cardio.DefaultManagementKey()); err != nil {
		if errors.Is(err, cardio.ErrNotSupported) {
			return fmt.Errorf("%w: %w", ErrMgmtKeyUnsupported, err)
		}
		return err
	}
	chuid, err := cardio.NewCHUID(time.Now().AddDate(chuidValidity, 0, 0))
	if err != nil {
		return err
	}
	signer, err := NewCHUIDSigner(master)
	if err != nil {
		return err
	}
	if err := signer.Sign(&chuid); err != nil {
		return err
	}
	if err := c.piv.WriteCHUID(ctx, chuid); err != nil {
		return err
	}
	if err := c.piv.PutData(ctx, cardio.ObjCardCapabilities, cardio.CCCContent(chuid.GUID)); err != nil {
		return err
	}
	c.id, c.prep = chuid.ID(), prepBlank
	return nil
}

func (c *Card) prepareIssued(ctx context.Context, master []byte) error {
	key, err := deriveManagementKey(master, c.id)
	if err != nil {
		return err
	}
	defer key.Wipe()
	puk, err := derivePUK(master, c.id)
	if err != nil {
		return err
	}
	err = c.piv.Authenticate(ctx, key)
	if errors.Is(err, cardio.ErrMgmtAuthFailed) {
		// An issuance that wrote the certificate but stopped before
		// Finish leaves the default key.
		err = c.piv.Authenticate(ctx, cardio.DefaultManagementKey())
		if errors.Is(err, cardio.ErrMgmtAuthFailed) {
			clear(puk)
			return fmt.Errorf("%w: %v", ErrForeignCard, err)
		}
		if err == nil {
			c.prep = prepUnfinished
		}
	} else if err == nil {
		c.prep = prepOurs
	}
	if err != nil {
		clear(puk)
		return err
	}
	c.Wipe()
	c.puk = puk
	return nil
}

// Wipe overwrites the secrets the Card holds between Prepare and Finish.
// Finish calls it; call it when an issuance is abandoned.
func (c *Card) Wipe() {
	clear(c.puk)
	c.puk = nil
}

// SetPIN checks the resident's new PIN against the policy and sets it with
// CHANGE REFERENCE DATA from the blank card's PIN. When the PIN is not the
// blank card's any more (an earlier attempt set it, or the card was issued
// before), it is set with RESET RETRY COUNTER and the card's PUK instead.
// pin and confirm are not modified; the caller wipes them.
func (c *Card) SetPIN(ctx context.Context, pin, confirm []byte) error {
	if err := CheckPINPolicy(pin, confirm); err != nil {
		return err
	}
	if c.prep == notPrepared {
		return stepErr(StepPIN, ErrNotPrepared)
	}
	var err error
	switch c.prep {
	case prepBlank:
		err = c.piv.ChangeReference(ctx, cardio.RefPIN, cardio.DefaultPIN, pin)
		if errors.Is(err, cardio.ErrWrongPIN) || errors.Is(err, cardio.ErrAuthBlocked) {
			err = c.piv.ResetRetryCounter(ctx, cardio.DefaultPUK, pin)
		}
	case prepUnfinished:
		// The PUK is the blank card's unless Finish got as far as
		// changing it. A wrong try is restored by the right one.
		err = c.piv.ResetRetryCounter(ctx, cardio.DefaultPUK, pin)
		if errors.Is(err, cardio.ErrWrongPIN) {
			err = c.piv.ResetRetryCounter(ctx, c.puk, pin)
		}
	case prepOurs:
		err = c.piv.ResetRetryCounter(ctx, c.puk, pin)
	}
	return stepErr(StepPIN, err)
}

// GenerateKey has the card generate a key pair in slot 9C (digital
// signature, PIN before every use) and returns the public key. The private
// key never leaves the card.
func (c *Card) GenerateKey(ctx context.Context, alg Algorithm) (crypto.PublicKey, error) {
	if c.prep == notPrepared {
		return nil, stepErr(StepGenerate, ErrNotPrepared)
	}
	palg, err := alg.piv()
	if err != nil {
		return nil, stepErr(StepGenerate, err)
	}
	pub, err := c.piv.GenerateKey(ctx, cardio.SlotSignature, palg)
	if err != nil {
		return nil, stepErr(StepGenerate, err)
	}
	c.alg, c.pub = palg, pub
	return pub, nil
}

// ExpectKey tells the Card which public key slot 9C holds, for a session
// that resumes after GenerateKey ran in an earlier one (the card cannot
// export a public key; the stored request has it).
func (c *Card) ExpectKey(pub crypto.PublicKey) error {
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() != 2048 {
			return fmt.Errorf("keygen: RSA key of %d bits", pub.N.BitLen())
		}
		c.alg = cardio.AlgRSA2048
	case *ecdsa.PublicKey:
		c.alg = cardio.AlgECCP256
	default:
		return fmt.Errorf("keygen: unsupported key type %T", pub)
	}
	c.pub = pub
	return nil
}

// knowKey makes sure the public key of slot 9C is known, taking it from
// the slot's certificate when no key was generated in this session.
func (c *Card) knowKey(ctx context.Context) error {
	if c.pub != nil {
		return nil
	}
	cert, err := c.Certificate(ctx)
	if errors.Is(err, ErrNoCertificate) {
		return ErrNoKey
	}
	if err != nil {
		return err
	}
	return c.ExpectKey(cert.PublicKey)
}

// Signer returns a crypto.Signer backed by the key in slot 9C: the key
// generated in this session, or on an issued card the key of its
// certificate. Each Sign verifies pin right before the signature, as the
// slot requires. The signer keeps a reference to pin, which the caller
// wipes when done.
func (c *Card) Signer(pin []byte) crypto.Signer {
	return &cardSigner{c: c, pin: pin, ctx: context.Background()}
}

// CreateRequest builds the PKCS#10 certificate request for the card's key:
// subject (C=JP, L=prefecture, L=municipality, CN=serial, built by the
// caller) and the JPKI subjectAltName carrying items, signed on the card
// after verifying pin.
func (c *Card) CreateRequest(ctx context.Context, subject pkix.Name, items jpkicert.Items, pin []byte) ([]byte, error) {
	if c.pub == nil {
		return nil, stepErr(StepRequest, ErrNoKey)
	}
	ext, err := items.Extension()
	if err != nil {
		return nil, stepErr(StepRequest, err)
	}
	tmpl := &x509.CertificateRequest{Subject: subject, ExtraExtensions: []pkix.Extension{ext}}
	switch c.pub.(type) {
	case *rsa.PublicKey:
		tmpl.SignatureAlgorithm = x509.SHA256WithRSA
	case *ecdsa.PublicKey:
		tmpl.SignatureAlgorithm = x509.ECDSAWithSHA256
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, &cardSigner{c: c, pin: pin, ctx: ctx})
	if err != nil {
		return nil, stepErr(StepRequest, err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err == nil {
		err = csr.CheckSignature()
	}
	if err != nil {
		return nil, stepErr(StepRequest, fmt.Errorf("keygen: the card's signature on the request does not verify: %w", err))
	}
	return der, nil
}

// ParseRequest parses a DER PKCS#10 request, checks its signature and
// decodes the JPKI items of its subjectAltName.
func ParseRequest(der []byte) (*x509.CertificateRequest, jpkicert.Items, error) {
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, jpkicert.Items{}, fmt.Errorf("keygen: parse request: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, jpkicert.Items{}, fmt.Errorf("keygen: request signature: %w", err)
	}
	items, err := jpkicert.FromExtensions(csr.Extensions)
	if err != nil {
		return nil, jpkicert.Items{}, err
	}
	return csr, items, nil
}

// WriteCertificate checks that cert is for the card's key and carries
// items, writes it to the certificate object of slot 9C (5FC10A), reads it
// back and compares byte for byte. Nothing is written when a check fails.
func (c *Card) WriteCertificate(ctx context.Context, cert *x509.Certificate, items jpkicert.Items) error {
	if c.prep == notPrepared {
		return stepErr(StepWrite, ErrNotPrepared)
	}
	if c.pub == nil {
		return stepErr(StepCheckCertificate, ErrNoKey)
	}
	pub, ok := c.pub.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return stepErr(StepCheckCertificate, ErrKeyMismatch)
	}
	got, err := jpkicert.FromExtensions(cert.Extensions)
	if err != nil {
		return stepErr(StepCheckCertificate, fmt.Errorf("%w: %v", ErrItemsMismatch, err))
	}
	if got != items {
		return stepErr(StepCheckCertificate, ErrItemsMismatch)
	}
	if err := c.piv.WriteCertificate(ctx, cardio.SlotSignature, cert.Raw); err != nil {
		return stepErr(StepWrite, err)
	}
	back, err := c.piv.ReadCertificate(ctx, cardio.SlotSignature)
	if err != nil {
		return stepErr(StepReadBack, err)
	}
	if !bytes.Equal(back, cert.Raw) {
		return stepErr(StepReadBack, ErrReadBackMismatch)
	}
	return nil
}

// Certificate reads the certificate of slot 9C. A card without one gives
// (nil, ErrNoCertificate).
func (c *Card) Certificate(ctx context.Context) (*x509.Certificate, error) {
	der, err := c.piv.ReadCertificate(ctx, cardio.SlotSignature)
	if errors.Is(err, cardio.ErrFileNotFound) {
		return nil, ErrNoCertificate
	}
	if err != nil {
		return nil, stepErr(StepReadCertificate, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, stepErr(StepReadCertificate, fmt.Errorf("%w: %v", cardio.ErrBadResponse, err))
	}
	return cert, nil
}

// Finish ends a successful issuance: it sets the card's PUK and then its
// management key to the values derived from master and the card ID, so
// that only this municipality can rewrite the card or reset its PIN. It
// is idempotent, and the PUK comes first so that a card under our
// management key always has our PUK.
func (c *Card) Finish(ctx context.Context, master []byte) error {
	defer c.Wipe()
	if c.prep == notPrepared {
		return stepErr(StepFinish, ErrNotPrepared)
	}
	if c.prep == prepOurs {
		return nil // renewal: the card already has our key and PUK
	}
	key, err := deriveManagementKey(master, c.id)
	if err != nil {
		return stepErr(StepFinish, err)
	}
	defer key.Wipe()
	puk, err := derivePUK(master, c.id)
	if err != nil {
		return stepErr(StepFinish, err)
	}
	defer clear(puk)
	err = c.piv.ChangeReference(ctx, cardio.RefPUK, cardio.DefaultPUK, puk)
	if errors.Is(err, cardio.ErrWrongPIN) && c.prep == prepUnfinished {
		// An earlier Finish changed the PUK already: prove it, which
		// also restores the try just spent.
		err = c.piv.ChangeReference(ctx, cardio.RefPUK, puk, puk)
	}
	if err != nil {
		return stepErr(StepFinish, err)
	}
	if err := c.piv.SetManagementKey(ctx, key); err != nil {
		return stepErr(StepFinish, err)
	}
	c.prep = prepOurs
	return nil
}

// ErrPUKBlocked is returned by ResetPIN when the card's PUK is blocked.
var ErrPUKBlocked = &kind{"the PUK is blocked",
	"このカードは暗証番号の初期化ができない状態(初期化用番号のロック)になっています。カードの再発行が必要です。"}

// ResetPIN (暗証番号初期化) sets a new PIN, checked against the policy,
// with RESET RETRY COUNTER and the card's PUK derived from master. The
// caller has done the identity check first. The PIN's retry counter is
// reset. newPIN and confirm are not modified.
func (c *Card) ResetPIN(ctx context.Context, master, newPIN, confirm []byte) error {
	if err := CheckPINPolicy(newPIN, confirm); err != nil {
		return err
	}
	id, err := c.ID()
	if err != nil {
		return stepErr(StepResetPIN, err)
	}
	puk, err := derivePUK(master, id)
	if err != nil {
		return stepErr(StepResetPIN, err)
	}
	defer clear(puk)
	err = c.piv.ResetRetryCounter(ctx, puk, newPIN)
	switch {
	case errors.Is(err, cardio.ErrWrongPIN):
		// Our derivation does not give this card's PUK.
		return &StepError{Step: StepResetPIN, CardUsable: false, Err: fmt.Errorf("%w: %w", ErrForeignCard, err)}
	case errors.Is(err, cardio.ErrAuthBlocked):
		return &StepError{Step: StepResetPIN, CardUsable: false, Err: fmt.Errorf("%w: %w", ErrPUKBlocked, err)}
	}
	return stepErr(StepResetPIN, err)
}
