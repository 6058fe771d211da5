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
// Every error matches one *Kind with errors.Is and offers UserMessage, a
// Japanese sentence for the clerk.
//
// cardio imports nothing else of madoguchi.
package cardio
