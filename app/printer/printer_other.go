//go:build !windows

package printer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
)

// Print sends the PDF at path to the printer through CUPS's lp, titled
// title. When lp is missing, the scheduler does not answer or no default
// printer is set, it opens the PDF in the desktop's viewer instead. A
// queue that CUPS refuses (unknown, disabled) is an error: the clerk must
// know that the configured printer is wrong.
func (p *Printer) Print(ctx context.Context, path, title string) (Result, error) {
	lp := p.LP
	if lp == "" {
		lp = "lp"
	}
	if bin, err := exec.LookPath(lp); err == nil {
		args := []string{}
		if p.Name != "" {
			args = append(args, "-d", p.Name)
		}
		if title != "" {
			args = append(args, "-t", title)
		}
		args = append(args, "--", path)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), p.Env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err == nil {
			id, perr := ParseJobID(stdout.String())
			if perr != nil {
				return Result{}, &Error{Path: path, Detail: strings.TrimSpace(stdout.String()), Err: perr}
			}
			return Result{Path: path, Printer: p.Name, JobID: id}, nil
		}
		detail := strings.TrimSpace(stderr.String())
		if ctx.Err() != nil || !noSpooler(detail) {
			return Result{}, &Error{Path: path, Detail: detail, Err: err}
		}
	}
	return p.open(ctx, path)
}

// noSpooler reports whether lp's complaint means that there is no CUPS to
// print through (rather than a refused job).
func noSpooler(stderr string) bool {
	s := strings.ToLower(stderr)
	for _, m := range []string{"scheduler not responding", "no default destination", "connection refused",
		"no such file or directory", "unable to connect", "bad file descriptor"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// open shows the PDF in the desktop's viewer.
func (p *Printer) open(ctx context.Context, path string) (Result, error) {
	opener := p.Open
	if opener == "" {
		opener = "xdg-open"
	}
	bin, err := exec.LookPath(opener)
	if err != nil {
		return Result{}, &Error{Path: path, Err: ErrNoPrinter}
	}
	cmd := exec.CommandContext(ctx, bin, path)
	cmd.Env = append(os.Environ(), p.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return Result{}, &Error{Path: path, Detail: strings.TrimSpace(stderr.String()), Err: errors.Join(ErrNoPrinter, err)}
	}
	return Result{Path: path, Printer: p.Name, Opened: true}, nil
}
