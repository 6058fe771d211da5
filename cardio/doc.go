// Package cardio talks to smart cards: PC/SC readers through
// github.com/ebfe/scard, insertion and removal events, the APDU transport
// (command chaining, extended length, GET RESPONSE), the PIV command set of
// NIST SP 800-73-4, and a PIV card emulator that runs in-process or behind
// the real pcscd through vsmartcard's vpcd driver.
//
// The layers, bottom up:
//
//   - Reader is a slot that may hold a card: PCSCReader for a reader of
//     pcscd, EmulatedReader for an in-process one. Watch turns WaitFor into
//     a stream of insertion and removal events.
//   - Card sends Commands over a Conn and applies the transport rules (T=0
//     and T=1, chaining or extended length, 61xx, 6Cxx). A final status
//     word other than 9000 is a *StatusError.
//   - PIV is the PIV Card Application: SELECT, GET/PUT DATA, VERIFY,
//     CHANGE REFERENCE DATA, RESET RETRY COUNTER, GENERAL AUTHENTICATE
//     (management key and signing) and GENERATE ASYMMETRIC KEY PAIR.
//   - Emulator is a PIV card in software; VPCDLink connects it to pcscd.
//
// The emulator behaves as middleware expects of a card: a SELECT of an
// application it lacks answers 6A82 and keeps PIV selected, with its
// security status (ISO 7816-4; yubico-piv-tool probes other AIDs right
// after PIV); GET VERSION (INS FD) answers EmulatorVersion; a T=0 card's
// ATR does not announce extended length, and long data travel by chaining
// and GET RESPONSE. Besides SP 800-73-4 it implements SET MANAGEMENT KEY
// (INS FF), a de-facto extension that EmulatorOptions.NoSetMgmtKey turns
// off, to stand for cards that lack it.
//
// The CHUID's issuer signature (tag 3E) is left to the issuer: CHUID
// carries it in Signature over SignedContent, and an unsigned CHUID has
// no 3E element rather than an empty one.
//
// vpcd has two slots, "Virtual PCD 00 00" on 127.0.0.1:35963 and
// "Virtual PCD 00 01" on 35964 (VPCDSlotAddr, VPCDSlotReader). Each has
// its own lock file (VPCDSlotLockPath), so two emulated cards can be used
// at once by tests and card-emulator commands.
//
// Every error matches one *Kind with errors.Is and offers UserMessage, a
// Japanese sentence for the clerk.
//
// cardio imports nothing else of madoguchi.
package cardio
