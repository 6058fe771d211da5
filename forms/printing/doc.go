// Package printing produces the counter's printed documents as PDF: the
// application form (申請書), the receipt (交付通知書, with the office's copy),
// the issuance record book (交付記録簿) and the daily summary (日計表).
//
// Documents are drawn with github.com/go-pdf/fpdf in a Japanese TrueType
// font that is embedded as a subset. Stored text is printed as it is:
// where the font has no glyph for a character, the document shows 〓 and
// lists the character's code point at its end, and the Result returned by
// every renderer lists each occurrence, so that nothing vanishes silently.
//
// The renderers take plain, display-ready input types that the application
// fills from its records, write to an io.Writer, and produce the same bytes
// for the same input (the print time is part of the input).
package printing
