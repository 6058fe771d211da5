// Package keygen performs the on-card half of an issuance: management-key
// authentication, the resident's PIN and its policy, key generation on the
// card, a crypto.Signer backed by the card, the PKCS#10 request carrying the
// JPKI subjectAltName, writing and verifying the certificate, and PIN reset.
//
// An issuance on a card in a reader:
//
//	card, _ := keygen.Open(conn)                    // conn from cardio.Reader.Connect
//	card.Prepare(ctx, master)                       // blank: default key, new CHUID
//	card.SetPIN(ctx, pin, confirm)                  // policy, CHANGE REFERENCE DATA
//	card.GenerateKey(ctx, keygen.AlgRSA2048)        // slot 9C, PIN-always
//	csr, _ := card.CreateRequest(ctx, subject, items, pin)
//	// … the prefecture issues the certificate …
//	card.WriteCertificate(ctx, cert, items)         // checks, PUT DATA, read back
//	card.Finish(ctx, master)                        // per-card PUK and management key
//
// The per-card management key (AES-256) and PUK (eight digits) are derived
// with HKDF-SHA256 from the municipality's master secret, salted with the
// card ID (the CHUID's GUID), each under its own label. Neither they nor the
// master secret nor any PIN is logged or stored; PINs travel as []byte,
// and the package wipes the copies it makes.
//
// The CHUID written on a blank card is signed as SP 800-73-4 has it: a CMS
// SignedData over its elements (detached content of type
// id-PIV-CHUIDSecurityObject, SHA-256 with ECDSA, signed attributes
// content type, message digest and pivSigner-DN) with the certificate of
// the municipality's CHUID signer, whose P-256 key is derived from the
// master secret under its own HKDF label (NewCHUIDSigner). OpenSC and
// yubico-piv-tool read such a CHUID, and openssl cms verifies its
// signature; SP 800-73-4 makes the signature mandatory, which is why the
// CHUID is signed rather than carrying an empty 3E element.
//
// The management-key change in Finish uses SET MANAGEMENT KEY (INS FF,
// P1-P2 FFFF), the de-facto extension of YubiKey and compatible cards:
// SP 800-73-4 defines no command for it. Prepare proves on a blank card
// that the command exists by setting the default key it already has; a
// card that answers "instruction not supported" is refused with
// ErrMgmtKeyUnsupported (Japanese message for the clerk, card not usable)
// before anything is written, as such a card would stay under the
// well-known default key after the issuance.
//
// Every failure on the card is a *StepError naming the step and saying
// whether the card is still usable; its UserMessage is Japanese for the
// clerk.
package keygen
