//go:build unix

package sign_test

import (
	"os/exec"
	"syscall"
)

// noTerminal runs cmd in a new session, without a controlling terminal,
// so that OpenSSL's UI reads standard input even under a developer's
// terminal.
func noTerminal(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }
