package cardio

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"math/big"
	"sync"
)

// EmulatorOptions shape the link behaviour of an emulated card.
type EmulatorOptions struct {
	// Protocol is the transmission protocol the card offers (default T=1).
	// On T=0 the card never returns data to a command that carries data:
	// it answers 61xx and waits for GET RESPONSE, and it answers 6Cxx to a
	// case 2 command whose Le is not the exact length.
	Protocol Protocol
	// ShortOnly makes the card refuse extended length APDUs and say so in
	// its ATR, so hosts use command chaining and GET RESPONSE. A T=0 card
	// is always short-only: T=0 carries no extended length.
	ShortOnly bool
	// NoSetMgmtKey makes the card lack the de-facto SET MANAGEMENT KEY
	// command (INS FF), as PIV cards that only implement SP 800-73-4 do.
	NoSetMgmtKey bool
}

// EmulatorVersion is what the card answers to GET VERSION (INS FD, a
// YubiKey extension that PIV middleware such as yubico-piv-tool sends right
// after SELECT): major, minor and patch.
var EmulatorVersion = [3]byte{5, 0, 0}

// Default reference data of a blank card, as on common PIV cards.
var (
	DefaultPIN = []byte("123456")
	DefaultPUK = []byte("12345678")
)

// Default retry limits of a blank card.
const (
	DefaultPINTries = 3
	DefaultPUKTries = 3
)

// maxObjectSize is the largest data object the emulated card stores.
const maxObjectSize = 4096

// maxChainData is the most data a chained command may collect.
const maxChainData = 8192

// Emulator is a PIV card in software that keeps the rules of a real card:
// private keys never leave it, the PIN and PUK retry counters count down
// and block, the PUK resets the PIN, slot 9C needs the PIN verified right
// before each use, GENERATE, PUT DATA and SET MANAGEMENT KEY need the
// management key's challenge-response, and every answer carries the status
// word a card would send. Its persistent state can be saved and loaded.
// An Emulator is safe for concurrent use; APDUs are handled one at a time.
type Emulator struct {
	mu   sync.Mutex
	opts EmulatorOptions
	st   cardState

	// Volatile state, cleared on power-up and reset.
	selected  bool
	pinOK     bool   // PIN verified in this session
	pinAlways bool   // PIN verified since the last use of slot 9C
	mgmtOK    bool   // management key authenticated in this session
	authMode  byte   // pending management challenge: 0x80 mutual, 0x81 external
	authNonce []byte // witness or challenge awaiting the host's answer
	chain     *chainState
	pending   []byte // response data awaiting GET RESPONSE
}

// cardState is what a card keeps across power cycles.
type cardState struct {
	pin, puk         []byte // 8 bytes each, padded with FF
	pinTries, pinMax int
	pukTries, pukMax int
	mgmt             ManagementKey
	keys             map[Slot]crypto.Signer
	objects          map[uint32][]byte
}

// chainState collects a chained command.
type chainState struct {
	ins, p1, p2 byte
	data        []byte
}

// NewEmulator returns a blank card: default PIN, PUK and management key,
// no keys and no data objects.
func NewEmulator(opts EmulatorOptions) *Emulator {
	pin, _ := padPIN(DefaultPIN)
	puk, _ := padPIN(DefaultPUK)
	return &Emulator{opts: opts, st: cardState{
		pin: pin, puk: puk,
		pinTries: DefaultPINTries, pinMax: DefaultPINTries,
		pukTries: DefaultPUKTries, pukMax: DefaultPUKTries,
		mgmt:    DefaultManagementKey(),
		keys:    map[Slot]crypto.Signer{},
		objects: map[uint32][]byte{},
	}}
}

// Options returns the link options of the card.
func (e *Emulator) Options() EmulatorOptions { return e.opts }

// ATR returns the card's Answer To Reset. Its historical bytes carry the
// card capabilities (command chaining, and extended length unless
// ShortOnly or T=0) and the issuer data "madoguchi".
func (e *Emulator) ATR() []byte {
	caps := byte(0x80) // command chaining
	if !e.opts.ShortOnly && e.opts.Protocol != T0 {
		caps |= 0x40 // extended Lc and Le
	}
	hist := append([]byte{0x80, 0x73, 0xC0, 0x21, caps, 0x59}, "madoguchi"...)
	if e.opts.Protocol == T0 {
		return append([]byte{0x3B, byte(len(hist))}, hist...)
	}
	atr := append([]byte{0x3B, 0x80 | byte(len(hist)), 0x01}, hist...) // TD1: T=1
	var tck byte
	for _, b := range atr[1:] {
		tck ^= b
	}
	return append(atr, tck)
}

// Reset powers the card up again: the selected application, the verified
// PIN, the management key authentication and any half-done exchange are
// forgotten.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.resetLocked()
}

func (e *Emulator) resetLocked() {
	e.selected, e.pinOK, e.pinAlways, e.mgmtOK = false, false, false, false
	e.authMode, e.authNonce, e.chain, e.pending = 0, nil, nil, nil
}

// PINTriesLeft returns the PIN retry counter (for tests and tools).
func (e *Emulator) PINTriesLeft() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.pinTries
}

// PUKTriesLeft returns the PUK retry counter (for tests and tools).
func (e *Emulator) PUKTriesLeft() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.pukTries
}

// HasKey reports whether a private key exists in slot.
func (e *Emulator) HasKey(slot Slot) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.keys[slot] != nil
}

// Object returns a copy of a stored data object's content, as any reader
// of the card's memory could see it.
func (e *Emulator) Object(tag uint32) ([]byte, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.st.objects[tag]
	return bytes.Clone(v), ok
}

// Transmit handles one command APDU and returns the response APDU. It
// answers every byte string with a status word and never panics.
func (e *Emulator) Transmit(apdu []byte) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.handle(apdu).Bytes()
}

func sw(s uint16) Response { return Response{SW: s} }

// handle is Transmit under the lock.
func (e *Emulator) handle(raw []byte) Response {
	cmd, extended, err := ParseCommand(raw)
	if err != nil || (extended && (e.opts.ShortOnly || e.opts.Protocol == T0)) {
		e.chain, e.pending = nil, nil
		return sw(SWWrongLength)
	}
	if cmd.CLA&^0x10 != 0x00 {
		e.chain, e.pending = nil, nil
		return sw(SWClaNotSupported)
	}
	if cmd.INS == insGetResponse {
		return e.getResponse(cmd)
	}
	e.pending = nil

	// Command chaining: collect the parts, run the command on the last.
	if ch := e.chain; ch != nil && (ch.ins != cmd.INS || ch.p1 != cmd.P1 || ch.p2 != cmd.P2) {
		e.chain = nil
		return sw(SWLastCommandExpected)
	}
	if cmd.CLA&0x10 != 0 {
		if e.chain == nil {
			e.chain = &chainState{ins: cmd.INS, p1: cmd.P1, p2: cmd.P2}
		}
		if len(e.chain.data)+len(cmd.Data) > maxChainData {
			e.chain = nil
			return sw(SWNotEnoughMemory)
		}
		e.chain.data = append(e.chain.data, cmd.Data...)
		return sw(SWOK)
	}
	if e.chain != nil {
		cmd.Data = append(e.chain.data, cmd.Data...)
		e.chain = nil
	}

	data, status := e.dispatch(cmd)
	if status != SWOK || len(data) == 0 {
		return Response{SW: status}
	}
	return e.deliver(data, cmd.Ne, len(cmd.Data) == 0)
}

// deliver returns response data within the host's Ne and the protocol's
// rules, keeping the rest for GET RESPONSE.
func (e *Emulator) deliver(data []byte, ne int, case2 bool) Response {
	if e.opts.Protocol == T0 {
		if !case2 { // case 4 on T=0: data only through GET RESPONSE
			e.pending = data
			return Response{SW: 0x6100 | uint16(min(len(data), 256)&0xFF)}
		}
		if ne > len(data) { // wrong Le: tell the exact length
			return Response{SW: 0x6C00 | uint16(len(data)&0xFF)}
		}
	}
	if ne == 0 {
		ne = 256 // no Le: answer as for a short Le of 00
	}
	if len(data) <= ne {
		return Response{Data: data, SW: SWOK}
	}
	e.pending = data[ne:]
	return Response{Data: data[:ne], SW: 0x6100 | uint16(min(len(e.pending), 256)&0xFF)}
}

// getResponse returns the next part of the pending response.
func (e *Emulator) getResponse(cmd Command) Response {
	if cmd.P1 != 0 || cmd.P2 != 0 {
		e.pending = nil
		return sw(SWWrongP1P2)
	}
	if e.pending == nil {
		return sw(SWConditionsOfUse)
	}
	data := e.pending
	e.pending = nil
	if e.opts.Protocol == T0 && cmd.Ne > len(data) {
		e.pending = data
		return Response{SW: 0x6C00 | uint16(len(data)&0xFF)}
	}
	return e.deliver(data, cmd.Ne, true)
}

// dispatch runs one complete command and returns its data and status.
func (e *Emulator) dispatch(cmd Command) ([]byte, uint16) {
	switch cmd.INS {
	case insSelect:
		return e.selectApp(cmd)
	case insGetVersion:
		if !e.selected {
			return nil, SWConditionsOfUse
		}
		if cmd.P1 != 0 || cmd.P2 != 0 {
			return nil, SWWrongP1P2
		}
		return EmulatorVersion[:], SWOK
	}
	if !e.selected {
		switch cmd.INS {
		case insGetData, insPutData, insVerify, insChangeReference, insResetRetry,
			insGeneralAuth, insGenerate:
			return nil, SWConditionsOfUse
		case insSetMgmtKey:
			if e.opts.NoSetMgmtKey {
				return nil, SWInsNotSupported
			}
			return nil, SWConditionsOfUse
		}
		return nil, SWInsNotSupported
	}
	switch cmd.INS {
	case insGetData:
		return e.getData(cmd)
	case insPutData:
		return nil, e.putData(cmd)
	case insVerify:
		return nil, e.verify(cmd)
	case insChangeReference:
		return nil, e.changeReference(cmd)
	case insResetRetry:
		return nil, e.resetRetry(cmd)
	case insGeneralAuth:
		return e.generalAuth(cmd)
	case insGenerate:
		return e.generate(cmd)
	case insSetMgmtKey:
		if e.opts.NoSetMgmtKey {
			return nil, SWInsNotSupported
		}
		return nil, e.setMgmtKey(cmd)
	}
	return nil, SWInsNotSupported
}

// applicationTemplate is the answer to SELECT (SP 800-73-4 part 2, 3.1.1).
func applicationTemplate() []byte {
	return AppendTLV(nil, 0x61, TLVs(
		TLV{Tag: 0x4F, Value: AIDPIV[5:]}, // PIX with version
		TLV{Tag: 0x79, Value: AppendTLV(nil, 0x4F, AIDPIV[:5])},
		TLV{Tag: 0x50, Value: []byte("madoguchi PIV emulator")},
		TLV{Tag: 0xAC, Value: TLVs(
			TLV{Tag: 0x80, Value: []byte{byte(Mgmt3DES)}},
			TLV{Tag: 0x80, Value: []byte{byte(MgmtAES128)}},
			TLV{Tag: 0x80, Value: []byte{byte(MgmtAES192)}},
			TLV{Tag: 0x80, Value: []byte{byte(MgmtAES256)}},
			TLV{Tag: 0x80, Value: []byte{byte(AlgRSA2048)}},
			TLV{Tag: 0x80, Value: []byte{byte(AlgECCP256)}},
			TLV{Tag: 0x06, Value: []byte{0x00}},
		)},
	))
}

// discoveryObject is the content of the discovery object: the AID and a
// PIN usage policy of "PIV application PIN only".
func discoveryObject() []byte {
	return AppendTLV(nil, ObjDiscovery, TLVs(
		TLV{Tag: 0x4F, Value: AIDPIV},
		TLV{Tag: 0x5F2F, Value: []byte{0x40, 0x00}},
	))
}

func (e *Emulator) selectApp(cmd Command) ([]byte, uint16) {
	if cmd.P1 != 0x04 || cmd.P2 != 0x00 {
		return nil, SWWrongP1P2
	}
	if len(cmd.Data) >= 5 && bytes.HasPrefix(AIDPIV, cmd.Data) {
		e.selected = true // security status is kept on re-selection
		return applicationTemplate(), SWOK
	}
	// An application the card does not have: as on ISO 7816-4 cards, the
	// failed SELECT leaves the current application (and its security
	// status) selected. Middleware relies on it: yubico-piv-tool probes
	// other AIDs after selecting PIV.
	return nil, SWFileNotFound
}

// parseObjectTag reads the 5C tag list of GET DATA and PUT DATA.
func parseObjectTag(v []byte) (uint32, bool) {
	switch len(v) {
	case 1:
		return uint32(v[0]), true
	case 3:
		return uint32(v[0])<<16 | uint32(v[1])<<8 | uint32(v[2]), true
	}
	return 0, false
}

// pinProtected lists objects readable only after the PIN.
func pinProtected(tag uint32) bool {
	switch tag {
	case ObjFingerprints, ObjFacialImage, ObjPrintedInformation, 0x5FC121:
		return true
	}
	return false
}

// writableObject reports whether PUT DATA may store tag (the 5FC1xx
// objects of SP 800-73-4, retired key certificates included).
func writableObject(tag uint32) bool {
	return tag >= 0x5FC101 && tag <= 0x5FC123
}

func (e *Emulator) getData(cmd Command) ([]byte, uint16) {
	if cmd.P1 != 0x3F || cmd.P2 != 0xFF {
		return nil, SWWrongP1P2
	}
	obj, rest, err := ReadTLV(cmd.Data)
	if err != nil || obj.Tag != 0x5C || len(rest) != 0 {
		return nil, SWWrongData
	}
	tag, ok := parseObjectTag(obj.Value)
	if !ok {
		return nil, SWWrongData
	}
	if tag == ObjDiscovery {
		return discoveryObject(), SWOK
	}
	if pinProtected(tag) && !e.pinOK {
		return nil, SWSecurityStatus
	}
	content, ok := e.st.objects[tag]
	if !ok {
		return nil, SWFileNotFound
	}
	return AppendTLV(nil, 0x53, content), SWOK
}

func (e *Emulator) putData(cmd Command) uint16 {
	if cmd.P1 != 0x3F || cmd.P2 != 0xFF {
		return SWWrongP1P2
	}
	if !e.mgmtOK {
		return SWSecurityStatus
	}
	objs, err := ParseTLVs(cmd.Data)
	if err != nil || len(objs) != 2 || objs[0].Tag != 0x5C || objs[1].Tag != 0x53 {
		return SWWrongData
	}
	tag, ok := parseObjectTag(objs[0].Value)
	if !ok || !writableObject(tag) {
		return SWWrongData
	}
	content := objs[1].Value
	if len(content) > maxObjectSize {
		return SWNotEnoughMemory
	}
	if len(content) == 0 {
		delete(e.st.objects, tag)
		return SWOK
	}
	e.st.objects[tag] = bytes.Clone(content)
	return SWOK
}

// validReference checks an 8-byte PIN or PUK field: 6 to 8 bytes, then
// only FF padding, and no FF inside the value.
func validReference(ref []byte) bool {
	if len(ref) != 8 {
		return false
	}
	n := bytes.IndexByte(ref, 0xFF)
	if n < 0 {
		n = 8
	}
	if n < 6 {
		return false
	}
	for _, b := range ref[n:] {
		if b != 0xFF {
			return false
		}
	}
	return true
}

func (e *Emulator) verify(cmd Command) uint16 {
	if cmd.P1 != 0x00 && cmd.P1 != 0xFF {
		return SWWrongP1P2
	}
	if cmd.P2 != RefPIN {
		return SWReferenceNotFound
	}
	if cmd.P1 == 0xFF { // reset the security status of the PIN
		if len(cmd.Data) != 0 {
			return SWWrongData
		}
		e.pinOK, e.pinAlways = false, false
		return SWOK
	}
	if len(cmd.Data) == 0 { // status query
		switch {
		case e.st.pinTries == 0:
			return SWAuthBlocked
		case e.pinOK:
			return SWOK
		}
		return SWVerifyFailedNoTries | uint16(e.st.pinTries)
	}
	if len(cmd.Data) != 8 {
		return SWWrongData
	}
	if e.st.pinTries == 0 {
		return SWAuthBlocked
	}
	if subtle.ConstantTimeCompare(cmd.Data, e.st.pin) != 1 {
		e.st.pinTries--
		e.pinOK, e.pinAlways = false, false
		return SWVerifyFailedNoTries | uint16(e.st.pinTries)
	}
	e.st.pinTries = e.st.pinMax
	e.pinOK, e.pinAlways = true, true
	return SWOK
}

func (e *Emulator) changeReference(cmd Command) uint16 {
	if cmd.P1 != 0x00 {
		return SWWrongP1P2
	}
	var ref *[]byte
	var tries *int
	var max int
	switch cmd.P2 {
	case RefPIN:
		ref, tries, max = &e.st.pin, &e.st.pinTries, e.st.pinMax
	case RefPUK:
		ref, tries, max = &e.st.puk, &e.st.pukTries, e.st.pukMax
	default:
		return SWReferenceNotFound
	}
	if len(cmd.Data) != 16 || !validReference(cmd.Data[8:]) {
		return SWWrongData
	}
	if *tries == 0 {
		return SWAuthBlocked
	}
	if subtle.ConstantTimeCompare(cmd.Data[:8], *ref) != 1 {
		*tries--
		if cmd.P2 == RefPIN {
			e.pinOK, e.pinAlways = false, false
		}
		return SWVerifyFailedNoTries | uint16(*tries)
	}
	*ref = bytes.Clone(cmd.Data[8:])
	*tries = max
	return SWOK
}

func (e *Emulator) resetRetry(cmd Command) uint16 {
	if cmd.P1 != 0x00 {
		return SWWrongP1P2
	}
	if cmd.P2 != RefPIN {
		return SWReferenceNotFound
	}
	if len(cmd.Data) != 16 || !validReference(cmd.Data[8:]) {
		return SWWrongData
	}
	if e.st.pukTries == 0 {
		return SWAuthBlocked
	}
	if subtle.ConstantTimeCompare(cmd.Data[:8], e.st.puk) != 1 {
		e.st.pukTries--
		return SWVerifyFailedNoTries | uint16(e.st.pukTries)
	}
	e.st.pin = bytes.Clone(cmd.Data[8:])
	e.st.pinTries = e.st.pinMax
	e.st.pukTries = e.st.pukMax
	e.pinOK, e.pinAlways = false, false
	return SWOK
}

// dynamicTemplate parses the 7C template of GENERAL AUTHENTICATE into its
// objects; present reports which tags appear (even empty).
func dynamicTemplate(data []byte) (map[uint32][]byte, bool) {
	inner, err := unwrapTLV(data, 0x7C)
	if err != nil {
		return nil, false
	}
	objs, err := ParseTLVs(inner)
	if err != nil {
		return nil, false
	}
	m := map[uint32][]byte{}
	for _, o := range objs {
		if _, dup := m[o.Tag]; dup {
			return nil, false
		}
		m[o.Tag] = o.Value
	}
	return m, true
}

func (e *Emulator) generalAuth(cmd Command) ([]byte, uint16) {
	dyn, ok := dynamicTemplate(cmd.Data)
	if !ok {
		return nil, SWWrongData
	}
	if cmd.P2 == refMgmtKey {
		return e.mgmtAuth(cmd.P1, dyn)
	}
	switch Slot(cmd.P2) {
	case SlotAuthentication, SlotSignature, SlotKeyManagement, SlotCardAuthentication:
		return e.privateKeyOp(Slot(cmd.P2), Algorithm(cmd.P1), dyn)
	}
	return nil, SWWrongP1P2
}

// mgmtAuth runs the management key's challenge-response, mutual
// (80 empty → witness; 80 witness + 81 challenge → 82) or external
// (81 empty → challenge; 82 response).
func (e *Emulator) mgmtAuth(alg byte, dyn map[uint32][]byte) ([]byte, uint16) {
	if MgmtAlg(alg) != e.st.mgmt.Alg {
		e.authMode, e.authNonce = 0, nil
		return nil, SWWrongP1P2
	}
	block, err := e.st.mgmt.block()
	if err != nil {
		return nil, SWNoPreciseDiagnosis
	}
	bs := block.BlockSize()
	w, has80 := dyn[0x80]
	c, has81 := dyn[0x81]
	r, has82 := dyn[0x82]
	mode, nonce := e.authMode, e.authNonce
	e.authMode, e.authNonce = 0, nil
	switch {
	case has80 && len(w) == 0 && !has81 && !has82: // mutual, step 1
		nonce := make([]byte, bs)
		rand.Read(nonce)
		enc, _ := ecb(block, nonce, true)
		e.authMode, e.authNonce, e.mgmtOK = 0x80, nonce, false
		return AppendTLV(nil, 0x7C, AppendTLV(nil, 0x80, enc)), SWOK
	case has80 && has81 && !has82: // mutual, step 2
		if mode != 0x80 {
			return nil, SWConditionsOfUse
		}
		if len(w) != bs || len(c) != bs {
			return nil, SWWrongData
		}
		if subtle.ConstantTimeCompare(w, nonce) != 1 {
			return nil, SWSecurityStatus
		}
		e.mgmtOK = true
		enc, _ := ecb(block, c, true)
		return AppendTLV(nil, 0x7C, AppendTLV(nil, 0x82, enc)), SWOK
	case has81 && len(c) == 0 && !has80 && !has82: // external, step 1
		nonce := make([]byte, bs)
		rand.Read(nonce)
		e.authMode, e.authNonce, e.mgmtOK = 0x81, nonce, false
		return AppendTLV(nil, 0x7C, AppendTLV(nil, 0x81, nonce)), SWOK
	case has82 && !has80 && !has81: // external, step 2
		if mode != 0x81 {
			return nil, SWConditionsOfUse
		}
		if len(r) != bs {
			return nil, SWWrongData
		}
		want, _ := ecb(block, nonce, true)
		if subtle.ConstantTimeCompare(r, want) != 1 {
			return nil, SWSecurityStatus
		}
		e.mgmtOK = true
		return nil, SWOK
	}
	return nil, SWWrongData
}

// privateKeyOp signs with the key in slot: 82 empty + 81 challenge.
func (e *Emulator) privateKeyOp(slot Slot, alg Algorithm, dyn map[uint32][]byte) ([]byte, uint16) {
	key := e.st.keys[slot]
	if key == nil {
		return nil, SWReferenceNotFound
	}
	if keyAlgorithm(key) != alg {
		return nil, SWWrongP1P2
	}
	switch slot {
	case SlotSignature:
		if !e.pinAlways {
			return nil, SWSecurityStatus
		}
	case SlotAuthentication, SlotKeyManagement:
		if !e.pinOK {
			return nil, SWSecurityStatus
		}
	}
	r, has82 := dyn[0x82]
	challenge, has81 := dyn[0x81]
	if !has82 || len(r) != 0 || !has81 || len(dyn) != 2 {
		return nil, SWWrongData
	}
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if len(challenge) != 256 {
			return nil, SWWrongData
		}
		m := new(big.Int).SetBytes(challenge)
		if m.Cmp(k.N) >= 0 {
			return nil, SWWrongData
		}
		sig = rawRSA(k, m).FillBytes(make([]byte, 256))
	case *ecdsa.PrivateKey:
		if len(challenge) != 32 {
			return nil, SWWrongData
		}
		var err error
		if sig, err = ecdsa.SignASN1(rand.Reader, k, challenge); err != nil {
			return nil, SWNoPreciseDiagnosis
		}
	default:
		return nil, SWNoPreciseDiagnosis
	}
	if slot == SlotSignature {
		e.pinAlways = false
	}
	return AppendTLV(nil, 0x7C, AppendTLV(nil, 0x82, sig)), SWOK
}

// rawRSA computes m^d mod n with the Chinese remainder theorem.
func rawRSA(k *rsa.PrivateKey, m *big.Int) *big.Int {
	p, q := k.Primes[0], k.Primes[1]
	dp := new(big.Int).Mod(k.D, new(big.Int).Sub(p, big.NewInt(1)))
	dq := new(big.Int).Mod(k.D, new(big.Int).Sub(q, big.NewInt(1)))
	qinv := new(big.Int).ModInverse(q, p)
	m1 := new(big.Int).Exp(m, dp, p)
	m2 := new(big.Int).Exp(m, dq, q)
	h := new(big.Int).Sub(m1, m2)
	h.Mul(h, qinv).Mod(h, p)
	return h.Mul(h, q).Add(h, m2)
}

// keyAlgorithm returns the PIV algorithm of a private key.
func keyAlgorithm(k crypto.Signer) Algorithm {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() == 2048 {
			return AlgRSA2048
		}
	case *ecdsa.PrivateKey:
		if k.Curve == elliptic.P256() {
			return AlgECCP256
		}
	}
	return 0
}

func (e *Emulator) generate(cmd Command) ([]byte, uint16) {
	if cmd.P1 != 0x00 {
		return nil, SWWrongP1P2
	}
	slot := Slot(cmd.P2)
	if slot.CertObject() == 0 {
		return nil, SWWrongP1P2
	}
	if !e.mgmtOK {
		return nil, SWSecurityStatus
	}
	tmpl, err := unwrapTLV(cmd.Data, 0xAC)
	if err != nil {
		return nil, SWWrongData
	}
	algField, ok, err := FindTLV(tmpl, 0x80)
	if err != nil || !ok || len(algField) != 1 {
		return nil, SWWrongData
	}
	var key crypto.Signer
	var pub []byte
	switch Algorithm(algField[0]) {
	case AlgRSA2048:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, SWNoPreciseDiagnosis
		}
		key = k
		pub = TLVs(TLV{Tag: 0x81, Value: k.N.Bytes()}, TLV{Tag: 0x82, Value: big.NewInt(int64(k.E)).Bytes()})
	case AlgECCP256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, SWNoPreciseDiagnosis
		}
		key = k
		point, err := k.PublicKey.Bytes()
		if err != nil {
			return nil, SWNoPreciseDiagnosis
		}
		pub = AppendTLV(nil, 0x86, point)
	default:
		return nil, SWWrongData
	}
	e.st.keys[slot] = key
	return AppendTLV(nil, 0x7F49, pub), SWOK
}

func (e *Emulator) setMgmtKey(cmd Command) uint16 {
	if cmd.P1 != 0xFF || (cmd.P2 != 0xFF && cmd.P2 != 0xFE) {
		return SWWrongP1P2
	}
	if !e.mgmtOK {
		return SWSecurityStatus
	}
	if len(cmd.Data) < 1 {
		return SWWrongData
	}
	alg := MgmtAlg(cmd.Data[0])
	obj, rest, err := ReadTLV(cmd.Data[1:])
	if err != nil || len(rest) != 0 || obj.Tag != uint32(refMgmtKey) || alg.KeyLen() == 0 || len(obj.Value) != alg.KeyLen() {
		return SWWrongData
	}
	e.st.mgmt = ManagementKey{Alg: alg, Key: bytes.Clone(obj.Value)}
	return SWOK
}
