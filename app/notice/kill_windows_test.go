package notice

import (
	"errors"
	"os"
	"os/exec"
)

// killSelf ends the process at once (TerminateProcess, exit code 1), the
// Windows counterpart of kill -9.
func killSelf() {
	p, _ := os.FindProcess(os.Getpid())
	p.Kill()
	select {}
}

// killedHard reports whether a child ended by killSelf.
func killedHard(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == 1
}
