// Package jpkicert encodes and decodes the subjectAltName of the JPKI
// signing-certificate profile: six otherName entries carrying the four
// basic items (基本4情報) and the positions of substitute characters.
//
// It is shared by the card side (the PKCS#10 request) and the prefecture
// side (checking requests and issued certificates). It checks the shape of
// each value; the character set and era rules live in package forms.
package jpkicert

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers of the otherName entries (1.2.392.200149.8.5.5.x).
var (
	OIDName             = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 1}
	OIDNamePositions    = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 2}
	OIDSex              = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 3}
	OIDBirth            = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 4}
	OIDAddress          = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 5}
	OIDAddressPositions = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 6}

	// OIDSubjectAltName is the X.509 subjectAltName extension (2.5.29.17).
	OIDSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
)

// MaxAddressLength is the longest 住所 the profile allows, in characters.
const MaxAddressLength = 200

// Items are the values the certificate carries about its holder, exactly as
// they appear in the subjectAltName.
type Items struct {
	Name             string // 氏 + U+3000 + 名, substitutes applied
	NamePositions    string // one '0'/'1' per character of Name
	Sex              string // "1" male, "2" female, "3" unknown
	Birth            string // era digit + YYYYMMDD, e.g. "319620617"
	Address          string // from the prefecture on
	AddressPositions string // one '0'/'1' per character of Address
}

// fields lists the entries in the order they are encoded.
func (it *Items) fields() []struct {
	oid asn1.ObjectIdentifier
	val *string
} {
	return []struct {
		oid asn1.ObjectIdentifier
		val *string
	}{
		{OIDName, &it.Name},
		{OIDNamePositions, &it.NamePositions},
		{OIDSex, &it.Sex},
		{OIDBirth, &it.Birth},
		{OIDAddress, &it.Address},
		{OIDAddressPositions, &it.AddressPositions},
	}
}

// Validate checks the shape of every value: non-empty text, valid UTF-8,
// position strings of '0'/'1' as long as their text, a sex code of 1–3, a
// nine-digit birth code with an era digit of 1–5, and the address length.
// It returns every problem found, joined.
func (it Items) Validate() error {
	var errs []error
	checkText := func(label, s string) {
		switch {
		case s == "":
			errs = append(errs, fmt.Errorf("jpkicert: %s is empty", label))
		case !utf8.ValidString(s):
			errs = append(errs, fmt.Errorf("jpkicert: %s is not valid UTF-8", label))
		}
	}
	checkPositions := func(label, text, pos string) {
		if strings.Trim(pos, "01") != "" {
			errs = append(errs, fmt.Errorf("jpkicert: %s positions %q hold characters other than 0 and 1", label, pos))
			return
		}
		if n := utf8.RuneCountInString(text); len(pos) != n {
			errs = append(errs, fmt.Errorf("jpkicert: %s positions have %d digits for %d characters", label, len(pos), n))
		}
	}
	checkText("name", it.Name)
	checkText("address", it.Address)
	checkPositions("name", it.Name, it.NamePositions)
	checkPositions("address", it.Address, it.AddressPositions)
	if it.Sex != "1" && it.Sex != "2" && it.Sex != "3" {
		errs = append(errs, fmt.Errorf("jpkicert: sex code %q is not 1, 2 or 3", it.Sex))
	}
	if len(it.Birth) != 9 || strings.Trim(it.Birth, "0123456789") != "" || it.Birth[0] < '1' || it.Birth[0] > '5' {
		errs = append(errs, fmt.Errorf("jpkicert: birth code %q is not an era digit 1-5 followed by YYYYMMDD", it.Birth))
	}
	if n := utf8.RuneCountInString(it.Address); n > MaxAddressLength {
		errs = append(errs, fmt.Errorf("jpkicert: address has %d characters, more than %d", n, MaxAddressLength))
	}
	return errors.Join(errs...)
}

// Marshal encodes the items as the DER value of a subjectAltName extension:
// GeneralNames holding six otherName entries, each value an
// [0] EXPLICIT UTF8String. The items must pass Validate.
func (it Items) Marshal() ([]byte, error) {
	if err := it.Validate(); err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(names *cryptobyte.Builder) {
		for _, f := range it.fields() {
			names.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(on *cryptobyte.Builder) {
				on.AddASN1ObjectIdentifier(f.oid)
				on.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(v *cryptobyte.Builder) {
					v.AddASN1(cbasn1.UTF8String, func(s *cryptobyte.Builder) {
						s.AddBytes([]byte(*f.val))
					})
				})
			})
		}
	})
	return b.Bytes()
}

// Extension returns the items as a non-critical subjectAltName extension.
func (it Items) Extension() (pkix.Extension, error) {
	der, err := it.Marshal()
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: OIDSubjectAltName, Critical: false, Value: der}, nil
}

// Unmarshal decodes a subjectAltName value. Every one of the six entries
// must be present exactly once; other GeneralName entries are ignored. The
// result is checked with Validate.
func Unmarshal(der []byte) (Items, error) {
	var it Items
	seen := map[int]bool{}
	input := cryptobyte.String(der)
	var names cryptobyte.String
	if !input.ReadASN1(&names, cbasn1.SEQUENCE) || !input.Empty() {
		return Items{}, errors.New("jpkicert: subjectAltName is not a DER SEQUENCE")
	}
	fields := it.fields()
	for !names.Empty() {
		var gn cryptobyte.String
		var tag cbasn1.Tag
		if !names.ReadAnyASN1(&gn, &tag) {
			return Items{}, errors.New("jpkicert: malformed GeneralName")
		}
		if tag != cbasn1.Tag(0).ContextSpecific().Constructed() {
			continue // not an otherName
		}
		var oid asn1.ObjectIdentifier
		var explicit, value cryptobyte.String
		if !gn.ReadASN1ObjectIdentifier(&oid) ||
			!gn.ReadASN1(&explicit, cbasn1.Tag(0).ContextSpecific().Constructed()) || !gn.Empty() {
			return Items{}, errors.New("jpkicert: malformed otherName")
		}
		idx := -1
		for i, f := range fields {
			if f.oid.Equal(oid) {
				idx = i
			}
		}
		if idx < 0 {
			continue // an otherName of another profile
		}
		if !explicit.ReadASN1(&value, cbasn1.UTF8String) || !explicit.Empty() {
			return Items{}, fmt.Errorf("jpkicert: otherName %v does not hold a UTF8String", oid)
		}
		if seen[idx] {
			return Items{}, fmt.Errorf("jpkicert: otherName %v appears twice", oid)
		}
		seen[idx] = true
		*fields[idx].val = string(value)
	}
	for i, f := range fields {
		if !seen[i] {
			return Items{}, fmt.Errorf("jpkicert: otherName %v is missing", f.oid)
		}
	}
	if err := it.Validate(); err != nil {
		return Items{}, err
	}
	return it, nil
}

// FromExtensions finds the subjectAltName among exts (a certificate's
// Extensions or a request's Extensions) and decodes it.
func FromExtensions(exts []pkix.Extension) (Items, error) {
	for _, e := range exts {
		if e.Id.Equal(OIDSubjectAltName) {
			return Unmarshal(e.Value)
		}
	}
	return Items{}, errors.New("jpkicert: no subjectAltName extension")
}
