// Package printer sends a finished PDF to a printer: on Linux through CUPS
// (the lp command, to the configured queue or the default one), falling
// back to the desktop's PDF viewer when there is no CUPS or no printer; on
// Windows through the shell's print verb.
//
// The PDF itself is written by forms/printing; this package only hands a
// file on and reports what happened in a form the clerk can read.
package printer

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Printer prints files to one destination.
type Printer struct {
	// Name is the CUPS queue (Windows: the printer's name); "" means the
	// system's default printer.
	Name string
	// LP is the CUPS submit command; "" means "lp". Tests point it
	// elsewhere.
	LP string
	// Open is the desktop's file opener used as the fallback; "" means
	// "xdg-open".
	Open string
	// Env is added to the commands' environment (e.g. CUPS_SERVER).
	Env []string
}

// Result is what happened to a printed file.
type Result struct {
	Path    string // the PDF
	Printer string // the destination the job went to ("" for the default)
	JobID   string // the spooler's job ID, e.g. "counter-1-42"; "" when none was given
	Opened  bool   // no printer: the PDF was opened in the desktop's viewer instead
}

// Message says in Japanese what happened, for a document called label
// (e.g. 日計表).
func (r Result) Message(label string) string {
	if r.Opened {
		return label + "を印刷できるプリンタが見つからないため、PDF を表示しました。表示したアプリから印刷してください。\n" + r.Path
	}
	dest := r.Printer
	if dest == "" {
		dest = "既定のプリンタ"
	}
	msg := label + "を" + dest + "に送りました"
	if r.JobID != "" {
		msg += "（ジョブ ID " + r.JobID + "）"
	}
	return msg + "。\n" + r.Path
}

// Error is a file that could not be printed nor opened.
type Error struct {
	Path   string
	Detail string // the spooler's or opener's own words
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("printer: %s: %v: %s", e.Path, e.Err, e.Detail)
}

// Unwrap returns the underlying problem.
func (e *Error) Unwrap() error { return e.Err }

// UserMessage says what happened in Japanese.
func (e *Error) UserMessage() string {
	msg := "印刷できませんでした。プリンタの電源と接続、設定の印刷先を確かめてください。PDF は次に保存してあります：" + e.Path
	if e.Detail != "" {
		msg += "（" + e.Detail + "）"
	}
	return msg
}

// ErrNoPrinter is returned (inside an *Error) when there is neither a
// spooler nor a viewer to hand the file to.
var ErrNoPrinter = errors.New("no printer and no viewer")

// jobIDPattern matches lp's answer: "request id is queue-42 (1 file(s))".
var jobIDPattern = regexp.MustCompile(`request id is (\S+?)(?:\s+\(|\s*$)`)

// ParseJobID reads the job ID from lp's standard output.
func ParseJobID(out string) (string, error) {
	for _, line := range strings.Split(out, "\n") {
		if m := jobIDPattern.FindStringSubmatch(strings.TrimSpace(line)); m != nil && m[1] != "" {
			return m[1], nil
		}
	}
	return "", fmt.Errorf("printer: no job ID in %q", out)
}
