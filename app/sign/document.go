package sign

import (
	"bytes"
	"path/filepath"
	"strings"
)

// IsPDF reports whether a file is signed as a PDF: its name ends in .pdf
// or its bytes start with the PDF header.
func IsPDF(name string, data []byte) bool {
	return strings.EqualFold(filepath.Ext(name), ".pdf") || bytes.HasPrefix(data, []byte("%PDF-"))
}

// OutputName is where the signed form of name is saved: NAME.signed.pdf
// for a PDF, NAME.p7s (the detached CMS signature) otherwise.
func OutputName(name string, pdf bool) string {
	if pdf {
		return strings.TrimSuffix(name, filepath.Ext(name)) + ".signed.pdf"
	}
	return name + ".p7s"
}

// Document signs the file name holding data: a PAdES signature for a PDF,
// a detached CMS signature otherwise (attached when attach is set). It
// returns the signed bytes and the name to save them under.
func Document(name string, data []byte, s Signer, info PDFInfo, attach bool) ([]byte, string, error) {
	if IsPDF(name, data) {
		out, err := PDF(data, s, info)
		return out, OutputName(name, true), err
	}
	out, err := CMS(data, s, !attach)
	return out, OutputName(name, false), err
}
