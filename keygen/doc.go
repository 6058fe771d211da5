// Package keygen performs the on-card half of an issuance: management-key
// authentication, the resident's PIN and its policy, key generation on the
// card, a crypto.Signer backed by the card, the PKCS#10 request carrying the
// JPKI subjectAltName, writing and verifying the certificate, and PIN reset.
package keygen
