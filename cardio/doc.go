// Package cardio talks to smart cards: PC/SC readers through
// github.com/ebfe/scard, insertion and removal events, the APDU transport
// (command chaining, GET RESPONSE), the PIV command set of NIST SP 800-73-4,
// and a PIV card emulator that runs in-process or behind the real pcscd
// through vsmartcard's vpcd driver.
//
// cardio imports nothing else of madoguchi.
package cardio
