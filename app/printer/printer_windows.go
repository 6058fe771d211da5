//go:build windows

package printer

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
)

// Print hands the PDF at path to the shell's print verb (the registered
// PDF application prints it to the default printer, or with PrintTo to
// the named one). Windows gives no job ID. title is not used.
func (p *Printer) Print(ctx context.Context, path, title string) (Result, error) {
	verb := "-Verb Print"
	if p.Name != "" {
		verb = "-Verb PrintTo -ArgumentList " + psQuote(p.Name)
	}
	script := "Start-Process -FilePath " + psQuote(path) + " " + verb
	cmd := exec.CommandContext(ctx, "powershell.exe", "-NoProfile", "-NonInteractive", "-Command", script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return Result{}, &Error{Path: path, Detail: strings.TrimSpace(stderr.String()), Err: err}
	}
	return Result{Path: path, Printer: p.Name}, nil
}

// psQuote quotes s as a PowerShell single-quoted string.
func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
