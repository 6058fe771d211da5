// Package ui holds the Fyne screens and nothing else: the sign-in and home
// screens, the issuance wizard, the resident-facing PIN dialog, the records
// and printing screens, and the theme with a Japanese font. All domain logic
// lives in app and forms; long operations run off the UI goroutine.
package ui
