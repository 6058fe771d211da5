// Package app is the counter's domain: the resident registry (住民基本台帳)
// with its import and search, the issuance session as a durable state
// machine, issuance records and the hash-chained audit trail, staff and
// roles, the prefecture link (an EST client) with a reference prefecture CA
// for demos and tests, and configuration.
//
// Nothing in app imports Fyne; every part of it is testable without a display.
package app
