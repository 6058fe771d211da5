// Package verify is the signature verifier's side (署名検証者) of an online
// application: it checks a CMS SignedData or a signed PDF made with a
// resident's JPKI signing certificate and reports each point on its own:
//
//   - format: the CMS (or each PDF signature) parses, one signer;
//   - signature: the message digest over the document and the signature
//     over the signed attributes;
//   - signer: the signer certificate found by issuer and serial number or
//     by subject key identifier, and the signingCertificateV2 hash;
//   - chain: a path to one of the pinned prefecture roots (several CA
//     generations may be pinned), the root a CA by basicConstraints, the
//     signer's keyUsage digitalSignature or nonRepudiation;
//   - validity: the certificate valid at the time of receipt (the
//     verifier's clock; the self-declared signing time is shown, never
//     used);
//   - revocation: status at receipt from the verifier's registered
//     revocation access (OCSP first, CRL otherwise); with none configured
//     the check refuses;
//   - identity: the 基本4情報 of the subjectAltName against the form's
//     氏名・住所・生年月日・性別, understanding 代替文字, width and spacing;
//   - byterange (PDF): every signature's ByteRange well formed, the last
//     one covering the whole file.
//
// The package imports nothing of the counter's code; it uses forms for
// the SAN codec, text normalisation and substitute-character tables.
package verify
