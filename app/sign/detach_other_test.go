//go:build !unix

package sign_test

import "os/exec"

// noTerminal does nothing where there are no sessions.
func noTerminal(*exec.Cmd) {}
