package cardio

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
)

// AIDPIV is the application identifier of the PIV Card Application
// (NIST SP 800-73-4 part 1, 2.2), with version 01 00.
var AIDPIV = []byte{0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00}

// Instructions of the PIV command set, plus widely implemented extensions
// (SET MANAGEMENT KEY and GET VERSION as on YubiKey, GET RESPONSE of ISO
// 7816-4).
const (
	insSelect          byte = 0xA4
	insGetData         byte = 0xCB
	insPutData         byte = 0xDB
	insVerify          byte = 0x20
	insChangeReference byte = 0x24
	insResetRetry      byte = 0x2C
	insGeneralAuth     byte = 0x87
	insGenerate        byte = 0x47
	insGetResponse     byte = 0xC0
	insSetMgmtKey      byte = 0xFF
	insGetVersion      byte = 0xFD
)

// Slot is a PIV key reference for an asymmetric key.
type Slot byte

// Key slots (SP 800-73-4 part 1, table 4b).
const (
	SlotAuthentication     Slot = 0x9A // PIV authentication, PIN once per session
	SlotSignature          Slot = 0x9C // digital signature, PIN before every use
	SlotKeyManagement      Slot = 0x9D // key management, PIN once per session
	SlotCardAuthentication Slot = 0x9E // card authentication, no PIN
)

// CertObject returns the tag of the data object holding the slot's
// certificate, or 0 for an unknown slot.
func (s Slot) CertObject() uint32 {
	switch s {
	case SlotAuthentication:
		return ObjCertAuthentication
	case SlotSignature:
		return ObjCertSignature
	case SlotKeyManagement:
		return ObjCertKeyManagement
	case SlotCardAuthentication:
		return ObjCertCardAuthentication
	}
	return 0
}

// Algorithm is a PIV asymmetric key algorithm (SP 800-78-4 table 6-2).
type Algorithm byte

// Asymmetric algorithms.
const (
	AlgRSA2048 Algorithm = 0x07
	AlgECCP256 Algorithm = 0x11
)

// String names the algorithm.
func (a Algorithm) String() string {
	switch a {
	case AlgRSA2048:
		return "RSA-2048"
	case AlgECCP256:
		return "ECC P-256"
	}
	return fmt.Sprintf("alg(%02X)", byte(a))
}

// Data object tags (SP 800-73-4 part 1, table 3).
const (
	ObjCardCapabilities       uint32 = 0x5FC107 // CCC
	ObjCHUID                  uint32 = 0x5FC102
	ObjCertAuthentication     uint32 = 0x5FC105
	ObjFingerprints           uint32 = 0x5FC103
	ObjSecurityObject         uint32 = 0x5FC106
	ObjFacialImage            uint32 = 0x5FC108
	ObjPrintedInformation     uint32 = 0x5FC109
	ObjCertSignature          uint32 = 0x5FC10A
	ObjCertKeyManagement      uint32 = 0x5FC10B
	ObjCertCardAuthentication uint32 = 0x5FC101
	ObjKeyHistory             uint32 = 0x5FC10C
	ObjDiscovery              uint32 = 0x7E
)

// Key references for VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER.
const (
	RefPIN byte = 0x80
	RefPUK byte = 0x81
)

// refMgmtKey is the key reference of the card management key.
const refMgmtKey byte = 0x9B

// maxNe asks for as much response data as the card has.
const maxNe = 65536

// ErrBadResponse is returned when the card's answer has the right status
// word but the data does not follow SP 800-73-4.
var ErrBadResponse = newKind("the card's response does not follow PIV",
	"カードの応答がPIVの規格に合っていません。このカードは使用できません。")

// ErrMgmtAuthFailed is returned when the card's management key is not the
// key the host tried, or the card failed to prove that it holds the key.
var ErrMgmtAuthFailed = newKind("management key authentication failed",
	"カード管理鍵による認証に失敗しました。このカードはこの市区町村の管理するカードではない可能性があります。")

// PIV is the PIV Card Application on a card.
type PIV struct {
	card *Card
}

// SelectPIV selects the PIV application on card.
func SelectPIV(ctx context.Context, card *Card) (*PIV, error) {
	p := &PIV{card: card}
	if _, err := p.Select(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Card returns the underlying card.
func (p *PIV) Card() *Card { return p.card }

// Select selects the PIV application again and returns its application
// property template.
func (p *PIV) Select(ctx context.Context) ([]byte, error) {
	apt, err := p.card.Do(ctx, Command{INS: insSelect, P1: 0x04, Data: AIDPIV, Ne: 256})
	if err != nil {
		return nil, fmt.Errorf("select PIV: %w", err)
	}
	return apt, nil
}

// GetData reads the data object tag. The result is the object's content
// (inside tag 53, or inside 7E for the discovery object).
func (p *PIV) GetData(ctx context.Context, tag uint32) ([]byte, error) {
	resp, err := p.card.Do(ctx, Command{INS: insGetData, P1: 0x3F, P2: 0xFF,
		Data: AppendTLV(nil, 0x5C, tagBytes(tag)), Ne: maxNe})
	if err != nil {
		return nil, fmt.Errorf("get data %X: %w", tag, err)
	}
	want := uint32(0x53)
	if tag == ObjDiscovery {
		want = ObjDiscovery
	}
	content, err := unwrapTLV(resp, want)
	if err != nil {
		return nil, fmt.Errorf("get data %X: %w: %v", tag, ErrBadResponse, err)
	}
	return content, nil
}

// PutData writes content as the data object tag. An empty content deletes
// the object. The management key must have been authenticated.
func (p *PIV) PutData(ctx context.Context, tag uint32, content []byte) error {
	data := AppendTLV(nil, 0x5C, tagBytes(tag))
	data = AppendTLV(data, 0x53, content)
	if _, err := p.card.Do(ctx, Command{INS: insPutData, P1: 0x3F, P2: 0xFF, Data: data}); err != nil {
		return fmt.Errorf("put data %X: %w", tag, err)
	}
	return nil
}

// padPIN returns the 8-byte reference data for a PIN or PUK of one to
// eight bytes, padded with FF. The caller wipes the result.
func padPIN(pin []byte) ([]byte, error) {
	if len(pin) < 1 || len(pin) > 8 {
		return nil, fmt.Errorf("cardio: PIN or PUK must be 1 to 8 bytes, have %d", len(pin))
	}
	out := bytes.Repeat([]byte{0xFF}, 8)
	copy(out, pin)
	return out, nil
}

// Verify presents the PIN. A wrong PIN gives a *StatusError matching
// ErrWrongPIN whose TriesLeft says how many tries remain; a blocked PIN
// matches ErrAuthBlocked. pin is not modified.
func (p *PIV) Verify(ctx context.Context, pin []byte) error {
	ref, err := padPIN(pin)
	if err != nil {
		return err
	}
	defer clear(ref)
	_, err = p.card.Do(ctx, Command{INS: insVerify, P2: RefPIN, Data: ref, secret: true})
	if err != nil {
		return fmt.Errorf("verify PIN: %w", err)
	}
	return nil
}

// PINStatus asks the card, without presenting a PIN, whether the PIN is
// verified in this session and how many tries are left.
func (p *PIV) PINStatus(ctx context.Context) (verified bool, triesLeft int, err error) {
	_, err = p.card.Do(ctx, Command{INS: insVerify, P2: RefPIN})
	if err == nil {
		return true, -1, nil
	}
	var se *StatusError
	if errors.As(err, &se) {
		if n, ok := se.TriesLeft(); ok {
			return false, n, nil
		}
	}
	return false, 0, fmt.Errorf("query PIN status: %w", err)
}

// ChangeReference replaces the PIN (RefPIN) or PUK (RefPUK) after checking
// the current value. Neither slice is modified.
func (p *PIV) ChangeReference(ctx context.Context, ref byte, current, next []byte) error {
	a, err := padPIN(current)
	if err != nil {
		return err
	}
	defer clear(a)
	b, err := padPIN(next)
	if err != nil {
		return err
	}
	defer clear(b)
	data := append(append(make([]byte, 0, 16), a...), b...)
	defer clear(data)
	if _, err := p.card.Do(ctx, Command{INS: insChangeReference, P2: ref, Data: data, secret: true}); err != nil {
		return fmt.Errorf("change reference data %02X: %w", ref, err)
	}
	return nil
}

// ResetRetryCounter sets a new PIN and resets its retry counter, proving
// the PUK. Neither slice is modified.
func (p *PIV) ResetRetryCounter(ctx context.Context, puk, newPIN []byte) error {
	a, err := padPIN(puk)
	if err != nil {
		return err
	}
	defer clear(a)
	b, err := padPIN(newPIN)
	if err != nil {
		return err
	}
	defer clear(b)
	data := append(append(make([]byte, 0, 16), a...), b...)
	defer clear(data)
	if _, err := p.card.Do(ctx, Command{INS: insResetRetry, P2: RefPIN, Data: data, secret: true}); err != nil {
		return fmt.Errorf("reset retry counter: %w", err)
	}
	return nil
}

// Authenticate proves knowledge of the card management key with the
// mutual challenge-response of GENERAL AUTHENTICATE (SP 800-73-4 part 2,
// appendix A): the host decrypts the card's witness, and the card encrypts
// the host's challenge.
func (p *PIV) Authenticate(ctx context.Context, key ManagementKey) error {
	block, err := key.block()
	if err != nil {
		return err
	}
	resp, err := p.card.Do(ctx, Command{INS: insGeneralAuth, P1: byte(key.Alg), P2: refMgmtKey,
		Data: AppendTLV(nil, 0x7C, AppendTLV(nil, 0x80, nil)), Ne: 256})
	if err != nil {
		if errors.Is(err, ErrWrongP1P2) || errors.Is(err, ErrWrongData) {
			return fmt.Errorf("management key: %w: %v", ErrMgmtAuthFailed, err)
		}
		return fmt.Errorf("management key witness: %w", err)
	}
	dyn, err := unwrapTLV(resp, 0x7C)
	if err != nil {
		return fmt.Errorf("management key witness: %w: %v", ErrBadResponse, err)
	}
	encWitness, ok, err := FindTLV(dyn, 0x80)
	if err != nil || !ok {
		return fmt.Errorf("management key witness: %w: no witness", ErrBadResponse)
	}
	witness, ok := ecb(block, encWitness, false)
	if !ok {
		return fmt.Errorf("management key witness: %w: witness of %d bytes", ErrBadResponse, len(encWitness))
	}
	challenge := make([]byte, block.BlockSize())
	if _, err := rand.Read(challenge); err != nil {
		return err
	}
	inner := AppendTLV(AppendTLV(nil, 0x80, witness), 0x81, challenge)
	resp, err = p.card.Do(ctx, Command{INS: insGeneralAuth, P1: byte(key.Alg), P2: refMgmtKey,
		Data: AppendTLV(nil, 0x7C, inner), Ne: 256})
	if err != nil {
		if errors.Is(err, ErrSecurityStatus) || errors.Is(err, ErrWrongData) {
			return fmt.Errorf("management key: %w: %v", ErrMgmtAuthFailed, err)
		}
		return fmt.Errorf("management key response: %w", err)
	}
	dyn, err = unwrapTLV(resp, 0x7C)
	if err != nil {
		return fmt.Errorf("management key response: %w: %v", ErrBadResponse, err)
	}
	got, ok, err := FindTLV(dyn, 0x82)
	if err != nil || !ok {
		return fmt.Errorf("management key response: %w: no encrypted challenge", ErrBadResponse)
	}
	want, _ := ecb(block, challenge, true)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return fmt.Errorf("management key: %w: the card does not hold the same key", ErrMgmtAuthFailed)
	}
	return nil
}

// SetManagementKey replaces the card management key (INS FF as on YubiKey
// and compatible cards). The current key must have been authenticated.
func (p *PIV) SetManagementKey(ctx context.Context, key ManagementKey) error {
	if _, err := key.block(); err != nil {
		return err
	}
	data := append([]byte{byte(key.Alg)}, AppendTLV(nil, uint32(refMgmtKey), key.Key)...)
	defer clear(data)
	if _, err := p.card.Do(ctx, Command{INS: insSetMgmtKey, P1: 0xFF, P2: 0xFF, Data: data, secret: true}); err != nil {
		return fmt.Errorf("set management key: %w", err)
	}
	return nil
}

// GenerateKey makes the card generate a key pair in slot and returns the
// public key. The management key must have been authenticated.
func (p *PIV) GenerateKey(ctx context.Context, slot Slot, alg Algorithm) (crypto.PublicKey, error) {
	tmpl := AppendTLV(nil, 0xAC, AppendTLV(nil, 0x80, []byte{byte(alg)}))
	resp, err := p.card.Do(ctx, Command{INS: insGenerate, P2: byte(slot), Data: tmpl, Ne: maxNe})
	if err != nil {
		return nil, fmt.Errorf("generate %v key in slot %02X: %w", alg, byte(slot), err)
	}
	pub, err := parsePublicKey(resp, alg)
	if err != nil {
		return nil, fmt.Errorf("generate %v key in slot %02X: %w: %v", alg, byte(slot), ErrBadResponse, err)
	}
	return pub, nil
}

// parsePublicKey decodes the 7F49 template of a GENERATE response.
func parsePublicKey(resp []byte, alg Algorithm) (crypto.PublicKey, error) {
	tmpl, err := unwrapTLV(resp, 0x7F49)
	if err != nil {
		return nil, err
	}
	objs, err := ParseTLVs(tmpl)
	if err != nil {
		return nil, err
	}
	get := func(tag uint32) []byte {
		for _, o := range objs {
			if o.Tag == tag {
				return o.Value
			}
		}
		return nil
	}
	switch alg {
	case AlgRSA2048:
		n, e := get(0x81), get(0x82)
		mod := new(big.Int).SetBytes(n)
		if mod.BitLen() != 2048 || len(e) == 0 || len(e) > 4 {
			return nil, fmt.Errorf("RSA public key with %d-bit modulus and %d-byte exponent", mod.BitLen(), len(e))
		}
		exp := int(new(big.Int).SetBytes(e).Int64())
		if exp < 3 || exp%2 == 0 {
			return nil, fmt.Errorf("RSA public exponent %d", exp)
		}
		return &rsa.PublicKey{N: mod, E: exp}, nil
	case AlgECCP256:
		pt := get(0x86)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pt)
		if err != nil {
			return nil, err
		}
		return pub, nil
	}
	return nil, fmt.Errorf("unsupported algorithm %v", alg)
}

// Sign performs the private-key operation of slot on input with GENERAL
// AUTHENTICATE. For RSA-2048, input is the 256-byte block already padded
// by the host; for P-256, it is the 32-byte digest, and the result is a
// DER ECDSA signature. Slot 9C needs the PIN verified right before.
func (p *PIV) Sign(ctx context.Context, slot Slot, alg Algorithm, input []byte) ([]byte, error) {
	inner := AppendTLV(AppendTLV(nil, 0x82, nil), 0x81, input)
	resp, err := p.card.Do(ctx, Command{INS: insGeneralAuth, P1: byte(alg), P2: byte(slot),
		Data: AppendTLV(nil, 0x7C, inner), Ne: maxNe})
	if err != nil {
		return nil, fmt.Errorf("sign with slot %02X: %w", byte(slot), err)
	}
	dyn, err := unwrapTLV(resp, 0x7C)
	if err != nil {
		return nil, fmt.Errorf("sign with slot %02X: %w: %v", byte(slot), ErrBadResponse, err)
	}
	sig, ok, err := FindTLV(dyn, 0x82)
	if err != nil || !ok || len(sig) == 0 {
		return nil, fmt.Errorf("sign with slot %02X: %w: no signature", byte(slot), ErrBadResponse)
	}
	return sig, nil
}

// ReadCertificate returns the DER certificate stored for slot. A slot
// without a certificate gives an error matching ErrFileNotFound.
func (p *PIV) ReadCertificate(ctx context.Context, slot Slot) ([]byte, error) {
	content, err := p.GetData(ctx, slot.CertObject())
	if err != nil {
		return nil, err
	}
	der, ok, err := FindTLV(content, 0x70)
	if err != nil || !ok {
		return nil, fmt.Errorf("certificate object %X: %w: no certificate", slot.CertObject(), ErrBadResponse)
	}
	if info, ok, _ := FindTLV(content, 0x71); ok && len(info) > 0 && info[0]&0x01 != 0 {
		return nil, fmt.Errorf("certificate object %X: %w: compressed certificates are not supported", slot.CertObject(), ErrBadResponse)
	}
	if len(der) == 0 {
		return nil, fmt.Errorf("certificate object %X: %w", slot.CertObject(), ErrFileNotFound)
	}
	return der, nil
}

// WriteCertificate stores a DER certificate for slot (tags 70, 71, FE).
// The management key must have been authenticated.
func (p *PIV) WriteCertificate(ctx context.Context, slot Slot, der []byte) error {
	return p.PutData(ctx, slot.CertObject(), TLVs(
		TLV{Tag: 0x70, Value: der},
		TLV{Tag: 0x71, Value: []byte{0x00}}, // CertInfo: not compressed
		TLV{Tag: 0xFE},                      // error detection code
	))
}
