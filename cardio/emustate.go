package cardio

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// ErrBadState is returned when an emulator state file cannot be loaded.
var ErrBadState = errors.New("cardio: malformed emulator state")

// savedState is the file form of an emulated card's persistent memory. It
// holds the card's secrets (PIN, PUK, management key, private keys): it is
// test and demo material, written with owner-only permissions.
type savedState struct {
	Version     int               `json:"version"`
	PIN         []byte            `json:"pin"`
	PINTries    int               `json:"pin_tries"`
	PINMaxTries int               `json:"pin_max_tries"`
	PUK         []byte            `json:"puk"`
	PUKTries    int               `json:"puk_tries"`
	PUKMaxTries int               `json:"puk_max_tries"`
	MgmtAlg     MgmtAlg           `json:"mgmt_alg"`
	MgmtKey     []byte            `json:"mgmt_key"`
	Keys        map[string][]byte `json:"keys"`    // slot (hex) → PKCS#8
	Objects     map[string][]byte `json:"objects"` // tag (hex) → content
}

const stateVersion = 1

// Save writes the card's persistent state (not its session state) to w as
// JSON.
func (e *Emulator) Save(w io.Writer) error {
	e.mu.Lock()
	s := savedState{
		Version: stateVersion,
		PIN:     bytes.Clone(e.st.pin), PINTries: e.st.pinTries, PINMaxTries: e.st.pinMax,
		PUK: bytes.Clone(e.st.puk), PUKTries: e.st.pukTries, PUKMaxTries: e.st.pukMax,
		MgmtAlg: e.st.mgmt.Alg, MgmtKey: bytes.Clone(e.st.mgmt.Key),
		Keys:    map[string][]byte{},
		Objects: map[string][]byte{},
	}
	var err error
	for slot, k := range e.st.keys {
		var der []byte
		if der, err = x509.MarshalPKCS8PrivateKey(k); err != nil {
			break
		}
		s.Keys[fmt.Sprintf("%02x", byte(slot))] = der
	}
	for tag, v := range e.st.objects {
		s.Objects[fmt.Sprintf("%06x", tag)] = bytes.Clone(v)
	}
	e.mu.Unlock()
	if err != nil {
		return fmt.Errorf("cardio: save emulator state: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// SaveFile writes the state to path atomically, readable by the owner only.
func (e *Emulator) SaveFile(path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".emulator-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err := e.Save(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// LoadEmulator reads a state written by Save. The card starts powered
// down (no session state).
func LoadEmulator(r io.Reader, opts EmulatorOptions) (*Emulator, error) {
	var s savedState
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadState, err)
	}
	bad := func(format string, args ...any) (*Emulator, error) {
		return nil, fmt.Errorf("%w: %s", ErrBadState, fmt.Sprintf(format, args...))
	}
	if s.Version != stateVersion {
		return bad("version %d", s.Version)
	}
	if !validReference(s.PIN) || !validReference(s.PUK) {
		return bad("PIN or PUK is not 6 to 8 bytes padded to 8")
	}
	for _, c := range [][2]int{{s.PINTries, s.PINMaxTries}, {s.PUKTries, s.PUKMaxTries}} {
		if c[1] < 1 || c[1] > 15 || c[0] < 0 || c[0] > c[1] {
			return bad("retry counter %d of %d", c[0], c[1])
		}
	}
	mgmt := ManagementKey{Alg: s.MgmtAlg, Key: s.MgmtKey}
	if _, err := mgmt.block(); err != nil {
		return bad("%v", err)
	}
	e := NewEmulator(opts)
	e.st.pin, e.st.pinTries, e.st.pinMax = s.PIN, s.PINTries, s.PINMaxTries
	e.st.puk, e.st.pukTries, e.st.pukMax = s.PUK, s.PUKTries, s.PUKMaxTries
	e.st.mgmt = mgmt
	for name, der := range s.Keys {
		slot, err := strconv.ParseUint(name, 16, 8)
		if err != nil || Slot(slot).CertObject() == 0 {
			return bad("key slot %q", name)
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return bad("key in slot %s: %v", name, err)
		}
		signer, ok := k.(crypto.Signer)
		if !ok || keyAlgorithm(signer) == 0 {
			return bad("key in slot %s is not RSA-2048 or P-256", name)
		}
		e.st.keys[Slot(slot)] = signer
	}
	for name, v := range s.Objects {
		tag, err := strconv.ParseUint(name, 16, 32)
		if err != nil || !writableObject(uint32(tag)) || len(v) == 0 || len(v) > maxObjectSize {
			return bad("data object %q", name)
		}
		e.st.objects[uint32(tag)] = v
	}
	return e, nil
}

// LoadEmulatorFile reads a state file written by SaveFile.
func LoadEmulatorFile(path string, opts EmulatorOptions) (*Emulator, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return LoadEmulator(f, opts)
}
