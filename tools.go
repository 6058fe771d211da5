//go:build tools

// This file pins the modules that the packages are about to use, so that
// go.mod and go.sum stay complete while the packages are being written.
package main

import (
	_ "fyne.io/fyne/v2"
	_ "github.com/BurntSushi/toml"
	_ "github.com/ebfe/scard"
	_ "github.com/globalsign/est"
	_ "github.com/go-pdf/fpdf"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/text/width"
	_ "modernc.org/sqlite"
)
