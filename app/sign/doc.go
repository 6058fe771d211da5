// Package sign is the resident's side of an online application: it signs a
// document with the key on the resident's card, the signature being made
// inside the card after the PIN (the keygen card crypto.Signer).
//
// CMS makes an RFC 5652 SignedData (SHA-256, signed attributes
// contentType, messageDigest, signingTime and the RFC 5035
// signingCertificateV2, the signer certificate and its chain included),
// with the content attached or detached. PDF makes a PAdES signature
// (ETSI.CAdES.detached) in an incremental update of the PDF.
//
// The package never reads, keeps or logs the PIN itself: the caller passes
// it to the card signer and wipes it afterwards.
package sign
