//go:build unix

package notice

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// killSelf ends the process at once, as kill -9 does.
func killSelf() {
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// killedHard reports whether a child ended by killSelf.
func killedHard(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
}
